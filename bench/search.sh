#!/usr/bin/env bash
# Catalog search on this machine, with its peer in the same run: Shuyuan's index (tantivy + jieba) over a
# synthetic catalog of ENTRIES entries, timed with all seven facet counts; then SQLite FTS5 (trigram) over the same
# entries answering the same queries (bench/search_peer.py). Writes nothing outside ./shuyuan-bench.
# Usage: bash bench/search.sh [ENTRIES]
set -euo pipefail
cd "$(dirname "$0")/.."
entries="${1:-100000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shuyuan-target}"
trap 'rm -rf ./shuyuan-bench' EXIT
echo "== $(date -Iseconds), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo run --release -q -p shuyuan-search --example bench -- "$entries" ./shuyuan-bench/search
python3 bench/search_peer.py ./shuyuan-bench/search/docs.jsonl
