//! The audit log: append-only, chained with SM3 (see `domain::audit`). An append takes the chain head's row
//! (`UPDATE audit_head … RETURNING`), so appenders on any node serialize and the event commits in the same
//! transaction as the state change it records. Database triggers refuse edits, and deletions younger than the
//! retention period.

use domain::audit::{chain_hash, EventFields};
use domain::clock::{format_rfc3339_local, from_micros};
use domain::orgs::AuditEvent;
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Error, Result};

/// An event to append.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub actor_department_id: Option<i64>,
    pub actor_role: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub purpose: String,
    pub result: String,
    pub client_addr: String,
    pub detail: String,
}

impl NewEvent {
    fn fields(&self, seq: i64, occurred_at_us: i64) -> EventFields<'_> {
        EventFields {
            seq,
            occurred_at_us,
            actor_user_id: self.actor_user_id,
            actor_name: &self.actor_name,
            actor_department_id: self.actor_department_id,
            actor_role: &self.actor_role,
            action: &self.action,
            object_kind: &self.object_kind,
            object_id: &self.object_id,
            purpose: &self.purpose,
            result: &self.result,
            client_addr: &self.client_addr,
            detail: &self.detail,
        }
    }
}

/// Appends one event; returns its sequence number.
pub async fn append(conn: &mut Conn, event: &NewEvent, now_us: i64) -> Result<i64> {
    Ok(append_batch(conn, std::slice::from_ref(event), now_us).await?[0])
}

/// Rows per INSERT statement: 13 values a row stays well under SQLite's 32,766 parameters.
const ROWS_PER_INSERT: usize = 500;

