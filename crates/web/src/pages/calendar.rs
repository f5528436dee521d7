//! The working-day calendar: loaded years, the profile's deadlines and a deadline calculator.

use super::*;

#[derive(Deserialize)]
pub(super) struct CalendarForm {
    from: Option<String>,
    working_days: Option<String>,
}

pub(super) async fn calendar(State(state): State<AppState>, page: Page, Query(q): Query<CalendarForm>) -> Response {
    let (due, error) = match calculate(&state, &page, &q) {
        Ok(due) => (due, None),
        Err(message) => (None, Some(message)),
    };
    let n = q.working_days.as_deref().and_then(|s| s.trim().parse::<u32>().ok()).unwrap_or(1);
    let years: Vec<Value> = {
        let cal = state.platform.calendar();
        cal.loaded_years()
            .into_iter()
            .rev()
            .filter_map(|y| cal.notice(y))
            .map(|n| {
                let off: Vec<String> = n.days.iter().filter(|d| d.off).map(|d| d.date.format("%m-%d").to_string()).collect();
                let worked: Vec<String> = n.days.iter().filter(|d| !d.off).map(|d| d.date.format("%m-%d").to_string()).collect();
                context! { year => n.year, off, worked }
            })
            .collect()
    };
    let deadlines: Vec<Value> = state
        .platform
        .profile
        .deadlines
        .iter()
        .map(|d| {
            let unit = match (d.unit, page.lang) {
                (domain::profile::Unit::WorkingDays, Lang::Zh) => "个工作日",
                (domain::profile::Unit::WorkingDays, Lang::En) => "working days",
                (domain::profile::Unit::CalendarDays, Lang::Zh) => "日",
                (domain::profile::Unit::CalendarDays, Lang::En) => "days",
                (domain::profile::Unit::Months, Lang::Zh) => "个月",
                (domain::profile::Unit::Months, Lang::En) => "months",
                (domain::profile::Unit::Years, Lang::Zh) => "年",
                (domain::profile::Unit::Years, Lang::En) => "years",
                (domain::profile::Unit::Immediately, Lang::Zh) => "（立即）",
                (domain::profile::Unit::Immediately, Lang::En) => "(immediately)",
                (domain::profile::Unit::Unspecified, Lang::Zh) => "（未规定）",
                (domain::profile::Unit::Unspecified, Lang::En) => "(unspecified)",
            };
            let label = if page.lang == Lang::Zh { &d.label } else { &d.label_en };
            context! { label, value => d.value, unit, article => d.article, quote => d.quote, configurable => d.configurable }
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    render(&state, &page, "calendar.html", status, context! { from => q.from, working_days => n, due, error, years, deadlines })
}

/// The calculator's answer: none before a start date is given; a message saying what to fix when the date or the
/// number of working days cannot be read, rather than showing no answer as if nothing had been asked.
fn calculate(state: &AppState, page: &Page, q: &CalendarForm) -> Result<Option<domain::calendar::Due>, String> {
    let Some(from) = form_day(page, ("起始日期", "start date"), &q.from)? else { return Ok(None) };
    let zh = page.lang == Lang::Zh;
    let n = match q.working_days.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 1,
        Some(text) => text.parse::<u32>().map_err(|_| {
            if zh { format!("工作日数“{text}”无法识别：请填写0至3650的整数") } else { format!("The number of working days \"{text}\" is not a whole number from 0 to 3650") }
        })?,
    };
    service::calendar::deadline(&state.platform, from, n).map(Some).map_err(|e| error_message(page, e))
}

