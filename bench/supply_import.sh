#!/usr/bin/env bash
# Issue 5: import 1,000,000 supply rows from CSV into SQLite with full validation, against
# sqlite3's own `.import` of the same file into a table with the same primary key.
#   bench/supply_import.sh        (needs python3 and sqlite3; ~1 minute)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p cli >/dev/null
BIN=$PWD/target/release/chanjiao
W=$(mktemp -d)
U="sqlite://$W/supply.db?mode=rwc"
export CHANJIAO_LOG=error
# The demo registers the schools and imports the 2021 catalog (few postings: not measured here).
CHANJIAO_DEMO_CATALOG=../shared/data/major-catalog-2021.csv $BIN --database-url "$U" demo --postings 1000 >/dev/null
python3 - "$W" <<'PY'
import csv, random, sqlite3, sys
w = sys.argv[1]
db = sqlite3.connect(f"{w}/supply.db")
schools = [r[0] for r in db.execute("select code from orgs where kind='school' order by id")]
majors = [r[0] for r in db.execute("select code from majors where item_level='MAJOR' order by code")]
random.seed(7)
n = 0
with open(f"{w}/supply.csv", "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["学校统一社会信用代码", "专业代码", "年份", "计划招生数", "实际招生数", "毕业生数", "就业人数", "对口就业人数", "平均起薪（元/月）"])
    for y in range(2019, 2026):
        for s in schools:
            for m in majors:
                if n >= 1_000_000:
                    break
                plan = random.randint(20, 200); act = random.randint(10, plan); grad = random.randint(0, act)
                emp = random.randint(0, grad); match = random.randint(0, emp)
                out.writerow([s, m, y, plan, act, grad, emp, match, f"{random.randint(3000, 8000)}.00"])
                n += 1
print(f"{n} rows written")
PY
echo "# $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(date -u +%FT%TZ)"
/usr/bin/time -f "chanjiao import supply: elapsed %e s, max RSS %M KB" $BIN --database-url "$U" import supply "$W/supply.csv"
/usr/bin/time -f "sqlite3 .import: elapsed %e s" sqlite3 "$W/plain.db" \
  "CREATE TABLE s(school TEXT, major TEXT, year INTEGER, planned INTEGER, actual INTEGER, grads INTEGER, emp INTEGER, matching INTEGER, salary TEXT, PRIMARY KEY (school, major, year));" \
  ".mode csv" ".import --skip 1 $W/supply.csv s" "select count(*) || ' rows' from s;"
rm -rf "$W"
