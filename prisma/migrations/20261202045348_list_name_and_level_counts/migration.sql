-- DropIndex
DROP INDEX "memberships_org_id_status_idx";

-- AlterTable
ALTER TABLE "memberships" ADD COLUMN     "list_name" TEXT NOT NULL DEFAULT '';

-- CreateTable
CREATE TABLE "engagement_level_counts" (
    "org_id" UUID NOT NULL,
    "level" "EngagementLevel" NOT NULL,
    "members" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "engagement_level_counts_pkey" PRIMARY KEY ("org_id","level")
);

-- CreateIndex
CREATE INDEX "memberships_org_id_status_list_name_user_id_idx" ON "memberships"("org_id", "status", "list_name", "user_id");

-- AddForeignKey
ALTER TABLE "engagement_level_counts" ADD CONSTRAINT "engagement_level_counts_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- memberships.list_name: display_name, else the user's name, kept by triggers whatever writes the rows (imports,
-- seeds, tests), so the admin list can walk memberships_org_id_status_list_name_user_id_idx in name order.
CREATE FUNCTION memberships_set_list_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.list_name := coalesce(NEW.display_name, (SELECT u.name FROM users u WHERE u.id = NEW.user_id), '');
  RETURN NEW;
END $$;

CREATE TRIGGER memberships_list_name BEFORE INSERT OR UPDATE OF display_name, user_id ON memberships
  FOR EACH ROW EXECUTE FUNCTION memberships_set_list_name();

CREATE FUNCTION users_propagate_list_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE memberships SET list_name = NEW.name WHERE user_id = NEW.id AND display_name IS NULL AND list_name IS DISTINCT FROM NEW.name;
  RETURN NULL;
END $$;

CREATE TRIGGER users_list_name AFTER UPDATE OF name ON users
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION users_propagate_list_name();

UPDATE memberships m SET list_name = coalesce(m.display_name, u.name) FROM users u WHERE u.id = m.user_id;

-- engagement_level_counts: active members per computed level. Statement-level triggers with transition tables
-- add one delta per (org, level) per statement, in key order (so concurrent writers lock the rows in the same
-- order and cannot deadlock), rather than one update per row.
CREATE FUNCTION engagement_level_counts_apply(deltas jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO engagement_level_counts (org_id, level, members)
  SELECT (d->>'org_id')::uuid, (d->>'level')::"EngagementLevel", (d->>'delta')::int
  FROM jsonb_array_elements(deltas) d
  -- An organisation being deleted takes its counts with it (cascade): its members' deletes add nothing back.
  WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = (d->>'org_id')::uuid)
  ORDER BY 1, 2
  ON CONFLICT (org_id, level) DO UPDATE SET members = engagement_level_counts.members + EXCLUDED.members
$$;

CREATE FUNCTION member_engagements_count_levels() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE deltas jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT n.org_id, n.level, count(*) AS delta FROM new_rows n
      JOIN memberships m ON m.user_id = n.user_id AND m.org_id = n.org_id AND m.status = 'active'
      GROUP BY 1, 2) x;
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
  END IF;
  IF deltas IS NOT NULL THEN PERFORM engagement_level_counts_apply(deltas); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER member_engagements_counts_insert AFTER INSERT ON member_engagements
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_engagements_count_levels();
CREATE TRIGGER member_engagements_counts_update AFTER UPDATE ON member_engagements
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION member_engagements_count_levels();

-- Deletes count row by row, BEFORE each row goes: a user or organisation deleted with ON DELETE CASCADE removes
-- the membership and the result in one statement, and by the time statement-level triggers fire both rows are
-- gone, so neither could tell that the other was there. Row by row, whichever row goes first still sees the other.
-- Deletes are rare (erasures, removals); an organisation's own counts go with it.
CREATE FUNCTION member_engagements_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = OLD.user_id AND m.org_id = OLD.org_id AND m.status = 'active') THEN
    PERFORM engagement_level_counts_apply(jsonb_build_array(jsonb_build_object('org_id', OLD.org_id, 'level', OLD.level, 'delta', -1)));
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER member_engagements_counts_delete BEFORE DELETE ON member_engagements
  FOR EACH ROW EXECUTE FUNCTION member_engagements_count_delete();

-- A membership becoming active or not (joining, leaving, removed) moves its member's result in or out.
CREATE FUNCTION memberships_count_levels() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE deltas jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT me.org_id, me.level, count(*) AS delta FROM new_rows n
      JOIN member_engagements me ON me.user_id = n.user_id AND me.org_id = n.org_id
      WHERE n.status = 'active' GROUP BY 1, 2) x;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT me.org_id, me.level, sum(CASE WHEN n.status = 'active' THEN 1 ELSE -1 END) AS delta
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN member_engagements me ON me.user_id = n.user_id AND me.org_id = n.org_id
      WHERE (o.status = 'active') <> (n.status = 'active')
      GROUP BY 1, 2 HAVING sum(CASE WHEN n.status = 'active' THEN 1 ELSE -1 END) <> 0) x;
  END IF;
  IF deltas IS NOT NULL THEN PERFORM engagement_level_counts_apply(deltas); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER memberships_counts_insert AFTER INSERT ON memberships
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memberships_count_levels();
CREATE TRIGGER memberships_counts_update AFTER UPDATE ON memberships
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION memberships_count_levels();

CREATE FUNCTION memberships_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE lvl "EngagementLevel";
BEGIN
  IF OLD.status = 'active' THEN
    SELECT me.level INTO lvl FROM member_engagements me WHERE me.user_id = OLD.user_id AND me.org_id = OLD.org_id;
    IF FOUND THEN
      PERFORM engagement_level_counts_apply(jsonb_build_array(jsonb_build_object('org_id', OLD.org_id, 'level', lvl, 'delta', -1)));
    END IF;
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER memberships_counts_delete BEFORE DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION memberships_count_delete();

INSERT INTO engagement_level_counts (org_id, level, members)
SELECT me.org_id, me.level, count(*) FROM member_engagements me
JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
GROUP BY 1, 2;
