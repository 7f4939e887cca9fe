// `--import` this to log every resolved module (see module-log-hooks.mjs).
import { register } from "node:module";

register(new URL("./module-log-hooks.mjs", import.meta.url));
