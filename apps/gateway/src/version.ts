import packageJson from "../package.json";

/** The version of the `@waygate/gateway` package (inlined at build time). */
export const VERSION: string = packageJson.version;
