#!/usr/bin/env bash
# Measure 5 (majors aligned to labour demand): the Rust engine (crates/analytics, module majors)
# against the same aggregates and classification in DuckDB SQL, on the same generated CSVs; the
# results are compared row by row, column by column.
#   bench/alignment.sh [city|national] [RUNS]   (needs python3 with duckdb; best of RUNS, default 3)
#   city:     25,000 offering rows (5,000 × 5 years),   500,000 posting rows (~15 MB)
#   national: 500,000 offering rows (100,000 × 5 years), 10,000,000 posting rows (~330 MB)
# Data and results go to bench/results/alignment-<scale>/ (gitignored); the summary to
# bench/results/alignment-<scale>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-city}
RUNS=${2:-3}
case "$SCALE" in city|national) ;; *) echo "usage: $0 [city|national] [RUNS]" >&2; exit 2 ;; esac
DIR=$PWD/bench/results/alignment-$SCALE
SUMMARY=$PWD/bench/results/alignment-$SCALE.txt
mkdir -p "$DIR"
cargo build -q --release -p analytics --example bench_alignment
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/examples/bench_alignment
TIME=()
if [ -x /usr/bin/time ]; then TIME=(/usr/bin/time -f "%C: max RSS %M KB"); fi

"$BIN" --scale "$SCALE" --dir "$DIR" --generate --runs 0
{
  echo "# alignment benchmark, scale $SCALE, $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(date -u +%FT%TZ)"
  echo "# data: $(du -sh "$DIR"/postings.csv | cut -f1) postings.csv, $(($(wc -l < "$DIR"/postings.csv) - 1)) posting rows, $(($(wc -l < "$DIR"/offerings.csv) - 1)) offering rows"
  "${TIME[@]}" "$BIN" --scale "$SCALE" --dir "$DIR" --runs "$RUNS" 2>&1
  "${TIME[@]}" python3 bench/alignment_duckdb.py "$DIR" --runs "$RUNS" 2>&1
} | tee "$SUMMARY"
echo "summary written to $SUMMARY"
