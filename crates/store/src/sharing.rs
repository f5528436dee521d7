//! Share applications and the grants approved ones become.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    pub id: i64,
    pub resource_id: i64,
    pub consumer_department_id: i64,
    pub scenario: String,
    pub basis: String,
    pub purpose: String,
    /// JSON lists.
    pub items: String,
    pub ops: String,
    pub token_ids: String,
    pub mode: String,
    pub starts_at_us: i64,
    pub expires_at_us: i64,
    pub state: String,
    pub received_at_us: i64,
    pub due_on: Option<String>,
    pub answered_at_us: Option<i64>,
    pub answered_by: Option<String>,
    pub reason: String,
    pub refusal_basis: String,
    pub applied_by: String,
    /// The region whose authority holds the application while it is forwarded across levels (FS-27).
    pub via_region_id: Option<i64>,
    /// How the data is used (FS-08b).
    pub use_logic: String,
    /// The applicant undertook to use the data only as stated and pass it to no third party (LS-19b).
    pub undertaking: bool,
    /// From a department outside the entry's named departments, for the provider to decide (LS-18c).
    pub beyond_scope: bool,
    /// Approved on each subject's consent (FS-31a).
    pub consent_required: bool,
}

const APP_COLS: &str = "id, resource_id, consumer_department_id, scenario, basis, purpose, items, ops, token_ids, mode, starts_at, expires_at, \
                        state, received_at, due_on, answered_at, answered_by, reason, refusal_basis, applied_by, via_region_id, use_logic, undertaking, beyond_scope, consent_required";

fn application(r: &AnyRow) -> ApplicationRow {
    ApplicationRow {
        id: r.get(0),
        resource_id: r.get(1),
        consumer_department_id: r.get(2),
        scenario: r.get(3),
        basis: r.get(4),
        purpose: r.get(5),
        items: r.get(6),
        ops: r.get(7),
        token_ids: r.get(8),
        mode: r.get(9),
        starts_at_us: r.get(10),
        expires_at_us: r.get(11),
        state: r.get(12),
        received_at_us: r.get(13),
        due_on: r.get(14),
        answered_at_us: r.get(15),
        answered_by: r.get(16),
        reason: r.get(17),
        refusal_basis: r.get(18),
        applied_by: r.get(19),
        via_region_id: r.get(20),
        use_logic: r.get(21),
        undertaking: r.get::<i64, _>(22) != 0,
        beyond_scope: r.get::<i64, _>(23) != 0,
        consent_required: r.get::<i64, _>(24) != 0,
    }
}

