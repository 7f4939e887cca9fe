/** One forward-only schema step; its statements run in a single transaction. */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}
