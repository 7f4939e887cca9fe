import { API_KEY_IN_TEXT_SOURCE } from "./api-keys/key-format.js";

/** Options for `redactArguments`. */
export interface RedactOptions {
  /** Extra key names (matched case-insensitively, ignoring `-` and `_`) whose values are hidden. */
  extraKeys?: readonly string[];
  /** When the redacted value serialises to more than this many UTF-8 bytes, it is replaced by a truncation marker. */
  maxBytes?: number;
  /** Nesting deeper than this is replaced by a marker (default 16). */
  maxDepth?: number;
}

/** The string that replaces every hidden value. */
export const REDACTED = "[REDACTED]";

// A name is split into its words (camelCase, snake_case, kebab-case, SCREAMING_CASE) and matched word by word, so
// `accessToken` is a secret and `maxTokens` (an LLM's token budget) is not. Plural `tokens` is left out on purpose:
// in MCP arguments it counts model tokens (`max_tokens`, `completion_tokens`).
const SECRET_WORDS = new Set([
  "token",
  "secret",
  "secrets",
  "password",
  "passwords",
  "passwd",
  "passphrase",
  "authorization",
  "apikey",
  "accesskey",
  "privatekey",
  "cookie",
  "cookies",
  "credential",
  "credentials",
  "signature",
]);
// Two adjacent words that together name a secret (`api_key`, `privateKey`, `X-Access-Key`). `secret key` needs no
// pair: `secret` alone is a secret word.
const SECRET_WORD_PAIRS = new Set(["api key", "access key", "private key"]);
// A name about an amount (`maxTokens`, `tokenCount`, `passwordMinLength`) holds a number, not a secret.
const QUANTITY_WORDS = new Set([
  "max",
  "min",
  "num",
  "count",
  "total",
  "limit",
  "length",
  "size",
  "budget",
  "usage",
  "used",
  "remaining",
]);
// A word that ends with a secret word is a secret (`token`, and in names written as one lower-case word,
// `githubtoken`, `clientsecrets`), unless it is only an amount of one (`maxpassword`, `numtoken`); a word that
// merely opens with those letters is not an amount (`adminpassword`, `miniosecret`).
const SECRET_SUFFIXES = [...SECRET_WORDS];
const AMOUNT_OF_SECRET_WORD = new RegExp(`^(?:max|min|num|total)(?:${SECRET_SUFFIXES.join("|")})$`);

const wordsOf = (name: string): string[] =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]/)
    .filter(Boolean);

const normaliseName = (name: string): string => name.replace(/[-_\s]/g, "").toLowerCase();

