-- The keyed chain over the audit log (kept in step with ../postgres/0012_audit_macs.sql).
--
-- audit_log's hash chain is unkeyed: whoever can write the database can edit an entry and
-- recompute every later hash. mac(n) = HMAC-SHA256(key[key_id], mac(n-1), hash(n), seq(n)) is
-- computed by the application (store::audit::Sealer) with a key kept outside the database, so
-- rewriting the log needs the key as well. The MACs live beside the log, not in it: the log's
-- rows stay written once (no UPDATE of the table every change appends to), and a missing MAC
-- is simply "not yet keyed". Entry n is keyed only after entry n-1, in seq order.
CREATE TABLE audit_macs (
    seq INTEGER PRIMARY KEY,
    key_id TEXT NOT NULL,
    mac TEXT NOT NULL
);
