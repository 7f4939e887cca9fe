/** Where a CLI run reads its environment and writes its output; tests pass their own. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborts when the process is asked to stop (SIGINT/SIGTERM); only long-running commands read it. */
  readonly stopSignal: AbortSignal;
}

/**
 * The real process's streams, environment and stop signal. SIGINT/SIGTERM handlers are installed only when
 * a command first reads `stopSignal`, so that Ctrl-C still ends short commands such as `waygate doctor`;
 * a second signal falls back to Node's default and ends the process at once.
 */
export function processIo(): CliIo {
  let controller: AbortController | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    get stopSignal() {
      if (!controller) {
        const created = new AbortController();
        const stop = () => created.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        controller = created;
      }
      return controller.signal;
    },
  };
}
