//! The audit log: append-only, chained with SM3 (see `domain::audit`). An append takes the chain head's row
//! (`UPDATE audit_head … RETURNING`), so appenders on any node serialize and the event commits in the same
//! transaction as the state change it records. Database triggers refuse edits, and deletions younger than the
//! retention period.

use domain::audit::{chain_hash, EventFields};
use domain::clock::{format_rfc3339_local, from_micros};
use domain::orgs::AuditEvent;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Error, Result};

pub mod journal;
mod verify;
pub use verify::{verify, verify_pooled, BrokenLink, VerifyReport};

/// An event to append.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// Rows per INSERT statement: a batch is cut into statements of these sizes, largest first. Parsing a 128-row
/// statement costs SQLite more than inserting its rows, so only these four are ever prepared (and the driver keeps
/// them) whatever the batch's size — cutting the rest of a batch into one statement of its own size prepared a
/// new statement for nearly every batch of a quiet node.
const ROWS_PER_INSERT: [usize; 4] = [128, 32, 8, 1];

/// The statement sizes a batch of `n` events is inserted with, in order.
fn insert_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let size = ROWS_PER_INSERT.into_iter().find(|s| *s <= n)?;
        n -= size;
        Some(size)
    })
}

/// Appends events in order, chained, all at `now_us`; returns their sequence numbers. One head update for the
/// whole batch is what makes group commit cheap.
pub async fn append_batch(conn: &mut Conn, events: &[NewEvent], now_us: i64) -> Result<Vec<i64>> {
    let timed: Vec<(i64, &NewEvent)> = events.iter().map(|e| (now_us, e)).collect();
    append_timed(conn, &timed).await
}

/// Appends events in order, chained, each at its own instant (events journaled before they reach the database).
pub async fn append_timed(conn: &mut Conn, events: &[(i64, &NewEvent)]) -> Result<Vec<i64>> {
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
    // The chain is hashed a chunk at a time, just before the chunk is bound: a drain of thousands of events
    // awaits the database between chunks instead of holding a worker of the runtime for the whole batch.
    // Each row's prev_hash is the row before's hash: a chunk's hex digests are kept in order, the one before the
    // chunk first, so every hash is encoded once.
    let mut hexes: Vec<String> = Vec::with_capacity(ROWS_PER_INSERT[0] + 1);
    let mut prev_hex = encode_hash(&prev);
    // SQLite looks a named parameter (`$7`) up by walking a list, so binding a statement with n named
    // parameters costs n²; anonymous `?` parameters bind in order at no cost. PostgreSQL needs `$n`.
    let anonymous = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut start = 0;
    for size in insert_sizes(events.len()) {
        let chunk = &events[start..start + size];
        let chunk_start = start;
        start += size;
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
                if anonymous {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&(b + c).to_string());
                }
            }
            sql.push(')');
        }
        hexes.clear();
        hexes.push(prev_hex);
        for (i, (at_us, e)) in chunk.iter().enumerate() {
            let seq = first_seq + (chunk_start + i) as i64;
            let h = chain_hash(&prev, &e.fields(seq, *at_us));
            hexes.push(encode_hash(&h));
            prev = h;
        }
        let mut q = sqlx::query(&sql);
        for (i, (at_us, e)) in chunk.iter().enumerate() {
            let index = chunk_start + i;
            let (prev_hash, hash) = (&hexes[i], &hexes[i + 1]);
            q = q
                .bind(first_seq + index as i64)
                .bind(*at_us)
                .bind(e.actor_user_id)
                // `&str`s, which the driver binds as they are: a `&String` is copied into a new string first.
                .bind(e.actor_name.as_str())
                .bind(e.actor_department_id)
                .bind(e.actor_role.as_str())
                .bind(e.action.as_str())
                .bind(e.object_kind.as_str())
                .bind(e.object_id.as_str())
                .bind(e.purpose.as_str())
                .bind(e.result.as_str())
                .bind(e.client_addr.as_str())
                .bind(e.detail.as_str())
                .bind(prev_hash.as_str())
                .bind(hash.as_str());
        }
        q.execute(&mut *conn).await?;
        prev_hex = hexes.pop().expect("the chunk's last hash");
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(prev_hex).execute(&mut *conn).await?;
    Ok((first_seq..=last_seq).collect())
}

/// The last journal entry of `node` the database holds (0: none).
pub async fn journal_mark(conn: &mut Conn, node: &str) -> Result<u64> {
    let row = sqlx::query("SELECT seq FROM audit_journal_marks WHERE node = $1").bind(node).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.get::<i64, _>(0) as u64).unwrap_or(0))
}