/// Appends events in order, chained; returns their sequence numbers. One head update for the whole batch is
/// what makes group commit cheap.
pub async fn append_batch(conn: &mut Conn, events: &[NewEvent], now_us: i64) -> Result<Vec<i64>> {
    if events.is_empty() {
        return Ok(vec![]);
    }
    let n = events.len() as i64;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(n)
        .fetch_one(&mut *conn)
        .await?;
    let last_seq: i64 = head.get(0);
    let mut prev = decode_hash(&head.get::<String, _>(1))?;
    let first_seq = last_seq - n + 1;
    let mut hashes = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let seq = first_seq + i as i64;
        let h = chain_hash(&prev, &e.fields(seq, now_us));
        hashes.push((hex::encode(prev), hex::encode(h)));
        prev = h;
    }
    for (chunk_index, chunk) in events.chunks(ROWS_PER_INSERT).enumerate() {
        let mut sql = String::from(
            "INSERT INTO audit_events (seq, occurred_at, actor_user_id, actor_name, actor_department_id, actor_role, action, object_kind, object_id, purpose, result, client_addr, detail, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 15;
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 1..=15 {
                if c > 1 {
                    sql.push(',');
                }
                sql.push('$');
                sql.push_str(&(b + c).to_string());
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for (i, e) in chunk.iter().enumerate() {
            let index = chunk_index * ROWS_PER_INSERT + i;
            let (prev_hash, hash) = &hashes[index];
            q = q
                .bind(first_seq + index as i64)
                .bind(now_us)
                .bind(e.actor_user_id)
                .bind(&e.actor_name)
                .bind(e.actor_department_id)
                .bind(&e.actor_role)
                .bind(&e.action)
                .bind(&e.object_kind)
                .bind(&e.object_id)
                .bind(&e.purpose)
                .bind(&e.result)
                .bind(&e.client_addr)
                .bind(&e.detail)
                .bind(prev_hash.as_str())
                .bind(hash.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(hex::encode(prev)).execute(&mut *conn).await?;
    Ok((first_seq..=last_seq).collect())
}

fn decode_hash(s: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(s).map_err(|_| Error::Corrupt(format!("audit hash {s}")))?;
    bytes.try_into().map_err(|_| Error::Corrupt(format!("audit hash {s}")))
}

/// What the auditor searches by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action_prefix: Option<String>,
    pub actor_user_id: Option<i64>,
    pub actor_name: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub result: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
}

const COLS: &str = "seq, occurred_at, actor_user_id, actor_name, actor_department_id, actor_role, action, object_kind, object_id, purpose, result, client_addr, detail, prev_hash, hash";

/// Events matching the filter, newest first, and how many match.
pub async fn search(conn: &mut Conn, f: &Filter, limit: i64, offset: i64) -> Result<(Vec<AuditEvent>, i64)> {
    let like = f.action_prefix.as_ref().map(|p| format!("{}%", p.replace('%', "").replace('_', "\\_")));
    let wher = "WHERE ($1 IS NULL OR action LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR actor_user_id = $2) AND ($3 IS NULL OR actor_name = $3)
       AND ($4 IS NULL OR object_kind = $4) AND ($5 IS NULL OR object_id = $5) AND ($6 IS NULL OR result = $6)
       AND ($7 IS NULL OR occurred_at >= $7) AND ($8 IS NULL OR occurred_at < $8)";
    macro_rules! bind_filter {
        ($q:expr) => {
            $q.bind(like.clone())
                .bind(f.actor_user_id)
                .bind(f.actor_name.clone())
                .bind(f.object_kind.clone())
                .bind(f.object_id.clone())
                .bind(f.result.clone())
                .bind(f.from_us)
                .bind(f.to_us)
        };
    }
    let sql = format!("SELECT {COLS} FROM audit_events {wher} ORDER BY seq DESC LIMIT $9 OFFSET $10");
    let rows = bind_filter!(sqlx::query(&sql)).bind(limit).bind(offset).fetch_all(&mut *conn).await?;
    let count_sql = format!("SELECT COUNT(*) FROM audit_events {wher}");
    let total: i64 = bind_filter!(sqlx::query(&count_sql)).fetch_one(&mut *conn).await?.get(0);
    Ok((rows.into_iter().map(event).collect(), total))
}

fn event(row: AnyRow) -> AuditEvent {
    AuditEvent {
        seq: row.get(0),
        occurred_at: format_rfc3339_local(from_micros(row.get(1))),
        actor_user_id: row.get(2),
        actor_name: row.get(3),
        actor_department_id: row.get(4),
        actor_role: row.get(5),
        action: row.get(6),
        object_kind: row.get(7),
        object_id: row.get(8),
        purpose: row.get(9),
        result: row.get(10),
        client_addr: row.get(11),
        detail: row.get(12),
        prev_hash: row.get(13),
        hash: row.get(14),
    }
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct VerifyReport {
    /// Events checked.
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
pub async fn verify(conn: &mut Conn) -> Result<VerifyReport> {
    let head = sqlx::query("SELECT seq, hash, anchor_seq, anchor_hash FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let head_seq: i64 = head.get(0);
    let head_hash: String = head.get(1);
    let anchor_seq: i64 = head.get(2);
    let mut prev = decode_hash(&head.get::<String, _>(3))?;
    let mut expected_seq = anchor_seq + 1;
    let mut checked = 0i64;
    let mut broken = None;
    {
        let sql = format!("SELECT {COLS} FROM audit_events WHERE seq > $1 ORDER BY seq");
        let mut rows = sqlx::query(&sql).bind(anchor_seq).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let seq: i64 = row.get(0);
            let stored_prev: &str = row.get(13);
            let stored_hash: &str = row.get(14);
            let fields = EventFields {
                seq,
                occurred_at_us: row.get(1),
                actor_user_id: row.get(2),
                actor_name: row.get(3),
                actor_department_id: row.get(4),
                actor_role: row.get(5),
                action: row.get(6),
                object_kind: row.get(7),
                object_id: row.get(8),
                purpose: row.get(9),
                result: row.get(10),
                client_addr: row.get(11),
                detail: row.get(12),
            };
            let reason = if seq != expected_seq {
                Some(format!("event {expected_seq} is missing (next stored event is {seq})"))
            } else if !hex_eq(stored_prev, &prev) {
                Some("its prev_hash does not match the previous event's hash".to_string())
            } else {
                let h = chain_hash(&prev, &fields);
                if !hex_eq(stored_hash, &h) {
                    Some("its contents do not match its hash: the event was altered".to_string())
                } else {
                    prev = h;
                    None
                }
            };
            if let Some(reason) = reason {
                broken = Some(BrokenLink { seq: expected_seq.min(seq), reason });
                break;
            }
            checked += 1;
            expected_seq += 1;
        }
    }
    if broken.is_none() {
        if expected_seq - 1 != head_seq {
            broken = Some(BrokenLink {
                seq: expected_seq,
                reason: format!("the chain head says {head_seq} events, but the log ends at {}", expected_seq - 1),
            });
        } else if !hex_eq(&head_hash, &prev) {
            broken = Some(BrokenLink { seq: head_seq, reason: "the chain head's hash does not match the last event".into() });
        }
    }
    Ok(VerifyReport { checked, head_seq, anchor_seq, broken })
}

fn hex_eq(stored: &str, computed: &[u8; 32]) -> bool {
    let mut buf = [0u8; 32];
    hex::decode_to_slice(stored, &mut buf).is_ok() && &buf == computed
}

/// Removes events older than `cutoff_us` and moves the anchor past them. The database trigger refuses to remove
/// anything younger than the retention period, whatever the caller's clock says.
pub async fn purge_before(conn: &mut Conn, cutoff_us: i64) -> Result<i64> {
    let last = sqlx::query("SELECT seq, hash FROM audit_events WHERE occurred_at < $1 ORDER BY seq DESC LIMIT 1")
        .bind(cutoff_us)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(last) = last else { return Ok(0) };
    let seq: i64 = last.get(0);
    let hash: String = last.get(1);
    let done = sqlx::query("DELETE FROM audit_events WHERE seq <= $1").bind(seq).execute(&mut *conn).await?;
    sqlx::query("UPDATE audit_head SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1").bind(seq).bind(&hash).execute(&mut *conn).await?;
    Ok(done.rows_affected() as i64)
}

/// Every event from `after_seq` on, oldest first, for export.
pub async fn export_page(conn: &mut Conn, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"))
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(event).collect())
}
