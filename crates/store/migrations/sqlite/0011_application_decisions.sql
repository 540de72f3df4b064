-- An application's explanation (the policy rule's decision with its figures, thresholds and
-- sources, ~15 KB for a certification) kept beside the row instead of in it. Keep in step with
-- the other backend's 0011_application_decisions.sql.
--
-- In the row, the explanation made every application that had one a record of several pages:
-- SQLite stores what does not fit a page in a chain of overflow pages, and the columns after
-- it (version, submitted_at, decided_at, updated_at) are read through that chain, so each row
-- of a reviewer's queue page read about four pages more; and every change of the row (each
-- transition) wrote the whole chain again. The explanation changes only when the rule's
-- outcome changes, and is read only with the one application shown.
CREATE TABLE application_decisions (
    application_id INTEGER PRIMARY KEY REFERENCES applications (id),
    decision_json TEXT NOT NULL
);
INSERT INTO application_decisions (application_id, decision_json)
    SELECT id, decision_json FROM applications WHERE decision_json IS NOT NULL;
ALTER TABLE applications DROP COLUMN decision_json;
