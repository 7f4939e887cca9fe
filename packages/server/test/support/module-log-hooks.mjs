// Module hooks for lazy-modules.test.ts: prints `module <url>` on stderr for every module the process resolves, so a
// test can tell which packages a gateway loaded.
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  process.stderr.write(`module ${result.url}\n`);
  return result;
}
