// The scheduler's configuration: the only file of this app that reads process.env.
import { commonEnv, parseEnv } from "@engagement/runtime";
import { z } from "zod";

export const schedulerEnvShape = {
  ...commonEnv,
  /** When the nightly run starts (cron, 5 or 6 fields) and in which time zone. */
  NIGHTLY_CRON: z.string().min(9, "must be a cron pattern such as '0 4 * * *'").default("0 4 * * *"),
  NIGHTLY_TZ: z.string().min(1).default("UTC"),
};

export type SchedulerEnv = ReturnType<typeof loadSchedulerEnv>;

export function loadSchedulerEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv(schedulerEnvShape, source);
}
