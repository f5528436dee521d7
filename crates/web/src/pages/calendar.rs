//! The working-day calendar: loaded years, the profile's deadlines and a deadline calculator.

use super::*;

#[derive(Deserialize)]
pub(super) struct CalendarForm {
    from: Option<String>,
    working_days: Option<String>,
}

pub(super) async fn calendar(State(state): State<AppState>, page: Page, Query(q): Query<CalendarForm>) -> Response {
    let from = q.from.as_deref().and_then(|s| s.parse::<chrono::NaiveDate>().ok());
    let n = q.working_days.as_deref().and_then(|s| s.parse::<u32>().ok()).unwrap_or(1);
    let due = from.and_then(|f| service::calendar::deadline(&state.platform, f, n).ok());
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
    render(
        &state,
        &page,
        "calendar.html",
        StatusCode::OK,
        context! { from => q.from, working_days => n, due, years, deadlines },
    )
}