/// Records that the database holds `node`'s journal through `seq`; in the transaction that appended them.
pub async fn set_journal_mark(conn: &mut Conn, node: &str, seq: u64) -> Result<()> {
    sqlx::query("INSERT INTO audit_journal_marks (node, seq) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET seq = excluded.seq")
        .bind(node)
        .bind(seq as i64)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A hash as stored: 64 lowercase hex digits.
pub(crate) fn encode_hash(hash: &[u8; 32]) -> String {
    let mut digits = [0u8; 64];
    hex::encode_to_slice(hash, &mut digits).expect("64 digits for 32 bytes");
    String::from_utf8(digits.to_vec()).expect("hex digits are ASCII")
}

/// A stored hash: 64 hex digits. Verification decodes one per event, so this is a table lookup, not the
/// allocating general decoder.
pub(crate) fn decode_hash(s: &str) -> Result<[u8; 32]> {
    const INVALID: u8 = 0xff;
    const NIBBLE: [u8; 256] = {
        let mut t = [INVALID; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    let digits = s.as_bytes();
    let mut out = [0u8; 32];
    let mut bad = digits.len() != 64;
    if !bad {
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let (hi, lo) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
            bad |= (hi | lo) == INVALID || hi == INVALID || lo == INVALID;
            *byte = (hi << 4) | (lo & 0x0f);
        }
    }
    if bad {
        return Err(Error::Corrupt(format!("audit hash {s}")));
    }
    Ok(out)
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

pub(crate) const COLS: &str = "seq, occurred_at, actor_user_id, actor_name, actor_department_id, actor_role, action, object_kind, object_id, purpose, result, client_addr, detail, prev_hash, hash";

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

/// The hashed fields of a row selected with `COLS`; the hashes follow at 13 and 14.
pub(super) fn row_fields(row: &AnyRow) -> EventFields<'_> {
    EventFields {
        seq: row.get(0),
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
    }
}

fn event(row: AnyRow) -> AuditEvent {
    let f = row_fields(&row);
    AuditEvent {
        seq: f.seq,
        occurred_at: format_rfc3339_local(from_micros(f.occurred_at_us)),
        actor_user_id: f.actor_user_id,
        actor_name: f.actor_name.to_owned(),
        actor_department_id: f.actor_department_id,
        actor_role: f.actor_role.to_owned(),
        action: f.action.to_owned(),
        object_kind: f.object_kind.to_owned(),
        object_id: f.object_id.to_owned(),
        purpose: f.purpose.to_owned(),
        result: f.result.to_owned(),
        client_addr: f.client_addr.to_owned(),
        detail: f.detail.to_owned(),
        prev_hash: row.get(13),
        hash: row.get(14),
    }
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

/// Sharing-API calls under one grant since `since_us`, by Shanghai day (days since the epoch) and action
/// (`share.record`, `share.verify`, `share.stats`, `share.batch`, and `share.denied` for refusals naming the
/// grant). Read from the log itself, so the console's figures are the audited ones.
pub async fn grant_calls(conn: &mut Conn, resource_code: &str, department_id: i64, grant_id: i64, since_us: i64) -> Result<Vec<(i64, String, i64)>> {
    let rows = sqlx::query(
        "SELECT (occurred_at + 28800000000) / 86400000000 AS day, action, COUNT(*) FROM audit_events
         WHERE action IN ('share.record', 'share.verify', 'share.stats', 'share.batch', 'share.denied')
           AND occurred_at >= $1 AND object_id = $2 AND actor_department_id = $3 AND (detail LIKE $4 OR detail LIKE $5)
         GROUP BY (occurred_at + 28800000000) / 86400000000, action ORDER BY 1, 2",
    )
    .bind(since_us)
    .bind(resource_code)
    .bind(department_id)
    .bind(format!("grant {grant_id},%"))
    .bind(format!("%(grant {grant_id})"))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1), r.get::<i64, _>(2))).collect())
}

/// The sharing-API calls made under one grant (and the refusals naming it), newest first, at most `limit`.
pub async fn grant_events(conn: &mut Conn, resource_code: &str, department_id: i64, grant_id: i64, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM audit_events
         WHERE action IN ('share.record', 'share.verify', 'share.stats', 'share.batch', 'share.denied')
           AND object_id = $1 AND actor_department_id = $2 AND (detail LIKE $3 OR detail LIKE $4)
         ORDER BY seq DESC LIMIT $5"
    ))
    .bind(resource_code)
    .bind(department_id)
    .bind(format!("grant {grant_id},%"))
    .bind(format!("%(grant {grant_id})"))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(event).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_any_size_is_cut_into_the_four_statement_sizes() {
        for n in 0..700 {
            let sizes: Vec<usize> = insert_sizes(n).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n, "{n}");
            assert!(sizes.iter().all(|s| ROWS_PER_INSERT.contains(s)), "{n}: {sizes:?}");
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "largest first: {sizes:?}");
            assert!(sizes.iter().filter(|s| **s < 128).count() <= 3 + 3 + 7, "{n}: {sizes:?}");
        }
        assert_eq!(insert_sizes(300).collect::<Vec<_>>(), [128, 128, 32, 8, 1, 1, 1, 1]);
    }

    #[test]
    fn hashes_round_trip_and_bad_digits_are_refused() {
        let h: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        let stored = encode_hash(&h);
        assert_eq!(stored, hex::encode(h));
        assert_eq!(decode_hash(&stored).unwrap(), h);
        assert_eq!(decode_hash(&stored.to_uppercase()).unwrap(), h);
        for bad in [&stored[..63], "", &format!("{}g", &stored[..63]), &format!("{stored}0"), &format!("{}é", &stored[..62])] {
            assert!(decode_hash(bad).is_err(), "{bad:?}");
        }
    }
}
