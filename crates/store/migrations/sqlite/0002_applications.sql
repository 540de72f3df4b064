-- Applications and reviews (SQLite). Keep in step with ../postgres/0002_applications.sql.
-- The workflow state lives in state_json (domain::workflow::State); the columns beside it are
-- copies for queries (status, stage, due date) and are written in the same statement.

CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    applicant_org_id INTEGER NOT NULL REFERENCES orgs (id),
    district TEXT,
    title TEXT NOT NULL,
    year INTEGER,
    status TEXT NOT NULL,
    stage INTEGER NOT NULL DEFAULT 0,
    stage_code TEXT,
    due_date TEXT,
    state_json TEXT NOT NULL,
    data_json TEXT NOT NULL,
    decision_json TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    submitted_at INTEGER,
    decided_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX applications_applicant_idx ON applications (applicant_org_id, kind, id);
CREATE INDEX applications_kind_status_idx ON applications (kind, status, decided_at);
CREATE INDEX applications_year_idx ON applications (kind, year, district);

-- Who is awaited on each application now: 'unit:fgw', 'district:500103', 'role:operator'.
-- Rewritten at every transition; a reviewer's queue is an index range ordered by due date.
CREATE TABLE application_pending (
    reviewer TEXT NOT NULL,
    due_date TEXT NOT NULL,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    PRIMARY KEY (reviewer, due_date, application_id)
) WITHOUT ROWID;
CREATE INDEX application_pending_app_idx ON application_pending (application_id);

CREATE TABLE application_events (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    at INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor_org_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    stage_code TEXT,
    summary TEXT NOT NULL,
    comment TEXT
);
CREATE INDEX application_events_app_idx ON application_events (application_id, id);

-- Attachment bytes live outside the application rows, once per checksum.
CREATE TABLE attachment_blobs (
    sha256 TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES attachment_blobs (sha256),
    uploaded_by INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_app_idx ON attachments (application_id);

-- What waits for whom: an organisation (applicants) or a reviewer key (as above).
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    org_id INTEGER,
    reviewer TEXT,
    application_id INTEGER,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX inbox_org_idx ON inbox (org_id, id);
CREATE INDEX inbox_reviewer_idx ON inbox (reviewer, id);
