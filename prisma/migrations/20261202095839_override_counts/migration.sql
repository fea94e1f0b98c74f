-- CreateTable
CREATE TABLE "engagement_override_counts" (
    "org_id" UUID NOT NULL,
    "level" "EngagementLevel" NOT NULL,
    "override_level" "EngagementLevel" NOT NULL,
    "members" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "engagement_override_counts_pkey" PRIMARY KEY ("org_id","level","override_level")
);

-- AddForeignKey
ALTER TABLE "engagement_override_counts" ADD CONSTRAINT "engagement_override_counts_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Kept like engagement_level_counts (see migration list_name_and_level_counts): the same statement-level and
-- row-level triggers, whose functions are replaced to add one delta per (org, level, override level) as well,
-- always after the level deltas, so concurrent writers still lock count rows in one order.
CREATE FUNCTION engagement_override_counts_apply(deltas jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO engagement_override_counts (org_id, level, override_level, members)
  SELECT (d->>'org_id')::uuid, (d->>'level')::"EngagementLevel", (d->>'override_level')::"EngagementLevel", (d->>'delta')::int
  FROM jsonb_array_elements(deltas) d
  WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = (d->>'org_id')::uuid)
  ORDER BY 1, 2, 3
  ON CONFLICT (org_id, level, override_level) DO UPDATE SET members = engagement_override_counts.members + EXCLUDED.members
$$;

CREATE OR REPLACE FUNCTION member_engagements_count_levels() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE deltas jsonb; pairs jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT n.org_id, n.level, count(*) AS delta FROM new_rows n
      JOIN memberships m ON m.user_id = n.user_id AND m.org_id = n.org_id AND m.status = 'active'
      GROUP BY 1, 2) x;
    SELECT jsonb_agg(x) INTO pairs FROM (
      SELECT n.org_id, n.level, n.override_level, count(*) AS delta FROM new_rows n
      JOIN memberships m ON m.user_id = n.user_id AND m.org_id = n.org_id AND m.status = 'active'
      WHERE n.override_level IS NOT NULL
      GROUP BY 1, 2, 3) x;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT org_id, level, sum(delta) AS delta FROM (
        SELECT n.org_id, n.level, 1 AS delta FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN memberships m ON m.user_id = n.user_id AND m.org_id = n.org_id AND m.status = 'active'
        WHERE o.level IS DISTINCT FROM n.level
        UNION ALL
        SELECT o.org_id, o.level, -1 FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN memberships m ON m.user_id = o.user_id AND m.org_id = o.org_id AND m.status = 'active'
        WHERE o.level IS DISTINCT FROM n.level) c
      GROUP BY 1, 2 HAVING sum(delta) <> 0) x;
    SELECT jsonb_agg(x) INTO pairs FROM (
      SELECT org_id, level, override_level, sum(delta) AS delta FROM (
        SELECT n.org_id, n.level, n.override_level, 1 AS delta FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN memberships m ON m.user_id = n.user_id AND m.org_id = n.org_id AND m.status = 'active'
        WHERE n.override_level IS NOT NULL AND (o.level, o.override_level) IS DISTINCT FROM (n.level, n.override_level)
        UNION ALL
        SELECT o.org_id, o.level, o.override_level, -1 FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN memberships m ON m.user_id = o.user_id AND m.org_id = o.org_id AND m.status = 'active'
        WHERE o.override_level IS NOT NULL AND (o.level, o.override_level) IS DISTINCT FROM (n.level, n.override_level)) c
      GROUP BY 1, 2, 3 HAVING sum(delta) <> 0) x;
  END IF;
  IF deltas IS NOT NULL THEN PERFORM engagement_level_counts_apply(deltas); END IF;
  IF pairs IS NOT NULL THEN PERFORM engagement_override_counts_apply(pairs); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION member_engagements_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = OLD.user_id AND m.org_id = OLD.org_id AND m.status = 'active') THEN
    PERFORM engagement_level_counts_apply(jsonb_build_array(jsonb_build_object('org_id', OLD.org_id, 'level', OLD.level, 'delta', -1)));
    IF OLD.override_level IS NOT NULL THEN
      PERFORM engagement_override_counts_apply(jsonb_build_array(jsonb_build_object(
        'org_id', OLD.org_id, 'level', OLD.level, 'override_level', OLD.override_level, 'delta', -1)));
    END IF;
  END IF;
  RETURN OLD;
END $$;

CREATE OR REPLACE FUNCTION memberships_count_levels() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE deltas jsonb; pairs jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT me.org_id, me.level, count(*) AS delta FROM new_rows n
      JOIN member_engagements me ON me.user_id = n.user_id AND me.org_id = n.org_id
      WHERE n.status = 'active' GROUP BY 1, 2) x;
    SELECT jsonb_agg(x) INTO pairs FROM (
      SELECT me.org_id, me.level, me.override_level, count(*) AS delta FROM new_rows n
      JOIN member_engagements me ON me.user_id = n.user_id AND me.org_id = n.org_id
      WHERE n.status = 'active' AND me.override_level IS NOT NULL GROUP BY 1, 2, 3) x;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT me.org_id, me.level, sum(CASE WHEN n.status = 'active' THEN 1 ELSE -1 END) AS delta
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN member_engagements me ON me.user_id = n.user_id AND me.org_id = n.org_id
      WHERE (o.status = 'active') <> (n.status = 'active')
      GROUP BY 1, 2 HAVING sum(CASE WHEN n.status = 'active' THEN 1 ELSE -1 END) <> 0) x;
    SELECT jsonb_agg(x) INTO pairs FROM (
      SELECT me.org_id, me.level, me.override_level, sum(CASE WHEN n.status = 'active' THEN 1 ELSE -1 END) AS delta
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN member_engagements me ON me.user_id = n.user_id AND me.org_id = n.org_id
      WHERE (o.status = 'active') <> (n.status = 'active') AND me.override_level IS NOT NULL
      GROUP BY 1, 2, 3 HAVING sum(CASE WHEN n.status = 'active' THEN 1 ELSE -1 END) <> 0) x;
  END IF;
  IF deltas IS NOT NULL THEN PERFORM engagement_level_counts_apply(deltas); END IF;
  IF pairs IS NOT NULL THEN PERFORM engagement_override_counts_apply(pairs); END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION memberships_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE lvl "EngagementLevel"; ovr "EngagementLevel";
BEGIN
  IF OLD.status = 'active' THEN
    SELECT me.level, me.override_level INTO lvl, ovr FROM member_engagements me WHERE me.user_id = OLD.user_id AND me.org_id = OLD.org_id;
    IF FOUND THEN
      PERFORM engagement_level_counts_apply(jsonb_build_array(jsonb_build_object('org_id', OLD.org_id, 'level', lvl, 'delta', -1)));
      IF ovr IS NOT NULL THEN
        PERFORM engagement_override_counts_apply(jsonb_build_array(jsonb_build_object(
          'org_id', OLD.org_id, 'level', lvl, 'override_level', ovr, 'delta', -1)));
      END IF;
    END IF;
  END IF;
  RETURN OLD;
END $$;

-- Overrides that have expired but are still set (a run clears them): few, read per summary request.
CREATE INDEX "member_engagements_org_id_override_expires_at_idx" ON "member_engagements"("org_id", "override_expires_at");

INSERT INTO engagement_override_counts (org_id, level, override_level, members)
SELECT me.org_id, me.level, me.override_level, count(*) FROM member_engagements me
JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
WHERE me.override_level IS NOT NULL
GROUP BY 1, 2, 3;
