#!/usr/bin/env bash
# Crash consistency: kill -9 in the middle of a 1,000,000-row import and during 16 reviewers'
# transitions, on SQLite and PostgreSQL; restart and check (see bench/crash.py).
#
#   bench/crash.sh [RUNS]      (default 3 kills of each kind per backend; needs a local PostgreSQL
#                               and ../shared/data for the demo's occupations)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p cli --bins >/dev/null 2>&1 || cargo build --release -p cli --bins
python3 -c 'import requests' 2>/dev/null || pip install -q requests
echo "# $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD)"
exec python3 bench/crash.py "$@"
