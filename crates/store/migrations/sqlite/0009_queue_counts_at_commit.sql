-- Kept in step with ../postgres/0009_queue_counts_at_commit.sql, which changes PostgreSQL's
-- queue counts at commit with a deferred trigger. SQLite has a single writer
-- (store::Db::begin), so store::applications::apply_change changes them; nothing changes here.
SELECT 1;
