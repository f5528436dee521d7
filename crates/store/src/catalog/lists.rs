//! Yearly lists: the versions the authority publishes (CS-25b) and the ones each department submits (CS-25a), each
//! kept whole as JSON.

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

/// A department's submission of its yearly list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRow {
    pub department_id: i64,
    pub kind: String,
    pub row_count: i64,
    pub submitted_by: String,
    pub submitted_at_us: i64,
}

/// Records (or replaces) a department's list for a year.
pub async fn put_submission(conn: &mut Conn, s: &SubmissionRow, year: i32, rows: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO list_submissions (department_id, kind, year, rows, row_count, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (department_id, kind, year) DO UPDATE SET rows = excluded.rows, row_count = excluded.row_count,
             submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at",
    )
    .bind(s.department_id)
    .bind(&s.kind)
    .bind(year as i64)
    .bind(rows)
    .bind(s.row_count)
    .bind(&s.submitted_by)
    .bind(s.submitted_at_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every submission of `year`, without the rows.
pub async fn submissions(conn: &mut Conn, year: i32) -> Result<Vec<SubmissionRow>> {
    let rows = sqlx::query("SELECT department_id, kind, row_count, submitted_by, submitted_at FROM list_submissions WHERE year = $1 ORDER BY department_id, kind")
        .bind(year as i64)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| SubmissionRow { department_id: r.get(0), kind: r.get(1), row_count: r.get(2), submitted_by: r.get(3), submitted_at_us: r.get(4) })
        .collect())
}

/// The rows a department submitted for a year's list.
pub async fn submitted_rows(conn: &mut Conn, department_id: i64, kind: &str, year: i32) -> Result<Option<String>> {
    let row = sqlx::query("SELECT rows FROM list_submissions WHERE department_id = $1 AND kind = $2 AND year = $3")
        .bind(department_id)
        .bind(kind)
        .bind(year as i64)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.get(0)))
}
