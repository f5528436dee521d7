//! Users, their roles, web sessions and login attempts.

use domain::clock::{format_rfc3339_local, from_micros};
use domain::orgs::User;
use domain::roles::Role;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::{conflict, Conn, Error, Result};

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub department_id: Option<i64>,
}

pub async fn insert_user(conn: &mut Conn, u: &NewUser<'_>, now_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO users (username, display_name, password_hash, department_id, active, created_at) VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
    )
    .bind(u.username)
    .bind(u.display_name)
    .bind(u.password_hash)
    .bind(u.department_id)
    .bind(now_us)
    .fetch_one(&mut *conn)
    .await
    .map_err(conflict(format!("user {}", u.username)))?;
    Ok(row.get::<i64, _>(0))
}

const USER_COLS: &str = "id, username, display_name, department_id, active, created_at";

async fn user(conn: &mut Conn, row: AnyRow) -> Result<User> {
    let id: i64 = row.get(0);
    Ok(User {
        id,
        username: row.get(1),
        display_name: row.get(2),
        department_id: row.get(3),
        active: row.get::<i64, _>(4) != 0,
        created_at: format_rfc3339_local(from_micros(row.get(5))),
        roles: roles_of(conn, id).await?,
    })
}

pub async fn user_by_id(conn: &mut Conn, id: i64) -> Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1")).bind(id).fetch_optional(&mut *conn).await?;
    match row {
        Some(row) => Ok(Some(user(conn, row).await?)),
        None => Ok(None),
    }
}

/// The user and the stored password hash, for login.
pub async fn credentials(conn: &mut Conn, username: &str) -> Result<Option<(User, String)>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS}, password_hash FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => {
            let hash: String = row.get(6);
            Ok(Some((user(conn, row).await?, hash)))
        }
        None => Ok(None),
    }
}

pub async fn list_users(conn: &mut Conn, limit: i64, offset: i64) -> Result<(Vec<User>, i64)> {
    let rows = sqlx::query(&format!("SELECT {USER_COLS} FROM users ORDER BY id LIMIT $1 OFFSET $2"))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await?;
    let mut users = Vec::with_capacity(rows.len());
    for row in rows {
        users.push(user(conn, row).await?);
    }
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM users").fetch_one(&mut *conn).await?.get(0);
    Ok((users, total))
}

pub async fn roles_of(conn: &mut Conn, user_id: i64) -> Result<Vec<Role>> {
    let rows = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role").bind(user_id).fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|r| {
            let s: String = r.get(0);
            s.parse::<Role>().map_err(|_| Error::Corrupt(format!("role {s}")))
        })
        .collect()
}

pub async fn add_role(conn: &mut Conn, user_id: i64, role: Role, now_us: i64) -> Result<()> {
    sqlx::query("INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3)")
        .bind(user_id)
        .bind(role.as_str())
        .bind(now_us)
        .execute(&mut *conn)
        .await
        .map_err(conflict(format!("role {role} of user {user_id}")))?;
    Ok(())
}

/// Returns whether the user had the role.
pub async fn remove_role(conn: &mut Conn, user_id: i64, role: Role) -> Result<bool> {
    let done = sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
        .bind(user_id)
        .bind(role.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_password_hash(conn: &mut Conn, user_id: i64, hash: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(user_id).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_active(conn: &mut Conn, user_id: i64, active: bool) -> Result<bool> {
    let done = sqlx::query("UPDATE users SET active = $1 WHERE id = $2").bind(active as i64).bind(user_id).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}

pub async fn insert_session(conn: &mut Conn, token_hash: &str, user_id: i64, csrf: &str, now_us: i64, expires_us: i64) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now_us)
        .bind(expires_us)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The active user of a live session, with the session's CSRF token.
pub async fn session_user(conn: &mut Conn, token_hash: &str, now_us: i64) -> Result<Option<(User, String)>> {
    let row = sqlx::query(
        "SELECT s.user_id, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(token_hash)
    .bind(now_us)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: i64 = row.get(0);
    let csrf: String = row.get(1);
    Ok(user_by_id(conn, user_id).await?.map(|u| (u, csrf)))
}

pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *conn).await?;
    Ok(())
}

pub async fn delete_sessions_of(conn: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    Ok(())
}

pub async fn record_login_attempt(conn: &mut Conn, username: &str, client_addr: &str, now_us: i64, ok: bool) -> Result<()> {
    sqlx::query("INSERT INTO login_attempts (username, client_addr, at, ok) VALUES ($1, $2, $3, $4)")
        .bind(username)
        .bind(client_addr)
        .bind(now_us)
        .bind(ok as i64)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Failed attempts for a username since an instant (since its last success, if later).
pub async fn recent_failures(conn: &mut Conn, username: &str, since_us: i64) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND ok = 0 AND at > $2
           AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE username = $1 AND ok = 1), 0)",
    )
    .bind(username)
    .bind(since_us)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

pub async fn set_department(conn: &mut Conn, user_id: i64, department_id: Option<i64>) -> Result<bool> {
    let done = sqlx::query("UPDATE users SET department_id = $1 WHERE id = $2").bind(department_id).bind(user_id).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}
