#!/usr/bin/env python3
"""Measure 5 (majors aligned to labour demand) in DuckDB SQL, against the Rust engine.

    python3 bench/alignment_duckdb.py DIR [--runs N]

Reads the CSVs that `cargo run --release -p analytics --example bench_alignment -- --generate`
wrote into DIR, computes the same aggregates and the same classification in SQL — demand in
exact integer units of 1/L post (HUGEINT), every threshold test by integer cross-multiplication,
display values rounded half away from zero in integers — writes them to DIR/duckdb/*.csv (timed:
reading, computing and writing, as the Rust side), then compares every row and every column with
DIR/rust/*.csv and prints rust_time / duckdb_time (Rust's time from DIR/rust/timing.csv).

The thresholds are read from crates/policy/params/majors.toml (each at {year}-12-31), and the
industry mapping from crates/analytics/data/industry_clusters.csv (longest prefix wins), so this
script is an independent implementation of the same rules.
"""
import sys
import time
import tomllib
from decimal import Decimal
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ROOT / "crates/policy/params/majors.toml"
INDUSTRY_MAP = ROOT / "crates/analytics/data/industry_clusters.csv"
FILES = ["city", "district", "category", "school", "cluster", "cluster_major", "unmapped", "summary"]


def ppm(s: str) -> int:
    d = Decimal(s)
    v = d * 1_000_000
    assert v == v.to_integral_value(), s
    return int(v)


def thresholds(years):
    """(year, window, shortage, surplus, min_emp, min_match, decline, emerging, growth, min_grad,
    high_emp),
    rates in ppm, each parameter in force on {year}-12-31."""
    p = tomllib.loads(PARAMS.read_text())

    def at(key, year):
        date = f"{year}-12-31"
        for v in p[key]["values"]:
            if v["from"] <= date and ("to" not in v or date <= v["to"]):
                return v["value"]
        raise SystemExit(f"majors.{key}: no value on {date}")

    rows = []
    for y in years:
        rows.append((
            y,
            at("window_years", y),
            ppm(at("shortage_ratio", y)),
            ppm(at("surplus_ratio", y)),
            ppm(at("min_employment_rate", y)),
            ppm(at("min_matching_rate", y)),
            ppm(at("decline_rate", y)),
            ppm(at("emerging_share", y)),
            ppm(at("growth_rate", y)),
            at("min_graduates", y),
            ppm(at("high_employment_rate", y)),
        ))
    return rows


# Display: value × p rounded half away from zero (den > 0), then formatted with 2 decimals.
MACROS = """
CREATE MACRO rnd(num, den, p) AS sign(num) * ((2 * abs(num) * p + den) // (2 * den));
CREATE MACRO fmt2(v) AS (CASE WHEN v < 0 THEN '-' ELSE '' END) || (abs(v) // 100)::VARCHAR
    || '.' || lpad((abs(v) % 100)::VARCHAR, 2, '0');
CREATE MACRO fx(num, den) AS CASE WHEN den > 0 THEN fmt2(rnd(num::HUGEINT, den::HUGEINT, 100)) END;
CREATE MACRO pct(num, den) AS CASE WHEN den > 0 THEN fmt2(rnd(num::HUGEINT, den::HUGEINT, 10000)) || '%' END;
CREATE MACRO pts(num, den) AS CASE WHEN den > 0 THEN fmt2(rnd(num::HUGEINT, den::HUGEINT, 10000)) END;
"""

# The measure columns of a cell `c` with its window base `b` (city, district and category files).
MEASURES = """
c.offerings, c.planned, c.actual, c.graduates, c.employed, c.employed_matching,
CASE WHEN c.salary_weight > 0 THEN (2 * c.salary_sum + c.salary_weight) // (2 * c.salary_weight) END AS salary_avg_fen,
c.units, c.emerging_units, c.cluster_units, c.priority_units,
fx(c.units, l) AS demand,
fx(c.units, l * c.graduates) AS ratio,
pct(c.employed, c.graduates) AS employment_rate,
pct(c.employed_matching, c.employed) AS matching_rate,
pct(c.priority_units, c.units) AS priority_share,
CASE WHEN coalesce(b.units, 0) > 0 THEN pct(c.units - b.units, b.units) END AS demand_change,
CASE WHEN c.graduates > 0 AND coalesce(b.graduates, 0) > 0
     THEN pts(c.employed::HUGEINT * b.graduates - b.employed::HUGEINT * c.graduates,
              c.graduates::HUGEINT * b.graduates) END AS employment_change
"""

