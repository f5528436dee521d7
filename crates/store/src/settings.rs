//! Key–value settings of a deployment that live in the database, so every node sees the same (the chosen
//! profile, the audit retention the database triggers read).

use sqlx::Row;

use crate::{Conn, Result};

pub const PROFILE: &str = "profile";
pub const AUDIT_RETENTION_YEARS: &str = "audit_retention_years";
/// Bumped by every calendar load (see `calendar::upsert_year`).
pub const CALENDAR_VERSION: &str = "calendar_version";

pub async fn get(conn: &mut Conn, key: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&mut *conn).await?;
    Ok(row.map(|r| r.get::<String, _>(0)))
}

pub async fn set(conn: &mut Conn, key: &str, value: &str) -> Result<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
