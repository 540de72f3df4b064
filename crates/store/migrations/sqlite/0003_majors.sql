-- Measure 5: the national vocational major catalog, versioned (SQLite).
-- Keep in step with ../postgres/0003_majors.sql.

CREATE TABLE major_catalogs (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    items INTEGER NOT NULL,
    imported_at INTEGER NOT NULL,
    imported_by TEXT NOT NULL
);

-- Categories (大类), classes (专业类) and majors of one catalog, per education level.
CREATE TABLE majors (
    id INTEGER PRIMARY KEY,
    catalog_id INTEGER NOT NULL REFERENCES major_catalogs (id),
    level TEXT NOT NULL,
    item_level TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_code TEXT,
    category_code TEXT NOT NULL,
    category_name TEXT NOT NULL,
    class_code TEXT,
    class_name TEXT,
    UNIQUE (catalog_id, level, code)
);
CREATE INDEX majors_browse_idx ON majors (catalog_id, item_level, level, category_code, code);

-- Old code → new code when a later catalog replaces an earlier one.
CREATE TABLE major_code_map (
    from_catalog_id INTEGER NOT NULL REFERENCES major_catalogs (id),
    from_code TEXT NOT NULL,
    to_catalog_id INTEGER NOT NULL REFERENCES major_catalogs (id),
    to_code TEXT NOT NULL,
    PRIMARY KEY (from_catalog_id, from_code, to_catalog_id, to_code)
);
