// Entry point: listen, and shut down gracefully on SIGINT/SIGTERM. Nothing else.
import { loadConfig, type Config } from './config.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  // One line naming the variable, no stack: this is the operator's mistake, not a crash.
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
const log = createLogger(config);

try {
  const { close, server } = await startServer(config, log);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: finishing in-flight requests');
      const timer = setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; closing the remaining connections');
        server.closeAllConnections();
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
      close().then(
        () => {
          clearTimeout(timer);
          log.info('shut down cleanly');
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
