//! Published yearly versions of the catalog's lists, each kept whole as JSON.

use sqlx::Row;

use crate::{Conn, Result};

/// Publishes (or replaces) a year's version.
pub async fn put(conn: &mut Conn, kind: &str, year: i32, rows: &str, published_by: &str, now_us: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_lists (kind, year, rows, published_by, published_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind, year) DO UPDATE SET rows = excluded.rows, published_by = excluded.published_by, published_at = excluded.published_at",
    )
    .bind(kind)
    .bind(year as i64)
    .bind(rows)
    .bind(published_by)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A year's version and when it was published.
pub async fn get(conn: &mut Conn, kind: &str, year: i32) -> Result<Option<(String, i64)>> {
    let row = sqlx::query("SELECT rows, published_at FROM catalog_lists WHERE kind = $1 AND year = $2")
        .bind(kind)
        .bind(year as i64)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}
