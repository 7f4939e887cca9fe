/** A date as local date and time to the second, or a dash. */
export function when(value: string | null | undefined): string {
  if (!value) return "–";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { hour12: false });
}

/** An error's message for display. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
