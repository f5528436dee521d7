//! Disputes between departments (争议) and requests for data from outside the city (跨层级、跨地区申请): their rows
//! and their state changes, each guarded by the state it leaves so two steps cannot both be taken.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DisputeRow {
    pub id: i64,
    pub filer_department_id: i64,
    pub respondent_department_id: i64,
    pub resource_id: Option<i64>,
    pub application_id: Option<i64>,
    pub subject: String,
    pub claim: String,
    pub scenario: String,
    pub state: String,
    pub outcome: Option<String>,
    pub coordinator_region_id: Option<i64>,
    pub opened_by: String,
    pub opened_at_us: i64,
    pub escalated_at_us: Option<i64>,
    pub escalation_reason: String,
    pub opinion: String,
    pub referred_at_us: Option<i64>,
    pub decision_ref: String,
    pub resolution: String,
    pub grant_id: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_at_us: Option<i64>,
}

const DISPUTE_COLS: &str = "id, filer_department_id, respondent_department_id, resource_id, application_id, subject, claim, scenario, state, outcome, \
     coordinator_region_id, opened_by, opened_at, escalated_at, escalation_reason, opinion, referred_at, decision_ref, resolution, grant_id, \
     resolved_by, resolved_at";

fn dispute(r: &AnyRow) -> DisputeRow {
    DisputeRow {
        id: r.get(0),
        filer_department_id: r.get(1),
        respondent_department_id: r.get(2),
        resource_id: r.get(3),
        application_id: r.get(4),
        subject: r.get(5),
        claim: r.get(6),
        scenario: r.get(7),
        state: r.get(8),
        outcome: r.get(9),
        coordinator_region_id: r.get(10),
        opened_by: r.get(11),
        opened_at_us: r.get(12),
        escalated_at_us: r.get(13),
        escalation_reason: r.get(14),
        opinion: r.get(15),
        referred_at_us: r.get(16),
        decision_ref: r.get(17),
        resolution: r.get(18),
        grant_id: r.get(19),
        resolved_by: r.get(20),
        resolved_at_us: r.get(21),
    }
}

