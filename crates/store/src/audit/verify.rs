//! Walking the chain. Verification reads every event once, in order, inside one read snapshot, and checks two
//! things: each event's `prev_hash` is the stored hash of the event before it (a cheap, sequential check), and
//! each event's stored hash is SM3 over its stored `prev_hash` and fields (the expensive part, which needs no
//! order, so it runs on every core). Together they prove the chain whole from the anchor to the head.
//!
//! On SQLite the events are read through a native read-only connection to the same file (WAL lets it read beside
//! the writer): the pooled driver hands rows one at a time across threads, which costs more than the hashing.

use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use domain::audit::{chain_hash_raw, RawEventFields};
use futures_util::TryStreamExt;
use sqlx::Row;

use super::{decode_hash, row_fields, COLS};
use crate::{Backend, Error, Result, Store};

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    /// Events checked and found whole.
    pub checked: i64,
    /// The sequence number the head says is last.
    pub head_seq: i64,
    /// Where verification started (after the last event removed by a retention purge).
    pub anchor_seq: i64,
    pub broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct BrokenLink {
    /// The first event whose link does not hold.
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain from the anchor to the head, recomputing every hash.
pub async fn verify(store: &Store) -> Result<VerifyReport> {
    match (store.backend(), store.sqlite_path()) {
        (Backend::Sqlite, Some(path)) => {
            let path = path.to_path_buf();
            tokio::task::spawn_blocking(move || verify_sqlite_file(&path))
                .await
                .map_err(|e| Error::Corrupt(format!("verification stopped: {e}")))?
        }
        _ => verify_pooled(store).await,
    }
}

/// The head row: where the chain starts (the anchor) and ends.
struct Head {
    seq: i64,
    hash: [u8; 32],
    anchor_seq: i64,
    anchor_hash: [u8; 32],
}

const HEAD_SQL: &str = "SELECT seq, hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1";

fn events_sql() -> String {
    // Bounded by the head read in the same snapshot, so events appended meanwhile are not half-counted.
    format!("SELECT {COLS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq")
}

fn verify_sqlite_file(path: &std::path::Path) -> Result<VerifyReport> {
    use rusqlite::OpenFlags;
    let native = |e: rusqlite::Error| Error::Corrupt(format!("reading the audit log: {e}"));
    let conn = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(native)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(native)?;
    // One read transaction: the head and the events come from the same snapshot.
    conn.execute_batch("BEGIN").map_err(native)?;
    let head = conn
        .query_row(HEAD_SQL, [], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?)))
        .map_err(native)?;
    let head = Head { seq: head.0, hash: decode_hash(&head.1)?, anchor_seq: head.2, anchor_hash: decode_hash(&head.3)? };
    let mut check = ChainCheck::new(head.anchor_seq, head.anchor_hash);
    let mut stmt = conn.prepare(&events_sql().replace("$1", "?1").replace("$2", "?2")).map_err(native)?;
    let mut rows = stmt.query([head.anchor_seq, head.seq]).map_err(native)?;
    while let Some(row) = rows.next().map_err(native)? {
        let bytes = |i: usize| row.get_ref(i).and_then(|v| v.as_bytes().map_err(Into::into)).map_err(native);
        let text = |i: usize| row.get_ref(i).and_then(|v| v.as_str().map_err(Into::into)).map_err(native);
        let stored = StoredEvent {
            fields: RawEventFields {
                seq: row.get(0).map_err(native)?,
                occurred_at_us: row.get(1).map_err(native)?,
                actor_user_id: row.get(2).map_err(native)?,
                actor_name: bytes(3)?,
                actor_department_id: row.get(4).map_err(native)?,
                texts: [bytes(5)?, bytes(6)?, bytes(7)?, bytes(8)?, bytes(9)?, bytes(10)?, bytes(11)?, bytes(12)?],
            },
            prev_hash: text(13)?,
            hash: text(14)?,
        };
        if !check.push(&stored) {
            break;
        }
    }
    Ok(check.finish(&head))
}

