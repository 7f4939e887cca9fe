import type { z } from "zod";
import { errorMessage, PluginConfigError, PluginError } from "./errors.js";
import { assertHostVersionSupported } from "./host-version.js";
import { createSilentLogger, type Logger, type LogMeta } from "./logger.js";
import type { PluginMetadata } from "./metadata.js";
import type {
  CallContext,
  ListChangedKind,
  PluginCallContext,
  PluginErrorInfo,
  PluginInitContext,
  PluginStartOptions,
  PluginState,
  PluginStatus,
} from "./plugin.js";
import { formatZodIssues } from "./zod-issues.js";

/** Validates start options against a plugin's metadata and config schema; returns its init context. */
export function resolveStartOptions<Config>(
  metadata: PluginMetadata,
  configSchema: z.ZodType<Config> | undefined,
  options: PluginStartOptions,
): PluginInitContext<Config> {
  assertHostVersionSupported(metadata.name, metadata.hostVersions, options.hostVersion);
  let config = options.config as Config;
  if (configSchema) {
    const parsed = configSchema.safeParse(options.config ?? {});
    if (!parsed.success) {
      throw new PluginConfigError(
        `Invalid config for plugin '${metadata.name}': ${formatZodIssues(parsed.error.issues)}`,
      );
    }
    config = parsed.data;
  }
  const logger = (options.logger ?? createSilentLogger()).child({ plugin: metadata.name });
  return { logger, config, hostVersion: options.hostVersion };
}

/** Describes an error for status pages. */
export function toErrorInfo(error: unknown): PluginErrorInfo {
  const code = PluginError.isInstance(error) ? error.code : "PLUGIN_ERROR";
  return { code, message: errorMessage(error), at: new Date().toISOString() };
}

/** Tracks a plugin's state, last error and restart count. */
export interface StatusTracker {
  get(): PluginStatus;
  /** The current state alone, without building a status object (for per-call checks). */
  state(): PluginState;
  set(state: PluginState, error?: unknown): void;
  countRestart(): void;
}

/** Returns a fresh status tracker in state "idle"; `onChange` runs after each change of state or restarts. */
export function createStatusTracker(onChange: () => void = () => {}): StatusTracker {
  let state: PluginState = "idle";
  let lastError: PluginErrorInfo | undefined;
  let restarts = 0;
  return {
    get: () => ({ state, restarts, ...(lastError ? { lastError } : {}) }),
    state: () => state,
    set(next, error) {
      const changed = next !== state || error !== undefined;
      state = next;
      if (error !== undefined) lastError = toErrorInfo(error);
      if (changed) onChange();
    },
    countRestart() {
      restarts += 1;
      onChange();
    },
  };
}

/** A set of list_changed listeners. */
export interface ListChangedEmitter {
  subscribe(listener: (kind: ListChangedKind) => void): () => void;
  emit(kind: ListChangedKind): void;
}

/** Returns an emitter that isolates listeners from each other's exceptions. */
export function createListChangedEmitter(logger: () => Logger): ListChangedEmitter {
  const listeners = new Set<(kind: ListChangedKind) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(kind) {
      for (const listener of listeners) {
        try {
          listener(kind);
        } catch (error) {
          logger().warn("list_changed listener threw", { kind, error: errorMessage(error) });
        }
      }
    },
  };
}

/** A set of status listeners. */
export interface StatusEmitter {
  subscribe(listener: (status: PluginStatus) => void): () => void;
  emit(status: PluginStatus): void;
}

/** Returns an emitter that isolates status listeners from each other's exceptions. */
export function createStatusEmitter(logger: () => Logger): StatusEmitter {
  const listeners = new Set<(status: PluginStatus) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(status) {
      for (const listener of listeners) {
        try {
          listener(status);
        } catch (error) {
          logger().warn("status listener threw", { state: status.state, error: errorMessage(error) });
        }
      }
    },
  };
}

/**
 * A call's logger: the plugin logger's child bound to the call, made on first use. Child loggers cost an
 * allocation or more per call (winston builds a new logger), and most calls never log.
 */
class LazyChildLogger implements Logger {
  readonly #parent: Logger;
  readonly #bindings: LogMeta;
  readonly #requestId: string;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: LogMeta, requestId: string) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#requestId = requestId;
  }

  #logger(): Logger {
    this.#child ??= this.#parent.child({ ...this.#bindings, requestId: this.#requestId });
    return this.#child;
  }

  debug(message: string, meta?: LogMeta): void {
    this.#logger().debug(message, meta);
  }

  info(message: string, meta?: LogMeta): void {
    this.#logger().info(message, meta);
  }

  warn(message: string, meta?: LogMeta): void {
    this.#logger().warn(message, meta);
  }

  error(message: string, meta?: LogMeta): void {
    this.#logger().error(message, meta);
  }

  child(meta: LogMeta): Logger {
    return this.#logger().child(meta);
  }
}

/**
 * A host call context plus the plugin's config and logger. A class copying the context's own properties
 * (what a spread copies) is built several times faster than an object literal with a spread and a getter,
 * and this runs on every call.
 */
class PluginCallContextView<Config> {
  declare config: Config;
  declare logger: Logger;

  constructor(ctx: CallContext, logger: Logger, bindings: Record<string, string>, config: Config) {
    Object.assign(this, ctx);
    this.config = config;
    this.logger = new LazyChildLogger(logger, bindings, ctx.requestId);
  }
}

/** Extends a host call context with the plugin's config and a per-call child logger made only if used. */
export function withPluginContext<Config>(
  ctx: CallContext,
  logger: Logger,
  bindings: Record<string, string>,
  config: Config,
): PluginCallContext<Config> {
  return new PluginCallContextView(ctx, logger, bindings, config) as unknown as PluginCallContext<Config>;
}
