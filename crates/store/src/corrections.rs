//! Correction requests (校核): a user of shared data doubts a record, the provider verifies it and says what it found.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRow {
    pub id: i64,
    pub resource_id: i64,
    pub record_key: String,
    /// The item doubted; empty: the record as a whole.
    pub item: String,
    pub description: String,
    pub evidence: String,
    /// `api` or `manual`.
    pub channel: String,
    pub reporter_department_id: Option<i64>,
    pub reporter: String,
    pub provider_department_id: i64,
    /// `received` or `resolved`.
    pub state: String,
    pub outcome: String,
    pub resolution: String,
    pub received_at_us: i64,
    pub due_on: Option<String>,
    pub resolved_at_us: Option<i64>,
    pub resolved_by: String,
}

const COLS: &str = "id, resource_id, record_key, item, description, evidence, channel, reporter_department_id, reporter, \
                    provider_department_id, state, outcome, resolution, received_at, due_on, resolved_at, resolved_by";

fn correction(r: &AnyRow) -> CorrectionRow {
    CorrectionRow {
        id: r.get(0),
        resource_id: r.get(1),
        record_key: r.get(2),
        item: r.get(3),
        description: r.get(4),
        evidence: r.get(5),
        channel: r.get(6),
        reporter_department_id: r.get(7),
        reporter: r.get(8),
        provider_department_id: r.get(9),
        state: r.get(10),
        outcome: r.get(11),
        resolution: r.get(12),
        received_at_us: r.get(13),
        due_on: r.get(14),
        resolved_at_us: r.get(15),
        resolved_by: r.get(16),
    }
}

pub async fn insert(conn: &mut Conn, c: &CorrectionRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO corrections (resource_id, record_key, item, description, evidence, channel, reporter_department_id, reporter,
                                  provider_department_id, state, received_at, due_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(c.resource_id)
    .bind(&c.record_key)
    .bind(&c.item)
    .bind(&c.description)
    .bind(&c.evidence)
    .bind(&c.channel)
    .bind(c.reporter_department_id)
    .bind(&c.reporter)
    .bind(c.provider_department_id)
    .bind(&c.state)
    .bind(c.received_at_us)
    .bind(&c.due_on)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<CorrectionRow>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM corrections WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(correction))
}

/// Corrections a department filed or must answer, or every one when `department_id` is `None`; newest first.
pub async fn list(conn: &mut Conn, department_id: Option<i64>, limit: i64) -> Result<Vec<CorrectionRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM corrections WHERE ($1 IS NULL OR provider_department_id = $1 OR reporter_department_id = $1) ORDER BY id DESC LIMIT $2"
    ))
    .bind(department_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(correction).collect())
}

/// The keys of a resource's records under an open correction, each with the oldest open correction's id.
pub async fn open_keys(conn: &mut Conn, resource_id: i64) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT record_key, MIN(id) FROM corrections WHERE resource_id = $1 AND state = 'received' GROUP BY record_key")
        .bind(resource_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Open corrections past their due day (`due_on` before `today`, both `YYYY-MM-DD`).
pub async fn overdue(conn: &mut Conn, today: &str) -> Result<Vec<CorrectionRow>> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM corrections WHERE state = 'received' AND due_on IS NOT NULL AND due_on < $1 ORDER BY id"))
        .bind(today)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(correction).collect())
}

/// Resolves an open correction; answers whether it was open.
pub async fn resolve(conn: &mut Conn, id: i64, outcome: &str, resolution: &str, by: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE corrections SET state = 'resolved', outcome = $1, resolution = $2, resolved_by = $3, resolved_at = $4 WHERE id = $5 AND state = 'received'",
    )
    .bind(outcome)
    .bind(resolution)
    .bind(by)
    .bind(now_us)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A providing department's rule for verifying one item of its resource (SYS-28a).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub resource_id: i64,
    pub item: String,
    pub description: String,
    pub evidence_required: String,
    pub set_by: String,
    pub set_at_us: i64,
}

/// Sets (or replaces) the rule for the item.
pub async fn put_rule(conn: &mut Conn, r: &RuleRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO correction_rules (resource_id, item, description, evidence_required, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (resource_id, item) DO UPDATE SET description = excluded.description, evidence_required = excluded.evidence_required,
             set_by = excluded.set_by, set_at = excluded.set_at",
    )
    .bind(r.resource_id)
    .bind(&r.item)
    .bind(&r.description)
    .bind(&r.evidence_required)
    .bind(&r.set_by)
    .bind(r.set_at_us)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The rules of a resource, by item.
pub async fn rules(conn: &mut Conn, resource_id: i64) -> Result<Vec<RuleRow>> {
    let rows = sqlx::query("SELECT resource_id, item, description, evidence_required, set_by, set_at FROM correction_rules WHERE resource_id = $1 ORDER BY item")
        .bind(resource_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| RuleRow { resource_id: r.get(0), item: r.get(1), description: r.get(2), evidence_required: r.get(3), set_by: r.get(4), set_at_us: r.get(5) })
        .collect())
}

/// Quality feedback on records of a shared resource (FS-08e).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRow {
    pub id: i64,
    pub resource_id: i64,
    pub provider_department_id: i64,
    pub reporter_department_id: i64,
    pub reporter: String,
    /// JSON lists.
    pub record_keys: String,
    pub item: String,
    pub description: String,
    pub state: String,
    pub correction_ids: String,
    pub created_at_us: i64,
}

const FEEDBACK_COLS: &str =
    "id, resource_id, provider_department_id, reporter_department_id, reporter, record_keys, item, description, state, correction_ids, created_at";

fn feedback(r: &AnyRow) -> FeedbackRow {
    FeedbackRow {
        id: r.get(0),
        resource_id: r.get(1),
        provider_department_id: r.get(2),
        reporter_department_id: r.get(3),
        reporter: r.get(4),
        record_keys: r.get(5),
        item: r.get(6),
        description: r.get(7),
        state: r.get(8),
        correction_ids: r.get(9),
        created_at_us: r.get(10),
    }
}

pub async fn insert_feedback(conn: &mut Conn, f: &FeedbackRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO quality_feedback (resource_id, provider_department_id, reporter_department_id, reporter, record_keys, item, description, state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(f.resource_id)
    .bind(f.provider_department_id)
    .bind(f.reporter_department_id)
    .bind(&f.reporter)
    .bind(&f.record_keys)
    .bind(&f.item)
    .bind(&f.description)
    .bind(&f.state)
    .bind(f.created_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn feedback_by_id(conn: &mut Conn, id: i64) -> Result<Option<FeedbackRow>> {
    let row = sqlx::query(&format!("SELECT {FEEDBACK_COLS} FROM quality_feedback WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(feedback))
}

/// Feedback a department gave or received, or all (none), newest first.
pub async fn feedback_list(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<FeedbackRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {FEEDBACK_COLS} FROM quality_feedback WHERE ($1 IS NULL OR provider_department_id = $1 OR reporter_department_id = $1) ORDER BY id DESC LIMIT 500"
    ))
    .bind(department_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(feedback).collect())
}

/// Marks open feedback rechecked with the correction requests made from it; false when it was no longer open.
pub async fn feedback_rechecked(conn: &mut Conn, id: i64, correction_ids: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE quality_feedback SET state = 'rechecked', correction_ids = $1 WHERE id = $2 AND state = 'open'")
        .bind(correction_ids)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
