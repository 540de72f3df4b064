-- Kept in step with ../postgres/0021_one_statement_transitions.sql, which lets a PostgreSQL
-- transition fail as a whole when its version guard finds the application changed. SQLite runs
-- a transition's statements on its writer thread inside one transaction, the version guard
-- first (store::direct::WriterTx); nothing changes here.
SELECT 1;
