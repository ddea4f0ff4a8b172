// Deterministic identifiers for demo data: the same name gives the same UUID on every run and
// every machine, so seeding can upsert by id and tests can refer to rows by name.
import { createHash } from 'node:crypto';

/** The namespace every demo id is derived in: uuidV5('https://example.org/youth-safety/demo-seed', URL namespace). */
export const DEMO_NAMESPACE = 'dd341d33-3452-54bd-8df0-53f8cc550fcb';

function uuidBytes(uuid: string) {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

function formatUuid(bytes: Buffer) {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 4122 version 5: sha1 of the namespace's bytes followed by the name, version and variant bits set. */
export function uuidV5(name: string, namespace: string): string {
  const digest = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  return formatUuid(bytes);
}

/** The id of a demo row, from a stable name such as `user:parent-moreau`. */
export function demoId(name: string): string {
  return uuidV5(name, DEMO_NAMESPACE);
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
