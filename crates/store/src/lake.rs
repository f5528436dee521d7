//! Deliveries (batches) and dataset versions: the control plane's record of what the lake holds. A version is
//! visible once its row is committed; the lake file it names is complete before that.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    pub id: i64,
    pub resource_id: i64,
    pub channel: String,
    /// `committed` or `refused`.
    pub state: String,
    pub source_name: String,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_quarantined: i64,
    pub rows_normalized: i64,
    pub report: String,
    pub quarantine_path: Option<String>,
    pub created_by: String,
    pub created_at_us: i64,
    /// The caller's idempotency key, when it gave one.
    pub external_id: Option<String>,
    /// `replace` or `merge`.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub resource_id: i64,
    pub version: i64,
    pub batch_id: i64,
    pub path: String,
    pub rows: i64,
    pub bytes: i64,
    pub sha256: String,
    pub schema: String,
    pub created_at_us: i64,
}

/// Records a batch; answers its id.
pub async fn insert_batch(conn: &mut Conn, b: &BatchRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO batches (resource_id, channel, state, source_name, rows_read, rows_accepted, rows_quarantined, rows_normalized, report, quarantine_path, created_by, created_at, external_id, mode)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(b.resource_id)
    .bind(&b.channel)
    .bind(&b.state)
    .bind(&b.source_name)
    .bind(b.rows_read)
    .bind(b.rows_accepted)
    .bind(b.rows_quarantined)
    .bind(b.rows_normalized)
    .bind(&b.report)
    .bind(&b.quarantine_path)
    .bind(&b.created_by)
    .bind(b.created_at_us)
    .bind(&b.external_id)
    .bind(&b.mode)
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict(format!("batch {:?} of resource {}", b.external_id, b.resource_id)))?;
    Ok(row.get(0))
}

/// Names the batch's quarantine file once it is kept in the lake.
pub async fn set_quarantine_path(conn: &mut Conn, id: i64, path: &str) -> Result<()> {
    sqlx::query("UPDATE batches SET quarantine_path = $1 WHERE id = $2").bind(path).bind(id).execute(&mut *conn).await?;
    Ok(())
}

const BATCH_COLS: &str = "id, resource_id, channel, state, source_name, rows_read, rows_accepted, rows_quarantined, rows_normalized, report, quarantine_path, created_by, created_at, external_id, mode";

fn batch(r: &AnyRow) -> BatchRow {
    BatchRow {
        id: r.get(0),
        resource_id: r.get(1),
        channel: r.get(2),
        state: r.get(3),
        source_name: r.get(4),
        rows_read: r.get(5),
        rows_accepted: r.get(6),
        rows_quarantined: r.get(7),
        rows_normalized: r.get(8),
        report: r.get(9),
        quarantine_path: r.get(10),
        created_by: r.get(11),
        created_at_us: r.get(12),
        external_id: r.get(13),
        mode: r.get(14),
    }
}

/// The batch a caller delivered under an idempotency key.
pub async fn batch_by_external(conn: &mut Conn, resource_id: i64, external_id: &str) -> Result<Option<BatchRow>> {
    let row = sqlx::query(&format!("SELECT {BATCH_COLS} FROM batches WHERE resource_id = $1 AND external_id = $2"))
        .bind(resource_id)
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(batch))
}

pub async fn batch_by_id(conn: &mut Conn, id: i64) -> Result<Option<BatchRow>> {
    let row = sqlx::query(&format!("SELECT {BATCH_COLS} FROM batches WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(batch))
}

/// The next version number of a resource (1 for its first).
pub async fn next_version(conn: &mut Conn, resource_id: i64) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM dataset_versions WHERE resource_id = $1").bind(resource_id).fetch_one(&mut *conn).await?;
    Ok(row.get(0))
}

pub async fn insert_version(conn: &mut Conn, v: &VersionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO dataset_versions (resource_id, version, batch_id, path, rows, bytes, sha256, schema, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(v.resource_id)
    .bind(v.version)
    .bind(v.batch_id)
    .bind(&v.path)
    .bind(v.rows)
    .bind(v.bytes)
    .bind(&v.sha256)
    .bind(&v.schema)
    .bind(v.created_at_us)
    .execute(&mut *conn)
    .await
    .map_err(crate::conflict(format!("version {} of resource {}", v.version, v.resource_id)))?;
    Ok(())
}

const VERSION_COLS: &str = "resource_id, version, batch_id, path, rows, bytes, sha256, schema, created_at";

fn version(r: &AnyRow) -> VersionRow {
    VersionRow {
        resource_id: r.get(0),
        version: r.get(1),
        batch_id: r.get(2),
        path: r.get(3),
        rows: r.get(4),
        bytes: r.get(5),
        sha256: r.get(6),
        schema: r.get(7),
        created_at_us: r.get(8),
    }
}

/// A resource's versions, newest first.
pub async fn versions(conn: &mut Conn, resource_id: i64) -> Result<Vec<VersionRow>> {
    let rows = sqlx::query(&format!("SELECT {VERSION_COLS} FROM dataset_versions WHERE resource_id = $1 ORDER BY version DESC"))
        .bind(resource_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(version).collect())
}

/// Every version's lake path: what the lake keeps when it sweeps.
pub async fn all_paths(conn: &mut Conn) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT path FROM dataset_versions").fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Each resource's last committed version time.
pub async fn last_versions(conn: &mut Conn) -> Result<std::collections::HashMap<i64, i64>> {
    let rows = sqlx::query("SELECT resource_id, MAX(created_at) FROM dataset_versions GROUP BY resource_id").fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A resource's batches, newest first.
pub async fn batches_of(conn: &mut Conn, resource_id: i64, limit: i64) -> Result<Vec<BatchRow>> {
    let rows = sqlx::query(&format!("SELECT {BATCH_COLS} FROM batches WHERE resource_id = $1 ORDER BY id DESC LIMIT $2"))
        .bind(resource_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(batch).collect())
}

/// Removes a version's row (retention); its lake file is removed after the transaction commits.
pub async fn delete_version(conn: &mut Conn, resource_id: i64, version: i64) -> Result<()> {
    sqlx::query("DELETE FROM dataset_versions WHERE resource_id = $1 AND version = $2").bind(resource_id).bind(version).execute(&mut *conn).await?;
    Ok(())
}

/// Every version, newest first within each resource: what retention looks at.
pub async fn all_versions(conn: &mut Conn) -> Result<Vec<VersionRow>> {
    let rows = sqlx::query(&format!("SELECT {VERSION_COLS} FROM dataset_versions ORDER BY resource_id, version DESC")).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(version).collect())
}
