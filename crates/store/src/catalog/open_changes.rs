//! The open catalog's public change log (LS-21a): what was added to, updated in or withdrawn from it, and when.

use sqlx::Row;

use crate::{Conn, Result};

/// One change of the open catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenChangeRow {
    pub code: String,
    pub name: String,
    /// `added`, `updated` or `withdrawn`.
    pub change: String,
    pub rev: i64,
    pub at_us: i64,
}

pub async fn insert(conn: &mut Conn, resource_id: i64, c: &OpenChangeRow) -> Result<()> {
    sqlx::query("INSERT INTO open_catalog_changes (resource_id, code, name, change, rev, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(resource_id)
        .bind(&c.code)
        .bind(&c.name)
        .bind(&c.change)
        .bind(c.rev)
        .bind(c.at_us)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Changes at or after `since_us`, newest first, with how many there are in all.
pub async fn list(conn: &mut Conn, since_us: i64, limit: i64, offset: i64) -> Result<(Vec<OpenChangeRow>, i64)> {
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM open_catalog_changes WHERE at >= $1").bind(since_us).fetch_one(&mut *conn).await?.get(0);
    let rows = sqlx::query("SELECT code, name, change, rev, at FROM open_catalog_changes WHERE at >= $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3")
        .bind(since_us)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let rows = rows.iter().map(|r| OpenChangeRow { code: r.get(0), name: r.get(1), change: r.get(2), rev: r.get(3), at_us: r.get(4) }).collect();
    Ok((rows, total))
}
