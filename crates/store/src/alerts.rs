//! Warnings and alerts raised to departments and the authority.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub object_kind: String,
    pub object_id: String,
    pub department_id: i64,
    pub to_authority: bool,
    pub due_at_us: i64,
    pub message: String,
    pub message_en: String,
    pub raised_at_us: i64,
    pub resolved_at_us: Option<i64>,
}

const COLS: &str = "id, kind, object_kind, object_id, department_id, to_authority, due_at, message, message_en, raised_at, resolved_at";

fn alert(r: &AnyRow) -> AlertRow {
    AlertRow {
        id: r.get(0),
        kind: r.get(1),
        object_kind: r.get(2),
        object_id: r.get(3),
        department_id: r.get(4),
        to_authority: r.get::<i64, _>(5) != 0,
        due_at_us: r.get(6),
        message: r.get(7),
        message_en: r.get(8),
        raised_at_us: r.get(9),
        resolved_at_us: r.get(10),
    }
}

/// Raises an alert unless the same one (kind, object, due) was raised before. Answers whether it is new.
pub async fn raise(conn: &mut Conn, a: &AlertRow) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO alerts (kind, object_kind, object_id, department_id, to_authority, due_at, message, message_en, raised_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (kind, object_id, due_at) DO NOTHING",
    )
    .bind(&a.kind)
    .bind(&a.object_kind)
    .bind(&a.object_id)
    .bind(a.department_id)
    .bind(a.to_authority as i64)
    .bind(a.due_at_us)
    .bind(&a.message)
    .bind(&a.message_en)
    .bind(a.raised_at_us)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Resolves the open alerts of `object_id` whose kind starts with `kind_prefix` and whose due instant is not
/// `due_at_us` (the obligation moved on). Answers how many.
pub async fn resolve_other(conn: &mut Conn, kind_prefix: &str, object_id: &str, due_at_us: Option<i64>, now_us: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE alerts SET resolved_at = $1 WHERE resolved_at IS NULL AND kind LIKE $2 AND object_id = $3 AND ($4 IS NULL OR due_at <> $4)",
    )
    .bind(now_us)
    .bind(format!("{kind_prefix}%"))
    .bind(object_id)
    .bind(due_at_us)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Whether an unresolved alert of `kind` is open for `object_id`.
pub async fn open_exists(conn: &mut Conn, kind: &str, object_id: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM alerts WHERE kind = $1 AND object_id = $2 AND resolved_at IS NULL LIMIT 1").bind(kind).bind(object_id).fetch_optional(&mut *conn).await?;
    Ok(row.is_some())
}

/// Alerts, newest first: a department's (or all), open only if asked.
pub async fn list(conn: &mut Conn, department_id: Option<i64>, open_only: bool, limit: i64) -> Result<Vec<AlertRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM alerts WHERE ($1 IS NULL OR department_id = $1) AND ($2 = 0 OR resolved_at IS NULL) ORDER BY raised_at DESC, id DESC LIMIT $3"
    ))
    .bind(department_id)
    .bind(open_only as i64)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(alert).collect())
}

/// The unresolved alerts of one kind, oldest first.
pub async fn open_of_kind(conn: &mut Conn, kind: &str) -> Result<Vec<AlertRow>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM alerts WHERE kind = $1 AND resolved_at IS NULL ORDER BY id")).bind(kind).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(alert).collect())
}
