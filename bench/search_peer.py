#!/usr/bin/env python3
"""Peer for the catalog search benchmark, on the same entries in the same run: SQLite FTS5 with its trigram
tokenizer (the usual way to search Chinese in SQLite without a dictionary), answering the same queries with the
same seven facet counts (a GROUP BY per facet over the matches) and the first 20 rows.

Usage: python3 bench/search_peer.py DOCS.jsonl
"""
import json
import sqlite3
import statistics
import sys
import time

FACETS = ["provider", "region", "industry", "share_attr", "open_attr", "format", "security_level"]

# The queries of crates/search/examples/bench.rs: (words, filters).
QUERIES = [
    ("户籍人口", {}),
    ("婚姻", {}),
    ("企业 登记", {}),
    ("公民身份号码", {}),
    ("许可", {"share_attr": "unconditional"}),
    ("医疗", {"provider": "4"}),
    ("统计", {"region": "230502"}),
    ("", {"format": "api"}),
    ("信息", {}),
    ("不动产 变更", {}),
]


def main(path):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE docs (rowid INTEGER PRIMARY KEY, code TEXT, provider TEXT, region TEXT, industry TEXT, "
               "share_attr TEXT, open_attr TEXT, format TEXT, security_level TEXT, published_at INTEGER)")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(name, summary, items, other, tokenize='trigram')")
    started = time.perf_counter()
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            n += 1
            db.execute("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?)", (n, d["code"], str(d["provider"]), d["region"], d["industry"],
                       d["share_attr"], d["open_attr"], d["format"], d["security_level"], d["published_at"]))
            db.execute("INSERT INTO fts (rowid, name, summary, items, other) VALUES (?,?,?,?,?)",
                       (n, d["name"], d["summary"], d["items"], d["other"]))
    db.commit()
    secs = time.perf_counter() - started
    print(f"peer index (SQLite FTS5 trigram): {n} entries in {secs:.1f}s, {n / secs:.0f} entries/s")

    all_times = []
    for words, filters in QUERIES:
        where, params = [], []
        terms = [w for w in words.split() if w]
        if terms:
            # Trigram needs 3+ characters a term; shorter terms fall back to LIKE, as an application must.
            long = [t for t in terms if len(t) >= 3]
            short = [t for t in terms if len(t) < 3]
            if long:
                where.append("docs.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
                params.append(" AND ".join(f'"{t}"' for t in long))
            for t in short:
                where.append("docs.rowid IN (SELECT rowid FROM fts WHERE name LIKE ? OR summary LIKE ? OR items LIKE ? OR other LIKE ?)")
                params += [f"%{t}%"] * 4
        for k, v in filters.items():
            where.append(f"docs.{k} = ?")
            params.append(v)
        clause = ("WHERE " + " AND ".join(where)) if where else ""

        def run():
            db.execute("CREATE TEMP TABLE IF NOT EXISTS hit (rowid INTEGER PRIMARY KEY)")
            db.execute("DELETE FROM hit")
            db.execute(f"INSERT INTO hit SELECT docs.rowid FROM docs {clause}", params)
            total = db.execute("SELECT COUNT(*) FROM hit").fetchone()[0]
            top = db.execute("SELECT code FROM docs JOIN hit USING (rowid) ORDER BY published_at DESC LIMIT 20").fetchall()
            facets = {f: db.execute(f"SELECT {f}, COUNT(*) FROM docs JOIN hit USING (rowid) GROUP BY {f}").fetchall() for f in FACETS}
            return total, top, facets

        total, _, _ = run()
        times = []
        for _ in range(30):
            t = time.perf_counter()
            run()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        all_times += times
        print(f"peer search {words!r:<14} filters {str(filters):<28} hits {total:>6}  median {times[15]:>7.2f} ms  max {times[-1]:>7.2f} ms")
    all_times.sort()
    print(f"peer all searches: median {statistics.median(all_times):.2f} ms, p95 {all_times[len(all_times) * 95 // 100]:.2f} ms")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1])
