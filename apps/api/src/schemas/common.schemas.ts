// Shapes shared by several routes. Times leave the API as ISO 8601 strings (handlers convert with `iso`), so
// the OpenAPI document describes exactly what clients receive.

import { Id } from "@engagement/auth";
import { ENGAGEMENT_LEVELS, ENGAGEMENT_SOURCES } from "@engagement/engagement";
import { z } from "zod";

export const Level = z.enum(ENGAGEMENT_LEVELS).describe("engagement level");
export const Source = z.enum(ENGAGEMENT_SOURCES).describe("who decided the computed level");
export const Timestamp = z.iso.datetime({ offset: true });

export const OrgParams = z.object({ orgId: Id() });
export const MemberParams = z.object({ orgId: Id(), userId: Id() });

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** The OpenAPI security requirement of every /v1 route. */
export const bearer = [{ bearerAuth: [] }];
