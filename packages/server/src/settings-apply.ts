import type winston from "winston";
import { relistAll } from "./background.js";
import { type GatewayOptions, type GatewayOptionsInput, parseGatewayOptions } from "./options.js";
import type { Router } from "./routing/router.js";
import { type RuntimeSettings, runtimeBase } from "./runtime-settings.js";
import {
  changedOptionPaths,
  LIVE_OPTIONS,
  liveOptionOf,
  restartReason,
  type SettingsDiff,
} from "./settings-changes.js";
import type { EventRecorder } from "./system-events.js";
import type { ConfigChangeSource } from "./upstreams/configured-upstreams.js";

/**
 * Applies changed gateway options to a running gateway: the ones a runtime setting carries apply at once (unless a
 * stored value wins), every other changed option is reported with the reason it needs a restart.
 */
export function createSettingsApplier(deps: {
  input: GatewayOptionsInput;
  options: GatewayOptions;
  settings: RuntimeSettings;
  router: Router;
  logger: winston.Logger;
  recordEvent: EventRecorder;
}): (changes: Partial<GatewayOptionsInput>, source: ConfigChangeSource) => Promise<SettingsDiff> {
  const { input, options, settings, logger } = deps;
  return async (changes, source) => {
    const next = parseGatewayOptions({ ...input, ...changes });
    const diff: SettingsDiff = { applied: [], needRestart: [] };
    const paths = changedOptionPaths(options, next, Object.keys(changes));
    const live = new Set<string>();
    for (const path of paths) {
      const option = liveOptionOf(path);
      if (option) live.add(option);
      else diff.needRestart.push({ option: path, reason: restartReason(path) });
    }
    // What reads options directly sees the new values; the rest goes through the runtime settings.
    options.rateLimit.limit = next.rateLimit.limit;
    options.pinning.servers = next.pinning.servers;
    const overridden = new Map(
      settings.setBase(runtimeBase(next)).map((change) => [change.key, change.overridden]),
    );
    if (live.has("pinning.servers")) relistAll(deps.router);
    for (const option of live) {
      const runtimeKey = LIVE_OPTIONS[option] ?? undefined;
      const value = option
        .split(".")
        .reduce<unknown>((at, part) => (at as Record<string, unknown>)[part], next);
      const applied = {
        option,
        value,
        overridden: runtimeKey ? (overridden.get(runtimeKey) ?? false) : false,
      };
      diff.applied.push(runtimeKey ? { ...applied, runtimeKey } : applied);
      logger.info(
        applied.overridden
          ? `setting changed in the ${source}; a value stored in the database wins`
          : `setting applied from the ${source}`,
        { option, ...(runtimeKey ? { runtimeKey } : {}), value, source },
      );
    }
    for (const { option, reason } of diff.needRestart) {
      logger.warn(`setting changed in the ${source}; restart to apply it`, { option, reason, source });
    }
    if (paths.length > 0) {
      await deps.recordEvent({
        level: "info",
        type: "config.applied",
        message: `Applied a change of the ${source}: ${diff.applied.map((s) => s.option).join(", ") || "no setting"} applied${
          diff.needRestart.length > 0
            ? `; ${diff.needRestart.map((s) => s.option).join(", ")} need a restart`
            : ""
        }`,
        details: { source, applied: diff.applied.map((s) => s.option), needRestart: diff.needRestart },
      });
    }
    return diff;
  };
}
