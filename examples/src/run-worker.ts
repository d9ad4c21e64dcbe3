// What every example worker shares: options, the JSON start line, and SIGTERM handling.
import { createJsonLogger, Worker, type Logger, type WorkerOptions } from '@switchboard/worker-sdk';

export interface ExampleOptions extends Omit<WorkerOptions, 'name'> {
  /** Shown in responses and in the router's logs. */
  name: string;
  /** Close gracefully and exit 0 on SIGTERM/SIGINT. Default true; turn off when several workers share a process. */
  signals?: boolean;
}

/** Creates the worker with a JSON-lines logger on stdout unless one is given. */
export function createExampleWorker(options: ExampleOptions): Worker {
  const { signals: _signals, ...workerOptions } = options;
  const logger: Logger = options.logger ?? createJsonLogger({ stream: process.stdout, level: 'info', base: { name: options.name } });
  return new Worker({ ...workerOptions, logger });
}

/** Logs the "worker started" line and wires SIGTERM/SIGINT to close() then exit 0. */
export function announce(worker: Worker, options: ExampleOptions, extra: Record<string, unknown>): Worker {
  const o = worker.options;
  worker.logger.info({
    worker: worker.name, id: worker.id, connect: o.connect, control: o.minimal ? undefined : o.control, minimal: o.minimal,
    concurrency: o.concurrency, ...extra,
  }, 'worker started');
  if (options.signals !== false) {
    const stop = (): void => {
      void worker.close().then(() => process.exit(0), (err: unknown) => {
        worker.logger.error({ err }, 'close failed');
        process.exit(1);
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  return worker;
}
