//! Sectors (LS-8a) and the department responsible for each.

use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectorRow {
    pub name: String,
    pub responsible_department_id: i64,
    pub designated_by: String,
    pub designated_at_us: i64,
}

/// Designates (or re-designates) the sector's responsible department.
pub async fn put(conn: &mut Conn, s: &SectorRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sectors (name, responsible_department_id, designated_by, designated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET responsible_department_id = excluded.responsible_department_id,
             designated_by = excluded.designated_by, designated_at = excluded.designated_at",
    )
    .bind(&s.name)
    .bind(s.responsible_department_id)
    .bind(&s.designated_by)
    .bind(s.designated_at_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn list(conn: &mut Conn) -> Result<Vec<SectorRow>> {
    let rows = sqlx::query("SELECT name, responsible_department_id, designated_by, designated_at FROM sectors ORDER BY name").fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(|r| SectorRow { name: r.get(0), responsible_department_id: r.get(1), designated_by: r.get(2), designated_at_us: r.get(3) }).collect())
}

/// The department responsible for the sector named `name`, if one is designated.
pub async fn responsible(conn: &mut Conn, name: &str) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT responsible_department_id FROM sectors WHERE name = $1").bind(name).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.get(0)))
}
