/** Runs async sections one at a time, in call order. */
export type Exclusive = <T>(section: () => Promise<T>) => Promise<T>;

/** Creates a mutex: each section starts after the previous one settled, whatever its outcome. */
export function createExclusive(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return (section) => {
    const run = tail.then(section, section);
    tail = run.catch(() => {});
    return run;
  };
}
