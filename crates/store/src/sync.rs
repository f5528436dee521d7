//! Database sync jobs: which department table feeds which resource, on what schedule, and how far an incremental
//! job has read. A node runs a due job after claiming it with one `UPDATE … RETURNING`, so two nodes never run the
//! same job at once and a crashed node's claim lapses.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncJobRow {
    pub id: i64,
    pub resource_id: i64,
    /// `postgres` or `mysql`.
    pub engine: String,
    /// The sealed connection URL.
    pub connection: String,
    pub connection_shown: String,
    pub source_table: String,
    /// JSON object: item name -> source column.
    pub columns: String,
    /// `full` or `incremental`.
    pub mode: String,
    pub cursor_column: Option<String>,
    pub cursor_value: Option<String>,
    /// JSON array: fingerprints of the rows read at `cursor_value`, skipped when read again.
    pub cursor_seen: String,
    pub interval_minutes: Option<i64>,
    pub next_run_at_us: Option<i64>,
    pub last_run_at_us: Option<i64>,
    pub last_batch_id: Option<i64>,
    pub last_error: Option<String>,
    pub created_by: String,
    pub created_at_us: i64,
}

const COLS: &str = "id, resource_id, engine, connection, connection_shown, source_table, columns, mode, cursor_column, cursor_value, \
                    interval_minutes, next_run_at, last_run_at, last_batch_id, last_error, created_by, created_at, cursor_seen";

fn job(r: &AnyRow) -> SyncJobRow {
    SyncJobRow {
        id: r.get(0),
        resource_id: r.get(1),
        engine: r.get(2),
        connection: r.get(3),
        connection_shown: r.get(4),
        source_table: r.get(5),
        columns: r.get(6),
        mode: r.get(7),
        cursor_column: r.get(8),
        cursor_value: r.get(9),
        interval_minutes: r.get(10),
        next_run_at_us: r.get(11),
        last_run_at_us: r.get(12),
        last_batch_id: r.get(13),
        last_error: r.get(14),
        created_by: r.get(15),
        created_at_us: r.get(16),
        cursor_seen: r.get(17),
    }
}

pub async fn insert(conn: &mut Conn, j: &SyncJobRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO sync_jobs (resource_id, engine, connection, connection_shown, source_table, columns, mode, cursor_column, cursor_value, interval_minutes, next_run_at, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(j.resource_id)
    .bind(&j.engine)
    .bind(&j.connection)
    .bind(&j.connection_shown)
    .bind(&j.source_table)
    .bind(&j.columns)
    .bind(&j.mode)
    .bind(&j.cursor_column)
    .bind(&j.cursor_value)
    .bind(j.interval_minutes)
    .bind(j.next_run_at_us)
    .bind(&j.created_by)
    .bind(j.created_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<SyncJobRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM sync_jobs WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(job))
}

/// Every job, or a department's (by its resources' provider), oldest first.
pub async fn list(conn: &mut Conn, provider_department_id: Option<i64>) -> Result<Vec<SyncJobRow>> {
    let cols = COLS.split(", ").map(|c| format!("j.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols} FROM sync_jobs j JOIN resources r ON r.id = j.resource_id WHERE ($1 IS NULL OR r.provider_department_id = $1) ORDER BY j.id"
    ))
    .bind(provider_department_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(job).collect())
}

pub async fn delete(conn: &mut Conn, id: i64) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM sync_jobs WHERE id = $1").bind(id).execute(&mut *conn).await?.rows_affected() > 0)
}

/// Claims job `id` for a run until `until_us`, unless another run holds it. Answers whether this caller has it.
pub async fn claim(conn: &mut Conn, id: i64, now_us: i64, until_us: i64) -> Result<bool> {
    let row = sqlx::query("UPDATE sync_jobs SET claimed_until = $1 WHERE id = $2 AND (claimed_until IS NULL OR claimed_until < $3) RETURNING id")
        .bind(until_us)
        .bind(id)
        .bind(now_us)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

/// Claims the scheduled job due longest ago, if any.
pub async fn claim_due(conn: &mut Conn, now_us: i64, until_us: i64) -> Result<Option<i64>> {
    let row = sqlx::query(
        "UPDATE sync_jobs SET claimed_until = $1 WHERE id = (
             SELECT id FROM sync_jobs WHERE next_run_at IS NOT NULL AND next_run_at <= $2 AND (claimed_until IS NULL OR claimed_until < $2)
             ORDER BY next_run_at, id LIMIT 1)
         AND (claimed_until IS NULL OR claimed_until < $2) RETURNING id",
    )
    .bind(until_us)
    .bind(now_us)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Releases a claim without recording a run.
pub async fn release(conn: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE sync_jobs SET claimed_until = NULL WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Records a run's end and releases the claim: the cursor (its value and the fingerprints of the rows read at it)
/// moves only when given.
pub async fn finish(
    conn: &mut Conn,
    id: i64,
    now_us: i64,
    next_run_at_us: Option<i64>,
    batch_id: Option<i64>,
    error: Option<&str>,
    cursor: Option<(&str, &str)>,
) -> Result<()> {
    sqlx::query(
        "UPDATE sync_jobs SET claimed_until = NULL, last_run_at = $1, next_run_at = $2, last_batch_id = COALESCE($3, last_batch_id), last_error = $4,
             cursor_value = COALESCE($5, cursor_value), cursor_seen = COALESCE($6, cursor_seen) WHERE id = $7",
    )
    .bind(now_us)
    .bind(next_run_at_us)
    .bind(batch_id)
    .bind(error)
    .bind(cursor.map(|c| c.0))
    .bind(cursor.map(|c| c.1))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
