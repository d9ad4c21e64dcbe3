// The logging seam: any pino-compatible logger fits; createJsonLogger is a dependency-free stand-in.
import { hostname } from 'node:os';

/** The subset of pino's API the SDK calls: `logger.info({ fields }, 'message')`. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

// pino's numbers, so tools that read pino lines read these too.
const LEVELS = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity } as const;

export interface JsonLoggerOptions {
  /** Where lines go (default process.stderr). */
  stream?: { write(line: string): unknown };
  /** Lowest level written (default 'info'). */
  level?: LogLevel;
  /** Fields added to every line, e.g. `{ name: 'worker-1' }`. */
  base?: Record<string, unknown>;
}

/** A logger that writes one pino-shaped JSON line per call. */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const min = LEVELS[options.level ?? 'info'];
  const base = { pid: process.pid, hostname: hostname(), ...options.base };
  const line = (level: number) => (obj: object, msg?: string): void => {
    if (level < min) return;
    stream.write(JSON.stringify({ level, time: Date.now(), ...base, ...serialise(obj), msg }) + '\n');
  };
  return { debug: line(LEVELS.debug), info: line(LEVELS.info), warn: line(LEVELS.warn), error: line(LEVELS.error) };
}

// Errors do not survive JSON.stringify: spell out what pino's err serializer keeps.
function serialise(obj: object): object {
  const err = (obj as { err?: unknown }).err;
  if (!(err instanceof Error)) return obj;
  return { ...obj, err: { type: err.name, message: err.message, stack: err.stack, code: (err as { code?: unknown }).code } };
}
