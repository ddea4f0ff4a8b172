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

export function clientIpOf(request: Request, server: ServerContext, trustProxy: boolean) {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for');
    const first = forwarded?.split(',')[0];
    const ip = normalize(first);
    if (ip) return ip;
  }
  return normalize(server.req?.socket?.remoteAddress);
}
