//! The working-day clock and the policy profile.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use domain::calendar::{Due, SpecialDay, YearCalendar};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineQuery {
    /// The day of receipt, YYYY-MM-DD.
    pub from: NaiveDate,
    pub working_days: u32,
}

pub async fn deadline(State(s): State<AppState>, ApiQuery(q): ApiQuery<DeadlineQuery>) -> ApiResult<Json<Due>> {
    Ok(Json(service::calendar::deadline(&s.platform, q.from, q.working_days)?))
}

#[derive(Serialize, JsonSchema)]
pub struct YearsResponse {
    pub items: Vec<YearInfo>,
    pub total: i64,
}

#[derive(Serialize, JsonSchema)]
pub struct YearInfo {
    pub year: i32,
    pub papers: Vec<String>,
    pub holidays: usize,
    pub adjusted_working_days: usize,
}

pub async fn years(State(s): State<AppState>) -> Json<YearsResponse> {
    let cal = s.platform.calendar();
    let items: Vec<YearInfo> = cal
        .loaded_years()
        .into_iter()
        .filter_map(|y| cal.notice(y))
        .map(|n| YearInfo {
            year: n.year,
            papers: n.papers.clone(),
            holidays: n.days.iter().filter(|d| d.off).count(),
            adjusted_working_days: n.days.iter().filter(|d| !d.off).count(),
        })
        .collect();
    Json(YearsResponse { total: items.len() as i64, items })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct YearBody {
    #[serde(default)]
    pub papers: Vec<String>,
    pub days: Vec<DayBody>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DayBody {
    pub date: NaiveDate,
    pub name: String,
    /// `true`: a holiday; `false`: a weekend day worked (调休).
    pub off: bool,
}

pub async fn put_year(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(year): ApiPath<i32>,
    ApiJson(body): ApiJson<YearBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let notice = YearCalendar {
        year,
        papers: body.papers,
        days: body.days.into_iter().map(|d| SpecialDay { date: d.date, name: d.name, off: d.off }).collect(),
    };
    service::calendar::load_year(&s.platform, &caller, notice).await?;
    Ok(Json(serde_json::json!({"ok": true, "year": year})))
}

pub async fn profile(State(s): State<AppState>) -> Json<domain::profile::Profile> {
    Json(s.platform.profile.clone())
}