const SECRET_KEY_EXACT = new Set(["auth", "pwd", "pass", "sessionid"]);
// Credentials that carry no name, found in any context by their documented prefix and shape (the lengths are
// minimums, so a longer key of the same kind is hidden whole; a format that may change errs on hiding):
// GitHub classic tokens (`ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 of `[A-Za-z0-9_]`, up to 255 announced) and
// fine-grained ones (`github_pat_` + 82), GitLab personal tokens (`glpat-` + 20 or more, the newer ones with dots), AWS access key ids (`AKIA`/`ASIA` + 16), Slack tokens
// (`xoxb-`, `xoxp-`, …), Google API keys (`AIza` + 35), Stripe secret and restricted keys (`sk_live_`, `rk_test_`, …;
// the publishable `pk_` ones are public), npm tokens (`npm_` + 36), OpenAI and Anthropic keys (`sk-…`, `sk-proj-…`,
// `sk-ant-…`) and JWTs (three base64url parts, the first two JSON objects, so starting `eyJ`). `sk-` and the AWS
// prefixes must start a word (`task-…`, `malaysia…` are prose). A JWT must not follow a base64url character: each
// run of them is then tried as a header once, so a megabyte of `-eyJ` stays linear.
const UNNAMED_SECRET_SOURCES = [
  String.raw`gh[pousr]_\w{36,}`,
  String.raw`github_pat_\w{22,}`,
  String.raw`glpat-[\w.-]{20,}`,
  String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}`,
  "xox[abposr]-[A-Za-z0-9-]{10,}",
  "AIza[A-Za-z0-9_-]{35}",
  "[rs]k_(?:live|test)_[A-Za-z0-9]{16,}",
  "npm_[A-Za-z0-9]{36,}",
  String.raw`\bsk-[A-Za-z0-9_-]{20,}`,
  String.raw`(?<![\w-])eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*`,
];
// Secrets embedded in free text, in any letter case: the value of an Authorization header (scheme and
// credential, however short; the header name is kept, captured as group 1), Waygate keys, bearer/basic
// credentials, the credentials in a URL (`postgres://user:password@host`: the password, the user name kept as
// group 2; `https://token@host`: the whole user part, which is often a token), PEM private keys (to their end, or
// to the end of the text when cut short) and the credentials above. Each alternative starts at a literal (no
// lookbehind but the one-character one of a JWT, which would otherwise rescan whitespace runs), and a URL's user part
// cannot run past a `/`, so a megabyte of text takes milliseconds.
const SECRET_IN_TEXT = new RegExp(
  [
    String.raw`(\bauthorization["']?\s*[:=]\s*["']?)[^\s"',;]+(?:\s+[^\s"',;]+)?`,
    API_KEY_IN_TEXT_SOURCE,
    String.raw`\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`,
    String.raw`(:\/\/(?:[^\s/?#@:]*:)?)[^\s/?#]+(?=@)`,
    String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`,
    ...UNNAMED_SECRET_SOURCES,
  ].join("|"),
  "gi",
);

const redactSecretsInText = (text: string): string =>
  redactSecretFlags(
    redactSecretPairs(
      text.replace(
        SECRET_IN_TEXT,
        (_match, header: string | undefined, urlStart: string | undefined) =>
          `${header ?? urlStart ?? ""}${REDACTED}`,
      ),
    ),
  );

// A value after a name: a quoted one runs to its closing quote (or to the end of the text when there is none), any
// other to a space or a delimiter.
const QUOTED_VALUE = String.raw`"(?:[^"\\]|\\.)*(?:"|$)|'(?:[^'\\]|\\.)*(?:'|$)`;
const quoteOf = (value: string): string => (`"'`.includes(value[0]!) ? value[0]! : "");

// `name=value` and `name: value` in free text under a secret-like name (`GITHUB_TOKEN=…` in a shell command,
// `?access_token=…` in a URL, `"password": "…"` in JSON sent as a string, `password: …` in YAML). The search starts
// at a word that every built-in secret name contains (cheap to find); the name's other characters around it (at most
// 64 on each side, so a long name costs a bounded scan) go to `isSecretKeyName`, so `maxTokens: 5` stays. A name
// written with percent escapes (`api%5Fkey=` in a query string) is read decoded. Extra key names apply to fields
// only.
const PAIR_IN_TEXT = new RegExp(
  String.raw`((?:token|secret|pass|pwd|auth|key|cookie|credential|signature|session)[\w%-]{0,64})(["']?\s*[:=]\s*)(${QUOTED_VALUE}|[^\s"'&,;]+)`,
  "gi",
);
const NAME_BEFORE = /[\w%-]*$/;

const decodedName = (name: string): string => {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
};

/**
 * Hides the value of each `name=value` or `name: value` pair under a secret-like name in `text` (a URL's query
 * string included), keeping the name.
 */
export const redactSecretPairs = (text: string): string =>
  text.replace(
    PAIR_IN_TEXT,
    (pair: string, nameEnd: string, separator: string, value: string, offset: number) => {
      const nameStart = NAME_BEFORE.exec(text.slice(Math.max(0, offset - 64), offset))![0];
      if (!isSecretField(decodedName(`${nameStart}${nameEnd}`), undefined)) return pair;
      const quote = quoteOf(value);
      return `${nameEnd}${separator}${quote}${REDACTED}${quote}`;
    },
  );

// A command-line flag with a secret-like name and its value after a space (`--password hunter2`, `--api-key "a b"`),
// as in a shell command sent as text. The flag does not follow a letter or digit (`x-token`), its value is on the
// same line, and a value that starts with `-` is the next flag, not a value. One-letter flags (`-p`) are not secret
// names.
const FLAG_IN_TEXT = new RegExp(
  String.raw`\B(--?[A-Za-z0-9][\w-]{0,63})([ \t]+)(${QUOTED_VALUE}|[^\s"'&,;-][^\s"'&,;]*)`,
  "g",
);

const redactSecretFlags = (text: string): string =>
  text.replace(FLAG_IN_TEXT, (whole: string, flag: string, space: string, value: string) => {
    if (!isSecretField(flag, undefined)) return whole;
    const quote = quoteOf(value);
    return `${flag}${space}${quote}${REDACTED}${quote}`;
  });

/**
 * True when a field with this name must never be stored or logged in clear: one of its words is secret-like
 * (`accessToken`, `client_secret`, `X-Api-Key`), or the whole name is `auth`, `pass`, `pwd` or `sessionid`; a name
 * about an amount (`maxTokens`, `tokenCount`) is not.
 */
export function isSecretKeyName(name: string, extraKeys?: readonly string[]): boolean {
  const normalised = normaliseName(name);
  if (SECRET_KEY_EXACT.has(normalised)) return true;
  if (extraKeys?.some((extra) => normalised === normaliseName(extra))) return true;
  const words = wordsOf(name);
  if (words.some((word) => QUANTITY_WORDS.has(word))) return false;
  if (words.some((word, i) => SECRET_WORD_PAIRS.has(`${word} ${words[i + 1]}`))) return true;
  return words.some(
    (word) => !AMOUNT_OF_SECRET_WORD.test(word) && SECRET_SUFFIXES.some((suffix) => word.endsWith(suffix)),
  );
}

// Argument objects repeat the same few field names on every call, so their verdicts are kept: only names short
// enough to be real field names, and at most this many (the map starts over when full), so hostile input cannot
// grow it.
const MAX_REMEMBERED_NAMES = 1024;
const MAX_REMEMBERED_NAME_LENGTH = 64;
const rememberedVerdicts = new Map<string, boolean>();

function isSecretField(name: string, extraKeys: readonly string[] | undefined): boolean {
  if (extraKeys?.length || name.length > MAX_REMEMBERED_NAME_LENGTH) return isSecretKeyName(name, extraKeys);
  let verdict = rememberedVerdicts.get(name);
  if (verdict === undefined) {
    verdict = isSecretKeyName(name);
    if (rememberedVerdicts.size >= MAX_REMEMBERED_NAMES) rememberedVerdicts.clear();
    rememberedVerdicts.set(name, verdict);
  }
  return verdict;
}

/** How many field-name verdicts are remembered now, so tests can hold the memory bound. Not public API. */
export const rememberedVerdictCount = (): number => rememberedVerdicts.size;

/** Copies `value` with secret-named fields replaced by `[REDACTED]`, then caps its serialised size. */
export function redactArguments(value: unknown, options: RedactOptions = {}): unknown {
  const redacted = redactValue(value, options.extraKeys, options.maxDepth ?? 16, 0, new WeakSet());
  if (options.maxBytes === undefined) return redacted;
  return capSize(redacted, options.maxBytes);
}

function redactValue(
  value: unknown,
  extraKeys: readonly string[] | undefined,
  maxDepth: number,
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (typeof value === "string") return redactSecretsInText(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[Circular]";
  if (depth >= maxDepth) return "[Too deep]";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[Binary ${value.byteLength} bytes]`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item) => redactValue(item, extraKeys, maxDepth, depth + 1, seen) ?? null);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = isSecretField(key, extraKeys)
        ? REDACTED
        : redactValue(item, extraKeys, maxDepth, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * What `redactArguments(value, { maxBytes })` returns, as JSON (`undefined` when the value has none): the audit
 * writer stores this, and serialising once saves the second `JSON.stringify` of the capped value.
 */
export function redactToJson(
  value: unknown,
  options: RedactOptions & { maxBytes: number },
): string | undefined {
  const redacted = redactValue(value, options.extraKeys, options.maxDepth ?? 16, 0, new WeakSet());
  const json = JSON.stringify(redacted);
  if (json === undefined) return undefined;
  const bytes = Buffer.byteLength(json);
  return bytes <= options.maxBytes ? json : JSON.stringify(truncationMarker(json, bytes, options.maxBytes));
}

function capSize(value: unknown, maxBytes: number): unknown {
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  const bytes = Buffer.byteLength(json);
  return bytes <= maxBytes ? value : truncationMarker(json, bytes, maxBytes);
}

function truncationMarker(json: string, bytes: number, maxBytes: number): unknown {
  // Keep the longest start of the (already redacted) JSON with which the marker, escaping included, still fits, so the
  // row says what was called. A start never ends inside a surrogate pair, so a longer start never makes the marker
  // smaller, and a binary search finds it. Below the marker's own size (about 50 bytes) the preview is empty.
  const markerOf = (previewChars: number) => ({
    "[truncated]": true,
    originalBytes: bytes,
    preview: json.slice(0, previewChars).replace(/[\uD800-\uDBFF]$/, ""),
  });
  let fitting = 0;
  // No preview of more characters than maxBytes fits (each is a byte at least), so a megabyte argument is not
  // stringified whole on the first steps.
  // Stryker disable next-line MethodExpression: equivalent; a higher bound only costs more steps to the same answer.
  let longest = Math.min(json.length, maxBytes);
  while (fitting < longest) {
    const middle = Math.ceil((fitting + longest) / 2);
    if (Buffer.byteLength(JSON.stringify(markerOf(middle))) <= maxBytes) fitting = middle;
    else longest = middle - 1;
  }
  return markerOf(fitting);
}
