-- Versions of the data that computed results depend on (store::versions). A write of such
-- data (a supply or demand import, a confirmed title, the occupations, the crosswalk, the
-- catalog) moves its set's version on in the same transaction; a cache of results computed
-- from the set (measure 5's alignment) reads this one row to know whether it is still
-- current, instead of counting the set's rows on every request (COUNT(*) over 1.15 million
-- supply rows at demo --scale 200 took most of a request's time).
CREATE TABLE data_versions (
    name TEXT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);
