#!/usr/bin/env bash
# Audit chain throughput on this machine: durable chained appends (one transaction per event, and group commit)
# and verification. Writes nothing outside ./shuyuan-bench. Usage: bash bench/audit.sh [EVENTS] [APPENDERS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p shuyuan
./target/release/shuyuan audit bench --data-dir ./shuyuan-bench --events "${1:-200000}" --appenders "${2:-256}"
if [ -n "${SHUYUAN_BENCH_POSTGRES_URL:-}" ]; then
  ./target/release/shuyuan audit bench --database-url "$SHUYUAN_BENCH_POSTGRES_URL" --events "${1:-200000}" --appenders "${2:-256}"
fi
rm -rf ./shuyuan-bench
