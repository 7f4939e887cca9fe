/** Metadata attached to a log line; must never carry secrets. */
export type LogMeta = Record<string, unknown>;

/** A minimal structured logger; winston and pino-style loggers fit it without an adapter. */
export interface Logger {
  debug(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  error(message: string, meta?: LogMeta): void;
  child(meta: LogMeta): Logger;
}

/** Returns a logger that drops everything. */
export function createSilentLogger(): Logger {
  const silent: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: () => {},
    child: () => silent,
  };
  return silent;
}

/** One captured log line, as recorded by {@link createMemoryLogger}. */
export interface LogRecord {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  meta: LogMeta;
}

/** A logger that keeps every line in `records` (children share the same list), for tests. */
export interface MemoryLogger extends Logger {
  readonly records: LogRecord[];
}

/** Returns a logger that records lines in memory; children add their bindings to each line. */
export function createMemoryLogger(bindings: LogMeta = {}, records: LogRecord[] = []): MemoryLogger {
  const write = (level: LogRecord["level"]) => (message: string, meta?: LogMeta) => {
    records.push({ level, message, meta: { ...bindings, ...meta } });
  };
  return {
    records,
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (meta) => createMemoryLogger({ ...bindings, ...meta }, records),
  };
}
