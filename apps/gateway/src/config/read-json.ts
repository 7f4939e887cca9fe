import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/** Line and column (1-based) of a character offset in text. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** Reads and parses a JSON file; a missing file or bad JSON is a ConfigError naming the file and the place. */
export async function readJsonFile(path: string, label: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT" ? `file ${path} does not exist` : `cannot read ${path} (${code ?? String(cause)})`;
    throw new ConfigError(
      [{ path: label, message, fix: `point ${label} at an existing, readable JSON file` }],
      {
        cause,
      },
    );
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    const offset = /position (\d+)/.exec(String((cause as Error).message))?.[1];
    const where =
      offset === undefined
        ? ""
        : (() => {
            const { line, column } = lineAndColumn(text, Number(offset));
            return ` at line ${line}, column ${column}`;
          })();
    throw new ConfigError(
      [
        {
          path: label,
          message: `${path} is not valid JSON${where}: ${(cause as Error).message}`,
          fix: "fix the JSON syntax (comments and trailing commas are not allowed)",
        },
      ],
      { cause },
    );
  }
}
