//! IT projects and the catalog entries each must deliver, for the approval and acceptance gates (LS-29, SYS-14,
//! SYS-69, YZ-8, CS-13).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub department_id: i64,
    pub funding: String,
    pub kind: String,
    pub stage: String,
    pub exception_reason: String,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    pub approved_at_us: Option<i64>,
    /// The system's 数据对接说明文档: its title and where it is kept (CS-13c).
    pub docking_document: String,
    pub share_interface: String,
    pub open_interface: String,
}

pub struct NewProject<'a> {
    pub name: &'a str,
    pub department_id: i64,
    pub funding: &'a str,
    pub kind: &'a str,
}

pub async fn insert(conn: &mut Conn, p: &NewProject<'_>, now_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO it_projects (name, department_id, funding, kind, stage, created_at, updated_at) VALUES ($1, $2, $3, $4, 'planning', $5, $5) RETURNING id",
    )
    .bind(p.name)
    .bind(p.department_id)
    .bind(p.funding)
    .bind(p.kind)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

const COLS: &str = "id, name, department_id, funding, kind, stage, exception_reason, created_at, updated_at, approved_at, docking_document, share_interface, open_interface";

fn project(row: &AnyRow) -> ProjectRow {
    ProjectRow {
        id: row.get(0),
        name: row.get(1),
        department_id: row.get(2),
        funding: row.get(3),
        kind: row.get(4),
        stage: row.get(5),
        exception_reason: row.get(6),
        created_at_us: row.get(7),
        updated_at_us: row.get(8),
        approved_at_us: row.get(9),
        docking_document: row.get(10),
        share_interface: row.get(11),
        open_interface: row.get(12),
    }
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<ProjectRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM it_projects WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(project))
}

pub async fn list(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<ProjectRow>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM it_projects WHERE ($1 IS NULL OR department_id = $1) ORDER BY id"))
        .bind(department_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(project).collect())
}

pub async fn set_stage(conn: &mut Conn, id: i64, stage: &str, exception_reason: Option<&str>, now_us: i64) -> Result<()> {
    sqlx::query(
        "UPDATE it_projects SET stage = $1, exception_reason = COALESCE($2, exception_reason), updated_at = $3,
         approved_at = CASE WHEN $1 = 'approved' THEN $3 ELSE approved_at END WHERE id = $4",
    )
    .bind(stage)
    .bind(exception_reason)
    .bind(now_us)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records the system's docking document and reserved interfaces.
pub async fn set_docking(conn: &mut Conn, id: i64, document: &str, share_interface: &str, open_interface: &str, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE it_projects SET docking_document = $1, share_interface = $2, open_interface = $3, updated_at = $4 WHERE id = $5")
        .bind(document)
        .bind(share_interface)
        .bind(open_interface)
        .bind(now_us)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Links an entry to a project; linking twice is one link.
pub async fn link(conn: &mut Conn, project_id: i64, resource_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO project_resources (project_id, resource_id) VALUES ($1, $2) ON CONFLICT (project_id, resource_id) DO NOTHING")
        .bind(project_id)
        .bind(resource_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The ids of the entries linked to a project.
pub async fn linked(conn: &mut Conn, project_id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT resource_id FROM project_resources WHERE project_id = $1 ORDER BY resource_id")
        .bind(project_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
