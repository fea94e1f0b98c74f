// The scheduler's configuration: the only file of this app that reads process.env.
import { commonEnv, parseEnv } from "@engagement/runtime";
import { z } from "zod";

// BullMQ only parses the pattern when the schedule is upserted, after connections are open and with an error
// that does not say where the pattern came from; checking its shape here fails at start with the variable's name.
const CRON_FIELD = /^[\d*/,?LW#A-Za-z-]+$/;
const isCronShaped = (pattern: string) => {
  const fields = pattern.trim().split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
};

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const schedulerEnvShape = {
  ...commonEnv,
  /** When the nightly run starts (cron, 5 or 6 fields) and in which time zone. */
  NIGHTLY_CRON: z.string().refine(isCronShaped, "must be a cron pattern of 5 or 6 fields such as '0 4 * * *'").default("0 4 * * *"),
  NIGHTLY_TZ: z.string().min(1).refine(isTimeZone, "must be an IANA time zone such as 'Europe/Berlin' or 'UTC'").default("UTC"),
};

export function loadSchedulerEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv(schedulerEnvShape, source);
}
