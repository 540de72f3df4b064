#!/usr/bin/env bash
# Benchmark of issue 15 (measure 5 on the paths users hit): with `chanjiao demo --scale N`
# data, the server's first alignment request after it starts (cold: the whole city computed),
# the same request warm under wrk, the first request after a school's supply import and the time
# until the figures reflect it, the same after 100,000 postings, and the server's resident
# memory — on SQLite and PostgreSQL. Needs wrk, curl, python3, sqlite3 and psql.
#
#   bench/alignment_api.sh [SCALE] [sqlite|postgres|both]    (default 200, both)
#
# The databases are kept between runs (bench/results/alignment-SCALE.db and the PostgreSQL
# database chanjiao_bench_align_SCALE) and generated only when missing: the demo at scale 200
# takes minutes. Results go to stdout and bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-200}"
WHICH="${2:-both}"
OUT=bench/results; mkdir -p "$OUT"
BIN=target/release/chanjiao
cargo build --release -p cli --bins >/dev/null 2>&1 || cargo build --release -p cli --bins
PGBASE="${PGBASE:-postgres://postgres@127.0.0.1:5432}"
PORT=18081
API="/api/v1/alignment/majors?per_page=20"
export CHANJIAO_LOG=warn

echo "# machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r); $(date -u +%FT%TZ); scale $SCALE; load $(cut -d' ' -f1-3 /proc/loadavg)"

rss_of() { ps -o rss= -p "$1" | awk '{printf "%.0f", $1/1024}'; }
ms_of() { # url token → "STATUS TIME_MS"
  curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $2" "http://127.0.0.1:$PORT$1" |
    awk '{printf "%s %.0f", $1, $2 * 1000}'
}

run_wrk() { # label url token
  local label=$1 url=$2 token=$3
  wrk -t2 -c8 -d15s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$url" > "$OUT/wrk-align-$label.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/{print $2}' "$OUT/wrk-align-$label.txt")
  p50=$(awk '$1=="50%"{print $2}' "$OUT/wrk-align-$label.txt")
  p99=$(awk '$1=="99%"{print $2}' "$OUT/wrk-align-$label.txt")
  non2xx=$(awk '/Non-2xx/{print $NF}' "$OUT/wrk-align-$label.txt")
  echo "RESULT $label warm wrk -t2 -c8: $rps req/s, p50 $p50, p99 $p99${non2xx:+, NON-2XX $non2xx} (target: p99 < 50 ms at >= 500 req/s)"
}

reflected_after() { # t1 (ns, the import's end) token → "N ms" once the figures served were
  # computed after the import (not recomputing, computed_at at or after it); NOT REFLECTED after 60 s
  local t1=$1 since=$(( $1 / 1000000000 ))
  for _ in $(seq 1 600); do
    if curl -s -H "Authorization: Bearer $2" "http://127.0.0.1:$PORT$API" |
      python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if not d["recomputing"] and d["computed_at"] >= int(sys.argv[1]) else 1)' "$since"; then
      echo "$(( ($(date +%s%N) - t1) / 1000000 )) ms"; return
    fi
    sleep 0.1
  done
  echo "NOT REFLECTED within 60 s"
}

