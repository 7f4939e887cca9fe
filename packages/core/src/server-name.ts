// Every export of this file is public API (the `@waygate/core/server-name` entry, which loads no database driver).
import { z } from "zod";

/**
 * A server name: becomes the namespace in `<server>__<tool>`, so it starts with a letter or digit, holds no
 * `__`, and does not end in `_` (`a_` + `__tool` would read as `a___tool`, which does not split uniquely).
 */
export const McpServerNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/, {
    error: "server names use 1-64 letters, digits, '_' or '-', starting with a letter or digit",
  })
  .refine((name) => !name.includes("__"), {
    error: "server names must not contain '__' (it separates the server from the tool name)",
  })
  .refine((name) => !name.endsWith("_"), {
    error: "server names must not end with '_' (the '__' before the tool name would become ambiguous)",
  });
