// Every export of this module is public API.
import { fileURLToPath } from "node:url";

/** Absolute path of the built console (`index.html` and `assets/`), for `@waygate/server`'s `console.assetsDir`. */
export const consoleAssetsDir: string = fileURLToPath(new URL("./app", import.meta.url));
