import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsoleGateway,
  freePort,
  launchChromium,
  OUTPUT_DIR,
  startConsoleGateway,
  startHttpFixture,
  WIDTHS,
} from "./support.js";

let t: ConsoleGateway;
let browser: Browser;
let client: Client;
const children: ChildProcess[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  t = await startConsoleGateway();
  client = new Client({ name: "console-servers-e2e", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${t.adminKey}` } },
    }),
  );
});
afterAll(async () => {
  await client?.close().catch(() => {});
  await browser?.close();
  await t?.close();
  for (const child of children) child.kill();
});

async function signedIn(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(`${t.url}/console/`);
  await page.getByLabel("Admin API key").fill(t.adminKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  return { context, page, violations };
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });

/** The names the SDK client sees in tools/list through the gateway, right now. */
const toolNames = async () => (await client.listTools()).tools.map((tool) => tool.name);

/** The article of one server on the servers page. */
const serverCard = (page: Page, name: string) =>
  page.getByRole("article").filter({ has: page.getByRole("heading", { name, exact: true }) });

describe("server buttons", () => {
  it("disables and enables a server: its tools leave an SDK client's list and come back", async () => {
    const { context, page, violations } = await signedIn();
    try {
      expect(await toolNames()).toContain("local__echo");
      await page.getByRole("link", { name: "Servers" }).click();
      const local = serverCard(page, "local");
      await local.getByRole("table", { name: "Tools of local" }).waitFor();

      await local.getByRole("button", { name: "Disable", exact: true }).click();
      await page.getByRole("status").filter({ hasText: "Disabled local" }).waitFor();
      await local.getByText("disabled", { exact: true }).waitFor();
      await local.getByText("Not running: no lists.").waitFor();
      expect((await toolNames()).some((name) => name.startsWith("local__"))).toBe(false);

      await local.getByRole("button", { name: "Enable", exact: true }).click();
      await page.getByRole("status").filter({ hasText: "Enabled local" }).waitFor();
      // The process starts again; the page shows its lists once it is ready.
      await expect
        .poll(async () => {
          await page.reload();
          await page.getByRole("heading", { name: "Servers" }).waitFor();
          return local.getByRole("table", { name: "Tools of local" }).count();
        })
        .toBe(1);
      await expect.poll(toolNames).toContain("local__echo");
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("reloads a server: a tool it registered at run time is gone from the SDK client's list after the restart", async () => {
    const { context, page } = await signedIn();
    try {
      await client.callTool({ name: "local__add_tool", arguments: { name: "reload_probe" } });
      await expect.poll(toolNames).toContain("local__reload_probe");
      await page.getByRole("link", { name: "Servers" }).click();
      const local = serverCard(page, "local");
      await local.getByRole("table", { name: "Tools of local" }).getByText("local__reload_probe").waitFor();

      await local.getByRole("button", { name: "Reload", exact: true }).click();
      await page.getByRole("status").filter({ hasText: "Restarted local" }).waitFor();
      await expect.poll(toolNames).not.toContain("local__reload_probe");
      expect(await toolNames()).toContain("local__echo");
      await expect
        .poll(() =>
          local.getByRole("table", { name: "Tools of local" }).getByText("local__reload_probe").count(),
        )
        .toBe(0);
    } finally {
      await context.close();
    }
  });

  it("restarts a failed remote server from its Restart button once the server is reachable", async () => {
    const port = await freePort();
    const added = await fetch(`${t.url}/admin/servers`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "flaky", url: `http://127.0.0.1:${port}/mcp` }),
    });
    expect(added.status).toBe(201);
    const { context, page } = await signedIn();
    try {
      await page.getByRole("link", { name: "Servers" }).click();
      const flaky = serverCard(page, "flaky");
      await expect
        .poll(async () => {
          await page.reload();
          await page.getByRole("heading", { name: "Servers" }).waitFor();
          return flaky.getByText("failed", { exact: true }).count();
        })
        .toBe(1);
      await flaky.getByText(/Last error/).waitFor();
      await flaky.getByText("Not running: no lists.").waitFor();
      await shot(page, "servers-failed-1280");
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, "servers-failed-390");
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1280, height: 900 });
      expect((await toolNames()).some((name) => name.startsWith("flaky__"))).toBe(false);

      // Nothing listened on the port; now the server does, and the operator restarts it.
      const fixture = await startHttpFixture(port);
      children.push(fixture.child);
      await flaky.getByRole("button", { name: "Restart", exact: true }).click();
      await page.getByRole("status").filter({ hasText: "Restarted flaky" }).waitFor();
      await flaky.getByRole("table", { name: "Tools of flaky" }).getByText("flaky__echo").waitFor();
      expect(await flaky.getByText("failed", { exact: true }).count()).toBe(0);
      expect(await toolNames()).toContain("flaky__echo");
      const result = await client.callTool({ name: "flaky__echo", arguments: { text: "back" } });
      expect((result.content as { text: string }[])[0]?.text).toBe("back");
    } finally {
      await context.close();
    }
  });
});

