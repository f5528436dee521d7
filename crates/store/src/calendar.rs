//! The years of the holiday calendar the authority has loaded, each kept as its notice in JSON.

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
    Ok(())
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
