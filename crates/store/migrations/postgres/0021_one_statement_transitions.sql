-- A transition on PostgreSQL is one statement run on its own (store::batch::Batch::run), with no
-- BEGIN and COMMIT around it: two round trips fewer between the application and the database
-- for each transition (bench/applications.sh). The statement's implicit transaction takes back
-- everything it wrote when it fails, so the version guard must fail it: the statement's last
-- step calls this function with the number of rows its guarded UPDATE changed, and none (the
-- application was changed by someone else first) raises SQLSTATE CJ409, which the store reads
-- as a conflict. The deferred triggers (the audit seal, the queue counts) run at the implicit
-- commit as they did at COMMIT.
CREATE FUNCTION cj_expect_rows(n BIGINT) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
BEGIN
    IF n = 0 THEN
        RAISE EXCEPTION 'changed by someone else first' USING ERRCODE = 'CJ409';
    END IF;
    RETURN TRUE;
END;
$$;
