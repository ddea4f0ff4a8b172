// A real SMTP server on loopback (the smtp-server package), for tests that read what was mailed.
// It keeps every accepted mail, decoded, and can be told to refuse mail (451) like a server in trouble.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  /** The decoded text body. */
  text: string;
  headers: string;
}

/** Decodes the RFC 2047 encoded-words of a header value. */
function decodeHeader(value: string) {
  return value.replace(/\s*\r?\n\s+/g, ' ').replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=\s*/gi, (_all, _charset, enc: string, data: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  );
}

function parse(raw: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(headers)?.[1] ?? '';
  const encoding = header('Content-Transfer-Encoding').trim().toLowerCase();
  let text = body;
  if (encoding === 'base64') text = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    text = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return { to, subject: decodeHeader(header('Subject')), text: text.replace(/\r\n/g, '\n'), headers };
}

/** Listens on a free loopback port, or on `port` (a server coming back). */
export async function startSmtpServer(port = 0) {
  const mails: ReceivedMail[] = [];
  let refusing = false;
  let delayMs = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refusing) return callback(Object.assign(new Error('Mailbox busy, try later'), { responseCode: 451 }));
        // A slow server keeps the mail (it will be delivered) but answers late.
        mails.push(parse(Buffer.concat(chunks).toString('latin1'), session.envelope.rcptTo.map((r) => r.address)));
        if (delayMs > 0) setTimeout(() => callback(), delayMs);
        else callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    url: `smtp://127.0.0.1:${address.port}`,
    mails,
    /** Mails to this address, oldest first. */
    to: (address: string) => mails.filter((m) => m.to.includes(address)),
    refuse(on: boolean) {
      refusing = on;
    },
    /** Answers each accepted mail this many milliseconds late (0: at once), like a server under load. */
    slow(ms: number) {
      delayMs = ms;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpTestServer = Awaited<ReturnType<typeof startSmtpServer>>;

/** The consent code a mail carries (XXXXX-XXXXX, Crockford base32). */
export function codeIn(mail: ReceivedMail): string {
  const match = /\b([0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5})\b/.exec(mail.text);
  if (!match) throw new Error(`no consent code in the mail:\n${mail.text}`);
  return match[1];
}
