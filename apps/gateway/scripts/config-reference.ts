/** Rewrites the configuration reference in README.md from the zod schemas (`pnpm docs:config`). */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { withConfigReference } from "../src/config/reference.js";

const readmePath = join(dirname(fileURLToPath(import.meta.url)), "..", "README.md");
const readme = await readFile(readmePath, "utf8");
await writeFile(readmePath, withConfigReference(readme));
console.log(`updated ${readmePath}`);
