// Every export of this file is public API (the `@waygate/core/stdio-allowlist` entry, which loads no database driver).
import { z } from "zod";

/**
 * One stdio server the HTTP admin API may register, written by the operator in the config file. It fixes
 * everything that decides what runs on the host: command, args, working directory and environment.
 */
export const StdioAllowlistEntrySchema = z.strictObject(
  {
    command: z.string().min(1).describe("the program, exactly as a request must give it"),
    args: z.array(z.string()).default([]).describe("its arguments, compared as an array"),
    cwd: z
      .string()
      .min(1)
      .optional()
      .describe("working directory; a request may leave it out (this one is used) or repeat it"),
    env: z.record(z.string(), z.string()).default({}).describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's `${env:NAME}` syntax, not a template.
      "environment variables by name, values inline or as `${env:NAME}`; a request may leave env out or repeat it exactly",
    ),
  },
  {
    error: (issue) =>
      issue.code === "invalid_type"
        ? // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's `${env:NAME}` syntax, not a template.
          'an allowlist entry is an object that fixes what runs: { "command": "node", "args": ["server.js"], "cwd"?: "/srv", "env"?: { "NAME": "value or ${env:NAME}" } }, not a command line'
        : undefined,
  },
);
/** An allowlist entry after defaults. */
export type StdioAllowlistEntry = z.output<typeof StdioAllowlistEntrySchema>;
