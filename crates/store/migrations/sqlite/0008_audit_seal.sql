-- Kept in step with ../postgres/0008_audit_seal.sql, which seals PostgreSQL's audit entries at
-- commit with a deferred trigger. SQLite has a single writer (store::Db::begin), so
-- store::audit::record reads the head and appends from Rust; nothing changes here.
SELECT 1;
