//! Sharing: applications and their answers, grants, and the sharing API called with a grant's system token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::sharing::{Answer, NewScenario, ScenarioView, NewUsage, Usage, ApplicationView, BatchQuery, CallOptions, TraceRequest, Traced, GrantDecision, GrantView, NewApplication, Record, Stats, StatsRequest, Verification, VerifyRequest};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

pub async fn apply(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewApplication>) -> ApiResult<(StatusCode, Json<ApplicationView>)> {
    Ok((StatusCode::CREATED, Json(service::sharing::apply(&s.platform, &caller, b).await?)))
}

pub async fn applications(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<ApplicationView>>> {
    let items = service::sharing::applications(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn application(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(service::sharing::application(&s.platform, &caller, id).await?))
}

pub async fn answer(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<Answer>) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(service::sharing::answer(&s.platform, &caller, id, b).await?))
}

pub async fn grants(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<GrantView>>> {
    let items = service::sharing::grants(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn decide_grant(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<GrantDecision>) -> ApiResult<Json<GrantView>> {
    Ok(Json(service::sharing::decide_grant(&s.platform, &caller, id, b).await?))
}

pub async fn record(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath((code, key)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<CallOptions>,
) -> ApiResult<Json<Record>> {
    Ok(Json(service::sharing::record(&s.platform, &caller, &code, &key, q).await?))
}

pub async fn stats(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>, ApiJson(b): ApiJson<StatsRequest>) -> ApiResult<Json<Stats>> {
    Ok(Json(service::sharing::stats(&s.platform, &caller, &code, b).await?))
}

pub async fn batch(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>, ApiQuery(q): ApiQuery<BatchQuery>) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let f = service::sharing::batch(&s.platform, &caller, &code, q).await?;
    let (kind, ext) = if f.parquet { ("application/vnd.apache.parquet", "parquet") } else { ("text/csv; charset=utf-8", "csv") };
    let body = super::aggregation::stream_file(f.file).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{code}-v{}-d{}.{ext}\"", f.version, f.delivery_id)),
            (axum::http::HeaderName::from_static("x-rows"), f.rows.to_string()),
            (axum::http::HeaderName::from_static("x-delivery-id"), f.delivery_id.to_string()),
            (axum::http::HeaderName::from_static("x-sm3"), f.sm3),
        ],
        body,
    )
        .into_response())
}

pub async fn record_usage(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<NewUsage>) -> ApiResult<(StatusCode, Json<Usage>)> {
    Ok((StatusCode::CREATED, Json(service::sharing::record_usage(&s.platform, &caller, id, b).await?)))
}

pub async fn usage(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<List<Usage>>> {
    let items = service::sharing::usage(&s.platform, &caller, id).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallsQuery {
    /// How many days back, today included (1 to 366; default 30).
    #[serde(default)]
    pub days: Option<u32>,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// At most this many, newest first (1 to 1000; default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

pub async fn events(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiQuery(q): ApiQuery<EventsQuery>) -> ApiResult<Json<List<domain::orgs::AuditEvent>>> {
    let items = service::sharing::grant_events(&s.platform, &caller, id, q.limit.unwrap_or(100)).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn calls(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiQuery(q): ApiQuery<CallsQuery>) -> ApiResult<Json<Vec<service::sharing::DayCalls>>> {
    Ok(Json(service::sharing::calls(&s.platform, &caller, id, q.days.unwrap_or(30)).await?))
}

pub async fn department_report(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::sharing::DepartmentSharingMetrics>>> {
    let items = service::sharing::department_metrics(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn create_scenario(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewScenario>) -> ApiResult<(StatusCode, Json<ScenarioView>)> {
    Ok((StatusCode::CREATED, Json(service::sharing::create_scenario(&s.platform, &caller, b).await?)))
}

pub async fn scenarios(State(s): State<AppState>) -> ApiResult<Json<List<ScenarioView>>> {
    let items = service::sharing::scenarios(&s.platform).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn trace(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<TraceRequest>) -> ApiResult<Json<List<Traced>>> {
    let items = service::sharing::trace(&s.platform, &caller, b).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn verify(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>, ApiJson(b): ApiJson<VerifyRequest>) -> ApiResult<Json<Verification>> {
    Ok(Json(service::sharing::verify(&s.platform, &caller, &code, b).await?))
}

pub async fn subscribe(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiJson(b): ApiJson<service::sharing::NewSubscription>,
) -> ApiResult<(StatusCode, Json<service::sharing::SubscriptionView>)> {
    Ok((StatusCode::CREATED, Json(service::sharing::subscribe(&s.platform, &caller, b).await?)))
}

pub async fn subscriptions(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::sharing::SubscriptionView>>> {
    let items = service::sharing::subscriptions(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn unsubscribe(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<service::sharing::SubscriptionView>> {
    Ok(Json(service::sharing::unsubscribe(&s.platform, &caller, id).await?))
}

pub async fn pushes(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<List<service::sharing::PushView>>> {
    let items = service::sharing::pushes(&s.platform, &caller, id).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn request_onward(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<service::sharing::onward::NewOnward>) -> ApiResult<(StatusCode, Json<service::sharing::onward::Onward>)> {
    Ok((StatusCode::CREATED, Json(service::sharing::onward::request(&s.platform, &caller, b).await?)))
}

pub async fn onward_list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::sharing::onward::Onward>>> {
    let items = service::sharing::onward::list(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn answer_onward(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<service::sharing::onward::OnwardAnswer>) -> ApiResult<Json<service::sharing::onward::Onward>> {
    Ok(Json(service::sharing::onward::answer(&s.platform, &caller, id, b).await?))
}

pub async fn record_consent(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<service::sharing::consents::NewConsent>) -> ApiResult<(StatusCode, Json<service::sharing::consents::Consent>)> {
    Ok((StatusCode::CREATED, Json(service::sharing::consents::record(&s.platform, &caller, b).await?)))
}

pub async fn consents(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<service::sharing::consents::ConsentQuery>) -> ApiResult<Json<List<service::sharing::consents::Consent>>> {
    let items = service::sharing::consents::of_subject(&s.platform, &caller, &q.subject_id).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn revoke_consent(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<service::sharing::consents::Consent>> {
    Ok(Json(service::sharing::consents::revoke(&s.platform, &caller, id).await?))
}
