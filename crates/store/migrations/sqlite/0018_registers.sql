-- Registers (名录) and the kind versions applications were filed under (SQLite).
-- Keep in step with ../postgres/0018_registers.sql.
--
-- A register is declared in a TOML file (crates/domain/registers/, domain::workflow::register);
-- its entries live here, keyed by (register, entry_key): 'org:<id>' for registers with one
-- entry per owner organisation, 'app:<id>' for one per application. Dates are 'YYYY-MM-DD'
-- (Beijing days). status: 'active', 'expired' (its validity ran out; the background jobs mark
-- it) or 'ended' (revoked or withdrawn). Whether an entry is in force on a day is read from
-- its dates, never from status alone.
CREATE TABLE register_entries (
    id INTEGER PRIMARY KEY,
    register TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    owner_org_id INTEGER NOT NULL REFERENCES orgs (id),
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    data_json TEXT NOT NULL DEFAULT '{}',
    application_id INTEGER REFERENCES applications (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (register, entry_key)
);
CREATE INDEX register_entries_owner_idx ON register_entries (owner_org_id, register);
CREATE INDEX register_entries_list_idx ON register_entries (register, valid_from, id);
CREATE INDEX register_entries_until_idx ON register_entries (status, valid_until);

-- Organisations taking part in an entry, in a role the register declares.
CREATE TABLE register_members (
    register TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs (id),
    role TEXT NOT NULL,
    PRIMARY KEY (register, entry_key, org_id, role)
) WITHOUT ROWID;
CREATE INDEX register_members_org_idx ON register_members (org_id);

-- An entry's history: what each decision, job or editor did, with the validity it gave
-- (valid_from/valid_until of the period an 'add' or 'extend' granted; for 'end', valid_until
-- is the last day it held). Certified periods are read from here.
CREATE TABLE register_events (
    id INTEGER PRIMARY KEY,
    register TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    at INTEGER NOT NULL,
    action TEXT NOT NULL,
    application_id INTEGER REFERENCES applications (id),
    actor TEXT NOT NULL,
    valid_from TEXT,
    valid_until TEXT,
    summary TEXT NOT NULL
);
CREATE INDEX register_events_entry_idx ON register_events (register, entry_key, id);
CREATE INDEX register_events_app_idx ON register_events (application_id);

-- The kind file each version of a kind was loaded from, kept so an application is processed
-- under the version it was filed under (web::applications).
CREATE TABLE kind_definitions (
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    toml TEXT NOT NULL,
    loaded_at INTEGER NOT NULL,
    PRIMARY KEY (kind, version)
) WITHOUT ROWID;
ALTER TABLE applications ADD COLUMN kind_version INTEGER NOT NULL DEFAULT 1;

-- Certification expiry notices were keyed by organisation ('expiring:34:2026-05-31'); they
-- are now keyed by register entry, so a notice sent before is not sent again.
UPDATE job_notices SET notice_key = kind || ':certified_enterprises:org:' || substr(notice_key, length(kind) + 2)
WHERE kind IN ('expiring', 'expired');
