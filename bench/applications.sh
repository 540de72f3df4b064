#!/usr/bin/env bash
# Benchmark of issue 4: with 100,000 applications and 20,000 tax ledgers in the database, a
# reviewer's queue page (API and HTML) and transitions by 16 concurrent reviewers, on SQLite
# and PostgreSQL. Targets: queue page p99 < 50 ms; transition p99 < 30 ms.
#
#   bench/applications.sh [SECS]      (default 15 s per measurement; needs a local PostgreSQL)
#
# Organisations come from `chanjiao demo --scale 5` (25,000 enterprises); the example
# crates/cli/examples/bench_applications.rs loads the applications and measures.
# Results go to stdout and bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-15}"
SCALE=5
OUT=bench/results; mkdir -p "$OUT"
BIN=target/release/chanjiao
EX=target/release/examples/bench_applications
cargo build --release -p cli --bins --examples >/dev/null 2>&1 || cargo build --release -p cli --bins --examples
PGBASE="${PGBASE:-postgres://postgres@127.0.0.1:5432}"
export CHANJIAO_LOG=warn

MACHINE="$(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r); $(date -u +%FT%TZ); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# machine: $MACHINE"

run() { # label url
  local label=$1 url=$2
  echo "## $label: organisations (demo --scale $SCALE)"
  /usr/bin/time -f "demo elapsed %e s" $BIN --database-url "$url" demo --scale "$SCALE" 2>&1 | grep -v '密码\|password' | tail -2
  echo "## $label: applications and measurements"
  $EX --database-url "$url" --label "$label" --secs "$SECS" 2> "$OUT/applications-$label.stderr" | tee "$OUT/applications-$label.txt"
}

# --- SQLite ---
DIR=$(mktemp -d /tmp/cj-bench-XXXXXX)
run sqlite "sqlite://$DIR/bench.db?mode=rwc"
ls -lh "$DIR/bench.db" | awk '{print "SQLite database size", $5}'

# --- PostgreSQL ---
PGDB=chanjiao_bench_apps
psql "$PGBASE/test" -qc "DROP DATABASE IF EXISTS $PGDB" -qc "CREATE DATABASE $PGDB"
run postgres "$PGBASE/$PGDB"
psql "$PGBASE/$PGDB" -Atc "SELECT 'PostgreSQL database size ' || pg_size_pretty(pg_database_size('$PGDB'))"

# --- Summary ---
{
  echo "# issue 4 benchmark — $MACHINE; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -h '^RESULT .* load ' "$OUT"/applications-{sqlite,postgres}.txt | sed 's/^RESULT //'
  printf '%-9s %-46s %8s %8s %9s %9s %9s  %s\n' backend measurement count req/s p50_ms p99_ms max_ms target
  grep -h '^RESULT' "$OUT"/applications-{sqlite,postgres}.txt | grep -v ' load ' | awk '
    { split("", kv); for (i = 4; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
      target = ""
      if ($3 ~ /^queue_(api|html)\[/) target = (kv["p99_ms"] < 50 ? "p99<50 ok" : "p99<50 MISSED")
      if ($3 ~ /^transition_approve(_batched|_paced_[0-9]+ms)?$/) target = (kv["p99_ms"] < 30 ? "p99<30 ok" : "p99<30 MISSED")
      printf "%-9s %-46s %8s %8s %9s %9s %9s  %s\n", $2, $3, kv["count"], kv["rps"], kv["p50_ms"], kv["p99_ms"], kv["max_ms"], target
      if ($3 ~ /^transition_approve(_batched|_paced_[0-9]+ms)?$/) printf "%-9s   409 version conflicts %s, refused %s, errors %s, conflict p99 %s ms\n", $2, kv["version_conflicts"], kv["refused"], kv["errors"], kv["conflict_p99_ms"] }'
  echo "Each transition also evaluates the kind's policy rule (certification; tax_credit reads the ledger) and writes the row, the awaited reviewers, the history event, inbox items and a hash-chained audit entry in one transaction."
} | tee "$OUT/applications-summary.txt"
