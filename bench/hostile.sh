#!/usr/bin/env bash
# Hostile imports against the real server (issue 12, part 1): every hostile file within the
# upload limit refused within 1 s, server RSS growing < 100 MB, other pages still answering.
#
#   bench/hostile.sh
#
# Builds the release binary and runs bench/hostile.py (Python 3 with `requests`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p cli --bins >/dev/null 2>&1 || cargo build --release -p cli --bins
python3 -c 'import requests' 2>/dev/null || pip install -q requests
echo "# $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(date -u +%FT%TZ); load before: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD)"
exec python3 bench/hostile.py
