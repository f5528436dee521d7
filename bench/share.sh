#!/usr/bin/env bash
# Record lookups by citizen ID through the sharing API on this machine, with the peers a bureau would otherwise put
# in front of the same table, in one run over loopback with wrk (CONNS connections, SECS seconds each, a Lua script
# picking random IDs of the generated population):
#   - Shuyuan: GET /api/v1/share/{code}/records/{id} with a consumer system's token — token check, grant check,
#     masking of the granted items, and one audit event per call in the node's journal before the answer: synced
#     per answer (the default), then again with `audit_sync_ms = 5` (written before the answer, synced every 5 ms);
#     server memory is its peak RSS; audit events are counted after each run against the requests wrk made;
#   - PostGraphile (npm) on PostgreSQL and Datasette (PyPI) on SQLite, the same people table keyed by ID;
#   - pgbench primary-key lookups on that PostgreSQL table (the database floor);
#   - a bare axum handler returning a fixed body (`shuyuan http-floor`, web::http_floor: the HTTP floor).
# Needs wrk (Debian), node/npm (PostGraphile is installed into ./shuyuan-bench), `pip install datasette`, and the
# local PostgreSQL. Writes nothing outside ./shuyuan-bench and a database it drops. Usage:
#   bash bench/share.sh [ROWS] [SECS] [CONNS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
secs="${2:-20}"
conns="${3:-32}"
pg="${SHUYUAN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shuyuan-target}"
work=$PWD/shuyuan-bench/share
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  psql -q "$pg" -c "DROP DATABASE IF EXISTS shuyuan_bench_share" > /dev/null 2>&1 || true
  rm -rf ./shuyuan-bench
}
trap cleanup EXIT
rm -rf "$work" && mkdir -p "$work"
echo "== $(date -Iseconds), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), wrk -t2 -c$conns -d${secs}s"
cargo build --release -q -p shuyuan
bin="$CARGO_TARGET_DIR/release/shuyuan"

"$bin" demo --data-dir "$work/data" --no-serve --people 0 --enterprises 0 > /dev/null
db="$work/data/shuyuan.db"
code=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT code FROM resources WHERE name='户籍人口基本信息' AND state='published' ORDER BY id LIMIT 1\").fetchone()[0])" "$db")
"$bin" generate people --rows "$rows" --out "$work/people.csv" > /dev/null
"$bin" ingest --data-dir "$work/data" --resource "$code" "$work/people.csv" > /dev/null
# 20,000 random IDs of the population for the lookups.
python3 - "$work/people.csv" "$work/keys.txt" <<'PY'
import csv, random, sys
with open(sys.argv[1], encoding="utf-8-sig") as f:
    ids = [r[0] for i, r in enumerate(csv.reader(f)) if i > 0]
random.seed(7)
open(sys.argv[2], "w").write("\n".join(random.sample(ids, min(20000, len(ids)))) + "\n")
PY

port=18181
start() {  # the node, with its journal synced per answer (audit_sync_ms absent) or every N ms
  "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
  server=$!
  pids+=("$server")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
}
start
base="http://127.0.0.1:$port/api/v1"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
login() { curl -sf -X POST "$base/auth/login" -H 'content-type: application/json' -d "{\"username\": \"$1\", \"password\": \"shuyuan-demo\"}" | json 'd["token"]'; }
consumer=$(login officer-mz)
expires=$(date -d '+300 days' +%F)
app=$(curl -sf -X POST "$base/share/applications" -H "authorization: Bearer $consumer" -H 'content-type: application/json' \
  -d "{\"resource_code\": \"$code\", \"scenario\": \"最低生活保障资格审核\", \"basis\": \"《社会救助暂行办法》第十一条\", \"purpose\": \"核对申请人户籍\", \"items\": [\"gmsfhm\", \"xm\", \"xb\", \"csrq\"], \"ops\": [\"view\"], \"expires_on\": \"$expires\"}")
id=$(echo "$app" | json 'd["id"]')
state=$(echo "$app" | json 'd["state"]')
answerer=$([ "$state" = "provider_review" ] && echo officer || echo admin)
curl -sf -X POST "$base/share/applications/$id/answer" -H "authorization: Bearer $(login "$answerer")" -H 'content-type: application/json' -d '{"approve": true}' > /dev/null
admin=$(login admin)
civil=$(curl -sf "$base/departments?limit=1000" -H "authorization: Bearer $admin" | json '[x["id"] for x in d["items"] if x["name"].endswith("市民政局")][0]')
# wrk looks up 20,000 distinct IDs a second: the authority declares this a bulk system, or the anomaly watch
# (SYS-31a) would suspend the token as enumerating keys. The watch still counts every call.
token=$(curl -sf -X POST "$base/tokens" -H "authorization: Bearer $admin" -H 'content-type: application/json' -d "{\"name\": \"低保批量核对系统\", \"department_id\": $civil, \"keys_per_hour\": 100000000}" | json 'd["secret"]')
one=$(head -1 "$work/keys.txt")
curl -sf "$base/share/$code/records/$one" -H "authorization: Bearer $token" > /dev/null  # loads the version into memory
audit() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT COUNT(*) FROM audit_events WHERE action='share.record'\").fetchone()[0])" "$db"; }

