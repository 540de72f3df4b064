-- Measure 5: occupations (《中华人民共和国职业分类大典（2022年版）》) and the major→occupation
-- crosswalk (职业面向) (SQLite). Keep in step with ../postgres/0004_occupations.sql.

-- Occupations and their groups: level is MAJOR_GROUP (大类, `4`), SUB_GROUP (中类, `4-04`),
-- MINOR_GROUP (小类, `4-04-05`) or OCCUPATION (职业, `4-04-05-01`).
CREATE TABLE occupations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT,
    description TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX occupations_level_idx ON occupations (level, code);

-- Which occupations a major leads to. Keyed by the major's education level and code, not by a
-- catalog row: it applies to the current catalog (codes kept by a new catalog keep their pairs).
CREATE TABLE major_occupations (
    major_level TEXT NOT NULL,
    major_code TEXT NOT NULL,
    occupation_code TEXT NOT NULL REFERENCES occupations (code),
    note TEXT,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (major_level, major_code, occupation_code)
);
CREATE INDEX major_occupations_occupation_idx ON major_occupations (occupation_code);
