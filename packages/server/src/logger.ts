import { LOG_LEVEL_VALUES } from "@waygate/core";
import winston from "winston";

/** Log levels accepted by `LOG_LEVEL` / the `logLevel` option (core's, shared with the `log.level` setting). */
export const LOG_LEVELS = LOG_LEVEL_VALUES;
/** One of the winston npm levels. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const SECRET_FIELD = /authorization|api[-_]?key|token|secret|password|cookie|plaintext|^env$|^headers$/i;
const REDACTED = "[redacted]";

/** Replaces values under secret-looking field names, at any depth, so keys and tokens never reach a log line. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? REDACTED : redactSecrets(inner, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === "level" || key === "message") continue;
    info[key] = SECRET_FIELD.test(key) ? REDACTED : redactSecrets(info[key]);
  }
  return info;
});

/** Creates a JSON winston logger writing to stdout; every line is redacted before it is written. */
export function createLogger(options: { level?: LogLevel; silent?: boolean } = {}): winston.Logger {
  return winston.createLogger({
    level: options.level ?? "info",
    silent: options.silent ?? false,
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}