describe("overview plots", () => {
  it("plots p50/p95 latency and errors per server from the stats API", async () => {
    await client.callTool({ name: "local__echo", arguments: { text: "timed" } });
    await client.callTool({ name: "local__slow", arguments: { ms: 30 } });
    // A call the upstream refuses (its text must be a string) counts as an error of that server.
    await client.callTool({ name: "local__echo", arguments: { text: 5 } }).catch(() => undefined);
    for (const [width, label] of WIDTHS) {
      const { context, page, violations } = await signedIn(width);
      try {
        const latency = page.getByRole("figure").filter({ hasText: "Latency per server" });
        await latency.waitFor();
        // uPlot's legend names each line: a dashed p50 and a solid p95 per server.
        await latency.getByText("local p50").waitFor();
        await latency.getByText("local p95").waitFor();
        const errors = page.getByRole("figure").filter({ hasText: "Errors per server" });
        await errors.getByText("local", { exact: true }).waitFor();
        expect(await errors.textContent()).not.toContain("no errors");
        await page.waitForLoadState("networkidle");
        await shot(page, `overview-plots-${label}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        expect(violations).toEqual([]);
      } finally {
        await context.close();
      }
    }
    // The same figures are the API's, for scripts.
    const stats = await fetch(`${t.url}/admin/audit/stats?since=1h&step=1m`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
    }).then((r) => r.json());
    const local = stats.servers.find((s: { server: string }) => s.server === "local");
    expect(local.buckets.some((b: { p95Ms: number | null }) => (b.p95Ms ?? 0) > 0)).toBe(true);
  });
});

describe("live overview", () => {
  it("shows a call and a server's new state without a reload: the gateway pushes them", async () => {
    const { context, page, violations } = await signedIn();
    try {
      await page.getByText("live: the gateway pushes changes.").waitFor();
      // A reload would drop this marker; the page only refreshes its figures.
      await page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 42;
      });
      const calls = page.locator(".card").filter({ hasText: "Calls, last hour" }).locator("strong");
      const before = Number(await calls.textContent());
      await client.callTool({ name: "local__echo", arguments: { text: "pushed" } });
      // Well inside the page's one-minute fallback refresh: only the push can explain the change.
      await expect.poll(async () => Number(await calls.textContent()), { timeout: 15_000 }).toBe(before + 1);

      const row = page
        .getByRole("table", { name: "Upstreams and plugins" })
        .locator("tr", { hasText: "local" });
      const disabled = await fetch(`${t.url}/admin/servers/local/disable`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(disabled.status).toBe(200);
      // A disabled server leaves the gateway's status (GET /mcp/status lists running servers only).
      await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
      await fetch(`${t.url}/admin/servers/local/enable`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.adminKey}`, "content-type": "application/json" },
        body: "{}",
      });
      await expect
        .poll(async () => ((await row.count()) === 1 ? await row.textContent() : ""), { timeout: 15_000 })
        .toContain("ready");
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("event detail", () => {
  it("opens one system event as its redacted JSON, from the mouse and from the keyboard", async () => {
    const recorded = await t.repos.systemEvents.record({
      level: "warn",
      type: "test.console_detail",
      message: "an event with details",
      details: { server: "github", env: { GITHUB_TOKEN: "ghp_should_not_show" }, attempt: 3 },
    });
    for (const [width, label] of WIDTHS) {
      const { context, page, violations } = await signedIn(width);
      try {
        await page.getByRole("link", { name: "Events" }).click();
        const filters = page.getByRole("form", { name: "Event filters" });
        await filters.getByLabel("Type").fill("test.console_detail");
        await filters.getByRole("button", { name: "Apply filters" }).click();
        const open = page.getByRole("button", { name: `Details of event ${recorded.id}` });
        await open.waitFor();
        await open.focus();
        await page.keyboard.press("Enter");
        const detail = page.getByRole("region", { name: `Event ${recorded.id}` });
        await expect
          .poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
          .toBe(`Event ${recorded.id}`);
        const json = JSON.parse(
          (await detail.getByRole("region", { name: `JSON of event ${recorded.id}` }).textContent()) ?? "",
        );
        expect(json).toEqual({
          id: recorded.id,
          level: "warn",
          type: "test.console_detail",
          message: "an event with details",
          details: { server: "github", env: { GITHUB_TOKEN: "[REDACTED]" }, attempt: 3 },
          at: recorded.at.toISOString(),
        });
        expect(await page.content()).not.toContain("ghp_should_not_show");
        await shot(page, `event-detail-${label}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        await detail.getByRole("button", { name: "Close" }).click();
        expect(await detail.count()).toBe(0);
        expect(violations).toEqual([]);
      } finally {
        await context.close();
      }
    }
  });
});
