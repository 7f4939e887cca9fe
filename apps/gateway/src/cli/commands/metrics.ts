import type { Command } from "commander";
import { contextOf } from "../context.js";
import type { CliIo } from "../io.js";
import { withStore } from "../with-store.js";

/** `waygate metrics history`: the roll-ups running gateways wrote to the database, bucketed and summed over replicas. */
export function registerMetricsCommands(program: Command, io: CliIo): void {
  const metrics = program.command("metrics").description("read the metrics history gateways record");
  metrics
    .command("history")
    .description(
      "one metric over a time range: counters (…_total) summed over replicas and labels, other metrics maxed",
    )
    .requiredOption("--name <metric>", "metric name, e.g. waygate_calls_total")
    .requiredOption("--since <time>", "start: a duration ago (24h, 7d), an ISO time or epoch milliseconds")
    .option("--until <time>", "end (default now)")
    .option("--step <duration>", "bucket width, e.g. 60s, 5m, 1h", "60s")
    .option("--labels <labels>", "labels the rows must carry: name=value,other=value")
    .action(
      async (
        options: { name: string; since: string; until?: string; step: string; labels?: string },
        command: Command,
      ) => {
        const context = contextOf(command, io);
        const { parseHistoryQuery } = await import("@waygate/core");
        const query = parseHistoryQuery(options);
        const points = await withStore(context, (store) => store.metrics.history(query));
        context.output.table(
          points.map((point) => ({ at: point.at.toISOString(), value: point.value, samples: point.samples })),
          [
            { header: "at", value: (row) => row.at },
            { header: "value", value: (row) => String(row.value) },
            { header: "rows", value: (row) => String(row.samples) },
          ],
          `no roll-ups of ${options.name} in this range (gateways write them every 60 s by default)`,
        );
      },
    );
}
