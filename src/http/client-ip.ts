// The client's address, for consent records: the socket peer, or the first X-Forwarded-For hop
// only when a trusted proxy sits in front (otherwise the header is the client's own claim).
import { isIP } from 'node:net';

export interface ServerContext {
  req?: { socket?: { remoteAddress?: string | null } };
}

const normalize = (ip: string | null | undefined) => {
  if (!ip) return null;
  const bare = ip.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return isIP(bare) ? bare : null;
};

/**
 * With TRUST_PROXY, the first X-Forwarded-For entry: the proxy in front must overwrite (not append
 * to) what the client sent, as load balancers that terminate the connection do. Without it, the
 * socket peer; a client's own X-Forwarded-For is then ignored, so it cannot pick its rate-limit key.
 */
export function clientIpOf(headers: Headers, server: ServerContext, trustProxy: boolean) {
  if (trustProxy) {
    const forwarded = headers.get('x-forwarded-for');
    const first = forwarded?.split(',')[0];
    const ip = normalize(first);
    if (ip) return ip;
  }
  return normalize(server.req?.socket?.remoteAddress);
}