# Tests (bits) and class, given own figures g/e/em, city figures cu/cg/cp, base units bu.
def tests_sql(g, e, em, cu, cg, cp, bu):
    return f"""
    ({g} < t.min_grad)::INT * 1
  + (({cu}) > 0 AND ({cp}) * 1000000 >= t.emerging * ({cu}))::INT * 2
  + (coalesce({bu}, 0) > 0 AND (({cu}) - {bu}) * 1000000 >= t.growth * {bu})::INT * 4
  + (({cg}) > 0 AND ({cu}) * 1000000 >= t.shortage * l * ({cg}))::INT * 8
  + (({cg}) > 0 AND ({cu}) * 1000000 <= t.surplus * l * ({cg}))::INT * 16
  + ({g} > 0 AND ({e})::HUGEINT * 1000000 < t.min_emp * {g})::INT * 32
  + (coalesce({bu}, 0) > 0 AND ({bu} - ({cu})) * 1000000 >= t.decline * {bu})::INT * 64
  + ({e} > 0 AND ({em})::HUGEINT * 1000000 < t.min_match * {e})::INT * 128
  + ({g} > 0 AND ({e})::HUGEINT * 1000000 >= t.high_emp * {g})::INT * 256
"""


CLASS_SQL = """
CASE WHEN tests & 1 <> 0 THEN 'keep'
     WHEN tests & 6 = 6 THEN 'develop'
     WHEN tests & 8 <> 0 THEN 'accelerate'
     WHEN (tests & 16 <> 0 AND tests & 256 = 0) OR tests & (32 | 64) <> 0 THEN 'merge_eliminate'
     WHEN tests & 128 <> 0 THEN 'upgrade'
     ELSE 'keep' END
"""


