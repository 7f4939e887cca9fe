import canonicalize from "canonicalize";
import type winston from "winston";
import { GatewayOptionsError } from "../errors/errors.js";
import type { Exclusive } from "../mutex.js";
import type { EventRecorder } from "../system-events.js";
import type { ServerManager } from "./server-manager.js";
import { parseUpstreamEntry, type UpstreamTimeouts, type UpstreamTransport } from "./upstream-config.js";
import { createUpstreamPlugin, type UpstreamHost } from "./upstream-plugin.js";

/** A configured upstream: how it is reached and its own deadlines. */
export interface ConfiguredUpstream {
  transport: UpstreamTransport;
  timeouts: UpstreamTimeouts;
}

/** Where a change to the configured upstreams came from, as it is logged and recorded. */
export type ConfigChangeSource = "config file" | "options";

/** What one `applyUpstreams` changed, by server name. */
export interface UpstreamsDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** The upstreams configured in options (the config file), which can be replaced while the gateway runs. */
export interface ConfiguredUpstreams {
  /**
   * Makes the running upstreams match `entries` (the `mcpServers` shape): starts the added ones, stops the removed
   * ones and restarts only the changed ones. Every entry is validated first; one invalid entry refuses the whole
   * change (a GatewayOptionsError listing each problem) and nothing is touched.
   */
  apply(entries: Record<string, unknown>, source: ConfigChangeSource): Promise<UpstreamsDiff>;
}

/** What the configured upstreams need from the gateway. */
export interface ConfiguredUpstreamsOptions {
  servers: ServerManager;
  host: UpstreamHost;
  logger: winston.Logger;
  recordEvent: EventRecorder;
  /** The lock the admin API and the server sync hold while they change servers. */
  exclusive: Exclusive;
  /** Names the server sync leaves alone; kept in step with what is configured here. */
  configuredNames: Set<string>;
  /** Starts the server stored in the database under `name`, if any: it was shadowed by a configured one. */
  restoreStored(name: string): Promise<boolean>;
  /** The enabled entries the gateway started with, by name. */
  initial: Record<string, ConfiguredUpstream>;
}

/** Tracks the configured upstreams and applies a new set of them as a diff. */
export function createConfiguredUpstreams(options: ConfiguredUpstreamsOptions): ConfiguredUpstreams {
  // A changed deadline restarts the server like a changed transport: the bridge takes its own deadlines at creation.
  const current = new Map(Object.entries(options.initial).map(([name, c]) => [name, canonicalize(c) ?? ""]));

  const startConfigured = (name: string, { transport, timeouts }: ConfiguredUpstream) => {
    options.servers.add({
      name,
      kind: "upstream",
      origin: "options",
      transport: transport.type,
      build: () => createUpstreamPlugin(name, transport, options.host, timeouts),
    });
  };

  return {
    async apply(entries, source) {
      const problems: string[] = [];
      const next = new Map<string, ConfiguredUpstream>();
      for (const [name, raw] of Object.entries(entries)) {
        try {
          const parsed = parseUpstreamEntry(name, raw);
          if (!parsed.disabled) next.set(name, { transport: parsed.transport, timeouts: parsed.timeouts });
        } catch (error) {
          problems.push(`upstreams.${name}: ${(error as Error).message}`);
        }
      }
      if (problems.length > 0) {
        throw new GatewayOptionsError(`Invalid upstreams; nothing changed:\n- ${problems.join("\n- ")}`);
      }
      return options.exclusive(async () => {
        const diff: UpstreamsDiff = { added: [], removed: [], changed: [] };
        const running = new Map(options.servers.specs().map((s) => [s.spec.name, s.spec]));
        for (const name of current.keys()) {
          if (next.has(name)) continue;
          current.delete(name);
          options.configuredNames.delete(name);
          if (running.get(name)?.origin === "options") await options.servers.remove(name);
          diff.removed.push(name);
          if (await options.restoreStored(name)) {
            options.logger.info("stored server no longer shadowed by the config file; started", {
              server: name,
            });
          }
        }
        for (const [name, configured] of next) {
          const print = canonicalize(configured) ?? "";
          const before = current.get(name);
          if (before === print) continue;
          const spec = running.get(name);
          if (spec?.kind === "plugin") {
            problems.push(`upstreams.${name}: a plugin has this name; rename the server`);
            continue;
          }
          // A configured server wins over a stored one of the same name, as at start.
          if (spec) await options.servers.remove(name);
          startConfigured(name, configured);
          current.set(name, print);
          options.configuredNames.add(name);
          (before === undefined ? diff.added : diff.changed).push(name);
        }
        for (const [verb, names] of Object.entries(diff)) {
          for (const server of names) {
            options.logger.info(`server ${verb} from the ${source}`, { server, source });
          }
        }
        if (diff.added.length + diff.removed.length + diff.changed.length > 0) {
          await options.recordEvent({
            level: "info",
            type: "config.applied",
            message: `Applied a change of the ${source}: ${describe(diff)}`,
            details: { source, ...diff },
          });
        }
        if (problems.length > 0) {
          options.logger.warn(`some servers of the ${source} were not applied`, { problems });
        }
        return diff;
      });
    },
  };
}

function describe(diff: UpstreamsDiff): string {
  const parts = Object.entries(diff)
    .filter(([, names]) => names.length > 0)
    .map(([verb, names]) => `${verb} ${names.join(", ")}`);
  return parts.join("; ");
}
