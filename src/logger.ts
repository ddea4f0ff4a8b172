// One pino logger; secrets never reach it (tokens and keys are redacted wherever they appear).
import pino from 'pino';
import type { Config } from './config.ts';

export function createLogger(config: Pick<Config, 'logLevel' | 'production'>) {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['token', '*.token', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', 'headers["x-api-key"]', '*.password'],
      censor: '[redacted]',
    },
    ...(config.production || !process.stdout.isTTY ? {} : { transport: { target: 'pino-pretty', options: { colorize: true } } }),
  });
}
