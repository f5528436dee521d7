//! The register of source departments and the settlements of repeated collection.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub id: i64,
    pub region_code: String,
    pub class_name: String,
    pub subject: String,
    /// JSON list of labels.
    pub items: String,
    /// JSON list of words.
    pub hints: String,
    pub basis: String,
    pub standard: String,
    /// JSON list of parties.
    pub parties: String,
    pub status: String,
    pub updated_by: String,
    pub updated_at_us: i64,
}

const COLS: &str = "id, region_code, class_name, subject, items, hints, basis, standard, parties, status, updated_by, updated_at";

fn source(r: &AnyRow) -> SourceRow {
    SourceRow {
        id: r.get(0),
        region_code: r.get(1),
        class_name: r.get(2),
        subject: r.get(3),
        items: r.get(4),
        hints: r.get(5),
        basis: r.get(6),
        standard: r.get(7),
        parties: r.get(8),
        status: r.get(9),
        updated_by: r.get(10),
        updated_at_us: r.get(11),
    }
}

pub async fn insert(conn: &mut Conn, s: &SourceRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO data_sources (region_code, class_name, subject, items, hints, basis, standard, parties, status, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&s.region_code)
    .bind(&s.class_name)
    .bind(&s.subject)
    .bind(&s.items)
    .bind(&s.hints)
    .bind(&s.basis)
    .bind(&s.standard)
    .bind(&s.parties)
    .bind(&s.status)
    .bind(&s.updated_by)
    .bind(s.updated_at_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict(format!("source class {}", s.class_name)))?;
    Ok(row.get(0))
}

pub async fn list(conn: &mut Conn) -> Result<Vec<SourceRow>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM data_sources ORDER BY region_code, id")).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(source).collect())
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<SourceRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM data_sources WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(source))
}

/// Records a class's parties and status (and standard).
pub async fn set_parties(conn: &mut Conn, id: i64, parties: &str, status: &str, standard: &str, by: &str, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE data_sources SET parties = $1, status = $2, standard = $3, updated_by = $4, updated_at = $5 WHERE id = $6")
        .bind(parties)
        .bind(status)
        .bind(standard)
        .bind(by)
        .bind(now_us)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    pub resource_id: i64,
    pub item_name: String,
    pub decision: String,
    pub reason: String,
    pub settled_by: String,
    pub settled_at_us: i64,
}

/// Records (or replaces) the authority's settlement of an item.
pub async fn settle(conn: &mut Conn, s: &SettlementRow) -> Result<()> {
    sqlx::query("DELETE FROM collection_settlements WHERE resource_id = $1 AND item_name = $2").bind(s.resource_id).bind(&s.item_name).execute(&mut *conn).await?;
    sqlx::query("INSERT INTO collection_settlements (resource_id, item_name, decision, reason, settled_by, settled_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(s.resource_id)
        .bind(&s.item_name)
        .bind(&s.decision)
        .bind(&s.reason)
        .bind(&s.settled_by)
        .bind(s.settled_at_us)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn settlements(conn: &mut Conn) -> Result<Vec<SettlementRow>> {
    let rows = sqlx::query("SELECT resource_id, item_name, decision, reason, settled_by, settled_at FROM collection_settlements").fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|r| SettlementRow { resource_id: r.get(0), item_name: r.get(1), decision: r.get(2), reason: r.get(3), settled_by: r.get(4), settled_at_us: r.get(5) })
        .collect())
}
