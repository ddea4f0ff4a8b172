// Entry point: listen, and shut down gracefully on SIGINT/SIGTERM. Nothing else.
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

const config = loadConfig();
const log = createLogger(config);

try {
  const { close } = await startServer(config, log);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => process.exit(1), 10_000).unref();
      close().then(
        () => {
          clearTimeout(timer);
          process.exit(0);
        },
        (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
} catch (err) {
  log.fatal({ err }, err instanceof Error ? err.message : 'start-up failed');
  process.exit(1);
}
