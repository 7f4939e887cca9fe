import type { Migration } from "./migration.js";

/**
 * The protocol era each upstream was found to speak (`{"era":"legacy"}`, or `{"era":"modern","discover":{…}}` with
 * its `server/discover` result), dated, so a restart or another replica connects without probing again. Keyed by
 * server name, with a fingerprint of the upstream's transport: a changed URL or command is probed afresh. Config-file
 * upstreams have no `mcp_servers` row, so the verdicts live in a table of their own.
 */
export const migration0007UpstreamEras: Migration = {
  version: 7,
  name: "upstream-eras",
  statements: [
    `CREATE TABLE upstream_eras (
      name TEXT PRIMARY KEY,
      fingerprint TEXT NOT NULL,
      verdict TEXT NOT NULL,
      checked_at INTEGER NOT NULL
    )`,
  ],
};
