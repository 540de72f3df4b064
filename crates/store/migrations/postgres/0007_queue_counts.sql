-- How many applications await each reviewer (postgres). Keep in step with ../sqlite/0007_queue_counts.sql.
--
-- A queue page shows its total; counting a busy department's awaited rows (tens of thousands)
-- at every page read costs a scan each time (on PostgreSQL one heap visit per row, because the
-- rows change too often for index-only scans). The count is kept here instead, changed in the
-- same transaction as application_pending (store::applications::apply_change), and rebuilt by
-- store::applications::recount_queues after bulk loads.
CREATE TABLE queue_counts (
    reviewer TEXT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO queue_counts (reviewer, n)
    SELECT reviewer, COUNT(*) FROM application_pending GROUP BY reviewer;
