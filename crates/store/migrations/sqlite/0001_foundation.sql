-- Foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- same tables, columns and meanings; only types and identity syntax differ.
-- Times are UTC unix seconds (INTEGER); booleans are 0/1 integers; JSON is TEXT.

CREATE TABLE orgs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    district TEXT,
    school_level TEXT,
    industry TEXT,
    size TEXT,
    ownership TEXT,
    unit_code TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX orgs_kind_idx ON orgs (kind, id);
CREATE INDEX orgs_district_idx ON orgs (district, kind, id);

-- Character-bigram index over organisation names, for Chinese substring search. The district
-- is copied in ('' when none) so a district filter is answered from the same index.
-- A plain table with one covering index: bulk loads append, then build the index by sorting.
CREATE TABLE org_grams (
    gram TEXT NOT NULL,
    district TEXT NOT NULL,
    org_id INTEGER NOT NULL  -- maintained by store::orgs with its organisation, no FK check per row
);
CREATE INDEX org_grams_idx ON org_grams (gram, district, org_id);
CREATE INDEX org_grams_city_idx ON org_grams (gram, org_id);

-- How many organisations hold each bigram, per district and city-wide (district '*'), kept
-- in the same transaction as org_grams, so a two-character search is counted in O(1).
CREATE TABLE org_gram_counts (
    gram TEXT NOT NULL,
    district TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (gram, district)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs (id),
    role TEXT NOT NULL,
    password_hash TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    last_login_at INTEGER
);
CREATE INDEX users_org_idx ON users (org_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor TEXT NOT NULL,
    actor_org_id INTEGER,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_actor_idx ON audit_log (actor_user_id);
CREATE INDEX audit_action_idx ON audit_log (action);