pub async fn insert_application(conn: &mut Conn, a: &ApplicationRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_applications (resource_id, consumer_department_id, scenario, basis, purpose, items, ops, token_ids, mode, starts_at, expires_at,
             state, received_at, due_on, applied_by, via_region_id, use_logic, undertaking, beyond_scope)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
    )
    .bind(a.resource_id)
    .bind(a.consumer_department_id)
    .bind(&a.scenario)
    .bind(&a.basis)
    .bind(&a.purpose)
    .bind(&a.items)
    .bind(&a.ops)
    .bind(&a.token_ids)
    .bind(&a.mode)
    .bind(a.starts_at_us)
    .bind(a.expires_at_us)
    .bind(&a.state)
    .bind(a.received_at_us)
    .bind(&a.due_on)
    .bind(&a.applied_by)
    .bind(a.via_region_id)
    .bind(&a.use_logic)
    .bind(a.undertaking as i64)
    .bind(a.beyond_scope as i64)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn application_by_id(conn: &mut Conn, id: i64) -> Result<Option<ApplicationRow>> {
    let row = sqlx::query(&format!("SELECT {APP_COLS} FROM share_applications WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(application))
}

/// Applications a department made or received (as the provider of the resource), or all (none), newest first.
pub async fn applications(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<ApplicationRow>> {
    let cols = APP_COLS.split(", ").map(|c| format!("a.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let rows = match department_id {
        Some(d) => {
            sqlx::query(&format!(
                "SELECT {cols} FROM share_applications a JOIN resources r ON r.id = a.resource_id
                 WHERE a.consumer_department_id = $1 OR r.provider_department_id = $1 ORDER BY a.id DESC"
            ))
            .bind(d)
            .fetch_all(&mut *conn)
            .await?
        }
        None => sqlx::query(&format!("SELECT {cols} FROM share_applications a ORDER BY a.id DESC")).fetch_all(&mut *conn).await?,
    };
    Ok(rows.iter().map(application).collect())
}

/// Every application with a due day, as the authority evaluates answers (LS-28a): the providing department, the due
/// day and when it was answered, if it was. One query, not one per resource.
pub async fn answer_dues(conn: &mut Conn) -> Result<Vec<(i64, String, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT r.provider_department_id, a.due_on, a.answered_at FROM share_applications a JOIN resources r ON r.id = a.resource_id
         WHERE a.due_on IS NOT NULL ORDER BY a.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// The grant's elements as the approver fixed them (FS-29a), kept on the application until the grant is made.
pub async fn fix_elements(conn: &mut Conn, id: i64, items: &str, ops: &str, token_ids: &str, expires_at_us: i64) -> Result<()> {
    sqlx::query("UPDATE share_applications SET items = $1, ops = $2, token_ids = $3, expires_at = $4 WHERE id = $5")
        .bind(items)
        .bind(ops)
        .bind(token_ids)
        .bind(expires_at_us)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves an application from state `from` to `to` with its answer; false when it was no longer in `from` (another
/// answer came first).
pub async fn answer(conn: &mut Conn, id: i64, from: &str, to: &str, by: &str, reason: &str, basis: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE share_applications SET state = $1, answered_by = $2, answered_at = $3, reason = $4, refusal_basis = $5 WHERE id = $6 AND state = $7",
    )
    .bind(to)
    .bind(by)
    .bind(now_us)
    .bind(reason)
    .bind(basis)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Passes an application on across levels (FS-27): from state `from` to `to`, held by `via_region_id`'s authority
/// (none once it leaves the authorities), due by `due_on` from now on; false when it was no longer in `from`.
pub async fn forward(conn: &mut Conn, id: i64, from: &str, to: &str, via_region_id: Option<i64>, due_on: Option<&str>) -> Result<bool> {
    let done = sqlx::query("UPDATE share_applications SET state = $1, via_region_id = $2, due_on = $3 WHERE id = $4 AND state = $5")
        .bind(to)
        .bind(via_region_id)
        .bind(due_on)
        .bind(id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: i64,
    pub application_id: i64,
    pub resource_id: i64,
    pub consumer_department_id: i64,
    pub scenario: String,
    pub items: String,
    pub ops: String,
    pub token_ids: String,
    pub mode: String,
    pub starts_at_us: i64,
    pub expires_at_us: i64,
    pub state: String,
    pub state_reason: String,
    pub created_at_us: i64,
    pub last_used_at_us: Option<i64>,
    /// The dispute whose decision made the grant (FS-26c): it stands whatever the entry's share attribute says.
    pub dispute_id: Option<i64>,
    /// Made on the provider's decision for a department outside the entry's named departments (LS-18c).
    pub beyond_scope: bool,
    /// Serves a subject's record only with that subject's consent (FS-31a).
    pub consent_required: bool,
}

const GRANT_COLS: &str = "id, application_id, resource_id, consumer_department_id, scenario, items, ops, token_ids, mode, starts_at, expires_at, state, \
     state_reason, created_at, last_used_at, dispute_id, beyond_scope, consent_required";

fn grant(r: &AnyRow) -> GrantRow {
    GrantRow {
        id: r.get(0),
        application_id: r.get(1),
        resource_id: r.get(2),
        consumer_department_id: r.get(3),
        scenario: r.get(4),
        items: r.get(5),
        ops: r.get(6),
        token_ids: r.get(7),
        mode: r.get(8),
        starts_at_us: r.get(9),
        expires_at_us: r.get(10),
        state: r.get(11),
        state_reason: r.get(12),
        created_at_us: r.get(13),
        last_used_at_us: r.get(14),
        dispute_id: r.get(15),
        beyond_scope: r.get::<i64, _>(16) != 0,
        consent_required: r.get::<i64, _>(17) != 0,
    }
}

pub async fn insert_grant(conn: &mut Conn, g: &GrantRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_grants (application_id, resource_id, consumer_department_id, scenario, items, ops, token_ids, mode, starts_at, expires_at, state, created_at,
             dispute_id, beyond_scope, consent_required)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(g.application_id)
    .bind(g.resource_id)
    .bind(g.consumer_department_id)
    .bind(&g.scenario)
    .bind(&g.items)
    .bind(&g.ops)
    .bind(&g.token_ids)
    .bind(&g.mode)
    .bind(g.starts_at_us)
    .bind(g.expires_at_us)
    .bind(&g.state)
    .bind(g.created_at_us)
    .bind(g.dispute_id)
    .bind(g.beyond_scope as i64)
    .bind(g.consent_required as i64)
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict(format!("grant of application {}", g.application_id)))?;
    Ok(row.get(0))
}

pub async fn grant_by_id(conn: &mut Conn, id: i64) -> Result<Option<GrantRow>> {
    let row = sqlx::query(&format!("SELECT {GRANT_COLS} FROM share_grants WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(grant))
}

pub async fn grant_of_application(conn: &mut Conn, application_id: i64) -> Result<Option<GrantRow>> {
    let row = sqlx::query(&format!("SELECT {GRANT_COLS} FROM share_grants WHERE application_id = $1")).bind(application_id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(grant))
}

/// The grants of a consumer department on a resource, in any state.
pub async fn grants_for(conn: &mut Conn, resource_id: i64, consumer_department_id: i64) -> Result<Vec<GrantRow>> {
    let rows = sqlx::query(&format!("SELECT {GRANT_COLS} FROM share_grants WHERE resource_id = $1 AND consumer_department_id = $2 ORDER BY id"))
        .bind(resource_id)
        .bind(consumer_department_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(grant).collect())
}

/// Grants a department holds or gives (as the provider), or all (none), newest first.
pub async fn grants(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<GrantRow>> {
    let cols = GRANT_COLS.split(", ").map(|c| format!("g.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let rows = match department_id {
        Some(d) => {
            sqlx::query(&format!(
                "SELECT {cols} FROM share_grants g JOIN resources r ON r.id = g.resource_id
                 WHERE g.consumer_department_id = $1 OR r.provider_department_id = $1 ORDER BY g.id DESC"
            ))
            .bind(d)
            .fetch_all(&mut *conn)
            .await?
        }
        None => sqlx::query(&format!("SELECT {cols} FROM share_grants g ORDER BY g.id DESC")).fetch_all(&mut *conn).await?,
    };
    Ok(rows.iter().map(grant).collect())
}

/// Grants in force (active or under rectification), oldest first.
pub async fn grants_in_force(conn: &mut Conn) -> Result<Vec<GrantRow>> {
    let rows = sqlx::query(&format!("SELECT {GRANT_COLS} FROM share_grants WHERE state IN ('active', 'rectification') ORDER BY id")).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(grant).collect())
}

/// Records a call under the grant.
pub async fn touch_grant(conn: &mut Conn, id: i64, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE share_grants SET last_used_at = $1 WHERE id = $2").bind(now_us).bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Moves a grant from state `from` to `state`; false when it was no longer in `from` (another decision came first).
pub async fn set_grant_state(conn: &mut Conn, id: i64, from: &str, state: &str, reason: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE share_grants SET state = $1, state_reason = $2 WHERE id = $3 AND state = $4")
        .bind(state)
        .bind(reason)
        .bind(id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub grant_id: i64,
    pub resource_id: i64,
    pub consumer_department_id: i64,
    pub version: i64,
    pub format: String,
    pub rows: i64,
    pub sm3: String,
    pub secret: String,
    pub delivered_to: String,
    pub delivered_at_us: i64,
}

pub async fn insert_delivery(conn: &mut Conn, d: &DeliveryRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_deliveries (grant_id, resource_id, consumer_department_id, version, format, rows, sm3, secret, delivered_to, delivered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(d.grant_id)
    .bind(d.resource_id)
    .bind(d.consumer_department_id)
    .bind(d.version)
    .bind(&d.format)
    .bind(d.rows)
    .bind(&d.sm3)
    .bind(&d.secret)
    .bind(&d.delivered_to)
    .bind(d.delivered_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

/// The batch deliveries of a resource, newest first.
pub async fn deliveries(conn: &mut Conn, resource_id: i64) -> Result<Vec<DeliveryRow>> {
    let rows = sqlx::query(
        "SELECT id, grant_id, resource_id, consumer_department_id, version, format, rows, sm3, secret, delivered_to, delivered_at
         FROM share_deliveries WHERE resource_id = $1 ORDER BY id DESC",
    )
    .bind(resource_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| DeliveryRow {
            id: r.get(0),
            grant_id: r.get(1),
            resource_id: r.get(2),
            consumer_department_id: r.get(3),
            version: r.get(4),
            format: r.get(5),
            rows: r.get(6),
            sm3: r.get(7),
            secret: r.get(8),
            delivered_to: r.get(9),
            delivered_at_us: r.get(10),
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    pub id: i64,
    pub grant_id: i64,
    pub kind: String,
    pub effect: String,
    pub process: String,
    pub storage: String,
    pub destroyed_on: Option<String>,
    pub reported_by: String,
    pub reported_at_us: i64,
}

pub async fn insert_usage(conn: &mut Conn, u: &UsageRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_usage (grant_id, kind, effect, process, storage, destroyed_on, reported_by, reported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(u.grant_id)
    .bind(&u.kind)
    .bind(&u.effect)
    .bind(&u.process)
    .bind(&u.storage)
    .bind(&u.destroyed_on)
    .bind(&u.reported_by)
    .bind(u.reported_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

/// A grant's usage records, oldest first.
pub async fn usage_of(conn: &mut Conn, grant_id: i64) -> Result<Vec<UsageRow>> {
    let rows = sqlx::query("SELECT id, grant_id, kind, effect, process, storage, destroyed_on, reported_by, reported_at FROM share_usage WHERE grant_id = $1 ORDER BY id")
        .bind(grant_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| UsageRow {
            id: r.get(0),
            grant_id: r.get(1),
            kind: r.get(2),
            effect: r.get(3),
            process: r.get(4),
            storage: r.get(5),
            destroyed_on: r.get(6),
            reported_by: r.get(7),
            reported_at_us: r.get(8),
        })
        .collect())
}

/// Grants that have ended (terminated, or past their last day at `now_us`) and that obtained data, with no
/// destruction recorded.
pub async fn ended_without_destruction(conn: &mut Conn, now_us: i64) -> Result<Vec<GrantRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {GRANT_COLS} FROM share_grants g WHERE (g.state = 'terminated' OR g.expires_at <= $1) AND g.ops LIKE '%obtain%'
           AND NOT EXISTS (SELECT 1 FROM share_usage u WHERE u.grant_id = g.id AND u.kind = 'destruction') ORDER BY g.id"
    ))
    .bind(now_us)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(grant).collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioRow {
    pub id: i64,
    pub name: String,
    pub resource_id: i64,
    /// JSON lists.
    pub department_ids: String,
    pub items: String,
    pub ops: String,
    pub basis: String,
    pub created_by: String,
    pub created_at_us: i64,
}

pub async fn insert_scenario(conn: &mut Conn, s: &ScenarioRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_scenarios (name, resource_id, department_ids, items, ops, basis, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&s.name)
    .bind(s.resource_id)
    .bind(&s.department_ids)
    .bind(&s.items)
    .bind(&s.ops)
    .bind(&s.basis)
    .bind(&s.created_by)
    .bind(s.created_at_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(crate::conflict(format!("scenario {}", s.name)))?;
    Ok(row.get(0))
}

/// The scenarios of a resource, or all (none).
pub async fn scenarios(conn: &mut Conn, resource_id: Option<i64>) -> Result<Vec<ScenarioRow>> {
    const COLS: &str = "id, name, resource_id, department_ids, items, ops, basis, created_by, created_at";
    let rows = match resource_id {
        Some(r) => sqlx::query(&format!("SELECT {COLS} FROM share_scenarios WHERE resource_id = $1 ORDER BY id")).bind(r).fetch_all(&mut *conn).await?,
        None => sqlx::query(&format!("SELECT {COLS} FROM share_scenarios ORDER BY id")).fetch_all(&mut *conn).await?,
    };
    Ok(rows
        .iter()
        .map(|r| ScenarioRow {
            id: r.get(0),
            name: r.get(1),
            resource_id: r.get(2),
            department_ids: r.get(3),
            items: r.get(4),
            ops: r.get(5),
            basis: r.get(6),
            created_by: r.get(7),
            created_at_us: r.get(8),
        })
        .collect())
}

/// A request to offer on data obtained through sharing (SYS-33b, CS-22f), and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnwardRow {
    pub id: i64,
    pub resource_id: i64,
    pub consumer_department_id: i64,
    pub derived_code: String,
    pub reason: String,
    pub state: String,
    pub requested_by: String,
    pub requested_at_us: i64,
    pub answered_by: String,
    pub answered_at_us: Option<i64>,
    pub answer_reason: String,
}

const ONWARD_COLS: &str =
    "id, resource_id, consumer_department_id, derived_code, reason, state, requested_by, requested_at, answered_by, answered_at, answer_reason";

fn onward(r: &AnyRow) -> OnwardRow {
    OnwardRow {
        id: r.get(0),
        resource_id: r.get(1),
        consumer_department_id: r.get(2),
        derived_code: r.get(3),
        reason: r.get(4),
        state: r.get(5),
        requested_by: r.get(6),
        requested_at_us: r.get(7),
        answered_by: r.get(8),
        answered_at_us: r.get(9),
        answer_reason: r.get(10),
    }
}

pub async fn insert_onward(conn: &mut Conn, o: &OnwardRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO onward_consents (resource_id, consumer_department_id, derived_code, reason, state, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(o.resource_id)
    .bind(o.consumer_department_id)
    .bind(&o.derived_code)
    .bind(&o.reason)
    .bind(&o.state)
    .bind(&o.requested_by)
    .bind(o.requested_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn onward_by_id(conn: &mut Conn, id: i64) -> Result<Option<OnwardRow>> {
    let row = sqlx::query(&format!("SELECT {ONWARD_COLS} FROM onward_consents WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(onward))
}

/// Requests a department made or must answer (as the resource's provider), or all (none), newest first.
pub async fn onward_list(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<OnwardRow>> {
    let cols = ONWARD_COLS.split(", ").map(|c| format!("o.{c}")).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols} FROM onward_consents o JOIN resources r ON r.id = o.resource_id
         WHERE ($1 IS NULL OR o.consumer_department_id = $1 OR r.provider_department_id = $1) ORDER BY o.id DESC"
    ))
    .bind(department_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(onward).collect())
}

/// Whether the consumer's entry `derived_code` may offer on the resource's data: an approved request.
pub async fn onward_approved(conn: &mut Conn, resource_id: i64, consumer_department_id: i64, derived_code: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM onward_consents WHERE resource_id = $1 AND consumer_department_id = $2 AND derived_code = $3 AND state = 'approved' LIMIT 1",
    )
    .bind(resource_id)
    .bind(consumer_department_id)
    .bind(derived_code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Answers a request still `requested`; false when another answer came first.
pub async fn answer_onward(conn: &mut Conn, id: i64, state: &str, by: &str, reason: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE onward_consents SET state = $1, answered_by = $2, answer_reason = $3, answered_at = $4 WHERE id = $5 AND state = 'requested'",
    )
    .bind(state)
    .bind(by)
    .bind(reason)
    .bind(now_us)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Marks an application approved on each subject's consent (FS-31a), before its grant is made.
pub async fn require_consent(conn: &mut Conn, application_id: i64) -> Result<()> {
    sqlx::query("UPDATE share_applications SET consent_required = 1 WHERE id = $1").bind(application_id).execute(&mut *conn).await?;
    Ok(())
}

/// A subject's consent to the use of its data by a consumer in a scenario (FS-31a).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub id: i64,
    pub subject_key: String,
    pub resource_id: i64,
    pub consumer_department_id: i64,
    pub scenario: String,
    pub granted_at_us: i64,
    pub recorded_by: String,
    pub revoked_at_us: Option<i64>,
    pub revoked_by: String,
}

const CONSENT_COLS: &str = "id, subject_key, resource_id, consumer_department_id, scenario, granted_at, recorded_by, revoked_at, revoked_by";

fn consent(r: &AnyRow) -> ConsentRow {
    ConsentRow {
        id: r.get(0),
        subject_key: r.get(1),
        resource_id: r.get(2),
        consumer_department_id: r.get(3),
        scenario: r.get(4),
        granted_at_us: r.get(5),
        recorded_by: r.get(6),
        revoked_at_us: r.get(7),
        revoked_by: r.get(8),
    }
}

pub async fn insert_consent(conn: &mut Conn, c: &ConsentRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO subject_consents (subject_key, resource_id, consumer_department_id, scenario, granted_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&c.subject_key)
    .bind(c.resource_id)
    .bind(c.consumer_department_id)
    .bind(&c.scenario)
    .bind(c.granted_at_us)
    .bind(&c.recorded_by)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn consent_by_id(conn: &mut Conn, id: i64) -> Result<Option<ConsentRow>> {
    let row = sqlx::query(&format!("SELECT {CONSENT_COLS} FROM subject_consents WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(consent))
}

/// A subject's consents, newest first.
pub async fn consents_of(conn: &mut Conn, subject_key: &str) -> Result<Vec<ConsentRow>> {
    let rows = sqlx::query(&format!("SELECT {CONSENT_COLS} FROM subject_consents WHERE subject_key = $1 ORDER BY id DESC")).bind(subject_key).fetch_all(&mut *conn).await?;
    Ok(rows.iter().map(consent).collect())
}

/// The consents in force for a consumer's use of a resource: (subject key, scenario).
pub async fn consents_in_force(conn: &mut Conn, resource_id: i64, consumer_department_id: i64) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT subject_key, scenario FROM subject_consents WHERE resource_id = $1 AND consumer_department_id = $2 AND revoked_at IS NULL")
        .bind(resource_id)
        .bind(consumer_department_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Revokes a consent still in force; false when it was revoked already.
pub async fn revoke_consent(conn: &mut Conn, id: i64, by: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE subject_consents SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
        .bind(now_us)
        .bind(by)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
