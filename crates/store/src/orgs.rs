//! Regions (a tree of administrative divisions) and departments.

use domain::orgs::{Department, DepartmentKind, Region, RegionLevel};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{conflict, Conn, Error, Result};

pub struct NewRegion<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub name_en: &'a str,
    pub level: RegionLevel,
    pub parent_id: Option<i64>,
}

pub async fn insert_region(conn: &mut Conn, r: &NewRegion<'_>, now_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO regions (code, name, name_en, level, parent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(r.code)
    .bind(r.name)
    .bind(r.name_en)
    .bind(r.level.as_str())
    .bind(r.parent_id)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict(format!("region {}", r.code)))?;
    Ok(row.get::<i64, _>(0))
}

const REGION_COLS: &str = "id, code, name, name_en, level, parent_id";

fn region(row: AnyRow) -> Result<Region> {
    let level: String = row.get(4);
    Ok(Region {
        id: row.get(0),
        code: row.get(1),
        name: row.get(2),
        name_en: row.get(3),
        level: level.parse().map_err(|_| Error::Corrupt(format!("region level {level}")))?,
        parent_id: row.get(5),
    })
}

pub async fn list_regions(conn: &mut Conn) -> Result<Vec<Region>> {
    let rows = sqlx::query(&format!("SELECT {REGION_COLS} FROM regions ORDER BY code")).fetch_all(&mut *conn).await?;
    rows.into_iter().map(region).collect()
}

pub async fn region_by_id(conn: &mut Conn, id: i64) -> Result<Option<Region>> {
    let row = sqlx::query(&format!("SELECT {REGION_COLS} FROM regions WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.map(region).transpose()
}

pub async fn region_by_code(conn: &mut Conn, code: &str) -> Result<Option<Region>> {
    let row =
        sqlx::query(&format!("SELECT {REGION_COLS} FROM regions WHERE code = $1")).bind(code).fetch_optional(&mut *conn).await?;
    row.map(region).transpose()
}

pub struct NewDepartment<'a> {
    pub name: &'a str,
    pub name_en: &'a str,
    pub kind: DepartmentKind,
    pub region_id: i64,
    pub uscc: &'a str,
}

pub async fn insert_department(conn: &mut Conn, d: &NewDepartment<'_>, now_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO departments (name, name_en, kind, region_id, uscc, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
    )
    .bind(d.name)
    .bind(d.name_en)
    .bind(d.kind.as_str())
    .bind(d.region_id)
    .bind(d.uscc)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict(format!("department with credit code {}", d.uscc)))?;
    Ok(row.get::<i64, _>(0))
}

const DEPT_COLS: &str = "id, name, name_en, kind, region_id, uscc, active";

fn department(row: AnyRow) -> Result<Department> {
    let kind: String = row.get(3);
    Ok(Department {
        id: row.get(0),
        name: row.get(1),
        name_en: row.get(2),
        kind: kind.parse().map_err(|_| Error::Corrupt(format!("department kind {kind}")))?,
        region_id: row.get(4),
        uscc: row.get(5),
        active: row.get::<i64, _>(6) != 0,
    })
}

pub async fn list_departments(conn: &mut Conn, limit: i64, offset: i64) -> Result<(Vec<Department>, i64)> {
    let rows = sqlx::query(&format!("SELECT {DEPT_COLS} FROM departments ORDER BY id LIMIT $1 OFFSET $2"))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM departments").fetch_one(&mut *conn).await?.get(0);
    Ok((rows.into_iter().map(department).collect::<Result<_>>()?, total))
}

pub async fn department_by_id(conn: &mut Conn, id: i64) -> Result<Option<Department>> {
    let row = sqlx::query(&format!("SELECT {DEPT_COLS} FROM departments WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.map(department).transpose()
}

/// Whether the region has an active data authority of its own.
pub async fn has_authority(conn: &mut Conn, region_id: i64) -> Result<bool> {
    let row = sqlx::query("SELECT COUNT(*) FROM departments WHERE region_id = $1 AND kind = 'authority' AND active = 1")
        .bind(region_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.get::<i64, _>(0) > 0)
}
