-- Measure 5, demand (岗位需求): job postings and enterprise demand records, with the occupation
-- each is counted under (SQLite). Keep in step with ../postgres/0006_demand.sql.

-- One row per posting or demand record. `occupation_code` is the code given in the file, or the
-- one the title matcher chose (`auto`) or a person confirmed (`confirmed`); it is NULL while the
-- row waits in the confirmation queue (`pending`) or after a person found no occupation for it
-- (`unmatched`, still counted as unmapped demand). Salaries are fen per month, NULL if absent.
CREATE TABLE job_postings (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    org_id INTEGER REFERENCES orgs (id),
    district TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    title TEXT NOT NULL,
    occupation_code TEXT REFERENCES occupations (code),
    match_status TEXT NOT NULL,
    match_confidence INTEGER,
    suggested_code TEXT,
    count INTEGER NOT NULL,
    posted_on TEXT NOT NULL,
    year INTEGER NOT NULL,
    salary_min_fen INTEGER,
    salary_max_fen INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX job_postings_year_idx ON job_postings (year, district);
CREATE INDEX job_postings_status_idx ON job_postings (match_status, title);

-- Titles a person has confirmed: later files with the same normalised title use the answer.
-- `occupation_code` NULL means “no occupation fits”.
CREATE TABLE title_matches (
    title TEXT PRIMARY KEY,
    occupation_code TEXT REFERENCES occupations (code),
    confirmed_at INTEGER NOT NULL,
    confirmed_by TEXT NOT NULL
);
