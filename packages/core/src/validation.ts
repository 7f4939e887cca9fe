import type { z } from "zod";
import { InvalidInputError, type ValidationIssue } from "./errors.js";

/** Turns zod issues into `{ path, message }` pairs with dotted paths a person can find in their input. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? "(root)" : issue.path.map(String).join("."),
    message: messageOf(issue),
  }));
}

// A bad record key is reported as "Invalid key in record" with the reason nested; surface the reason.
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key" && issue.issues.length > 0) {
    return `key ${issue.issues.map((inner) => inner.message).join("; ")}`;
  }
  return issue.message;
}

/** One line per issue, e.g. `name: Too small`, for error messages. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
}

/** Parses `input` with `schema` or throws the error `makeError` builds from the issues. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  makeError: (message: string, issues: ValidationIssue[]) => Error = (message, issues) =>
    new InvalidInputError(message, issues),
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error);
  throw makeError(`Invalid ${what}: ${describeIssues(issues)}`, issues);
}