/// The portable walk through the pool, inside one repeatable-read snapshot where the backend has one. `verify`
/// uses it except on SQLite files; public so tests can hold the two walks to the same answers.
pub async fn verify_pooled(store: &Store) -> Result<VerifyReport> {
    let mut tx = match store.backend() {
        Backend::Postgres => store.reader.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
        Backend::Sqlite => store.reader.begin().await?,
    };
    let row = sqlx::query(HEAD_SQL).fetch_one(&mut *tx).await?;
    let head = Head {
        seq: row.get(0),
        hash: decode_hash(row.get(1))?,
        anchor_seq: row.get(2),
        anchor_hash: decode_hash(row.get(3))?,
    };
    let mut check = ChainCheck::new(head.anchor_seq, head.anchor_hash);
    {
        let sql = events_sql();
        let mut rows = sqlx::query(&sql).bind(head.anchor_seq).bind(head.seq).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            let fields = row_fields(&row);
            let stored = StoredEvent { fields: fields.raw(), prev_hash: row.get(13), hash: row.get(14) };
            if !check.push(&stored) {
                break;
            }
        }
    }
    tx.rollback().await?;
    Ok(check.finish(&head))
}

/// An event as read, borrowing from the row.
struct StoredEvent<'a> {
    fields: RawEventFields<'a>,
    prev_hash: &'a str,
    hash: &'a str,
}

/// Events per batch handed to a hashing thread.
const BATCH: usize = 4096;

/// Events of one batch, their texts packed into one buffer (no allocation per field).
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    events: Vec<PackedEvent>,
}

struct PackedEvent {
    seq: i64,
    occurred_at_us: i64,
    actor_user_id: Option<i64>,
    actor_department_id: Option<i64>,
    actor_name: Range<u32>,
    texts: [Range<u32>; 8],
    prev: [u8; 32],
    hash: [u8; 32],
}

impl Batch {
    fn push(&mut self, f: &RawEventFields<'_>, prev: [u8; 32], hash: [u8; 32]) {
        let mut span = |s: &[u8]| {
            let start = self.bytes.len() as u32;
            self.bytes.extend_from_slice(s);
            start..self.bytes.len() as u32
        };
        let actor_name = span(f.actor_name);
        let texts = f.texts.map(&mut span);
        self.events.push(PackedEvent {
            seq: f.seq,
            occurred_at_us: f.occurred_at_us,
            actor_user_id: f.actor_user_id,
            actor_department_id: f.actor_department_id,
            actor_name,
            texts,
            prev,
            hash,
        });
    }

    /// The first event whose contents do not give its stored hash.
    fn first_altered(&self) -> Option<i64> {
        let b = |r: &Range<u32>| &self.bytes[r.start as usize..r.end as usize];
        self.events.iter().find_map(|e| {
            let fields = RawEventFields {
                seq: e.seq,
                occurred_at_us: e.occurred_at_us,
                actor_user_id: e.actor_user_id,
                actor_name: b(&e.actor_name),
                actor_department_id: e.actor_department_id,
                texts: e.texts.each_ref().map(b),
            };
            (chain_hash_raw(&e.prev, &fields) != e.hash).then_some(e.seq)
        })
    }
}

const ALTERED: &str = "its contents do not match its hash: the event was altered";

/// The walk: sequence and link checks in order as events are pushed; hashes recomputed by worker threads.
struct ChainCheck {
    anchor_seq: i64,
    expected_seq: i64,
    /// The stored hash of the last event pushed (the anchor's at first), and its digits.
    prev: [u8; 32],
    prev_hex: [u8; 64],
    link_broken: Option<BrokenLink>,
    batch: Batch,
    to_hashers: Option<SyncSender<Batch>>,
    hashers: Vec<JoinHandle<Option<i64>>>,
}