run() {  # name, url, extra env…
  local name=$1 url=$2; shift 2
  local out
  out=$(env KEYS_FILE="$work/keys.txt" "$@" wrk -t2 -c"$conns" -d"${secs}s" --latency -s bench/share_wrk.lua "$url" | grep '^RESULT')
  printf "%-34s %s\n" "$name" "${out#RESULT }"
}

shuyuan() {  # name
  local before after
  before=$(audit)
  run "$1" "http://127.0.0.1:$port" PATH_PREFIX="/api/v1/share/$code/records/" TOKEN="$token"
  echo "  server peak RSS $(( $(grep VmHWM /proc/$server/status | awk '{print $2}') / 1024 )) MiB"
  kill "$server"; wait "$server" 2>/dev/null || true   # SIGTERM: the node drains its journal into the chain
  after=$(audit)
  echo "  audit events share.record: $((after - before)) in the chain for the run"
}
shuyuan "shuyuan, event synced per answer"
sleep 15  # a virtual disk throttled by the first run recovers before the second
# The same node with the journal synced every 5 ms (audit_sync_ms): each event is written before its answer.
echo "audit_sync_ms = 5" > "$work/sync.toml" && cat "$work/data/shuyuan.toml" >> "$work/sync.toml" && mv "$work/sync.toml" "$work/data/shuyuan.toml"
start
curl -sf "$base/share/$code/records/$one" -H "authorization: Bearer $token" > /dev/null
shuyuan "shuyuan, audit_sync_ms = 5"

"$bin" http-floor --listen 127.0.0.1:18182 &
pids+=("$!")
sleep 0.5
run "bare axum, fixed body (HTTP floor)" "http://127.0.0.1:18182" PATH_PREFIX="/records/"

# The same table in PostgreSQL (pgbench floor, PostGraphile) and in SQLite (Datasette).
psql -q "$pg" -c "DROP DATABASE IF EXISTS shuyuan_bench_share" -c "CREATE DATABASE shuyuan_bench_share" > /dev/null
bdb="${pg%/*}/shuyuan_bench_share"
header=$(head -1 "$work/people.csv" | sed 's/^\xEF\xBB\xBF//')
cols=$(echo "$header" | tr ',' '\n' | awk 'NR==1 {print $1" TEXT PRIMARY KEY"; next} {print $1" TEXT"}' | paste -sd, -)
psql -q "$bdb" -c "CREATE TABLE people ($cols)" -c "\\copy people FROM '$work/people.csv' WITH (FORMAT csv, HEADER true)" \
  -c "ALTER TABLE people ADD COLUMN n SERIAL" -c "CREATE UNIQUE INDEX people_n ON people(n)" -c "ANALYZE people" > /dev/null
first=$(echo "$header" | cut -d, -f1)
echo "\\set r random(1, $rows)
SELECT * FROM people WHERE n = :r;" > "$work/pgbench.sql"
tps=$(pgbench -n -c "$conns" -j 2 -T "$secs" -f "$work/pgbench.sql" "$bdb" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
printf "%-34s lookups/s=%.0f\n" "pgbench primary-key (DB floor)" "$tps"

pgl="${PGL_DIR:-$work/pgl}"   # PGL_DIR: a folder where `npm install postgraphile@4` was run already
if [ ! -x "$pgl/node_modules/.bin/postgraphile" ]; then
  (mkdir -p "$pgl" && cd "$pgl" && npm install --silent --no-audit --no-fund postgraphile@4 > /dev/null 2>&1) || true
fi
if [ -x "$pgl/node_modules/.bin/postgraphile" ]; then
  "$pgl/node_modules/.bin/postgraphile" -c "$bdb" --schema public --host 127.0.0.1 --port 18183 --disable-graphiql --disable-query-log > "$work/pgl.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:18183/graphql" && break; sleep 0.3; done
  run "PostGraphile on PostgreSQL" "http://127.0.0.1:18183/graphql" PATH_PREFIX="/graphql" \
    BODY_TEMPLATE="{\"query\": \"{ personBy${first^}($first: \\\"%s\\\") { xm xb csrq } }\"}"
else
  echo "PostGraphile: npm install failed, skipped"
fi

python3 - "$work/people.csv" "$work/people.sqlite" <<'PY'
import csv, sqlite3, sys
con = sqlite3.connect(sys.argv[2])
with open(sys.argv[1], encoding="utf-8-sig") as f:
    r = csv.reader(f)
    header = next(r)
    con.execute(f"CREATE TABLE people ({header[0]} TEXT PRIMARY KEY, {', '.join(h + ' TEXT' for h in header[1:])})")
    con.executemany(f"INSERT INTO people VALUES ({', '.join('?' * len(header))})", r)
con.commit()
PY
if command -v datasette > /dev/null; then
  datasette serve "$work/people.sqlite" --host 127.0.0.1 --port 18184 --setting sql_time_limit_ms 5000 > "$work/datasette.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:18184/" && break; sleep 0.3; done
  run "Datasette on SQLite" "http://127.0.0.1:18184" PATH_PREFIX="/people/people/" PATH_SUFFIX=".json"
else
  echo "Datasette: pip install datasette, skipped"
fi
