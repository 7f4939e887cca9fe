import { describe, expect, it } from "vitest";
import { generateApiKey } from "../src/api-keys/key-format.js";
import { isSecretKeyName, REDACTED, redactArguments } from "../src/index.js";
import { redactToJson, rememberedVerdictCount } from "../src/redact.js";

/** An argument nested `levels` objects deep, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) value = { child: value };
  return value;
}

describe("redactArguments", () => {
  it("hides values under secret-looking key names at any depth and keeps the rest", () => {
    const input = {
      token: "a",
      accessToken: "b",
      "x-api-key": "c",
      API_KEY: "d",
      Authorization: "e",
      password: "f",
      db: { connection: { passwd: "g", host: "h" } },
      list: [{ client_secret: "i" }, "plain"],
      cookie: "j",
      author: "keeps",
      keyboard: "keeps",
    };
    expect(redactArguments(input)).toEqual({
      token: "[REDACTED]",
      accessToken: "[REDACTED]",
      "x-api-key": "[REDACTED]",
      API_KEY: "[REDACTED]",
      Authorization: "[REDACTED]",
      password: "[REDACTED]",
      db: { connection: { passwd: "[REDACTED]", host: "h" } },
      list: [{ client_secret: "[REDACTED]" }, "plain"],
      cookie: "[REDACTED]",
      author: "keeps",
      keyboard: "keeps",
    });
  });

  it("hides Waygate keys and bearer credentials pasted into free text", () => {
    const key = `wg_abcdefghijkl_${"Z".repeat(43)}`;
    expect(redactArguments({ note: `use ${key} please`, header: "Bearer abcdefghijklmnop" })).toEqual({
      note: "use [REDACTED] please",
      header: "[REDACTED]",
    });
  });

  it("hides bearer and basic credentials in free text whatever their case", () => {
    expect(
      redactArguments({
        a: "BEARER abcdefghijklmnop",
        b: "curl -H 'authorization: basic dXNlcjpwYXNzd29yZA=='",
        c: "bearer abcdefghijklmnop and more",
      }),
    ).toEqual({
      a: "[REDACTED]",
      b: "curl -H 'authorization: [REDACTED]'",
      c: "[REDACTED] and more",
    });
  });

  it("hides the value of an Authorization header in free text, however short and whatever its case", () => {
    expect(redactArguments("Authorization: bearer xyz")).toBe("Authorization: [REDACTED]");
    expect(redactArguments('{"AUTHORIZATION": "Token abc"}')).toBe('{"AUTHORIZATION": "[REDACTED]"}');
    expect(redactArguments("proxy-authorization=xyz; next")).toBe("proxy-authorization=[REDACTED]; next");
  });

  it("hides a Waygate key wherever it sits in a string, glued to other text included", () => {
    const { plaintext } = generateApiKey();
    for (const text of [
      plaintext,
      `key=${plaintext}`,
      `prefix${plaintext}suffix`,
      `my_${plaintext}`,
      `https://example.test/?k=${plaintext}&x=1`,
      `WG_${plaintext.slice(3).toUpperCase()}`,
    ]) {
      const redacted = redactArguments({ note: text }) as { note: string };
      expect(redacted.note).toContain("[REDACTED]");
      expect(redacted.note).not.toContain(plaintext.slice(16));
      expect(redacted.note.toLowerCase()).not.toContain(plaintext.slice(16).toLowerCase());
    }
  });

  it("keeps prose that merely mentions a scheme or the key prefix", () => {
    expect(redactArguments("the bearer of this note; wg_ keys start with wg_")).toBe(
      "the bearer of this note; wg_ keys start with wg_",
    );
  });

  it("hides the password of a URL in free text and keeps the user name, the host and the path", () => {
    expect(
      redactArguments({
        dsn: "postgres://alice:s3cret@db.internal:5432/app",
        note: "clone from HTTPS://deploy:hunter2@git.example/team/repo.git then build",
        odd: "mysql://root:p@ss@w0rd@127.0.0.1/mysql",
        empty: "redis://:topsecret@cache:6379/0",
      }),
    ).toEqual({
      dsn: "postgres://alice:[REDACTED]@db.internal:5432/app",
      note: "clone from HTTPS://deploy:[REDACTED]@git.example/team/repo.git then build",
      odd: "mysql://root:[REDACTED]@127.0.0.1/mysql",
      empty: "redis://:[REDACTED]@cache:6379/0",
    });
  });

  it("hides the whole user part of a URL that has no password, since it is often a token", () => {
    expect(
      redactArguments("git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git"),
    ).toBe("git clone https://[REDACTED]@github.com/o/r.git");
  });

  it("hides PEM private keys in free text, each to its end, and one cut short to the end of the text", () => {
    expect(
      redactArguments({
        two: "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY----- and -----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\nthanks",
        cut: "use this: -----begin private key-----\nMIIEvQIBADANBg",
      }),
    ).toEqual({ two: "[REDACTED] and [REDACTED]\nthanks", cut: "use this: [REDACTED]" });
  });

  it("keeps public keys and certificates", () => {
    const text =
      "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----";
    expect(redactArguments(text)).toBe(text);
  });

  it("hides the value of a secret-named name=value or name: value pair in free text", () => {
    expect(
      redactArguments({
        shell: "export GITHUB_TOKEN=ghp_abc123 && gh pr list",
        url: "curl 'https://api.test/x?access_token=abc&page=2'",
        json: '{"password":"hu\\"nter2","user":"bob"}',
        spaced: '{ "client_secret" : "abc" , "n": 1 }',
        single: "{'privateKey': 'abc', 'n': 1}",
        yaml: "password: hunter2\nuser: bob",
        flag: "--client-secret=abc --verbose",
        header: "X-Api-Key: abcdef",
        suffix: "GITHUB_TOKEN_V2=abc tokenValue = def",
        cut: 'token="cut short',
        cutSingle: "secret='cut short",
      }),
    ).toEqual({
      shell: "export GITHUB_TOKEN=[REDACTED] && gh pr list",
      url: "curl 'https://api.test/x?access_token=[REDACTED]&page=2'",
      json: '{"password":"[REDACTED]","user":"bob"}',
      spaced: '{ "client_secret" : "[REDACTED]" , "n": 1 }',
      single: "{'privateKey': '[REDACTED]', 'n': 1}",
      yaml: "password: [REDACTED]\nuser: bob",
      flag: "--client-secret=[REDACTED] --verbose",
      header: "X-Api-Key: [REDACTED]",
      suffix: "GITHUB_TOKEN_V2=[REDACTED] tokenValue = [REDACTED]",
      cut: 'token="[REDACTED]"',
      cutSingle: "secret='[REDACTED]'",
    });
  });

  it("finds every secret name in free text and ends an unquoted value at a space or a delimiter", () => {
    for (const name of [
      "token",
      "secret",
      "passphrase",
      "pwd",
      "auth",
      "api_key",
      "cookie",
      "credentials",
      "signature",
      "session_id",
    ]) {
      expect(redactArguments(`${name}=a1,b ${name}=c2;d ${name}=e3&f ${name}=g4 h`), name).toBe(
        `${name}=[REDACTED],b ${name}=[REDACTED];d ${name}=[REDACTED]&f ${name}=[REDACTED] h`,
      );
    }
  });

  it("reads the whole name around the secret word: a 100-character name still ends in TOKEN, maxToken is an amount", () => {
    expect(redactArguments(`${"a".repeat(100)}_TOKEN=value`)).toBe(`${"a".repeat(100)}_TOKEN=[REDACTED]`);
    expect(redactArguments(`${"b".repeat(100)}Token=value`)).toBe(`${"b".repeat(100)}Token=[REDACTED]`);
    const text =
      "options for this call, all of them plain: temperature=0.2 and maxToken=5, token_count: 7, keyboard: qwerty, author: Jane";
    expect(redactArguments(text)).toBe(text);
    expect(redactArguments("session: 5, monkey=3, passage: 4")).toBe("session: 5, monkey=3, passage: 4");
    // Near the start of a longer text, too.
    const early =
      "the maxToken=5 here, and enough plain words after it to make the text longer than 64 characters";
    expect(redactArguments(early)).toBe(early);
  });

  it("keeps URLs without credentials, an @ after the host and e-mail addresses", () => {
    for (const text of [
      "https://example.test/a?from=a@b.test#x@y",
      "https://example.test/users/@alice",
      "write to ops@example.test or mailto:ops@example.test",
      "see https://example.test and ops@example.test",
    ]) {
      expect(redactArguments(text), text).toBe(text);
    }
  });

  it("hides well-known credentials that carry no name, wherever they sit in free text", () => {
    const secrets = {
      githubClassic: `ghp_${"a1B2".repeat(9)}`,
      githubOAuth: `gho_${"x".repeat(36)}`,
      githubUser: `ghu_${"Y".repeat(40)}`,
      githubServer: `ghs_${"7".repeat(36)}`,
      githubRefresh: `ghr_${"z".repeat(36)}`,
      githubUnderscore: `ghp_${"a_".repeat(18)}`,
      githubFineGrained: `github_pat_11ABCDEFG0${"a".repeat(12)}_${"b".repeat(59)}`,
      gitlab: "glpat-abcDEF123_-abcDEF123_-",
      gitlabRoutable: "glpat-z_sxgtrfAxKr8q1TPY8Y0123456.01.0x1a2b3c4d5",
      awsAccessKey: "AKIAIOSFODNN7EXAMPLE",
      awsTemporary: "ASIA0123456789ABCDEF",
      slackBot: "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
      slackUser: "xoxp-1234567890",
      slackApp: "xoxa-2-1234567890",
      slackOther: ["xoxo-1234567890", "xoxs-1234567890", "xoxr-1234567890"].join(" "),
      google: `AIzaSyA${"b_-".repeat(10)}bb`,
      stripeLive: "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
      stripeRestricted: `rk_test_${"a".repeat(16)}`,
      npm: `npm_${"Ab9".repeat(12)}`,
      openai: `sk-proj-${"a1_-".repeat(10)}`,
      openaiLegacy: `sk-${"T3BlbkFJ".repeat(6)}`,
      anthropic: `sk-ant-api03-${"b".repeat(93)}AA`,
      jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl_-",
      unsignedJwt: "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    };
    for (const [kind, secret] of Object.entries(secrets)) {
      const text = `notes (${kind}): use ${secret} to push`;
      const hidden = secret
        .split(" ")
        .map(() => REDACTED)
        .join(" ");
      expect(redactArguments({ notes: text }), kind).toEqual({
        notes: `notes (${kind}): use ${hidden} to push`,
      });
    }
    // In any letter case, glued to the text before it (but a word start for sk- and AWS), and whole when longer.
    expect(redactArguments(`token:GHP_${"a".repeat(36)} xnpm_${"a".repeat(40)} (sk-${"a".repeat(20)})`)).toBe(
      "token:[REDACTED] x[REDACTED] ([REDACTED])",
    );
    expect(redactArguments(`"${"x".repeat(10)}.eyJ.eyJ.x" akiaiosfodnn7example`)).toBe(
      `"${"x".repeat(10)}.[REDACTED]" [REDACTED]`,
    );
  });

  it("keeps text that only resembles a credential: too short, another prefix, not at a word start, or public", () => {
    for (const text of [
      `ghp_${"a".repeat(35)}`,
      `ghx_${"a".repeat(36)}`,
      `ghp-${"a".repeat(36)}`,
      `github_pat_${"a".repeat(21)}`,
      "glpat-short_token_19",
      `AKIA${"A".repeat(15)}`,
      `AKIB${"A".repeat(16)}`,
      `MALAYSIA${"A".repeat(16)}`,
      "xoxb-123456789",
      "xoxz-1234567890",
      `AIza${"b".repeat(34)}`,
      `sk_live_${"a".repeat(15)}`,
      `pk_live_${"a".repeat(24)}`,
      `sk_prod_${"a".repeat(24)}`,
      "npm_config_registry=https://registry.npmjs.org/",
      `npm_${"a".repeat(35)}`,
      "sk-learn and sk-abcdefghijklmnopqrs",
      `task-${"a".repeat(30)}`,
      "eyJhbGciOiJIUzI1NiJ9.notJson.x",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
      "x-eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
      "keyJ.eyJ.x",
    ]) {
      expect(redactArguments({ notes: text }), text).toEqual({ notes: text });
    }
  });

  it("hides the value after a secret-named command-line flag and a space, and only that", () => {
    expect(
      redactArguments({
        plain: "mysql --password hunter2 -h db",
        short: "-token abc",
        singleQuoted: "--api-key 'a b' --verbose",
        quoted: 'cli --Secret "x y" next',
        tabbed: "cli --client-secret\tabc",
        cut: "cli --password 'never closed",
        list: "--token a,b",
        redacted: "--token Bearer abcdefghijkl",
      }),
    ).toEqual({
      plain: "mysql --password [REDACTED] -h db",
      short: "-token [REDACTED]",
      singleQuoted: "--api-key '[REDACTED]' --verbose",
      quoted: 'cli --Secret "[REDACTED]" next',
      tabbed: "cli --client-secret\t[REDACTED]",
      cut: "cli --password '[REDACTED]'",
      list: "--token [REDACTED],b",
      redacted: "--token [REDACTED]",
    });
    for (const text of [
      "-p hunter2",
      "--max-tokens 5",
      "--verbose value",
      "--token --verbose",
      "--token -",
      "x-token abc",
      "line ends with --token\nnext line",
      `--${"a".repeat(60)}-token value`,
    ]) {
      expect(redactArguments(text), text).toBe(text);
    }
    expect(redactArguments(`--${"a".repeat(58)}-token value`)).toBe(`--${"a".repeat(58)}-token [REDACTED]`);
    expect(redactArguments("--token --password hunter2")).toBe("--token --password [REDACTED]");
  });

  it("reads a percent-escaped pair name decoded, and a malformed escape as written", () => {
    expect(redactArguments("https://h.test/x?api%5Fkey=abc&region=eu")).toBe(
      "https://h.test/x?api%5Fkey=[REDACTED]&region=eu",
    );
    expect(redactArguments("?%zz_token=abc&%41uthor=x")).toBe("?%zz_token=[REDACTED]&%41uthor=x");
    expect(redactArguments("?session%5Fid=abc&page=2")).toBe("?session%5Fid=[REDACTED]&page=2");
  });

  it("scans a megabyte of near misses of every pattern and still finds the secret at its end", () => {
    const nearMisses = [
      `ghp_${"a".repeat(35)}`,
      `github_pat_${"a".repeat(21)}`,
      "glpat-abc",
      `AKIA${"A".repeat(15)}`,
      "xoxb-1",
      `AIza${"b".repeat(34)}`,
      "sk_live_a",
      `npm_${"a".repeat(35)}`,
      "sk-abc",
      "-eyJa-eyJb.eyJc",
      "--token",
      "--password -x",
      "token",
      "bearer",
      "https://a",
      "-----BEGIN PUBLIC KEY-----",
    ].join(" ");
    const unit = `${nearMisses}   \t`;
    const text = unit.repeat(Math.ceil(1_048_576 / unit.length));
    expect(text.length).toBeGreaterThanOrEqual(1_048_576);
    const secret = `ghp_${"a".repeat(36)}`;
    expect(redactArguments(`${text}${secret}`)).toBe(`${text}${REDACTED}`);
    const dashes = "-eyJ".repeat(262_144);
    expect(redactArguments(`${dashes} --token abc`)).toBe(`${dashes} --token [REDACTED]`);
  });

  it("honours extra key names, ignoring case, '-' and '_' on both sides", () => {
    expect(redactArguments({ ssn: "123", name: "x" }, { extraKeys: ["SSN"] })).toEqual({
      ssn: "[REDACTED]",
      name: "x",
    });
    expect(
      redactArguments(
        { customer_ref: "1", "Customer-Ref": "2", customer: "3" },
        { extraKeys: ["customer-ref"] },
      ),
    ).toEqual({ customer_ref: "[REDACTED]", "Customer-Ref": "[REDACTED]", customer: "3" });
    expect(
      redactArguments({ ssn: "1", iban: "2", name: "3" }, { extraKeys: ["SSN", "iban", "passport"] }),
    ).toEqual({ ssn: "[REDACTED]", iban: "[REDACTED]", name: "3" });
  });

  it("keeps a value that appears twice without being a cycle, and drops what JSON cannot hold", () => {
    const shared = { id: 1 };
    expect(redactArguments({ a: shared, b: [shared, shared] })).toEqual({
      a: { id: 1 },
      b: [{ id: 1 }, { id: 1 }],
    });
    expect(redactArguments({ f: () => 1, s: Symbol("s"), u: undefined, list: [() => 1, undefined] })).toEqual(
      {
        f: undefined,
        s: undefined,
        u: undefined,
        list: [null, null],
      },
    );
    expect(redactToJson(undefined, { maxBytes: 100 })).toBeUndefined();
    expect(redactToJson(() => 1, { maxBytes: 100 })).toBeUndefined();
  });

  it("copies without changing the input and survives cycles, bigints and binary data", () => {
    const input: Record<string, unknown> = {
      token: "t",
      n: 10n,
      bytes: new Uint8Array(4),
      when: new Date(0),
    };
    input.self = input;
    const output = redactArguments(input) as Record<string, unknown>;
    expect(input.token).toBe("t");
    expect(output).toEqual({
      token: "[REDACTED]",
      n: "10",
      bytes: "[Binary 4 bytes]",
      when: "1970-01-01T00:00:00.000Z",
      self: "[Circular]",
    });
  });

  it("replaces values over maxBytes with a marker that fits within maxBytes", () => {
    const big = { items: Array.from({ length: 500 }, (_, i) => ({ id: i, quote: 'say "hi"' })) };
    for (const maxBytes of [64, 200, 1024]) {
      const capped = redactArguments(big, { maxBytes }) as { "[truncated]": boolean; originalBytes: number };
      expect(capped["[truncated]"]).toBe(true);
      expect(capped.originalBytes).toBe(Buffer.byteLength(JSON.stringify(big)));
      expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThanOrEqual(maxBytes);
    }
    expect(redactArguments({ small: 1 }, { maxBytes: 1024 })).toEqual({ small: 1 });
  });

  it("returns undefined for a value JSON cannot hold, whatever maxBytes is", () => {
    expect(redactArguments(undefined, { maxBytes: 10 })).toBeUndefined();
    expect(redactArguments(() => 1, { maxBytes: 10 })).toBeUndefined();
  });

  it("keeps the longest start of the JSON that fits as the preview, never half a character", () => {
    const inputs = [
      { items: Array.from({ length: 300 }, (_, i) => ({ id: i, quote: 'say "hi" \\ ok' })) },
      "\u20ac".repeat(2000),
      "\u{1F600}".repeat(2000),
      `a${"\u{1F600}".repeat(2000)}`,
    ];
    const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    for (const input of inputs) {
      const json = JSON.stringify(input);
      for (const maxBytes of [64, 65, 66, 67, 100, 257, 1024]) {
        const capped = redactArguments(input, { maxBytes }) as { preview: string; originalBytes: number };
        const label = `${json.slice(0, 12)} in ${maxBytes}`;
        expect(size(capped), label).toBeLessThanOrEqual(maxBytes);
        expect(json.startsWith(capped.preview), label).toBe(true);
        // UTF-8 cannot hold half a surrogate pair: a preview cut inside one would not survive the round trip.
        expect(Buffer.from(capped.preview).toString(), label).toBe(capped.preview);
        // One more character (a whole surrogate pair) would not fit.
        const next = json.slice(
          0,
          capped.preview.length + (json.codePointAt(capped.preview.length)! > 0xffff ? 2 : 1),
        );
        expect(size({ ...capped, preview: next }), label).toBeGreaterThan(maxBytes);
        expect(redactToJson(input, { maxBytes }), label).toBe(JSON.stringify(capped));
      }
    }
  });

  it("gives an empty preview when maxBytes is below the size of the marker itself", () => {
    expect(redactArguments("x".repeat(100), { maxBytes: 10 })).toEqual({
      "[truncated]": true,
      originalBytes: 102,
      preview: "",
    });
  });

  it("counts maxBytes in UTF-8 bytes, not UTF-16 code units", () => {
    // 30 euro signs: 32 UTF-16 units of JSON but 92 UTF-8 bytes.
    const euros = "\u20ac".repeat(30);
    const json = JSON.stringify(euros);
    expect(json.length).toBeLessThanOrEqual(64);
    const capped = redactArguments(euros, { maxBytes: 64 }) as {
      "[truncated]": boolean;
      originalBytes: number;
    };
    expect(capped["[truncated]"]).toBe(true);
    expect(capped.originalBytes).toBe(Buffer.byteLength(json));
    expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThanOrEqual(64);

    const stored = redactToJson(euros, { maxBytes: 64 }) as string;
    expect(JSON.parse(stored)).toMatchObject({ "[truncated]": true, originalBytes: Buffer.byteLength(json) });
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(64);
    expect(Buffer.byteLength(json)).toBe(92);
    expect(redactToJson(euros, { maxBytes: 92 })).toBe(json);
    expect(redactArguments(euros, { maxBytes: 92 })).toBe(euros);
  });
});

describe("redactToJson (what the audit writer stores)", () => {
  it("stores a 20,000-level argument with the nesting past 16 levels replaced, without overflowing the stack", () => {
    const stored = redactToJson(nested(20_000), { maxBytes: 1_000_000 }) as string;
    expect(stored.startsWith('{"child":{"child":')).toBe(true);
    expect(stored.match(/"child"/g)).toHaveLength(16);
    expect(stored).toContain('"[Too deep]"');
  });

  it("caps a 20,000-level array the same way", () => {
    let value: unknown = "leaf";
    for (let i = 0; i < 20_000; i++) value = [value];
    const stored = redactToJson(value, { maxBytes: 1_000_000 }) as string;
    expect(stored).toBe(`${"[".repeat(16)}"[Too deep]"${"]".repeat(16)}`);
  });

  it("honours a smaller maxDepth", () => {
    expect(redactToJson(nested(5), { maxBytes: 1000, maxDepth: 2 })).toBe('{"child":{"child":"[Too deep]"}}');
    expect(redactArguments(nested(5), { maxDepth: 2 })).toEqual({ child: { child: "[Too deep]" } });
    expect(redactArguments(nested(20))).toEqual(
      JSON.parse(redactToJson(nested(20), { maxBytes: 1000 }) as string),
    );
  });
});

describe("isSecretKeyName", () => {
  it("recognises common spellings of secrets and leaves ordinary names alone", () => {
    for (const name of [
      "token",
      "refresh_token",
      "apiKey",
      "api-key",
      "SECRET",
      "Proxy-Authorization",
      "pwd",
    ]) {
      expect(isSecretKeyName(name)).toBe(true);
    }
    for (const name of ["author", "name", "path", "query", "monkey"]) {
      expect(isSecretKeyName(name)).toBe(false);
    }
  });

  it("hides the short names auth, pass and sessionid as whole names, in any spelling", () => {
    for (const name of [
      "auth",
      "AUTH",
      "pass",
      "Pass",
      "sessionid",
      "session_id",
      "sessionId",
      "Session-ID",
    ]) {
      expect(isSecretKeyName(name), name).toBe(true);
    }
    for (const name of ["authority", "passage", "compass", "session", "sessions"]) {
      expect(isSecretKeyName(name), name).toBe(false);
    }
  });

  it("matches whole secret-like words: accessToken, GITHUB_TOKEN, X-Api-Key, privateKey, githubtoken are secrets", () => {
    for (const name of [
      "accessToken",
      "GITHUB_TOKEN",
      "X-Api-Key",
      "privateKey",
      "PRIVATE_KEY",
      "secretKey",
      "clientSecret",
      "githubtoken",
      "db_password",
      "awsCredentials",
      "X-Amz-Signature",
      "setCookie",
    ]) {
      expect(isSecretKeyName(name), name).toBe(true);
    }
  });

  it("leaves names that only contain a secret word's letters or count tokens alone: maxTokens is not a secret", () => {
    for (const name of [
      "maxTokens",
      "max_tokens",
      "maxtokens",
      "completion_tokens",
      "inputTokens",
      "tokenCount",
      "tokenizer",
      "passwordMinLength",
      "keyboard",
      "secretary",
    ]) {
      expect(isSecretKeyName(name), name).toBe(false);
    }
  });

  it("treats a secret word next to any amount word as a number: token_limit, passwordLength, secretSize", () => {
    for (const amount of [
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
    ]) {
      expect(isSecretKeyName(`token_${amount}`), amount).toBe(false);
      expect(isSecretKeyName(`${amount}Password`), amount).toBe(false);
      expect(isSecretKeyName(`token_${amount}x`), amount).toBe(true);
    }
  });

  it("hides one-word names ending in a plural secret word: clientsecrets, dbpasswords, sessioncookies", () => {
    for (const name of [
      "clientsecrets",
      "dbpasswords",
      "sessioncookies",
      "usercredential",
      "awscredentials",
    ]) {
      expect(isSecretKeyName(name), name).toBe(true);
    }
  });

  it("exempts a one-word name only when it is an amount of a secret word, not when it merely opens with one", () => {
    for (const name of ["maxpassword", "mintoken", "numsecrets", "totalcookies"]) {
      expect(isSecretKeyName(name), name).toBe(false);
    }
    for (const name of ["adminpassword", "miniosecret", "minecrafttoken", "numberpasswd"]) {
      expect(isSecretKeyName(name), name).toBe(true);
    }
  });

  it("splits an acronym from the word after it: AWSAccessKey and GCPPrivateKey are secrets", () => {
    for (const name of ["AWSAccessKey", "GCPPrivateKey", "HTTPApiKey"]) {
      expect(isSecretKeyName(name), name).toBe(true);
    }
    expect(isSecretKeyName("AWSAccessKeyLength")).toBe(false);
  });

  it("reads doubled separators as one: API__KEY, private--key and access  key are secrets", () => {
    for (const name of ["API__KEY", "private--key", "access  key", "_api_key_"]) {
      expect(isSecretKeyName(name), name).toBe(true);
    }
  });

  it("calls empty and separator-only names not secret", () => {
    for (const name of ["", "_", "--", " "]) expect(isSecretKeyName(name), JSON.stringify(name)).toBe(false);
  });

  it("keeps maxTokens in a stored argument while hiding the token beside it", () => {
    expect(redactArguments({ maxTokens: 1024, temperature: 0.2, accessToken: "t" })).toEqual({
      maxTokens: 1024,
      temperature: 0.2,
      accessToken: "[REDACTED]",
    });
  });

  it("hides each short name through redactArguments too", () => {
    expect(redactArguments({ auth: "a", pass: "b", sessionId: "c", session: "d" })).toEqual({
      auth: "[REDACTED]",
      pass: "[REDACTED]",
      sessionId: "[REDACTED]",
      session: "d",
    });
  });
});

describe("remembered field-name verdicts", () => {
  it("gives the same verdicts on every call, past the point where the remembered names start over", () => {
    // 3,000 distinct names (the map holds 1,024), each seen twice: once to decide, once from memory.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) {
        const out = redactArguments({ [`field${i}Token`]: "s", [`field${i}Count`]: 7 }) as Record<
          string,
          unknown
        >;
        expect(out[`field${i}Token`]).toBe(REDACTED);
        expect(out[`field${i}Count`]).toBe(7);
      }
    }
  });

  it("decides long names afresh and never lets extra key names leak into later calls", () => {
    const long = `${"x".repeat(100)}_secret`;
    expect(redactArguments({ [long]: "s" })).toEqual({ [long]: REDACTED });
    expect(redactArguments({ region: "eu" }, { extraKeys: ["region"] })).toEqual({ region: REDACTED });
    expect(redactArguments({ region: "eu" })).toEqual({ region: "eu" });
    expect(redactArguments({ region: "eu" }, { extraKeys: ["region"] })).toEqual({ region: REDACTED });
  });

  it("remembers at most 1,024 short names, starts over when full, and never remembers long names or extra keys", () => {
    let i = 0;
    const fresh = () => `remembered${i++}Token`;
    for (let rounds = 0; rounds < 3000 && rememberedVerdictCount() < 1024; rounds++) {
      redactArguments({ [fresh()]: "s" });
      expect(rememberedVerdictCount()).toBeLessThanOrEqual(1024);
    }
    expect(rememberedVerdictCount()).toBe(1024);
    // A remembered name is answered from memory: nothing is added, nothing starts over.
    expect(redactArguments({ [`remembered${i - 1}Token`]: "s" })).toEqual({
      [`remembered${i - 1}Token`]: REDACTED,
    });
    expect(rememberedVerdictCount()).toBe(1024);
    const next = fresh();
    expect(redactArguments({ [next]: "s" })).toEqual({ [next]: REDACTED });
    expect(rememberedVerdictCount()).toBe(1);
    const longest = `${"n".repeat(58)}Secret`;
    expect(longest).toHaveLength(64);
    redactArguments({ [longest]: "s" });
    expect(rememberedVerdictCount()).toBe(2);
    redactArguments({ [`${longest}s`]: "s", other: 1 }, { extraKeys: ["other"] });
    redactArguments({ [`${longest}x`]: "s" });
    expect(rememberedVerdictCount()).toBe(2);
  });
});