impl ChainCheck {
    fn new(anchor_seq: i64, anchor_hash: [u8; 32]) -> ChainCheck {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
        let (to_hashers, from_reader) = sync_channel::<Batch>(threads * 2);
        let from_reader = Arc::new(Mutex::new(from_reader));
        let hashers = (0..threads).map(|_| std::thread::spawn({
            let from_reader = from_reader.clone();
            move || hash_batches(&from_reader)
        })).collect();
        ChainCheck {
            anchor_seq,
            expected_seq: anchor_seq + 1,
            prev: anchor_hash,
            prev_hex: hex_digits(&anchor_hash),
            link_broken: None,
            batch: Batch::default(),
            to_hashers: Some(to_hashers),
            hashers,
        }
    }

    /// Checks an event's place in the chain and queues its hash; false once a link is broken.
    fn push(&mut self, e: &StoredEvent<'_>) -> bool {
        let seq = e.fields.seq;
        let reason = if seq != self.expected_seq {
            Some(format!("event {} is missing (next stored event is {seq})", self.expected_seq))
        } else if e.prev_hash.as_bytes() != self.prev_hex.as_slice() {
            // The stored digits are compared as written: the platform writes lowercase, so any other spelling
            // is an edit too.
            Some("its prev_hash does not match the previous event's hash".to_string())
        } else if let Ok(hash) = decode_hash(e.hash) {
            self.batch.push(&e.fields, self.prev, hash);
            self.prev = hash;
            self.prev_hex.copy_from_slice(e.hash.as_bytes());
            None
        } else {
            Some(ALTERED.to_string())
        };
        if let Some(reason) = reason {
            self.link_broken = Some(BrokenLink { seq: self.expected_seq.min(seq), reason });
            return false;
        }
        self.expected_seq += 1;
        if self.batch.events.len() >= BATCH {
            self.send_batch();
        }
        true
    }

    fn send_batch(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        if let Some(tx) = &self.to_hashers {
            // A send fails only if every hasher has stopped, which `finish` reports.
            let _ = tx.send(batch);
        }
    }

    fn finish(mut self, head: &Head) -> VerifyReport {
        self.send_batch();
        self.to_hashers = None;
        let altered = self.hashers.drain(..).filter_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).min();
        let mut broken = match (altered, self.link_broken.take()) {
            (Some(seq), link) if link.as_ref().is_none_or(|l| seq < l.seq) => {
                Some(BrokenLink { seq, reason: ALTERED.to_string() })
            }
            (_, link) => link,
        };
        if broken.is_none() {
            let last = self.expected_seq - 1;
            if last != head.seq {
                broken = Some(BrokenLink {
                    seq: self.expected_seq,
                    reason: format!("the chain head says {} events, but the log ends at {last}", head.seq),
                });
            } else if head.hash != self.prev {
                broken = Some(BrokenLink { seq: head.seq, reason: "the chain head's hash does not match the last event".into() });
            }
        }
        let checked = match &broken {
            Some(b) => (b.seq - self.anchor_seq - 1).max(0),
            None => self.expected_seq - 1 - self.anchor_seq,
        };
        VerifyReport { checked, head_seq: head.seq, anchor_seq: self.anchor_seq, broken }
    }
}

fn hex_digits(hash: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    hex::encode_to_slice(hash, &mut out).expect("64 digits for 32 bytes");
    out
}

/// A hashing thread: takes batches until the reader is done; answers the first altered event it saw.
fn hash_batches(from_reader: &Mutex<Receiver<Batch>>) -> Option<i64> {
    let mut first: Option<i64> = None;
    loop {
        let next = from_reader.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(batch) = next else { return first };
        // Batches after an alteration this thread already found cannot change the answer.
        if first.is_some_and(|f| batch.events.first().is_none_or(|e| e.seq > f)) {
            continue;
        }
        if let Some(seq) = batch.first_altered() {
            first = Some(first.map_or(seq, |f| f.min(seq)));
        }
    }
}
