//! Departments' core business items (核心业务梳理, LS-19a).

use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessItemRow {
    pub id: i64,
    pub department_id: i64,
    pub name: String,
    pub description: String,
    pub registered_by: String,
    pub registered_at_us: i64,
}

/// Registers an item; a second item of the same name in the department is a conflict.
pub async fn insert(conn: &mut Conn, b: &BusinessItemRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO business_items (department_id, name, description, registered_by, registered_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(b.department_id)
    .bind(&b.name)
    .bind(&b.description)
    .bind(&b.registered_by)
    .bind(b.registered_at_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict(format!("business item {}", b.name)))?;
    Ok(row.get(0))
}

/// A department's items (or every department's), by department and name.
pub async fn list(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<BusinessItemRow>> {
    let rows = sqlx::query(
        "SELECT id, department_id, name, description, registered_by, registered_at FROM business_items
         WHERE ($1 IS NULL OR department_id = $1) ORDER BY department_id, name",
    )
    .bind(department_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| BusinessItemRow { id: r.get(0), department_id: r.get(1), name: r.get(2), description: r.get(3), registered_by: r.get(4), registered_at_us: r.get(5) })
        .collect())
}

/// Whether the department has an item of this name.
pub async fn exists(conn: &mut Conn, department_id: i64, name: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 FROM business_items WHERE department_id = $1 AND name = $2").bind(department_id).bind(name).fetch_optional(&mut *conn).await?;
    Ok(row.is_some())
}
