-- Organisations an application names as its reviewers (SQLite). Keep in step with
-- ../postgres/0020_application_parties.sql.
--
-- A kind may have a stage reviewed by the organisation chosen in one of its fields (a bank the
-- applicant chose: `reviewers = "field:bank"`). Those organisations see the application in
-- their lists (store::applications::Viewer) — not only while they are awaited. One row per
-- such field with a value, rewritten whenever the application's data is.
CREATE TABLE application_parties (
    application_id INTEGER NOT NULL REFERENCES applications (id),
    field TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs (id),
    PRIMARY KEY (application_id, field)
) WITHOUT ROWID;
CREATE INDEX application_parties_org_idx ON application_parties (org_id, application_id);
