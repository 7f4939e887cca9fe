import { definePlugin, errorResult } from "@waygate/plugin-sdk";
import { z } from "zod";

const STYLE_GUIDE = "Write short sentences. Prefer the active voice. Name things for what they do.";

/** A small text-tools plugin: the example a plugin author copies. */
export default definePlugin({
  name: "text_tools",
  version: "1.0.0",
  description: "Counts words, makes slugs and serves a style guide",
  hostVersions: ">=0.1.0 <1.0.0",
  config: z.object({ maxLength: z.number().int().positive().default(10_000) }),
  tools: (tool) => ({
    word_count: tool({
      description: "Counts the words in a text",
      input: { text: z.string().describe("The text to count") },
      output: z.object({ words: z.number(), characters: z.number() }),
      annotations: { readOnlyHint: true },
      handler: ({ text }) => ({
        words: text.split(/\s+/).filter(Boolean).length,
        characters: text.length,
      }),
    }),
    slugify: tool({
      description: "Turns a title into a URL slug",
      input: z.object({
        title: z.string().min(1),
        separator: z.enum(["-", "_"]).default("-"),
      }),
      handler: ({ title, separator }, ctx) => {
        const { maxLength } = ctx.config;
        if (title.length > maxLength) return errorResult(`title is longer than ${maxLength} characters`);
        ctx.logger.debug("slugifying", { length: title.length });
        return title
          .toLowerCase()
          .normalize("NFKD")
          .replace(/[^a-z0-9]+/g, separator)
          .replace(new RegExp(`^\\${separator}+|\\${separator}+$`, "g"), "");
      },
    }),
    whoami: tool({
      description: "Says which API key is calling",
      input: {},
      handler: (_args, ctx) =>
        `key ${ctx.caller.keyId ?? "(none)"} with scopes [${ctx.caller.scopes.join(", ")}]`,
    }),
  }),
  resources: [
    {
      resource: { uri: "text-tools://style-guide", name: "style-guide", mimeType: "text/plain" },
      read: () => ({
        contents: [{ uri: "text-tools://style-guide", mimeType: "text/plain", text: STYLE_GUIDE }],
      }),
    },
  ],
});
