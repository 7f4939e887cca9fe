import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { type JSONRPCMessage, parseJSONRPCMessage, type Transport } from "@modelcontextprotocol/client";
import { getDefaultEnvironment } from "@modelcontextprotocol/client/stdio";
import { UpstreamMessageTooLargeError, UpstreamProtocolError } from "../errors.js";
import { listDescendants } from "./process-tree.js";

/** How to start a stdio MCP server and what to allow from it. */
export interface StdioProcessTransportOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string | undefined;
  /** Largest single message (one stdout line) accepted, in bytes. */
  maxMessageBytes: number;
  /** How long `close()` waits after ending stdin, and again after SIGTERM, before escalating. */
  killGraceMs: number;
  /**
   * Start the server as leader of its own process group (and session), so that its whole group can be
   * signalled even after the server itself died. Off by default: Linux schedules a new session as its own
   * autogroup, which measurably slows every call on a busy machine. When off, `close()` finds the server's
   * descendants from the process table before ending them.
   */
  ownProcessGroup?: boolean;
  onStderrLine(line: string): void;
}

/** How the child ended, for error messages. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const preview = (line: string) => (line.length > 80 ? `${line.slice(0, 80)}…` : line);

/**
 * An MCP stdio client transport whose `close()` ends the server and every process it started; it caps
 * message size and reports non-JSON output as errors without dropping the connection.
 */
export class StdioProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #options: StdioProcessTransportOptions;
  #child: ChildProcess | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #exit: ChildExit | undefined;
  #closed: Promise<void> | undefined;
  #corked = false;

  constructor(options: StdioProcessTransportOptions) {
    this.#options = options;
  }

  /** The server's pid (also its process group id) once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Always null: stderr is read line by line into `onStderrLine`. Present (with `pid`) because the SDK
   * recognises a stdio transport by these two members.
   */
  get stderr(): null {
    return null;
  }

  /** How the server ended, once it has. */
  get exit(): ChildExit | undefined {
    return this.#exit;
  }

  start(): Promise<void> {
    if (this.#child) throw new Error("StdioProcessTransport already started");
    const { command, args, env, cwd } = this.#options;
    const child = spawn(command, args, {
      env: { ...getDefaultEnvironment(), ...env },
      cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: this.#options.ownProcessGroup === true && process.platform !== "win32",
      windowsHide: true,
    });
    this.#child = child;
    this.#closed = new Promise((resolve) => child.once("close", () => resolve()));
    child.once("exit", (code, signal) => {
      this.#exit = { code, signal };
    });
    child.once("close", () => this.onclose?.());
    child.stdin?.on("error", (error) => this.onerror?.(error));
    child.stdout?.on("data", (chunk: Buffer) => this.#onData(chunk));
    if (child.stderr) {
      createInterface({ input: child.stderr }).on("line", (line) => this.#options.onStderrLine(line));
    }
    return new Promise((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error) => {
        reject(error);
        this.onerror?.(error);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || stdin.destroyed) return Promise.reject(new Error("Not connected"));
    // Messages sent in one turn of the event loop leave in one write, so concurrent calls wake the server once.
    if (!this.#corked) {
      this.#corked = true;
      stdin.cork();
      setImmediate(() => {
        this.#corked = false;
        stdin.uncork();
      });
    }
    return new Promise((resolve, reject) => {
      const ok = stdin.write(`${JSON.stringify(message)}\n`, (error) => (error ? reject(error) : undefined));
      if (ok) resolve();
      else stdin.once("drain", resolve);
    });
  }

  /** Ends stdin, then SIGTERMs and finally SIGKILLs the server and every process it started. */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child?.pid) return;
    const gone = () => this.#exit !== undefined || child.exitCode !== null || child.signalCode !== null;
    const waitClosed = (ms: number) =>
      Promise.race([this.#closed, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
    // Note the tree before stdin closes: once the server exits, its children are re-parented and lost.
    const tree = new Set(this.#treeOf(child.pid));
    child.stdin?.end();
    if (!gone()) await waitClosed(this.#options.killGraceMs);
    if (!gone()) {
      for (const pid of this.#treeOf(child.pid)) tree.add(pid);
      this.#signal(child.pid, tree, "SIGTERM");
      await waitClosed(this.#options.killGraceMs);
    }
    // Also reached when the server exited on stdin EOF but left children running.
    this.#signal(child.pid, tree, "SIGKILL");
    await waitClosed(this.#options.killGraceMs);
  }

  #treeOf(pid: number): number[] {
    return this.#options.ownProcessGroup ? [] : listDescendants(pid);
  }

  #signal(leader: number, tree: Set<number>, signal: NodeJS.Signals): void {
    const targets =
      this.#options.ownProcessGroup && process.platform !== "win32" ? [-leader] : [leader, ...tree];
    for (const pid of targets) {
      try {
        process.kill(pid, signal);
      } catch {
        // ESRCH: already gone.
      }
    }
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let newline = this.#buffer.indexOf(0x0a);
    while (newline !== -1) {
      // Drop a trailing CR (CRLF line endings) without a regex on every line.
      const end = newline > 0 && this.#buffer[newline - 1] === 0x0d ? newline - 1 : newline;
      const line = this.#buffer.toString("utf8", 0, end);
      this.#buffer = this.#buffer.subarray(newline + 1);
      if (newline > this.#options.maxMessageBytes) {
        this.#tooLarge(newline);
        return;
      }
      this.#onLine(line);
      newline = this.#buffer.indexOf(0x0a);
    }
    if (this.#buffer.length > this.#options.maxMessageBytes) this.#tooLarge(this.#buffer.length);
  }

  #tooLarge(size: number): void {
    this.#buffer = Buffer.alloc(0);
    this.onerror?.(
      new UpstreamMessageTooLargeError(
        `upstream sent a message of at least ${size} bytes, over the ${this.#options.maxMessageBytes}-byte cap`,
      ),
    );
    void this.close();
  }

  #onLine(line: string): void {
    if (line.trim() === "") return;
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(JSON.parse(line));
    } catch {
      this.onerror?.(
        new UpstreamProtocolError(`upstream wrote a line to stdout that is not JSON-RPC: ${preview(line)}`),
      );
      return;
    }
    this.onmessage?.(message);
  }
}
