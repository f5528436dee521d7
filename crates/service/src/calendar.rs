//! The working-day calendar as the authority keeps it: deadlines, and loading a year's notice.

use domain::calendar::{Due, YearCalendar};
use domain::roles::Role;

use crate::{Actor, Error, Platform, Result};

pub fn deadline(p: &Platform, from: chrono::NaiveDate, working_days: u32) -> Result<Due> {
    if working_days > 3650 {
        return Err(Error::invalid(
            "invalid_working_days",
            "工作日数不能超过3650",
            "working_days must be at most 3650",
        ));
    }
    Ok(p.calendar().deadline(from, working_days, p.profile.clock))
}

/// Loads (or replaces) a year's holiday notice. Only the authority may, and the change is audited.
pub async fn load_year(p: &Platform, actor: &Actor, year: YearCalendar) -> Result<()> {
    if !actor.has(Role::AuthorityAdmin) {
        return Err(Error::forbidden("只有数据主管部门可以更新节假日日历", "Only the data authority can update the holiday calendar"));
    }
    year.check()?;
    let mut tx = p.store.begin().await?;
    store::calendar::upsert_year(&mut tx, &year, &actor.name, p.now_us()).await?;
    let mut event = actor.event("calendar.load_year", "calendar_year", year.year.to_string());
    event.detail = format!("{} days", year.days.len());
    store::audit::append(&mut tx, &event, p.now_us()).await?;
    tx.commit().await?;
    p.refresh_calendar().await?;
    Ok(())
}
