//! Update obligations: after a change of law or duties, a department must update its catalog by a due date
//! (SYS-13a: 10 working days, CS-16c and FS-17c: 15).

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationRow {
    pub id: i64,
    pub department_id: i64,
    /// `law_change` or `duty_change`.
    pub cause: String,
    pub description: String,
    pub occurred_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
    pub created_at_us: i64,
    pub fulfilled_at_us: Option<i64>,
    pub fulfilled_on: Option<NaiveDate>,
    pub fulfilled_resource_id: Option<i64>,
    pub fulfilled_rev: Option<i64>,
    /// `pending` or `filed`, where the regime files updates with the authority (CS-16d).
    pub filing_status: Option<String>,
    pub filed_at_us: Option<i64>,
}

pub struct NewObligation<'a> {
    pub department_id: i64,
    pub cause: &'a str,
    pub description: &'a str,
    pub occurred_on: NaiveDate,
    pub due: Option<(NaiveDate, bool)>,
    pub created_by: Option<i64>,
}

pub async fn insert(conn: &mut Conn, o: &NewObligation<'_>, now_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO catalog_obligations (department_id, cause, description, occurred_on, due_on, due_provisional, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(o.department_id)
    .bind(o.cause)
    .bind(o.description)
    .bind(o.occurred_on.to_string())
    .bind(o.due.map(|(d, _)| d.to_string()))
    .bind(o.due.is_some_and(|(_, p)| p) as i64)
    .bind(o.created_by)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

const COLS: &str = "id, department_id, cause, description, occurred_on, due_on, due_provisional, created_at, fulfilled_at, fulfilled_on, fulfilled_resource_id, fulfilled_rev, filing_status, filed_at";

fn date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(|d| d.parse().map_err(|_| Error::Corrupt(format!("date {d}")))).transpose()
}

fn obligation(row: &AnyRow) -> Result<ObligationRow> {
    Ok(ObligationRow {
        id: row.get(0),
        department_id: row.get(1),
        cause: row.get(2),
        description: row.get(3),
        occurred_on: date(Some(row.get(4)))?.expect("present"),
        due_on: date(row.get(5))?,
        due_provisional: row.get::<i64, _>(6) != 0,
        created_at_us: row.get(7),
        fulfilled_at_us: row.get(8),
        fulfilled_on: date(row.get(9))?,
        fulfilled_resource_id: row.get(10),
        fulfilled_rev: row.get(11),
        filing_status: row.get(12),
        filed_at_us: row.get(13),
    })
}

/// A department's obligations (all departments' when none), open ones first, then newest.
pub async fn list(conn: &mut Conn, department_id: Option<i64>, open_only: bool) -> Result<Vec<ObligationRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM catalog_obligations WHERE ($1 IS NULL OR department_id = $1) AND ($2 = 0 OR fulfilled_at IS NULL)
         ORDER BY CASE WHEN fulfilled_at IS NULL THEN 0 ELSE 1 END, due_on, id DESC"
    ))
    .bind(department_id)
    .bind(open_only as i64)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(obligation).collect()
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<ObligationRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM catalog_obligations WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(obligation).transpose()
}

/// Fulfils every open obligation of the department that began on or before `on` with this revision; where the
/// regime files updates, each becomes a pending filing.
#[allow(clippy::too_many_arguments)]
pub async fn fulfil_open(conn: &mut Conn, department_id: i64, on: NaiveDate, resource_id: i64, rev: i64, filing: bool, now_us: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "UPDATE catalog_obligations SET fulfilled_at = $1, fulfilled_on = $2, fulfilled_resource_id = $3, fulfilled_rev = $4,
         filing_status = CASE WHEN $5 = 1 THEN 'pending' ELSE NULL END
         WHERE department_id = $6 AND fulfilled_at IS NULL AND occurred_on <= $2 RETURNING id",
    )
    .bind(now_us)
    .bind(on.to_string())
    .bind(resource_id)
    .bind(rev)
    .bind(filing as i64)
    .bind(department_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The authority acknowledges a pending filing; false when it was not pending.
pub async fn acknowledge_filing(conn: &mut Conn, id: i64, by: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE catalog_obligations SET filing_status = 'filed', filed_at = $1, filed_by = $2 WHERE id = $3 AND filing_status = 'pending'")
        .bind(now_us)
        .bind(by)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
