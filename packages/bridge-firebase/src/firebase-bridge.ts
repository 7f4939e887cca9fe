import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BridgeSetup, type Env, GuardedBridge } from "@waygate/plugin-sdk/bridge";
import { z } from "zod";
import { version as BRIDGE_VERSION } from "../package.json";
import { resolveFirebaseCli } from "./firebase-command.js";
import { firebasePolicy } from "./firebase-policy.js";
import {
  type FirebaseBridgeSettings,
  type FirebaseBridgeSettingsInput,
  resolveFirebaseSettings,
} from "./settings.js";

/** Options of the Firebase bridge plugin. */
export interface FirebaseBridgeOptions {
  /** Validated settings; when absent, settings are read at start from `env` and the host's plugin config. */
  settings?: FirebaseBridgeSettings;
  /** Environment read at start when `settings` is absent; `process.env` by default. */
  env?: Env;
  /** Prefix of the bridged tools (`<namespace>__<tool>`); "firebase" by default. */
  namespace?: string;
}

const FirebasePluginConfigSchema = z.record(z.string(), z.unknown());

/** Arguments of `firebase mcp` for the settings and the project directory. */
export function firebaseMcpArgs(settings: FirebaseBridgeSettings, projectDir: string): string[] {
  const args = ["mcp", "--dir", projectDir];
  if (settings.features.length > 0) args.push("--only", settings.features.join(","));
  return args;
}

/** A directory whose `.firebaserc` makes `project` the server's active project; the caller removes it. */
export function createPinnedProjectDir(project: string): string {
  const dir = mkdtempSync(join(tmpdir(), "waygate-firebase-"));
  writeFileSync(join(dir, ".firebaserc"), `${JSON.stringify({ projects: { default: project } }, null, 2)}\n`);
  return dir;
}

/**
 * Waygate bridge to the Firebase CLI's MCP server (`firebase mcp`, stdio): pinned to FIREBASE_PROJECT_ID with
 * calls naming other projects, databases or buckets denied, feature selection, and FIREBASE_REGION defaults.
 */
export class FirebaseBridge extends GuardedBridge<Record<string, unknown>> {
  override readonly configSchema = FirebasePluginConfigSchema;
  readonly #options: FirebaseBridgeOptions;
  #pinnedDir: string | undefined;
  #projectDir: string | undefined;

  constructor(options: FirebaseBridgeOptions = {}) {
    super({
      name: options.namespace ?? "firebase",
      version: BRIDGE_VERSION,
      description: "Firebase CLI MCP server behind Waygate (scoped to one project)",
    });
    this.#options = options;
  }

  protected setup(config: Record<string, unknown>): BridgeSetup {
    const settings =
      this.#options.settings ??
      resolveFirebaseSettings(
        config as Partial<FirebaseBridgeSettingsInput>,
        this.#options.env ?? process.env,
      );
    const command = settings.command ?? [process.execPath, resolveFirebaseCli()];
    const projectDir = settings.projectDir ?? this.#pinDir(settings.project);
    this.#projectDir = projectDir;
    const [program = "", ...args] = [
      ...command,
      ...(settings.command ? [] : firebaseMcpArgs(settings, projectDir)),
    ];
    const env: Record<string, string> = {};
    if (settings.credentialsFile) env.GOOGLE_APPLICATION_CREDENTIALS = settings.credentialsFile;
    return {
      upstream: {
        version: BRIDGE_VERSION,
        transport: { type: "stdio", command: program, args, env, cwd: projectDir },
        timeouts: { connectMs: settings.connectTimeoutMs, callMs: settings.callTimeoutMs },
      },
      policy: firebasePolicy(settings),
      summary: {
        transport: "stdio",
        server: settings.command ? settings.command[0] : "firebase-tools (firebase mcp)",
        project: settings.project,
        region: settings.region ?? null,
        features: settings.features,
        readOnly: settings.readOnly,
      },
    };
  }

  /** The directory the server runs in (`--dir`): FIREBASE_PROJECT_DIR, or the bridge's pinned one once started. */
  get projectDir(): string | undefined {
    return this.#options.settings?.projectDir ?? this.#projectDir;
  }

  override async shutdown(): Promise<void> {
    await super.shutdown();
    if (this.#pinnedDir) rmSync(this.#pinnedDir, { recursive: true, force: true });
    this.#pinnedDir = undefined;
  }

  #pinDir(project: string): string {
    this.#pinnedDir ??= createPinnedProjectDir(project);
    return this.#pinnedDir;
  }
}

/** Builds the Firebase bridge from explicit settings; throws a BridgeConfigError naming what to fix. */
export function createFirebaseBridge(
  settings: FirebaseBridgeSettingsInput,
  options: { namespace?: string; env?: Env } = {},
): FirebaseBridge {
  return new FirebaseBridge({
    namespace: options.namespace,
    settings: resolveFirebaseSettings(settings, options.env),
  });
}

/** Builds the Firebase bridge from environment variables (FIREBASE_PROJECT_ID, FIREBASE_REGION, ...). */
export function firebaseBridgeFromEnv(
  env: Env = process.env,
  options: { namespace?: string } = {},
): FirebaseBridge {
  return new FirebaseBridge({ ...options, settings: resolveFirebaseSettings({}, env) });
}
