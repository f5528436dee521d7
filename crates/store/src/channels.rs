//! Exchange channels and department platforms outside the platform (LS-17a, CS-22e, FS-25b).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRow {
    pub id: i64,
    pub department_id: i64,
    pub kind: String,
    pub name: String,
    pub counterparts: String,
    pub description: String,
    pub new_build: bool,
    pub state: String,
    pub exception_reason: String,
    pub decision_reason: String,
    pub approval_document: String,
    pub decided_by: String,
    pub decided_at_us: Option<i64>,
    pub retired_note: String,
    pub retired_at_us: Option<i64>,
    pub registered_by: String,
    pub registered_at_us: i64,
}

const COLS: &str = "id, department_id, kind, name, counterparts, description, new_build, state, exception_reason, decision_reason, \
                    approval_document, decided_by, decided_at, retired_note, retired_at, registered_by, registered_at";

fn channel(r: &AnyRow) -> ChannelRow {
    ChannelRow {
        id: r.get(0),
        department_id: r.get(1),
        kind: r.get(2),
        name: r.get(3),
        counterparts: r.get(4),
        description: r.get(5),
        new_build: r.get::<i64, _>(6) != 0,
        state: r.get(7),
        exception_reason: r.get(8),
        decision_reason: r.get(9),
        approval_document: r.get(10),
        decided_by: r.get(11),
        decided_at_us: r.get(12),
        retired_note: r.get(13),
        retired_at_us: r.get(14),
        registered_by: r.get(15),
        registered_at_us: r.get(16),
    }
}

pub async fn insert(conn: &mut Conn, c: &ChannelRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO exchange_channels (department_id, kind, name, counterparts, description, new_build, state, exception_reason,
                                        registered_by, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(c.department_id)
    .bind(&c.kind)
    .bind(&c.name)
    .bind(&c.counterparts)
    .bind(&c.description)
    .bind(c.new_build as i64)
    .bind(&c.state)
    .bind(&c.exception_reason)
    .bind(&c.registered_by)
    .bind(c.registered_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<ChannelRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM exchange_channels WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(channel))
}

/// A department's channels, or every one when `department_id` is `None`; by department, oldest first.
pub async fn list(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<ChannelRow>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM exchange_channels WHERE ($1 IS NULL OR department_id = $1) ORDER BY department_id, id"))
        .bind(department_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(channel).collect())
}

/// An exception asked for a channel in use (`from` is the state it must still be in). Answers whether it was.
pub async fn request_exception(conn: &mut Conn, id: i64, from: &str, reason: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE exchange_channels SET state = 'exception_requested', exception_reason = $1 WHERE id = $2 AND state = $3")
        .bind(reason)
        .bind(id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The approver's decision, if the channel is still in state `from`. Answers whether it was taken.
pub async fn decide(conn: &mut Conn, id: i64, from: &str, to: &str, reason: &str, approval_document: &str, by: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE exchange_channels SET state = $1, decision_reason = $2, approval_document = $3, decided_by = $4, decided_at = $5
         WHERE id = $6 AND state = $7",
    )
    .bind(to)
    .bind(reason)
    .bind(approval_document)
    .bind(by)
    .bind(now_us)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The channel integrated into the platform or shut down, if still in state `from`.
pub async fn retire(conn: &mut Conn, id: i64, from: &str, note: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE exchange_channels SET state = 'retired', retired_note = $1, retired_at = $2 WHERE id = $3 AND state = $4")
        .bind(note)
        .bind(now_us)
        .bind(id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
