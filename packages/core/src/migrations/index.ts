import { migration0001Init } from "./0001-init.js";
import { migration0002AuditMethod } from "./0002-audit-method.js";
import { migration0003AuditChain } from "./0003-audit-chain.js";
import { migration0004DefinitionPins } from "./0004-definition-pins.js";
import { migration0005AuditPrincipal } from "./0005-audit-principal.js";
import { migration0006UpstreamSecrets } from "./0006-upstream-secrets.js";
import { migration0007UpstreamEras } from "./0007-upstream-eras.js";
import { migration0008LiveRegistry } from "./0008-live-registry.js";
import { migration0009OAuthStore } from "./0009-oauth-store.js";
import { migration0010AuditWriteIndexes } from "./0010-audit-write-indexes.js";
import { migration0011UpstreamUserTokens } from "./0011-upstream-user-tokens.js";
import type { Migration } from "./migration.js";

/** Every migration this version of core knows, in order; append only. */
export const migrations: readonly Migration[] = [
  migration0001Init,
  migration0002AuditMethod,
  migration0003AuditChain,
  migration0004DefinitionPins,
  migration0005AuditPrincipal,
  migration0006UpstreamSecrets,
  migration0007UpstreamEras,
  migration0008LiveRegistry,
  migration0009OAuthStore,
  migration0010AuditWriteIndexes,
  migration0011UpstreamUserTokens,
];

/** The schema version this version of core writes. */
export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;
