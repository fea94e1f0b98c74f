import type { Logger } from "pino";

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * The one place an app shuts down. On SIGTERM or SIGINT the steps run in order (stop taking work first, close
 * connections last); if they have not finished by the deadline the process exits with code 1 so an orchestrator
 * does not wait forever. A second signal exits at once.
 */
export function installShutdown(logger: Logger, steps: ShutdownStep[], deadlineMs: number): () => Promise<void> {
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    if (shuttingDown) return shuttingDown;
    logger.info({ reason, deadlineMs }, "shutting down");
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, "shutdown deadline passed; exiting");
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    shuttingDown = (async () => {
      for (const step of steps) {
        try {
          await step.run();
          logger.info({ step: step.name }, "shutdown step done");
        } catch (err) {
          logger.error({ step: step.name, err }, "shutdown step failed");
        }
      }
      clearTimeout(timer);
      logger.info("shutdown complete");
    })();
    return shuttingDown;
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (shuttingDown) {
        logger.warn({ signal }, "second signal: exiting now");
        process.exit(1);
      }
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  return () => shutdown("requested");
}
