//! The years of the holiday calendar the authority has loaded, each kept as its notice in JSON, and a version
//! that every load bumps in the same transaction, so other nodes can tell their copy is stale.

use domain::calendar::YearCalendar;
use sqlx::Row;

use crate::{Conn, Error, Result};

pub async fn upsert_year(conn: &mut Conn, year: &YearCalendar, loaded_by: &str, now_us: i64) -> Result<()> {
    let notice = serde_json::to_string(year).map_err(|e| Error::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO calendar_years (year, notice, loaded_at, loaded_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (year) DO UPDATE SET notice = excluded.notice, loaded_at = excluded.loaded_at, loaded_by = excluded.loaded_by",
    )
    .bind(year.year)
    .bind(notice)
    .bind(now_us)
    .bind(loaded_by)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)",
    )
    .bind(crate::settings::CALENDAR_VERSION)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many times a year has been loaded; 0 before the first.
pub async fn version(conn: &mut Conn) -> Result<i64> {
    let value = crate::settings::get(conn, crate::settings::CALENDAR_VERSION).await?;
    value.map_or(Ok(0), |v| v.parse().map_err(|_| Error::Corrupt(format!("calendar version {v}"))))
}

pub async fn years(conn: &mut Conn) -> Result<Vec<YearCalendar>> {
    let rows = sqlx::query("SELECT notice FROM calendar_years ORDER BY year").fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|r| {
            let text: String = r.get(0);
            serde_json::from_str(&text).map_err(|e| Error::Corrupt(format!("calendar year: {e}")))
        })
        .collect()
}
