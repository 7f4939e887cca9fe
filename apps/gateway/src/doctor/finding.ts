/** One line of `waygate doctor`: what was checked, how it went, and how to fix it. */
export interface Finding {
  check: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  fix: string;
}

/** A finding that passed. */
export function ok(check: string, detail: string): Finding {
  return { check, status: "ok", detail, fix: "" };
}

/** A finding that failed or warns, with a fix. */
export function problem(check: string, status: "warn" | "fail", detail: string, fix: string): Finding {
  return { check, status, detail, fix };
}
