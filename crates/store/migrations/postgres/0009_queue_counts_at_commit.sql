-- Queue counts changed at commit (PostgreSQL only; SQLite changes them from Rust under its
-- single writer lock, see ../sqlite/0009_queue_counts_at_commit.sql).
--
-- A department's count row is changed by every transition into or out of its queue. Changed
-- by a statement of the transaction, the row stayed locked until the application sent COMMIT,
-- and others waited for it (bench/applications.sh: with 16 reviewers, most waiting backends
-- waited for such a row). This deferred trigger changes the count at commit instead, after
-- taking the audit chain's lock (migrations/postgres/0008_audit_seal.sql; the same lock, so
-- the two cannot wait for each other and two commits cannot lock count rows in opposite order).
CREATE FUNCTION queue_count_change() RETURNS TRIGGER
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(72430001);
    IF TG_OP = 'INSERT' THEN
        INSERT INTO queue_counts (reviewer, n) VALUES (NEW.reviewer, 1)
            ON CONFLICT (reviewer) DO UPDATE SET n = queue_counts.n + 1;
    ELSE
        INSERT INTO queue_counts (reviewer, n) VALUES (OLD.reviewer, -1)
            ON CONFLICT (reviewer) DO UPDATE SET n = queue_counts.n - 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER queue_count_change AFTER INSERT OR DELETE ON application_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION queue_count_change();
