/** One column of a table: its heading and how to read the cell from a row. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
}

/** Renders rows as a plain-text table with a header line, padded to the widest cell of each column. */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row).replace(/\s+/g, " ")));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => line[index]?.length ?? 0)),
  );
  const format = (line: readonly string[]) =>
    line
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join("  ")
      .trimEnd();
  const header = format(columns.map((column) => column.header.toUpperCase()));
  return `${[header, ...cells.map(format)].join("\n")}\n`;
}
