// The seam for identity providers: turns what a client presents into a verified login id.
// MOCK_IDP trusts the login id as given, so it is accepted only outside production. A real
// provider verifies a signed token here and returns its subject (e.g. a JWT `sub`).
import type { Config } from '../config.ts';
import type { Idp } from '../generated/prisma/client.ts';
import { appError, ErrorCode } from '../errors.ts';

export async function verifyIdentity(config: Pick<Config, 'mockIdpEnabled'>, idp: Idp, loginId: string): Promise<string> {
  switch (idp) {
    case 'MOCK_IDP':
      if (!config.mockIdpEnabled) throw appError(ErrorCode.FORBIDDEN, 'The mock identity provider is disabled on this server');
      return loginId;
  }
}
