#!/usr/bin/env bash
# SQL over a delivered dataset version on this machine, with a peer on the same Parquet file in the same run: the
# demo population (ROWS rows, generated and delivered with `shuyuan ingest`) queried through `shuyuan query`
# (DataFusion inside the platform: access check, table registration, read-only planning, audit event) and through
# DuckDB reading the very same version file. Three queries that the platform itself runs: an aggregate over the
# whole version, a point lookup by citizen ID (the base database's lookup), and a per-district count (backflow).
# Each is run RUNS times; the median of the query's own time is reported (process start is not counted for either).
# Writes nothing outside ./shuyuan-bench. Usage: bash bench/query.sh [ROWS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
runs="${2:-5}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shuyuan-target}"
work=./shuyuan-bench/query
trap 'rm -rf ./shuyuan-bench' EXIT
rm -rf "$work" && mkdir -p "$work"
echo "== $(date -Iseconds), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo build --release -q -p shuyuan
bin="$CARGO_TARGET_DIR/release/shuyuan"
"$bin" demo --data-dir "$work/data" --no-serve --people 0 --enterprises 0 > /dev/null
db="$work/data/shuyuan.db"
code=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT code FROM resources WHERE name='户籍人口基本信息' AND state='published' ORDER BY id LIMIT 1\").fetchone()[0])" "$db")
"$bin" generate people --rows "$rows" --out "$work/people.csv" > /dev/null
"$bin" ingest --data-dir "$work/data" --resource "$code" "$work/people.csv" > /dev/null
file=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT v.path FROM dataset_versions v JOIN resources r ON r.id = v.resource_id WHERE r.code = ? ORDER BY v.version DESC LIMIT 1', (sys.argv[2],)).fetchone()[0])" "$db" "$code")
parquet="$work/data/lake/$file"
one=$(sed -n '500000p;500000q' "$work/people.csv" | cut -d, -f1)
[ -n "$one" ] || one=$(sed -n '2p' "$work/people.csv" | cut -d, -f1)
table="r$(echo "$code" | tr '-' '_')"
echo "version: $rows rows, $(( $(stat -c %s "$parquet") / 1048576 )) MiB Parquet; resource $code"

queries=(
  "aggregate|SELECT xb, COUNT(*) AS n, MIN(csrq) AS oldest FROM {T} GROUP BY xb ORDER BY xb"
  "point lookup|SELECT * FROM {T} WHERE gmsfhm = '$one'"
  "per district|SELECT substr(gmsfhm, 1, 6) AS district, COUNT(*) AS n FROM {T} GROUP BY 1 ORDER BY 1"
)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for q in "${queries[@]}"; do
  name=${q%%|*}; sql=${q#*|}
  ours=$(for _ in $(seq "$runs"); do "$bin" query --data-dir "$work/data" --timing "${sql//\{T\}/$table}" 2>&1 >/dev/null | sed -n 's/^query: \([0-9.]*\) ms$/\1/p'; done | median)
  if python3 -c "import duckdb" 2> /dev/null; then
    duck=$(python3 - "$parquet" "$sql" "$runs" <<'PY'
import duckdb, sys, time
path, sql, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    con = duckdb.connect()
    start = time.perf_counter()
    con.sql(sql.replace("{T}", f"read_parquet('{path}')")).fetchall()
    times.append((time.perf_counter() - start) * 1000)
    con.close()
print(sorted(times)[len(times) // 2])
PY
)
  else
    duck="(pip install duckdb)"
  fi
  printf "%-14s shuyuan query (DataFusion) %8.1f ms   duckdb %8.1f ms\n" "$name" "$ours" "$duck"
done
