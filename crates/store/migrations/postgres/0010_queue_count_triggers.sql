-- Kept in step with ../sqlite/0010_queue_count_triggers.sql, which gives SQLite the triggers
-- that PostgreSQL has had since 0009_queue_counts_at_commit.sql; nothing changes here.
SELECT 1;
