// What must never reach a log line: credentials in URLs and headers. The board login puts an operator token
// in ?token=, clients put theirs in ?access_token= or ?api_key=, and scripts send X-Api-Key; a log is read
// by more people, and kept longer, than any of these credentials should be.

/** Query parameter names that carry a credential: any name mentioning one, and a few short conventional ones. */
const CREDENTIAL_PARAM = /token|secret|passw|api[-_]?key|auth|signature|credential|session|jwt|bearer/i;
const SHORT_CREDENTIAL_PARAMS = new Set(["key", "sig", "code", "pwd", "pass"]);

/**
 * Parameters that carry personal data rather than a credential: the member list's cursor is base64url JSON
 * of the last row's (name, id), readable by anyone who decodes a log line.
 */
const PERSONAL_PARAMS = new Set(["cursor"]);

export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAM.test(name) || SHORT_CREDENTIAL_PARAMS.has(name.toLowerCase());
}

function isRedactedParam(name: string): boolean {
  return isCredentialParam(name) || PERSONAL_PARAMS.has(name.toLowerCase());
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
}

/** A URL (or path with a query) fit for logs: every credential- or personal-data-bearing value replaced by [redacted]. */
export function redactUrlCredentials(url: string): string {
  const queryAt = url.indexOf("?");
  if (queryAt === -1) return url;
  const hashAt = url.indexOf("#", queryAt);
  const query = url.slice(queryAt + 1, hashAt === -1 ? undefined : hashAt);
  // `;` separates parameters too for some clients and servers: `?a=1;token=...` must not log the token as part of a.
  const redacted = query
    .split(/([&;])/)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      const eq = part.indexOf("=");
      const name = eq === -1 ? part : part.slice(0, eq);
      return isRedactedParam(decodeName(name)) ? `${name}=[redacted]` : part;
    })
    .join("");
  // A fragment never reaches a server; dropping it costs nothing and cannot leak.
  return `${url.slice(0, queryAt)}?${redacted}`;
}

/** Request and response headers that carry credentials, as pino redact paths at the places they are logged. */
export const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"] as const;

export function credentialHeaderPaths(): string[] {
  return CREDENTIAL_HEADERS.flatMap((h) => [`headers["${h}"]`, `req.headers["${h}"]`, `res.headers["${h}"]`, `*.headers["${h}"]`]);
}
