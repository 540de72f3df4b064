-- What each move of a data version changed (store::versions::bump_scoped), so a cache can
-- redo only that: 'supply:<school org id>' for a school's supply rows, 'reference' for data
-- read whole on every computation (postings' counts, occupations, the crosswalk), '*' for
-- anything else (the catalog). Rows of old versions are pruned as versions move on; a cache
-- older than the oldest kept row computes everything again.
CREATE TABLE data_changes (
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    scope TEXT NOT NULL,
    PRIMARY KEY (name, version, scope)
);

-- Postings summed by district, industry, occupation ('' for none: waiting or unmatched), match
-- status and year — people asked for (n) and rows (postings) — kept by store::demand in the transaction of
-- every write of job_postings: the alignment and the demand pages read these ~10,000 rows
-- instead of grouping 500,000 postings (1.1 s at demo --scale 200 on SQLite) each time.
CREATE TABLE demand_counts (
    district TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    occupation_code TEXT NOT NULL,
    match_status TEXT NOT NULL,
    year BIGINT NOT NULL,
    n BIGINT NOT NULL,
    postings BIGINT NOT NULL,
    PRIMARY KEY (district, industry_code, occupation_code, match_status, year)
);
INSERT INTO demand_counts (district, industry_code, occupation_code, match_status, year, n, postings)
    SELECT district, industry_code, COALESCE(occupation_code, ''), match_status, year, SUM(count),
        COUNT(*)
    FROM job_postings
    GROUP BY district, industry_code, COALESCE(occupation_code, ''), match_status, year;
