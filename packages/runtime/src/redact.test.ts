import { Writable } from "node:stream";
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { createLogger } from "./logger.ts";
import { CREDENTIAL_HEADERS, redactUrlCredentials } from "./redact.ts";

const SECRET = "s3cr3t-value-0123456789";

describe("credential redaction", () => {
  it.each([
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "api-key",
    "key",
    "secret",
    "client_secret",
    "password",
    "pwd",
    "auth",
    "authorization",
    "jwt",
    "signature",
    "sig",
    "code",
    "session_id",
    "X-Amz-Credential",
    "Access_Token",
  ])("redacts ?%s= and keeps the other parameters as sent", (name) => {
    const url = `/v1/orgs/x/engagement?limit=5&${name}=${SECRET}&level=at_risk#frag`;
    const redacted = redactUrlCredentials(url);
    expect(redacted).toBe(`/v1/orgs/x/engagement?limit=5&${name}=[redacted]&level=at_risk`);
    expect(redacted).not.toContain(SECRET);
  });

  it("redacts percent-encoded parameter names and every occurrence", () => {
    expect(redactUrlCredentials(`/a?access%5Ftoken=${SECRET}&token=${SECRET}&token=${SECRET}`)).toBe(
      "/a?access%5Ftoken=[redacted]&token=[redacted]&token=[redacted]",
    );
  });

  it("redacts the list cursor, which encodes a member's name", () => {
    const cursor = Buffer.from(JSON.stringify(["Ada Lovelace", "00000000-0000-4000-8000-000000000001"])).toString("base64url");
    expect(redactUrlCredentials(`/v1/orgs/x/engagement?limit=5&cursor=${cursor}`)).toBe("/v1/orgs/x/engagement?limit=5&cursor=[redacted]");
  });

  it("redacts a parameter after a ; separator, which some clients use instead of &", () => {
    expect(redactUrlCredentials(`/a?limit=5;token=${SECRET}&level=new`)).toBe("/a?limit=5;token=[redacted]&level=new");
  });

  it("property: whatever surrounds it, spelled in any case, percent-encoded or repeated, a credential value never survives", () => {
    const names = [
      "token",
      "access_token",
      "api_key",
      "apikey",
      "key",
      "secret",
      "password",
      "jwt",
      "auth",
      "session",
      "signature",
      "cursor",
    ];
    const spelled = fc.tuple(fc.constantFrom(...names), fc.boolean(), fc.boolean()).map(([name, upper, encoded]) => {
      const cased = upper ? name.toUpperCase() : name;
      return encoded ? cased.replace(/[_a]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : cased;
    });
    const other = fc
      .stringMatching(/^[a-z0-9.\-~%]{0,12}$/)
      .filter((n) => !/tok|key|sec|pass|auth|jwt|sess|sig|cred|bear|code|pwd|cursor/i.test(n));
    const param = fc.oneof(
      fc.tuple(spelled, fc.constant(true)),
      fc.tuple(
        other.map((n) => `${n}=${n}`),
        fc.constant(false),
      ),
    );
    fc.assert(
      fc.property(fc.array(param, { minLength: 1, maxLength: 6 }), fc.constantFrom("&", ";"), fc.boolean(), (params, sep, fragment) => {
        const secret = `S3cr3t${Math.random().toString(36).slice(2)}`;
        const query = params.map(([p, credential]) => (credential ? `${p}=${secret}` : p)).join(sep);
        const url = `/v1/orgs/x/engagement?${query}${fragment ? `#${secret}` : ""}`;
        const redacted = redactUrlCredentials(url);
        expect(redacted).not.toContain(secret);
        // Nothing else is touched: each non-credential parameter is still there as sent.
        for (const [p, credential] of params) if (!credential) expect(redacted).toContain(p);
      }),
      { numRuns: 500, seed: 20_261_202 },
    );
  });

  it("leaves URLs without credentials alone", () => {
    expect(redactUrlCredentials("/v1/orgs/x/engagement?limit=5&level=new")).toBe("/v1/orgs/x/engagement?limit=5&level=new");
    expect(redactUrlCredentials("/health")).toBe("/health");
  });

  it.each(CREDENTIAL_HEADERS)("the logger redacts the %s header wherever request or response headers are logged", (header) => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger("test", "info", sink);
    logger.info({ req: { headers: { [header]: SECRET, accept: "json" } } }, "incoming");
    logger.info({ res: { headers: { [header]: SECRET } } }, "outgoing");
    logger.info({ headers: { [header]: SECRET } }, "bare");
    logger.info({ upstream: { headers: { [header]: SECRET } } }, "nested");
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line).toContain("[redacted]");
    }
    expect(lines[0]).toContain('"accept":"json"');
  });
});