def run(con, d: Path, out: Path):
    q = con.execute
    t = {}
    t0 = time.perf_counter()
    csv = lambda name, cols: (
        f"read_csv('{d / name}', header = true, auto_detect = false, columns = {cols})"
    )
    q(f"""CREATE TABLE majors AS SELECT * FROM {csv('majors.csv', "{'id': 'INTEGER', 'level': 'VARCHAR', 'code': 'VARCHAR', 'name': 'VARCHAR', 'category_code': 'VARCHAR', 'category_name': 'VARCHAR'}")}""")
    q(f"""CREATE TABLE occupations AS SELECT * FROM {csv('occupations.csv', "{'id': 'INTEGER', 'code': 'VARCHAR'}")}""")
    q(f"""CREATE TABLE cw AS SELECT DISTINCT major_id, occupation_id FROM {csv('crosswalk.csv', "{'major_id': 'INTEGER', 'occupation_id': 'INTEGER'}")}""")
    q(f"""CREATE TABLE schools AS SELECT * FROM {csv('schools.csv', "{'id': 'BIGINT', 'name': 'VARCHAR', 'district': 'VARCHAR'}")}""")
    q(f"""CREATE TABLE offerings AS SELECT * FROM {csv('offerings.csv', "{'school_id': 'BIGINT', 'major_id': 'INTEGER', 'year': 'INTEGER', 'planned': 'BIGINT', 'actual': 'BIGINT', 'graduates': 'BIGINT', 'employed': 'BIGINT', 'employed_matching': 'BIGINT', 'salary_fen': 'BIGINT'}")}""")
    q(f"""CREATE TABLE imap AS SELECT * FROM read_csv('{INDUSTRY_MAP}', header = true, auto_detect = false, comment = '#',
          columns = {{'prefix': 'VARCHAR', 'cluster': 'VARCHAR', 'strategic_emerging': 'INTEGER', 'name': 'VARCHAR'}})""")
    # Postings, summed per (district, industry, occupation, year) while reading.
    q(f"""CREATE TABLE raw AS
          SELECT district, coalesce(industry, '') AS industry, occupation, year, sum("count")::BIGINT AS posts
          FROM {csv('postings.csv', "{'district': 'VARCHAR', 'industry': 'VARCHAR', 'occupation': 'VARCHAR', 'year': 'INTEGER', 'count': 'BIGINT'}")}
          GROUP BY ALL""")
    t["read"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    years = [r[0] for r in q("SELECT DISTINCT year FROM (SELECT year FROM offerings UNION SELECT year FROM raw) ORDER BY 1").fetchall()]
    q("""CREATE TABLE thr (year INTEGER, w INTEGER, shortage HUGEINT, surplus HUGEINT, min_emp HUGEINT,
         min_match HUGEINT, decline HUGEINT, emerging HUGEINT, growth HUGEINT, min_grad BIGINT,
         high_emp HUGEINT)""")
    con.executemany("INSERT INTO thr VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", thresholds(years))
    q(MACROS)
    # Crosswalk sharing and L.
    q("CREATE TABLE occ_n AS SELECT occupation_id AS occ, count(*)::BIGINT AS n FROM cw GROUP BY 1")
    q("""CREATE TABLE lcm_t AS SELECT coalesce(list_reduce(list(DISTINCT n::HUGEINT), lambda a, b: lcm(a, b)), 1)::HUGEINT AS l
         FROM occ_n""")
    # Industry → (emerging, cluster): longest prefix of the code's digits.
    q("""CREATE TABLE ind AS
         SELECT i.industry, coalesce(m.strategic_emerging, 0) AS e, m.cluster AS cl
         FROM (SELECT DISTINCT industry FROM raw) i
         LEFT JOIN imap m ON starts_with(regexp_replace(i.industry, '^[A-Za-z]', ''), m.prefix)
         QUALIFY row_number() OVER (PARTITION BY i.industry ORDER BY length(m.prefix) DESC NULLS LAST) = 1""")
    q("""CREATE TABLE pagg AS
         SELECT r.district, o.id AS occ, r.year, ind.e, ind.cl, sum(r.posts)::BIGINT AS posts
         FROM raw r JOIN occupations o ON o.code = r.occupation JOIN ind USING (industry)
         GROUP BY ALL""")
    # Demand per (district, major, year): each post shared equally, L / n units to each major.
    q("""CREATE TABLE dd AS
         SELECT a.district, cw.major_id, a.year,
                sum(a.posts::HUGEINT * (l // n.n)) AS units,
                sum(CASE WHEN a.e = 1 THEN a.posts::HUGEINT * (l // n.n) ELSE 0 END) AS emerging_units,
                sum(CASE WHEN a.cl IS NOT NULL THEN a.posts::HUGEINT * (l // n.n) ELSE 0 END) AS cluster_units,
                sum(CASE WHEN a.e = 1 OR a.cl IS NOT NULL THEN a.posts::HUGEINT * (l // n.n) ELSE 0 END) AS priority_units
         FROM pagg a JOIN occ_n n ON n.occ = a.occ JOIN cw ON cw.occupation_id = a.occ CROSS JOIN lcm_t
         GROUP BY ALL""")
    q("""CREATE TABLE dsup AS
         SELECT s.district, f.major_id, f.year, count(*)::BIGINT AS offerings,
                sum(f.planned) AS planned, sum(f.actual) AS actual, sum(f.graduates) AS graduates,
                sum(f.employed) AS employed, sum(f.employed_matching) AS employed_matching,
                sum(CASE WHEN f.salary_fen IS NOT NULL THEN f.salary_fen::HUGEINT * f.graduates ELSE 0 END) AS salary_sum,
                sum(CASE WHEN f.salary_fen IS NOT NULL THEN f.graduates ELSE 0 END) AS salary_weight
         FROM offerings f JOIN schools s ON s.id = f.school_id
         GROUP BY ALL""")
    sums = """sum(offerings) AS offerings, sum(planned) AS planned, sum(actual) AS actual, sum(graduates) AS graduates,
              sum(employed) AS employed, sum(employed_matching) AS employed_matching, sum(salary_sum) AS salary_sum,
              sum(salary_weight) AS salary_weight, sum(units) AS units, sum(emerging_units) AS emerging_units,
              sum(cluster_units) AS cluster_units, sum(priority_units) AS priority_units"""
    q("""CREATE TABLE dcell AS
         SELECT coalesce(s.district, d.district) AS district, coalesce(s.major_id, d.major_id) AS major_id,
                coalesce(s.year, d.year) AS year,
                coalesce(s.offerings, 0) AS offerings, coalesce(s.planned, 0) AS planned, coalesce(s.actual, 0) AS actual,
                coalesce(s.graduates, 0) AS graduates, coalesce(s.employed, 0) AS employed,
                coalesce(s.employed_matching, 0) AS employed_matching, coalesce(s.salary_sum, 0) AS salary_sum,
                coalesce(s.salary_weight, 0) AS salary_weight,
                coalesce(d.units, 0) AS units, coalesce(d.emerging_units, 0) AS emerging_units,
                coalesce(d.cluster_units, 0) AS cluster_units, coalesce(d.priority_units, 0) AS priority_units
         FROM dsup s FULL OUTER JOIN dd d ON s.district = d.district AND s.major_id = d.major_id AND s.year = d.year""")
    q(f"CREATE TABLE city AS SELECT major_id, year, {sums} FROM dcell GROUP BY ALL")
    q(f"""CREATE TABLE cat AS SELECT m.category_code, c.year, {sums}
          FROM city c JOIN majors m ON m.id = c.major_id GROUP BY ALL""")
    q("""CREATE TABLE clm AS
         SELECT a.cl AS cluster, cw.major_id, a.year,
                sum(a.posts::HUGEINT * (l // n.n)) AS units,
                sum(CASE WHEN a.e = 1 THEN a.posts::HUGEINT * (l // n.n) ELSE 0 END) AS emerging_units
         FROM pagg a JOIN occ_n n ON n.occ = a.occ JOIN cw ON cw.occupation_id = a.occ CROSS JOIN lcm_t
         WHERE a.cl IS NOT NULL GROUP BY ALL""")
    t["compute"] = time.perf_counter() - t1

    # Results (the queries run as they are written out).
    t2 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    copy = lambda name, sql: q(f"COPY ({sql}) TO '{out / (name + '.csv')}' (HEADER, DELIMITER ',')")
    city_tests = tests_sql("c.graduates", "c.employed", "c.employed_matching",
                           "c.units", "c.graduates", "c.priority_units", "b.units")
    copy("city", f"""
         WITH x AS (
           SELECT c.major_id, c.year, {MEASURES}, {city_tests} AS tests
           FROM city c JOIN thr t ON t.year = c.year CROSS JOIN lcm_t
           LEFT JOIN city b ON b.major_id = c.major_id AND b.year = c.year - t.w + 1)
         SELECT * EXCLUDE (tests), {CLASS_SQL} AS class, tests FROM x ORDER BY major_id, year""")
    copy("district", f"""
         SELECT c.district, c.major_id, c.year, {MEASURES}
         FROM dcell c JOIN thr t ON t.year = c.year CROSS JOIN lcm_t
         LEFT JOIN dcell b ON b.district = c.district AND b.major_id = c.major_id AND b.year = c.year - t.w + 1
         ORDER BY c.district, c.major_id, c.year""")
    copy("category", f"""
         SELECT c.category_code, c.year, {MEASURES}
         FROM cat c JOIN thr t ON t.year = c.year CROSS JOIN lcm_t
         LEFT JOIN cat b ON b.category_code = c.category_code AND b.year = c.year - t.w + 1
         ORDER BY c.category_code, c.year""")
    school_tests = tests_sql("f.graduates", "f.employed", "f.employed_matching",
                             "c.units", "c.graduates", "c.priority_units", "cb.units")
    copy("school", f"""
         WITH x AS (
           SELECT f.school_id, f.major_id, f.year, f.graduates, f.employed, f.employed_matching,
                  pct(f.employed, f.graduates) AS employment_rate,
                  pct(f.employed_matching, f.employed) AS matching_rate,
                  CASE WHEN f.graduates > 0 AND coalesce(fb.graduates, 0) > 0
                       THEN pts(f.employed::HUGEINT * fb.graduates - fb.employed::HUGEINT * f.graduates,
                                f.graduates::HUGEINT * fb.graduates) END AS employment_change,
                  fx(c.units, l) AS demand, fx(c.units, l * c.graduates) AS ratio,
                  {school_tests} AS tests
           FROM offerings f JOIN thr t ON t.year = f.year CROSS JOIN lcm_t
           JOIN city c ON c.major_id = f.major_id AND c.year = f.year
           LEFT JOIN city cb ON cb.major_id = f.major_id AND cb.year = f.year - t.w + 1
           LEFT JOIN offerings fb ON fb.school_id = f.school_id AND fb.major_id = f.major_id AND fb.year = f.year - t.w + 1)
         SELECT * EXCLUDE (tests), {CLASS_SQL} AS class, tests FROM x ORDER BY school_id, major_id, year""")
    copy("cluster", """
         WITH m AS (SELECT cluster, year, count(*) AS majors FROM clm GROUP BY ALL)
         SELECT a.cl AS cluster, a.year, sum(a.posts) AS postings,
                sum(CASE WHEN a.e = 1 THEN a.posts ELSE 0 END) AS emerging_postings,
                sum(CASE WHEN n.n IS NULL THEN a.posts ELSE 0 END) AS unmapped_postings,
                sum(CASE WHEN n.n IS NOT NULL THEN a.posts::HUGEINT * l ELSE 0 END) AS units,
                coalesce(any_value(m.majors), 0) AS majors
         FROM pagg a LEFT JOIN occ_n n ON n.occ = a.occ CROSS JOIN lcm_t
         LEFT JOIN m ON m.cluster = a.cl AND m.year = a.year
         WHERE a.cl IS NOT NULL GROUP BY a.cl, a.year ORDER BY 1, 2""")
    copy("cluster_major", """
         SELECT cluster, major_id, year, units, emerging_units, fx(units, l) AS demand
         FROM clm CROSS JOIN lcm_t ORDER BY 1, 2, 3""")
    copy("unmapped", """
         WITH u AS (SELECT a.* FROM pagg a ANTI JOIN occ_n n ON n.occ = a.occ)
         SELECT '全市' AS district, year, sum(posts) AS postings,
                sum(CASE WHEN e = 1 THEN posts ELSE 0 END) AS emerging_postings,
                sum(CASE WHEN cl IS NOT NULL THEN posts ELSE 0 END) AS cluster_postings
         FROM u GROUP BY year
         UNION ALL
         SELECT district, year, sum(posts), sum(CASE WHEN e = 1 THEN posts ELSE 0 END),
                sum(CASE WHEN cl IS NOT NULL THEN posts ELSE 0 END)
         FROM u GROUP BY district, year ORDER BY 1, 2""")
    copy("summary", """
         SELECT 'lcm' AS key, l::VARCHAR AS value FROM lcm_t
         UNION ALL SELECT 'total_postings', sum(posts)::VARCHAR FROM pagg""")
    t["write"] = time.perf_counter() - t2
    t["total"] = time.perf_counter() - t0
    return t


def compare(con, rust: Path, duck: Path) -> bool:
    ok = True
    for name in FILES:
        a, b = rust / f"{name}.csv", duck / f"{name}.csv"
        if not a.exists():
            print(f"  {name}: missing {a}")
            ok = False
            continue
        ha = a.open(encoding="utf-8").readline().strip()
        hb = b.open(encoding="utf-8").readline().strip()
        if ha != hb:
            print(f"  {name}: headers differ\n    rust:   {ha}\n    duckdb: {hb}")
            ok = False
            continue
        src = lambda p: f"read_csv('{p}', header = true, all_varchar = true, auto_detect = true)"
        n_a = con.execute(f"SELECT count(*) FROM {src(a)}").fetchone()[0]
        n_b = con.execute(f"SELECT count(*) FROM {src(b)}").fetchone()[0]
        only_a = con.execute(f"SELECT * FROM {src(a)} EXCEPT ALL SELECT * FROM {src(b)} LIMIT 5").fetchall()
        only_b = con.execute(f"SELECT * FROM {src(b)} EXCEPT ALL SELECT * FROM {src(a)} LIMIT 5").fetchall()
        same = n_a == n_b and not only_a and not only_b
        ok &= same
        cols = len(ha.split(","))
        print(f"  {name:14} rust {n_a:>9} rows, duckdb {n_b:>9} rows, {cols:2} columns: {'identical' if same else 'DIFFERENT'}")
        for r in only_a:
            print(f"    only in rust:   {r}")
        for r in only_b:
            print(f"    only in duckdb: {r}")
    return ok


def main():
    args = sys.argv[1:]
    runs = 1
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1 or runs < 1:
        raise SystemExit(__doc__)
    d = Path(args[0]).resolve()
    best = None
    for r in range(runs):
        con = duckdb.connect()  # in memory, fresh each run
        t = run(con, d, d / "duckdb")
        con.close()
        print(f"duckdb {duckdb.__version__} run {r + 1}: total {t['total']:.3f} s (read {t['read']:.3f}, "
              f"compute {t['compute']:.3f}, write {t['write']:.3f})")
        if best is None or t["total"] < best["total"]:
            best = t
    t = best
    print(f"duckdb_total_seconds={t['total']:.3f}")
    print("comparison with the Rust results (every row, every column):")
    check = duckdb.connect()
    ok = compare(check, d / "rust", d / "duckdb")
    timing = d / "rust" / "timing.csv"
    if timing.exists():
        rows = dict(l.strip().split(",", 1) for l in timing.read_text().splitlines()[1:] if l.strip())
        rust = float(rows["total_seconds"])
        print(f"rust_total_seconds={rust:.3f} duckdb_total_seconds={t['total']:.3f} "
              f"ratio rust/duckdb = {rust / t['total']:.3f}")
    print("RESULTS IDENTICAL" if ok else "RESULTS DIFFER")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
