#!/usr/bin/env bash
# Benchmark of issue 2: demo generation at --scale N into a new SQLite file, and the
# organisation list (district filter + 2-character Chinese name search, page of 20) under wrk,
# on SQLite and PostgreSQL; pgbench of the same SQL for comparison.
#
#   bench/orgs_list.sh [SCALE]        (default 200; needs wrk, pgbench, a local PostgreSQL)
#
# Results go to stdout and bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-200}"
OUT=bench/results; mkdir -p "$OUT"
BIN=target/release/chanjiao
cargo build --release -p cli >/dev/null
PGBASE="${PGBASE:-postgres://postgres@127.0.0.1:5432}"
PORT=18080
QUERY_D="/api/v1/orgs?district=500112&q=%E6%B1%BD%E8%BD%A6&per_page=20"   # 渝北区, 汽车
QUERY_ALL="/api/v1/orgs?q=%E6%B1%BD%E8%BD%A6&per_page=20"                # 汽车, whole city
export CHANJIAO_LOG=warn

echo "# machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(date -u +%FT%TZ); scale $SCALE"

rss_of() { ps -o rss= -p "$1" | awk '{printf "%.0f", $1/1024}'; }

run_wrk() { # label url token
  local label=$1 url=$2 token=$3
  wrk -t2 -c8 -d20s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$url" > "$OUT/wrk-$label.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/{print $2}' "$OUT/wrk-$label.txt")
  p99=$(awk '$1=="99%"{print $2}' "$OUT/wrk-$label.txt")
  echo "$label: $rps req/s, p99 $p99"
}

bench_backend() { # label url
  local label=$1 url=$2
  $BIN --database-url "$url" user add --username bench --role operator --org operator --password-stdin <<< "Bench-Passw0rd!" >/dev/null
  local token; token=$($BIN --database-url "$url" token create --username bench | tail -1)
  echo "$token" > "$OUT/token"
  $BIN --database-url "$url" serve --bind 127.0.0.1:$PORT > "$OUT/serve-$label.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$QUERY_D" | head -c 200; echo
  run_wrk "$label-district" "$QUERY_D" "$token"
  echo "$label server RSS after district run: $(rss_of $pid) MB"
  run_wrk "$label-city" "$QUERY_ALL" "$token"
  echo "$label server RSS after city run: $(rss_of $pid) MB"
  kill -TERM $pid; wait $pid || true
}

# --- SQLite ---
DB=$(mktemp -d)/bench.db
echo "## demo generation, SQLite, scale $SCALE"
/usr/bin/time -f "elapsed %e s, max RSS %M KB" $BIN --database-url "sqlite://$DB?mode=rwc" demo --scale "$SCALE" 2>&1 | grep -v '密码' | tail -3
ls -lh "$DB" | awk '{print "database size", $5}'
bench_backend sqlite "sqlite://$DB?mode=rwc"

# --- PostgreSQL ---
PGDB=chanjiao_bench
psql "$PGBASE/test" -qc "DROP DATABASE IF EXISTS $PGDB" -qc "CREATE DATABASE $PGDB"
echo "## demo generation, PostgreSQL, scale $SCALE"
/usr/bin/time -f "elapsed %e s" $BIN --database-url "$PGBASE/$PGDB" demo --scale "$SCALE" 2>&1 | grep -v '密码' | tail -2
psql "$PGBASE/$PGDB" -qc "VACUUM ANALYZE"
bench_backend postgres "$PGBASE/$PGDB"

# pgbench: the statements the endpoint runs for this request — the bearer token's principal,
# the count kept per bigram and district, and the page read from the index first.
TOKEN_HASH=$(printf '%s' "$(cat "$OUT/token")" | sha256sum | cut -d' ' -f1)
cat > "$OUT/orgs_list.pgbench" <<SQL
SELECT u.id, u.username, u.display_name, u.role, u.org_id, o.kind, o.code, o.name, o.district, o.unit_code, t.id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = u.org_id WHERE t.token_hash = '$TOKEN_HASH' AND t.revoked_at IS NULL AND u.active = 1;
SELECT n FROM org_gram_counts WHERE gram = '汽车' AND district = '500112';
SELECT orgs.* FROM (SELECT org_id FROM org_grams WHERE gram = '汽车' AND district = '500112' ORDER BY org_id LIMIT 20 OFFSET 0) g JOIN orgs ON orgs.id = g.org_id ORDER BY g.org_id;
SQL
pgbench -n -c 8 -j 2 -T 20 -f "$OUT/orgs_list.pgbench" "$PGBASE/$PGDB" > "$OUT/pgbench.txt" 2>&1
echo "pgbench (same SQL, 8 clients): $(awk '/tps = /{print $3; exit}' "$OUT/pgbench.txt") tps"
