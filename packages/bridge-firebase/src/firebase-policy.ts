import type { BridgePolicy, UpstreamTool } from "@waygate/plugin-sdk/bridge";
import type { FirebaseBridgeSettings } from "./settings.js";

type PolicySettings = Pick<FirebaseBridgeSettings, "project" | "region" | "readOnly">;

/** Tools hidden whatever the settings, and why. */
const ALWAYS_HIDDEN: Readonly<Record<string, string>> = {
  firebase_list_projects:
    "it lists every project the credentials can see, and the bridge is scoped to FIREBASE_PROJECT_ID",
  firebase_login:
    "the bridge's credentials come from GOOGLE_APPLICATION_CREDENTIALS, not an interactive login",
  firebase_logout:
    "the bridge's credentials come from GOOGLE_APPLICATION_CREDENTIALS, not an interactive login",
};

const PROJECT_ARGUMENTS = ["project", "project_id", "projectId", "active_project"] as const;

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

function databaseReason(project: string, url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  const host = hostOf(url);
  if (host?.startsWith(`${project}-default-rtdb.`) || host?.startsWith(`${project}.`)) return undefined;
  return `database '${url}' is not in project '${project}' (FIREBASE_PROJECT_ID); use its default database URL`;
}

function bucketReason(project: string, bucket: unknown): string | undefined {
  if (typeof bucket !== "string") return undefined;
  const name = bucket.replace(/^gs:\/\//, "").replace(/\/.*$/, "");
  if (name === `${project}.appspot.com` || name === `${project}.firebasestorage.app`) return undefined;
  return `bucket '${bucket}' is not the default bucket of project '${project}' (FIREBASE_PROJECT_ID)`;
}

function environmentReason(tool: UpstreamTool, args: Record<string, unknown>): string | undefined {
  if (tool.name !== "firebase_update_environment") return undefined;
  if (args.project_dir !== undefined) {
    return "changing the project directory is not allowed: the bridge pins the server to FIREBASE_PROJECT_ID";
  }
  if (args.active_user_account !== undefined) {
    return "changing the active account is not allowed: the bridge's credentials are fixed";
  }
  return undefined;
}

/** The Firebase bridge's policy: every call stays in FIREBASE_PROJECT_ID; FIREBASE_REGION fills in locations. */
export function firebasePolicy(settings: PolicySettings): BridgePolicy {
  const { project } = settings;
  return {
    hideReason(tool) {
      const always = ALWAYS_HIDDEN[tool.name];
      if (always) return `'${tool.name}' is hidden: ${always}`;
      if (!settings.readOnly || tool.annotations?.readOnlyHint === true) return undefined;
      return `'${tool.name}' can change the Firebase project and the bridge is read-only; set FIREBASE_READ_ONLY=false to expose it`;
    },
    denyReason(tool, args) {
      for (const key of PROJECT_ARGUMENTS) {
        const value = args[key];
        if (typeof value === "string" && value !== project) {
          return `project '${value}' is not allowed: FIREBASE_PROJECT_ID restricts calls to '${project}'`;
        }
      }
      return (
        environmentReason(tool, args) ??
        databaseReason(project, args.databaseUrl) ??
        bucketReason(project, args.bucket)
      );
    },
    prepareArgs(tool, args) {
      const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
      if (settings.region === undefined || !("location" in properties) || args.location !== undefined)
        return args;
      return { ...args, location: settings.region };
    },
  };
}
