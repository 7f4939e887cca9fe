import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  BridgeConfigError,
  BridgeCredentialsError,
  type Env,
  type EnvField,
  parseBridgeSettings,
  readEnvFields,
} from "@waygate/plugin-sdk/bridge";
import { z } from "zod";

/** Feature groups `firebase mcp --only` accepts (firebase-tools 15). */
export const FIREBASE_FEATURES = [
  "apphosting",
  "apptesting",
  "auth",
  "core",
  "crashlytics",
  "database",
  "dataconnect",
  "developerknowledge",
  "firestore",
  "functions",
  "messaging",
  "remoteconfig",
  "storage",
] as const;

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** Settings of the Firebase bridge; the environment variables that set them are in `FIREBASE_ENV_FIELDS`. */
export const FirebaseBridgeSettingsSchema = z.object({
  /** The only Firebase project calls may touch; the server is pinned to it. */
  project: z.string().regex(PROJECT_ID, "must be a Firebase project id such as my-app-1234"),
  /** Default location for tools that take one (App Hosting, Data Connect, Functions). */
  region: z
    .string()
    .regex(/^[a-z]+-[a-z]+[0-9]+$/, "must be a region such as us-central1")
    .optional(),
  /** Service-account key file (or other ADC file) handed to the server; never read or logged by the bridge. */
  credentialsFile: z.string().min(1).optional(),
  /** Feature groups to load (`--only`); empty lets the server detect them (which needs the internet). */
  features: z.array(z.enum(FIREBASE_FEATURES)).default([]),
  /** Project directory with firebase.json; by default the bridge makes one holding only `.firebaserc`. */
  projectDir: z.string().min(1).optional(),
  /** Expose only tools whose readOnlyHint is true. */
  readOnly: z.boolean().default(false),
  /** Command of the stdio server; `firebase-tools`' `firebase mcp` by default. */
  command: z.array(z.string().min(1)).min(1, "must name a program").optional(),
  connectTimeoutMs: z.number().int().positive().default(30_000),
  callTimeoutMs: z.number().int().positive().default(120_000),
});

/** Firebase bridge settings as written by a user (defaults optional). */
export type FirebaseBridgeSettingsInput = z.input<typeof FirebaseBridgeSettingsSchema>;
/** Firebase bridge settings after defaults. */
export type FirebaseBridgeSettings = z.output<typeof FirebaseBridgeSettingsSchema>;

/** Which environment variable sets each setting. */
export const FIREBASE_ENV_FIELDS: Record<keyof FirebaseBridgeSettingsInput, EnvField> = {
  project: {
    variable: "FIREBASE_PROJECT_ID",
    kind: "string",
    hint: "set FIREBASE_PROJECT_ID to your Firebase project's id (Project settings > General)",
  },
  region: { variable: "FIREBASE_REGION", kind: "string", hint: "set FIREBASE_REGION to e.g. us-central1" },
  credentialsFile: {
    variable: "GOOGLE_APPLICATION_CREDENTIALS",
    kind: "string",
    hint: "set GOOGLE_APPLICATION_CREDENTIALS to the path of a service-account key file",
  },
  features: {
    variable: "FIREBASE_MCP_FEATURES",
    kind: "list",
    hint: `set FIREBASE_MCP_FEATURES to a comma-separated list of ${FIREBASE_FEATURES.join(", ")}`,
  },
  projectDir: {
    variable: "FIREBASE_PROJECT_DIR",
    kind: "string",
    hint: "set FIREBASE_PROJECT_DIR to the directory holding firebase.json, or unset it",
  },
  readOnly: {
    variable: "FIREBASE_READ_ONLY",
    kind: "boolean",
    hint: "set FIREBASE_READ_ONLY to true or false (default)",
  },
  command: {
    variable: "FIREBASE_MCP_COMMAND",
    kind: "words",
    hint: "set FIREBASE_MCP_COMMAND to the stdio server command, e.g. 'firebase mcp'",
  },
  connectTimeoutMs: {
    variable: "FIREBASE_MCP_CONNECT_TIMEOUT_MS",
    kind: "integer",
    hint: "set FIREBASE_MCP_CONNECT_TIMEOUT_MS to a whole number of milliseconds",
  },
  callTimeoutMs: {
    variable: "FIREBASE_MCP_CALL_TIMEOUT_MS",
    kind: "integer",
    hint: "set FIREBASE_MCP_CALL_TIMEOUT_MS to a whole number of milliseconds",
  },
};

function gcloudAdcFile(env: Env): string {
  const base = env.CLOUDSDK_CONFIG ?? join(env.HOME ?? homedir(), ".config", "gcloud");
  return join(base, "application_default_credentials.json");
}

/**
 * Validates Firebase bridge settings: `options` first, the environment over them. Throws
 * BridgeCredentialsError when no credentials file is set or found, BridgeConfigError for anything else.
 */
export function resolveFirebaseSettings(
  options: Partial<FirebaseBridgeSettingsInput>,
  env: Env = {},
): FirebaseBridgeSettings {
  const input = { ...options, ...readEnvFields(env, FIREBASE_ENV_FIELDS) };
  if (input.project === undefined) {
    throw new BridgeConfigError(
      "The firebase bridge needs a project: FIREBASE_PROJECT_ID is not set. Set it to the id of the Firebase project callers may use.",
      { variables: ["FIREBASE_PROJECT_ID"] },
    );
  }
  const settings = parseBridgeSettings(FirebaseBridgeSettingsSchema, input, FIREBASE_ENV_FIELDS, "firebase");
  const credentials =
    settings.credentialsFile ?? (existsSync(gcloudAdcFile(env)) ? gcloudAdcFile(env) : undefined);
  if (credentials === undefined || !existsSync(credentials)) {
    throw new BridgeCredentialsError(
      credentials === undefined
        ? "The firebase bridge has no credentials: GOOGLE_APPLICATION_CREDENTIALS is not set and no gcloud application-default credentials were found. Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file with the Firebase Admin role on the project."
        : `The firebase bridge's credentials file does not exist: GOOGLE_APPLICATION_CREDENTIALS points to ${credentials}. Set it to the path of a readable service-account key file.`,
      ["GOOGLE_APPLICATION_CREDENTIALS"],
    );
  }
  if (settings.projectDir !== undefined && !existsSync(settings.projectDir)) {
    throw new BridgeConfigError(
      `FIREBASE_PROJECT_DIR (option 'projectDir') points to ${settings.projectDir}, which does not exist; set it to the directory holding firebase.json, or unset it`,
      { variables: ["FIREBASE_PROJECT_DIR"] },
    );
  }
  return { ...settings, credentialsFile: credentials };
}
