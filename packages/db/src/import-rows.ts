// The rows an organisation sends in (API JSON bodies and the CLI's CSV files alike), validated one by one so that
// every bad row is reported with its field. Field names are the API's; the CLI maps its CSV headers onto them.
import { z } from "zod";
import type { AttendanceImportRow, EventImportRow } from "./repositories/event-import.ts";
import type { MemberImportRow } from "./repositories/member-import.ts";

const IsoTimestamp = z.iso.datetime({ offset: true });

const Text = (max: number) => z.string().trim().min(1, "must not be empty").max(max);
/** ISO 8601 with an offset, in years PostgreSQL and people mean (0000 parses as ISO but cannot be stored). */
const When = IsoTimestamp.refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 1900 && year <= 2200;
}, "must be a date between the years 1900 and 2200");

export const MemberRow = z
  .object({
    externalId: Text(200).describe("the organisation's own id for the member"),
    name: Text(200),
    email: z.string().trim().max(320).pipe(z.email()),
    joinedAt: When.describe("ISO 8601 with an offset"),
    status: z.enum(["active", "left"]).default("active"),
    leftAt: When.nullish().describe("when the member left; required with status left"),
    role: z.enum(["member", "admin"]).optional().describe("omitted: member for a new member; an existing member keeps theirs"),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (row.status === "left" && !row.leftAt) ctx.addIssue({ code: "custom", path: ["leftAt"], message: "required when status is left" });
    if (row.status === "active" && row.leftAt) ctx.addIssue({ code: "custom", path: ["leftAt"], message: "only with status left" });
    if (row.leftAt && Date.parse(row.leftAt) < Date.parse(row.joinedAt)) {
      ctx.addIssue({ code: "custom", path: ["leftAt"], message: "must not be before joinedAt" });
    }
  });

export const EventRow = z
  .object({
    externalId: Text(200).describe("the organisation's own id for the event"),
    title: Text(300),
    startsAt: When,
    endsAt: When,
    cancelledAt: When.nullish(),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (Date.parse(row.endsAt) < Date.parse(row.startsAt))
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must not be before startsAt" });
  });

export const AttendanceRow = z
  .object({
    eventExternalId: Text(200),
    memberExternalId: Text(200),
    status: z.enum(["registered", "attended", "no_show", "cancelled"]),
    registeredAt: When,
    checkedInAt: When.nullish(),
  })
  .strict();

/** An optional date field as the import functions take it. */
export function parseImportDate(value: string | null | undefined): Date | null {
  return value ? new Date(value) : null;
}

/** The validated rows as the import functions take them (dates as Dates). */
export const toMemberImportRow = (r: z.output<typeof MemberRow>): MemberImportRow => ({
  ...r,
  joinedAt: new Date(r.joinedAt),
  leftAt: parseImportDate(r.leftAt),
});
export const toEventImportRow = (r: z.output<typeof EventRow>): EventImportRow => ({
  ...r,
  startsAt: new Date(r.startsAt),
  endsAt: new Date(r.endsAt),
  cancelledAt: parseImportDate(r.cancelledAt),
});
export const toAttendanceImportRow = (r: z.output<typeof AttendanceRow>): AttendanceImportRow => ({
  ...r,
  registeredAt: new Date(r.registeredAt),
  checkedInAt: parseImportDate(r.checkedInAt),
});
