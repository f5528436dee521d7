#!/usr/bin/env python3
"""Peers for the audit benchmark, run on the same machine in the same run as `shuyuan audit bench`.

1. An independent verifier: Python's sqlite3 and OpenSSL's SM3 (through hashlib) walk the chain that
   `shuyuan audit bench` left in DB, recomputing every hash from the documented encoding. It is both a peer for
   speed and a check that the chain can be verified without Shuyuan's code (an auditor's own script).
2. Plain durable inserts: the same rows, unchained, into a fresh SQLite file (WAL, synchronous=FULL) with one
   transaction per event and with one transaction per 256 events, which is what group commit amounts to.

Usage: python3 bench/audit_peer.py DB [EVENTS]
"""
import hashlib
import os
import sqlite3
import struct
import sys
import tempfile
import time

COLS = ("seq, occurred_at, actor_user_id, actor_name, actor_department_id, actor_role, action, object_kind, "
        "object_id, purpose, result, client_addr, detail, prev_hash, hash")


def chain_hash(prev: bytes, row) -> bytes:
    """SM3(prev ‖ seq ‖ occurred_at ‖ opt(user) ‖ str(name) ‖ opt(department) ‖ str(role, action, …, detail)):
    integers are 8-byte big-endian, an optional integer is a 0 byte or a 1 byte and the integer, a text is its
    UTF-8 length as 4 bytes big-endian and its bytes."""
    (seq, at, user, name, dept, *texts) = row
    h = hashlib.new("sm3")
    h.update(prev)
    h.update(struct.pack(">qq", seq, at))

    def opt(v):
        h.update(b"\x00" if v is None else b"\x01" + struct.pack(">q", v))

    def text(s):
        b = s.encode()
        h.update(struct.pack(">I", len(b)))
        h.update(b)

    opt(user)
    text(name)
    opt(dept)
    for s in texts:
        text(s)
    return h.digest()


def verify(db: str) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.execute("BEGIN")
    head_seq, head_hash, anchor_seq, anchor_hash = conn.execute(
        "SELECT seq, hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1").fetchone()
    started = time.perf_counter()
    prev, expected, n = anchor_hash, anchor_seq + 1, 0
    for row in conn.execute(f"SELECT {COLS} FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq",
                            (anchor_seq, head_seq)):
        seq, prev_hash, stored = row[0], row[13], row[14]
        if seq != expected or prev_hash != prev or chain_hash(bytes.fromhex(prev_hash), row[:13]).hex() != stored:
            sys.exit(f"peer verifier: chain broken at event {seq}")
        prev, expected, n = stored, expected + 1, n + 1
    secs = time.perf_counter() - started
    if expected - 1 != head_seq or prev != head_hash:
        sys.exit("peer verifier: the chain does not end at the head")
    print(f"peer verify (Python sqlite3 + OpenSSL SM3): {n} events in {secs:.2f}s, {n / secs:.0f} events/s")


def plain_inserts(events: int) -> None:
    row = lambda i: (i, int(time.time() * 1e6), i % 50, f"officer-{i % 50}", i % 20, "dept_data_officer",
                     "share.record", "resource", f"RES-{i % 1000:06}", "不动产登记业务核验", "ok", "10.1.2.3",
                     f'{{"key":"{i}"}}')
    with tempfile.TemporaryDirectory(dir=".") as d:
        conn = sqlite3.connect(os.path.join(d, "plain.db"), isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, occurred_at BIGINT, actor_user_id BIGINT, "
                     "actor_name TEXT, actor_department_id BIGINT, actor_role TEXT, action TEXT, object_kind TEXT, "
                     "object_id TEXT, purpose TEXT, result TEXT, client_addr TEXT, detail TEXT)")
        conn.execute("CREATE INDEX events_time ON events(occurred_at)")
        conn.execute("CREATE INDEX events_action ON events(action, occurred_at)")
        conn.execute("CREATE INDEX events_actor ON events(actor_user_id, occurred_at)")
        insert = "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
        single = min(2000, events)
        started = time.perf_counter()
        for i in range(single):
            conn.execute("BEGIN")
            conn.execute(insert, row(i))
            conn.execute("COMMIT")
        secs = time.perf_counter() - started
        print(f"peer append (Python sqlite3, unchained), one transaction per event: {single / secs:.0f} events/s")
        started = time.perf_counter()
        for start in range(single, single + events, 256):
            conn.execute("BEGIN")
            conn.executemany(insert, [row(i) for i in range(start, min(start + 256, single + events))])
            conn.execute("COMMIT")
        secs = time.perf_counter() - started
        print(f"peer append (Python sqlite3, unchained), 256 events per transaction: {events / secs:.0f} events/s")
        conn.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    verify(sys.argv[1])
    plain_inserts(int(sys.argv[2]) if len(sys.argv) > 2 else 200_000)
