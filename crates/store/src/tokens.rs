//! API tokens for systems: stored as SM3 hashes, scoped to a department, revocable.

use domain::clock::{format_rfc3339_local, from_micros};
use domain::orgs::ApiToken;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{Conn, Result};

pub async fn insert_token(
    conn: &mut Conn,
    name: &str,
    token_hash: &str,
    prefix: &str,
    department_id: i64,
    created_by: Option<i64>,
    keys_per_hour: Option<i64>,
    now_us: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO api_tokens (name, token_hash, prefix, department_id, created_by, created_at, keys_per_hour) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(name)
    .bind(token_hash)
    .bind(prefix)
    .bind(department_id)
    .bind(created_by)
    .bind(now_us)
    .bind(keys_per_hour)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

const COLS: &str = "id, name, prefix, department_id, created_at, revoked_at, last_used_at, suspended_at, suspended_reason, keys_per_hour";

fn token(row: AnyRow) -> ApiToken {
    let opt = |v: Option<i64>| v.map(|us| format_rfc3339_local(from_micros(us)));
    ApiToken {
        id: row.get(0),
        name: row.get(1),
        prefix: row.get(2),
        department_id: row.get(3),
        created_at: format_rfc3339_local(from_micros(row.get(4))),
        revoked_at: opt(row.get(5)),
        last_used_at: opt(row.get(6)),
        suspended_at: opt(row.get(7)),
        suspended_reason: row.get(8),
        keys_per_hour: row.get(9),
    }
}

/// An unrevoked token by its hash (suspended or not: a suspended one is refused with its reason).
pub async fn active_by_hash(conn: &mut Conn, token_hash: &str) -> Result<Option<ApiToken>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"))
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(token))
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<ApiToken>> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM api_tokens WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    Ok(row.map(token))
}

/// Tokens of one department, or of all when `department_id` is `None`.
pub async fn list(conn: &mut Conn, department_id: Option<i64>, limit: i64, offset: i64) -> Result<(Vec<ApiToken>, i64)> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM api_tokens WHERE ($1 IS NULL OR department_id = $1) ORDER BY id LIMIT $2 OFFSET $3"
    ))
    .bind(department_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM api_tokens WHERE ($1 IS NULL OR department_id = $1)")
        .bind(department_id)
        .fetch_one(&mut *conn)
        .await?
        .get(0);
    Ok((rows.into_iter().map(token).collect(), total))
}

/// Returns whether a live token was revoked.
pub async fn revoke(conn: &mut Conn, id: i64, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_us)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn touch(conn: &mut Conn, id: i64, now_us: i64) -> Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now_us).bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Suspends a live, unsuspended token; answers whether it was.
pub async fn suspend(conn: &mut Conn, id: i64, reason: &str, now_us: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE api_tokens SET suspended_at = $1, suspended_reason = $2 WHERE id = $3 AND revoked_at IS NULL AND suspended_at IS NULL")
        .bind(now_us)
        .bind(reason)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Lifts a token's suspension; answers whether it was suspended.
pub async fn resume(conn: &mut Conn, id: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE api_tokens SET suspended_at = NULL, suspended_reason = '' WHERE id = $1 AND suspended_at IS NOT NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
