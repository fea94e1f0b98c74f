import { type DestinationStream, type Logger, pino } from "pino";
import { credentialHeaderPaths } from "./redact.ts";

export type { Logger } from "pino";

/**
 * Structured JSON logs; secrets and personal data fields are redacted wherever they appear. `destination`
 * is for tests that read what was logged; apps log to stdout.
 */
export function createLogger(app: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name: app,
    level,
    redact: {
      paths: ["*.apiKey", "*.authorization", "*.password", "*.secret", "*.email", "*.name", ...credentialHeaderPaths()],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
