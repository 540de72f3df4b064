-- Measure 5, supply (专业供给): per school, major and year, enrolment, graduates and employment
-- (PostgreSQL). Keep in step with ../sqlite/0005_supply.sql.

-- One row per school, major code (of the current catalog when reported) and year. Counts are
-- people; the average starting salary is in fen per month, NULL when not reported.
CREATE TABLE major_supply (
    school_org_id BIGINT NOT NULL REFERENCES orgs (id),
    major_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    planned_enrolment BIGINT NOT NULL,
    actual_enrolment BIGINT NOT NULL,
    graduates BIGINT NOT NULL,
    employed BIGINT NOT NULL,
    employed_matching BIGINT NOT NULL,
    avg_salary_fen BIGINT,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (school_org_id, major_code, year)
);
CREATE INDEX major_supply_year_idx ON major_supply (year, major_code);
