import type { Command } from "commander";
import type { GatewayConfig } from "../../config/load.js";
import { type CheckBudget, createBudget, withinBudget } from "../../doctor/budget.js";
import { checkDataFolder, checkNode, checkPort, checkSecretKey } from "../../doctor/check-environment.js";
import { type Finding, ok, problem } from "../../doctor/finding.js";
import { CliError, ConfigError } from "../../errors.js";
import { normalisePluginEntry, resolvePlugin } from "../../plugins/resolve-plugin.js";
import { bridgeOfPackage, isKnownBridge, KNOWN_BRIDGES, pluginEntriesFor } from "../../runtime/bridges.js";
import { runtimeUpstreams } from "../../runtime/select-upstreams.js";
import { type CommandContext, contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { parsePositiveInt } from "../parse.js";
import { openStoreFor } from "../with-store.js";

async function checkDatabase(config: GatewayConfig, context: CommandContext, findings: Finding[]) {
  try {
    const store = await openStoreFor(config, context.io.cwd);
    try {
      findings.push(ok("database", `${config.database.url.replace(/\?.*$/, "")} opened and migrated`));
      const active = await store.countActiveKeys();
      if (active > 0) findings.push(ok("api keys", `${active} active key(s)`));
      else if (config.auth === "none") findings.push(ok("api keys", "none needed: WAYGATE_AUTH=none"));
      else
        findings.push(
          problem(
            "api keys",
            config.env === "production" ? "fail" : "warn",
            "no active API key: production refuses to start without one",
            "create one with `waygate keys create --name admin --scopes admin`",
          ),
        );
      return await store.listServersWithSecrets();
    } finally {
      await store.close();
    }
  } catch (error) {
    findings.push(
      problem(
        "database",
        "fail",
        (error as Error).message,
        "check DATABASE_URL (and DATABASE_AUTH_TOKEN for Turso) and that the database is reachable",
      ),
    );
    return [];
  }
}

/** Doctor's default time budget: the whole run, every check included, answers within it. */
export const DOCTOR_TIMEOUT_MS = 5_000;

async function diagnose(context: CommandContext, timeoutMs: number): Promise<Finding[]> {
  const budget: CheckBudget = createBudget(timeoutMs);
  const findings: Finding[] = [checkNode()];
  let config: GatewayConfig;
  try {
    config = await context.loadConfig();
    findings.push(
      ok("configuration", config.configPath ? `valid (${config.configPath})` : "valid (environment only)"),
    );
  } catch (error) {
    if (!ConfigError.isInstance(error)) throw error;
    for (const issue of error.issues)
      findings.push(problem(`config ${issue.path}`, "fail", issue.message, issue.fix));
    return findings;
  }
  findings.push(
    checkSecretKey(config),
    await checkDataFolder(config, context.io.cwd),
    await checkPort(config),
  );
  const redisUrl = config.redisUrl;
  if (redisUrl !== undefined) {
    const { checkRedisReachable } = await import("../../doctor/check-redis.js");
    findings.push(
      ...(await withinBudget(
        budget,
        "redis",
        async (ms) => [await checkRedisReachable(redisUrl, ms)],
        "check REDIS_URL and that Redis is reachable",
      )),
    );
  }
  let stored: Awaited<ReturnType<typeof checkDatabase>> = [];
  findings.push(
    ...(await withinBudget(
      budget,
      "database",
      async () => {
        const found: Finding[] = [];
        stored = await checkDatabase(config, context, found);
        return found;
      },
      "check DATABASE_URL (and DATABASE_AUTH_TOKEN for Turso) and that the database is reachable",
    )),
  );
  const { selected, unknownNames } = runtimeUpstreams(config, stored);
  for (const name of unknownNames.filter((unknown) => !isKnownBridge(unknown))) {
    findings.push(
      problem(
        "MCP_SERVERS_ENABLED",
        "fail",
        `names "${name}", which is neither a configured server nor a bridge (${KNOWN_BRIDGES.join(", ")})`,
        "add the server, or remove the name",
      ),
    );
  }
  // Bridges and upstreams are probed side by side, each within what is left of the budget.
  const probes: Promise<Finding[]>[] = [];
  for (const entry of pluginEntriesFor(config.plugins, unknownNames.filter(isKnownBridge))) {
    const plugin = normalisePluginEntry(entry);
    if (!plugin.enabled) continue;
    const bridge = bridgeOfPackage(plugin.package);
    if (bridge !== undefined) {
      context.output.progress(`checking bridge ${bridge}…`);
      const { probeBridge } = await import("../../doctor/probe-bridge.js");
      probes.push(
        withinBudget(
          budget,
          `bridge ${bridge}`,
          async (ms) => [
            await probeBridge(bridge, entry, { cwd: context.io.cwd, env: context.io.env, timeoutMs: ms }),
          ],
          "rerun with a larger --timeout, or check the bridge's credentials and network",
        ),
      );
      continue;
    }
    const resolved = resolvePlugin(entry, context.io.cwd);
    findings.push(
      resolved.error === null
        ? ok(`plugin ${resolved.package}`, `installed (${resolved.version ?? "unknown version"})`)
        : problem(
            `plugin ${resolved.package}`,
            "fail",
            resolved.error,
            `npm install ${resolved.package} where the gateway runs`,
          ),
    );
  }
  // The MCP SDK client is loaded only when there is an upstream to probe.
  const { probeUpstream } = await import("../../doctor/probe-upstream.js");
  const { createEgressPolicy } = await import("@waygate/core/egress");
  const { createEgressFetch } = await import("@waygate/core/egress-fetch");
  const egress = createEgressFetch(createEgressPolicy({ allow: config.egressAllow }));
  for (const server of selected) {
    context.output.progress(`checking upstream ${server.name} (${server.transport})…`);
    probes.push(
      withinBudget(
        budget,
        `upstream ${server.name}`,
        async (ms) => {
          const result = await probeUpstream(server, ms, egress.fetch);
          return [
            result.ok
              ? ok(
                  `upstream ${server.name}`,
                  `${server.transport}: ${result.tools} tool(s) from ${result.serverName}`,
                )
              : problem(`upstream ${server.name}`, "fail", result.error, result.fix),
          ];
        },
        "rerun with a larger --timeout if the server is slow to start (an `npx -y` download), or run its command by hand",
      ),
    );
  }
  for (const found of await Promise.all(probes)) findings.push(...found);
  await egress.close();
  return findings;
}

/** `waygate doctor`: environment, configuration, database and every upstream, with fixes. */
export function registerDoctorCommand(program: Command, io: CliIo): void {
  program
    .command("doctor")
    .description(
      "check environment, configuration, database and each upstream; print what is wrong and how to fix it",
    )
    .option(
      "--timeout <ms>",
      "how long doctor may take in all; each check gets what is left (upstreams are probed side by side)",
      parsePositiveInt,
      DOCTOR_TIMEOUT_MS,
    )
    .action(async (options: { timeout: number }, command: Command) => {
      const context = contextOf(command, io);
      const findings = await diagnose(context, options.timeout);
      const failed = findings.filter((finding) => finding.status === "fail").length;
      if (context.output.json) context.output.result("", { ok: failed === 0, findings });
      else {
        context.output.table(
          findings,
          [
            { header: "check", value: (row) => row.check },
            { header: "status", value: (row) => row.status },
            { header: "detail", value: (row) => row.detail },
            { header: "fix", value: (row) => row.fix },
          ],
          "",
        );
      }
      if (failed > 0) throw new CliError("unhealthy", `${failed} check(s) failed: see the fix column`);
    });
}
