//! Data push (数据推送): a consumer's subscriptions under push grants, and the deliveries of each new version's
//! changes to their endpoints — queued per version, claimed by one worker at a time with one `UPDATE … RETURNING`,
//! retried on failure.

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SubscriptionRow {
    pub id: i64,
    pub grant_id: i64,
    pub endpoint: String,
    /// The signing secret, sealed by the node's key.
    pub secret_sealed: String,
    /// active or stopped
    pub state: String,
    pub stop_reason: String,
    pub created_by: String,
    pub created_at_us: i64,
    /// The newest version queued for it.
    pub queued_version: Option<i64>,
}

const SUB_COLS: &str = "id, grant_id, endpoint, secret_sealed, state, stop_reason, created_by, created_at, queued_version";

fn subscription(r: &AnyRow) -> SubscriptionRow {
    SubscriptionRow {
        id: r.get(0),
        grant_id: r.get(1),
        endpoint: r.get(2),
        secret_sealed: r.get(3),
        state: r.get(4),
        stop_reason: r.get(5),
        created_by: r.get(6),
        created_at_us: r.get(7),
        queued_version: r.get(8),
    }
}

pub async fn insert_subscription(conn: &mut Conn, s: &SubscriptionRow) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_subscriptions (grant_id, endpoint, secret_sealed, state, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(s.grant_id)
    .bind(&s.endpoint)
    .bind(&s.secret_sealed)
    .bind(&s.state)
    .bind(&s.created_by)
    .bind(s.created_at_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn subscription_by_id(conn: &mut Conn, id: i64) -> Result<Option<SubscriptionRow>> {
    let row = sqlx::query(&format!("SELECT {SUB_COLS} FROM share_subscriptions WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.as_ref().map(subscription))
}

/// Subscriptions under grants a department holds or gives (as the provider), or all (none), newest first.
pub async fn subscriptions(conn: &mut Conn, department_id: Option<i64>) -> Result<Vec<SubscriptionRow>> {
    let cols = SUB_COLS.split(", ").map(|c| format!("s.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let rows = match department_id {
        Some(d) => sqlx::query(&format!(
            "SELECT {cols} FROM share_subscriptions s JOIN share_grants g ON g.id = s.grant_id JOIN resources r ON r.id = g.resource_id
             WHERE g.consumer_department_id = $1 OR r.provider_department_id = $1 ORDER BY s.id DESC"
        ))
        .bind(d)
        .fetch_all(&mut *conn)
        .await?,
        None => sqlx::query(&format!("SELECT {cols} FROM share_subscriptions s ORDER BY s.id DESC")).fetch_all(&mut *conn).await?,
    };
    Ok(rows.iter().map(subscription).collect())
}

/// Active subscriptions with the resource of their grant and its newest version, for queueing.
pub async fn active_with_newest(conn: &mut Conn) -> Result<Vec<(SubscriptionRow, i64)>> {
    let cols = SUB_COLS.split(", ").map(|c| format!("s.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols}, (SELECT MAX(v.version) FROM dataset_versions v WHERE v.resource_id = g.resource_id)
         FROM share_subscriptions s JOIN share_grants g ON g.id = s.grant_id WHERE s.state = 'active' ORDER BY s.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().filter_map(|r| r.get::<Option<i64>, _>(9).map(|v| (subscription(r), v))).collect())
}

/// Stops a subscription, with why; false when it was stopped already.
pub async fn stop_subscription(conn: &mut Conn, id: i64, reason: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE share_subscriptions SET state = 'stopped', stop_reason = $1 WHERE id = $2 AND state = 'active'")
        .bind(reason)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushRow {
    pub id: i64,
    pub subscription_id: i64,
    pub version: i64,
    /// The version the consumer holds already (none: the first push sends the whole version).
    pub base_version: Option<i64>,
    /// pending, delivered, failed, cancelled
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at_us: i64,
    pub claimed_until_us: Option<i64>,
    pub last_error: String,
    pub upserts: Option<i64>,
    pub deletes: Option<i64>,
    pub sm3: Option<String>,
    pub created_at_us: i64,
    pub delivered_at_us: Option<i64>,
}

const PUSH_COLS: &str = "id, subscription_id, version, base_version, state, attempts, next_attempt_at, claimed_until, last_error, upserts, deletes, sm3, \
     created_at, delivered_at";

fn push(r: &AnyRow) -> PushRow {
    PushRow {
        id: r.get(0),
        subscription_id: r.get(1),
        version: r.get(2),
        base_version: r.get(3),
        state: r.get(4),
        attempts: r.get(5),
        next_attempt_at_us: r.get(6),
        claimed_until_us: r.get(7),
        last_error: r.get(8),
        upserts: r.get(9),
        deletes: r.get(10),
        sm3: r.get(11),
        created_at_us: r.get(12),
        delivered_at_us: r.get(13),
    }
}

/// Queues the push of `version` to a subscription (from `base_version`, the newest queued before) and notes it as
/// queued; false when another node queued it first.
pub async fn queue(conn: &mut Conn, subscription_id: i64, base_version: Option<i64>, version: i64, now_us: i64) -> Result<bool> {
    let moved = sqlx::query(
        "UPDATE share_subscriptions SET queued_version = $1 WHERE id = $2 AND state = 'active' AND (queued_version IS NULL OR queued_version < $1)",
    )
    .bind(version)
    .bind(subscription_id)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO share_pushes (subscription_id, version, base_version, state, attempts, next_attempt_at, last_error, created_at)
         VALUES ($1, $2, $3, 'pending', 0, $4, '', $4)",
    )
    .bind(subscription_id)
    .bind(version)
    .bind(base_version)
    .bind(now_us)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Claims the pending push due longest ago whose earlier pushes to the same subscription are all done (a consumer
/// receives versions in order), until `until_us`.
pub async fn claim_due(conn: &mut Conn, now_us: i64, until_us: i64) -> Result<Option<PushRow>> {
    let row = sqlx::query(&format!(
        "UPDATE share_pushes SET claimed_until = $1 WHERE id = (
             SELECT p.id FROM share_pushes p WHERE p.state = 'pending' AND p.next_attempt_at <= $2 AND (p.claimed_until IS NULL OR p.claimed_until < $2)
               AND NOT EXISTS (SELECT 1 FROM share_pushes q WHERE q.subscription_id = p.subscription_id AND q.state = 'pending' AND q.id < p.id)
             ORDER BY p.next_attempt_at, p.id LIMIT 1)
         AND (claimed_until IS NULL OR claimed_until < $2) RETURNING {PUSH_COLS}"
    ))
    .bind(until_us)
    .bind(now_us)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.as_ref().map(push))
}

/// Records an attempt's end and releases the claim.
pub async fn finish(conn: &mut Conn, p: &PushRow) -> Result<()> {
    sqlx::query(
        "UPDATE share_pushes SET state = $1, attempts = $2, next_attempt_at = $3, claimed_until = NULL, last_error = $4, upserts = $5, deletes = $6,
                sm3 = $7, delivered_at = $8 WHERE id = $9",
    )
    .bind(&p.state)
    .bind(p.attempts)
    .bind(p.next_attempt_at_us)
    .bind(&p.last_error)
    .bind(p.upserts)
    .bind(p.deletes)
    .bind(&p.sm3)
    .bind(p.delivered_at_us)
    .bind(p.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A subscription's pushes, newest first.
pub async fn pushes(conn: &mut Conn, subscription_id: i64) -> Result<Vec<PushRow>> {
    let rows = sqlx::query(&format!("SELECT {PUSH_COLS} FROM share_pushes WHERE subscription_id = $1 ORDER BY id DESC"))
        .bind(subscription_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(push).collect())
}

/// Cancels a stopped subscription's pushes not yet delivered.
pub async fn cancel_pending(conn: &mut Conn, subscription_id: i64) -> Result<()> {
    sqlx::query("UPDATE share_pushes SET state = 'cancelled', claimed_until = NULL WHERE subscription_id = $1 AND state = 'pending'")
        .bind(subscription_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
