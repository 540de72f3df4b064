-- The list of applications (issue 13 §2). Keep in step with ../postgres/0016_application_list.sql.
--
-- Every column the list filters on, its viewer's scope (district, kind, status, applicant) and
-- the counts by status read: counting and filtering read this index, not the rows and their
-- form data (at 100,000 applications on SQLite the operator's counts by status took 300 ms from
-- the table, 35 ms from the index; a district's 18 ms, 1.5 ms).
CREATE INDEX applications_list_idx ON applications
    (district, kind, status, applicant_org_id, stage_code, due_date, year, created_at);
