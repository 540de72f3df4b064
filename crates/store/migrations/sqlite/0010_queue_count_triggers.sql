-- Queue counts follow application_pending by triggers (sqlite), as on PostgreSQL
-- (../postgres/0009_queue_counts_at_commit.sql, there deferred to commit). They were changed by
-- a statement of store::applications::apply_change computed from the rows read before; the
-- triggers count exactly what is inserted and deleted, with no read first, so a transition's
-- statements can go to the database together (store::batch). A row kept by
-- ON CONFLICT DO NOTHING fires no trigger.
CREATE TRIGGER queue_count_insert AFTER INSERT ON application_pending
BEGIN
    INSERT INTO queue_counts (reviewer, n) VALUES (NEW.reviewer, 1)
        ON CONFLICT (reviewer) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER queue_count_delete AFTER DELETE ON application_pending
BEGIN
    INSERT INTO queue_counts (reviewer, n) VALUES (OLD.reviewer, -1)
        ON CONFLICT (reviewer) DO UPDATE SET n = n - 1;
END;
