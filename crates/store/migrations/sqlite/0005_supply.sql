-- Measure 5, supply (专业供给): per school, major and year, enrolment, graduates and employment
-- (SQLite). Keep in step with ../postgres/0005_supply.sql.

-- One row per school, major code (of the current catalog when reported) and year. Counts are
-- people; the average starting salary is in fen per month, NULL when not reported.
CREATE TABLE major_supply (
    school_org_id INTEGER NOT NULL REFERENCES orgs (id),
    major_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    planned_enrolment INTEGER NOT NULL,
    actual_enrolment INTEGER NOT NULL,
    graduates INTEGER NOT NULL,
    employed INTEGER NOT NULL,
    employed_matching INTEGER NOT NULL,
    avg_salary_fen INTEGER,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (school_org_id, major_code, year)
);
CREATE INDEX major_supply_year_idx ON major_supply (year, major_code);