pub async fn insert_dispute(conn: &mut Conn, d: &DisputeRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_disputes (filer_department_id, respondent_department_id, resource_id, application_id, subject, claim, scenario, state, opened_by, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(d.filer_department_id)
    .bind(d.respondent_department_id)
    .bind(d.resource_id)
    .bind(d.application_id)
    .bind(&d.subject)
    .bind(&d.claim)
    .bind(&d.scenario)
    .bind(&d.state)
    .bind(&d.opened_by)
    .bind(d.opened_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn dispute_by_id(conn: &mut Conn, id: i64) -> Result<Option<DisputeRow>> {
    let row = sqlx::query(&format!("SELECT {DISPUTE_COLS} FROM share_disputes WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(dispute))
}

/// The disputes a department is party to, or all (none), newest first.
pub async fn disputes(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<DisputeRow>> {
    let rows = match department_id {
        Some(d) => {
            sqlx::query(&format!(
                "SELECT {DISPUTE_COLS} FROM share_disputes WHERE filer_department_id = $1 OR respondent_department_id = $1 ORDER BY id DESC"
            ))
            .bind(d)
            .fetch_all(&mut *conn)
            .await?
        }
        None => sqlx::query(&format!("SELECT {DISPUTE_COLS} FROM share_disputes ORDER BY id DESC")).fetch_all(&mut *conn).await?,
    };
    Ok(rows.iter().map(dispute).collect())
}

/// Writes a step's result: the new state, and whatever the step recorded. False when the dispute was no longer in
/// `from` (another step came first).
pub async fn update_dispute(conn: &mut Conn, d: &DisputeRow, from: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE share_disputes SET state = $1, outcome = $2, coordinator_region_id = $3, escalated_at = $4, escalation_reason = $5, opinion = $6,
                referred_at = $7, decision_ref = $8, resolution = $9, grant_id = $10, resolved_by = $11, resolved_at = $12
         WHERE id = $13 AND state = $14",
    )
    .bind(&d.state)
    .bind(&d.outcome)
    .bind(d.coordinator_region_id)
    .bind(d.escalated_at_us)
    .bind(&d.escalation_reason)
    .bind(&d.opinion)
    .bind(d.referred_at_us)
    .bind(&d.decision_ref)
    .bind(&d.resolution)
    .bind(d.grant_id)
    .bind(&d.resolved_by)
    .bind(d.resolved_at_us)
    .bind(d.id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpstreamRow {
    pub id: i64,
    pub requester_department_id: i64,
    pub target: String,
    pub holder: String,
    pub description: String,
    /// JSON list.
    pub items: String,
    pub scenario: String,
    pub basis: String,
    pub state: String,
    pub filed_by: String,
    pub filed_at_us: i64,
    pub forwarded_at_us: Option<i64>,
    pub submitted_at_us: Option<i64>,
    pub external_ref: String,
    pub answer: String,
    pub answered_by: Option<String>,
    pub answered_at_us: Option<i64>,
}

const UPSTREAM_COLS: &str = "id, requester_department_id, target, holder, description, items, scenario, basis, state, filed_by, filed_at, \
     forwarded_at, submitted_at, external_ref, answer, answered_by, answered_at";

fn upstream(r: &AnyRow) -> UpstreamRow {
    UpstreamRow {
        id: r.get(0),
        requester_department_id: r.get(1),
        target: r.get(2),
        holder: r.get(3),
        description: r.get(4),
        items: r.get(5),
        scenario: r.get(6),
        basis: r.get(7),
        state: r.get(8),
        filed_by: r.get(9),
        filed_at_us: r.get(10),
        forwarded_at_us: r.get(11),
        submitted_at_us: r.get(12),
        external_ref: r.get(13),
        answer: r.get(14),
        answered_by: r.get(15),
        answered_at_us: r.get(16),
    }
}

pub async fn insert_upstream(conn: &mut Conn, u: &UpstreamRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO upstream_requests (requester_department_id, target, holder, description, items, scenario, basis, state, filed_by, filed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(u.requester_department_id)
    .bind(&u.target)
    .bind(&u.holder)
    .bind(&u.description)
    .bind(&u.items)
    .bind(&u.scenario)
    .bind(&u.basis)
    .bind(&u.state)
    .bind(&u.filed_by)
    .bind(u.filed_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn upstream_by_id(conn: &mut Conn, id: i64) -> Result<Option<UpstreamRow>> {
    let row = sqlx::query(&format!("SELECT {UPSTREAM_COLS} FROM upstream_requests WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(upstream))
}

/// A department's requests (`Some`), or all of them, newest first.
pub async fn upstream_requests(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<UpstreamRow>> {
    let rows = match department_id {
        Some(d) => sqlx::query(&format!("SELECT {UPSTREAM_COLS} FROM upstream_requests WHERE requester_department_id = $1 ORDER BY id DESC"))
            .bind(d)
            .fetch_all(&mut *conn)
            .await?,
        None => sqlx::query(&format!("SELECT {UPSTREAM_COLS} FROM upstream_requests ORDER BY id DESC")).fetch_all(&mut *conn).await?,
    };
    Ok(rows.iter().map(upstream).collect())
}

/// Writes a step's result; false when the request was no longer in `from`.
pub async fn update_upstream(conn: &mut Conn, u: &UpstreamRow, from: &str) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE upstream_requests SET state = $1, forwarded_at = $2, submitted_at = $3, external_ref = $4, answer = $5, answered_by = $6, answered_at = $7
         WHERE id = $8 AND state = $9",
    )
    .bind(&u.state)
    .bind(u.forwarded_at_us)
    .bind(u.submitted_at_us)
    .bind(&u.external_ref)
    .bind(&u.answer)
    .bind(&u.answered_by)
    .bind(u.answered_at_us)
    .bind(u.id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
