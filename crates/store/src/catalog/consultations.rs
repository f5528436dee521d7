//! Consultations of a providing institution about a revision someone else wrote (YZ-7c).

use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsultationRow {
    pub department_id: i64,
    pub opened_by: String,
    pub opened_at_us: i64,
    /// `agree` or `disagree`, once answered.
    pub opinion: Option<String>,
    pub comment: String,
    pub answered_by: Option<String>,
    pub answered_at_us: Option<i64>,
}

/// Opens the consultation of a revision, once: later edits of the same revision keep the one open.
pub async fn open(conn: &mut Conn, resource_id: i64, rev: i64, department_id: i64, by: &str, now_us: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO catalog_consultations (resource_id, rev, department_id, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (resource_id, rev) DO UPDATE SET opinion = NULL, comment = '', answered_by = NULL, answered_at = NULL",
    )
    .bind(resource_id)
    .bind(rev)
    .bind(department_id)
    .bind(by)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, resource_id: i64, rev: i64) -> Result<Option<ConsultationRow>> {
    let row = sqlx::query(
        "SELECT department_id, opened_by, opened_at, opinion, comment, answered_by, answered_at FROM catalog_consultations WHERE resource_id = $1 AND rev = $2",
    )
    .bind(resource_id)
    .bind(rev)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| ConsultationRow {
        department_id: r.get(0),
        opened_by: r.get(1),
        opened_at_us: r.get(2),
        opinion: r.get(3),
        comment: r.get(4),
        answered_by: r.get(5),
        answered_at_us: r.get(6),
    }))
}

/// Records the provider's opinion.
pub async fn answer(conn: &mut Conn, resource_id: i64, rev: i64, opinion: &str, comment: &str, by: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE catalog_consultations SET opinion = $3, comment = $4, answered_by = $5, answered_at = $6 WHERE resource_id = $1 AND rev = $2")
        .bind(resource_id)
        .bind(rev)
        .bind(opinion)
        .bind(comment)
        .bind(by)
        .bind(now_us)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
