//! Data demands (供需对接): what a department needs that the catalog lacks, and the provider's answer.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandRow {
    pub id: i64,
    pub requester_department_id: i64,
    pub provider_department_id: i64,
    /// JSON list.
    pub items: String,
    pub scenario: String,
    pub basis: String,
    pub description: String,
    pub state: String,
    pub received_at_us: i64,
    pub due_on: Option<String>,
    pub answered_at_us: Option<i64>,
    pub answered_by: Option<String>,
    pub reason: String,
    pub catalog_due_on: Option<String>,
    pub resource_code: Option<String>,
    pub fulfilled_at_us: Option<i64>,
    pub created_by: String,
    /// The refused application this demand escalates (YZ-15c).
    pub source_application_id: Option<i64>,
}

const COLS: &str = "id, requester_department_id, provider_department_id, items, scenario, basis, description, state, received_at, due_on, \
                    answered_at, answered_by, reason, catalog_due_on, resource_code, fulfilled_at, created_by, source_application_id";

fn demand(r: &AnyRow) -> DemandRow {
    DemandRow {
        id: r.get(0),
        requester_department_id: r.get(1),
        provider_department_id: r.get(2),
        items: r.get(3),
        scenario: r.get(4),
        basis: r.get(5),
        description: r.get(6),
        state: r.get(7),
        received_at_us: r.get(8),
        due_on: r.get(9),
        answered_at_us: r.get(10),
        answered_by: r.get(11),
        reason: r.get(12),
        catalog_due_on: r.get(13),
        resource_code: r.get(14),
        fulfilled_at_us: r.get(15),
        created_by: r.get(16),
        source_application_id: r.get(17),
    }
}

pub async fn insert(conn: &mut Conn, d: &DemandRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO data_demands (requester_department_id, provider_department_id, items, scenario, basis, description, state, received_at, due_on, created_by,
             source_application_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(d.requester_department_id)
    .bind(d.provider_department_id)
    .bind(&d.items)
    .bind(&d.scenario)
    .bind(&d.basis)
    .bind(&d.description)
    .bind(&d.state)
    .bind(d.received_at_us)
    .bind(&d.due_on)
    .bind(&d.created_by)
    .bind(d.source_application_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<DemandRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM data_demands WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(demand))
}

/// The demand that escalated an application, if one did.
pub async fn by_source_application(conn: &mut Conn, application_id: i64) -> Result<Option<DemandRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM data_demands WHERE source_application_id = $1"))
        .bind(application_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.as_ref().map(demand))
}

/// The demands a department made or must answer, or all (none), newest first.
pub async fn list(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<DemandRow>> {
    let rows = match department_id {
        Some(d) => {
            sqlx::query(&format!("SELECT {COLS} FROM data_demands WHERE requester_department_id = $1 OR provider_department_id = $1 ORDER BY id DESC"))
                .bind(d)
                .fetch_all(&mut *conn)
                .await?
        }
        None => sqlx::query(&format!("SELECT {COLS} FROM data_demands ORDER BY id DESC")).fetch_all(&mut *conn).await?,
    };
    Ok(rows.iter().map(demand).collect())
}

/// The provider's answer; false when the demand was no longer awaiting it.
pub async fn answer(conn: &mut Conn, id: i64, state: &str, by: &str, reason: &str, catalog_due_on: Option<&str>, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE data_demands SET state = $1, answered_by = $2, answered_at = $3, reason = $4, catalog_due_on = $5 WHERE id = $6 AND state = 'provider_review'",
    )
    .bind(state)
    .bind(by)
    .bind(now_us)
    .bind(reason)
    .bind(catalog_due_on)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the entry that catalogs and mounts an accepted demand's data.
pub async fn fulfil(conn: &mut Conn, id: i64, resource_code: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE data_demands SET state = 'fulfilled', resource_code = $1, fulfilled_at = $2 WHERE id = $3 AND state IN ('accepted', 'cataloging')")
        .bind(resource_code)
        .bind(now_us)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
