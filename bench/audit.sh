#!/usr/bin/env bash
# Audit chain throughput on this machine, with its peers in the same run: durable chained appends (one
# transaction per event, and group commit) and verification by `shuyuan audit bench`; then an independent
# Python verifier of the same chain and plain unchained SQLite inserts of the same rows (bench/audit_peer.py);
# then the same bench on PostgreSQL when SHUYUAN_BENCH_POSTGRES_URL names a server.
# Writes nothing outside ./shuyuan-bench. Usage: bash bench/audit.sh [EVENTS] [APPENDERS]
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-200000}"
appenders="${2:-256}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shuyuan-target}"
cargo build --release -p shuyuan
bin="$CARGO_TARGET_DIR/release/shuyuan"
trap 'rm -rf ./shuyuan-bench' EXIT
echo "== $(date -Iseconds), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$bin" audit bench --data-dir ./shuyuan-bench --events "$events" --appenders "$appenders"
python3 bench/audit_peer.py ./shuyuan-bench/bench.db "$events"
if [ -n "${SHUYUAN_BENCH_POSTGRES_URL:-}" ]; then
  "$bin" audit bench --postgres-server "$SHUYUAN_BENCH_POSTGRES_URL" --events "$events" --appenders "$appenders"
fi