bench_backend() { # label url
  local label=$1 url=$2
  $BIN --database-url "$url" user add --username align_bench --role operator --org operator \
    --password-stdin <<< "Bench-Passw0rd!" >/dev/null 2>&1 || true
  local token; token=$($BIN --database-url "$url" token create --username align_bench | tail -1)
  $BIN --database-url "$url" serve --bind 127.0.0.1:$PORT --jobs-interval 0 > "$OUT/serve-align-$label.log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  echo "RESULT $label server RSS at start: $(rss_of $pid) MB"
  echo "RESULT $label first request after start (cold): $(ms_of "$API" "$token") ms (status, time; target <= 2000 ms)"
  echo "RESULT $label second request: $(ms_of "$API" "$token") ms"
  run_wrk "$label" "$API" "$token"
  echo "RESULT $label server RSS warm: $(rss_of $pid) MB (target < 300 MB)"
  # One school's file: the first request after it, and until the figures reflect it (the watcher
  # recomputes from the last result, reading that school's rows again).
  local school; school=$(curl -s -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$PORT/api/v1/orgs?kind=school&per_page=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["code"])')
  local major year
  read -r major year < <(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$API" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["items"][0]["code"], d["year"])')
  printf '学校统一社会信用代码,专业代码,年份,计划招生数,实际招生数,毕业生数,就业人数,对口就业人数,平均起薪（元/月）\n%s,%s,%s,50,48,45,40,30,5200\n' \
    "$school" "$major" "$year" > "$OUT/align-one-school.csv"
  local t0 t1
  t0=$(date +%s%N)
  $BIN --database-url "$url" import supply "$OUT/align-one-school.csv" > "$OUT/align-import-$label.txt" 2>&1 ||
    { echo "import failed:"; cat "$OUT/align-import-$label.txt"; }
  t1=$(date +%s%N)
  echo "RESULT $label one school's supply import (command line): $(( (t1 - t0) / 1000000 )) ms"
  echo "RESULT $label first request after the import: $(ms_of "$API" "$token") ms (answered from the last result while the city is recomputed)"
  echo "RESULT $label the import reflected after: $(reflected_after "$t1" "$token") (target <= 1000 ms)"
  # 100,000 postings (with their occupations, as a city's quarter of postings from the
  # employment service would come): the import, then until the figures reflect them.
  local samples
  if [ "$label" = sqlite ]; then
    samples=$(sqlite3 -separator , "$(echo "${url#sqlite://}" | cut -d'?' -f1)" \
      "SELECT district, industry_code, occupation_code FROM job_postings WHERE occupation_code IS NOT NULL LIMIT 2000")
  else
    samples=$(psql "$url" -AtF, -c "SELECT district, industry_code, occupation_code FROM job_postings WHERE occupation_code IS NOT NULL LIMIT 2000")
  fi
  echo "$samples" > "$OUT/align-postings-samples.csv"
  python3 - "$OUT/align-postings.csv" "$OUT/align-postings-samples.csv" <<'PY'
import random, sys
rows = [l.strip().split(",") for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
random.seed(15)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("区县,行业代码,职业代码,岗位名称,需求人数,发布日期\n")
    for i in range(100_000):
        d, ind, occ = rows[i % len(rows)]
        f.write(f"{d},{ind},{occ},岗位{i},{random.randint(1, 20)},2025-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}\n")
PY
  t0=$(date +%s%N)
  $BIN --database-url "$url" import demand "$OUT/align-postings.csv" > "$OUT/align-import-postings-$label.txt" 2>&1 ||
    { echo "postings import failed:"; tail -5 "$OUT/align-import-postings-$label.txt"; }
  t1=$(date +%s%N)
  echo "RESULT $label 100,000 postings import (command line): $(( (t1 - t0) / 1000000 )) ms"
  echo "RESULT $label the postings reflected after: $(reflected_after "$t1" "$token") (target <= 5000 ms)"
  echo "RESULT $label server RSS at the end: $(rss_of $pid) MB"
  kill -TERM $pid; wait $pid || true
  trap - EXIT
}

if [ "$WHICH" != postgres ]; then
  DB="$OUT/alignment-$SCALE.db"
  if [ ! -f "$DB" ]; then
    echo "## demo generation, SQLite, scale $SCALE"
    /usr/bin/time -f "elapsed %e s, max RSS %M KB" $BIN --database-url "sqlite://$DB?mode=rwc" demo --scale "$SCALE" 2>&1 | grep -v '密码' | tail -2
  fi
  ls -lh "$DB" | awk '{print "SQLite database size", $5}'
  bench_backend sqlite "sqlite://$DB?mode=rwc"
fi
if [ "$WHICH" != sqlite ]; then
  PGDB=chanjiao_bench_align_$SCALE
  if ! psql "$PGBASE/$PGDB" -qAtc "SELECT 1" >/dev/null 2>&1; then
    psql "$PGBASE/test" -qc "CREATE DATABASE $PGDB"
    echo "## demo generation, PostgreSQL, scale $SCALE"
    /usr/bin/time -f "elapsed %e s" $BIN --database-url "$PGBASE/$PGDB" demo --scale "$SCALE" 2>&1 | grep -v '密码' | tail -2
    psql "$PGBASE/$PGDB" -qc "VACUUM ANALYZE"
  fi
  bench_backend postgres "$PGBASE/$PGDB"
fi
