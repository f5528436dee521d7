//! Correction requests: filed by a department using shared data (its officer or its system), resolved by the provider.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::corrections::{Correction, CorrectionRule, Feedback, NewCorrection, NewFeedback, Recheck, Resolution, RuleInput};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

pub async fn file(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewCorrection>) -> ApiResult<(StatusCode, Json<Correction>)> {
    Ok((StatusCode::CREATED, Json(service::corrections::file(&s.platform, &caller, b).await?)))
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<Correction>>> {
    let items = service::corrections::list(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn resolve(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<Resolution>) -> ApiResult<Json<Correction>> {
    Ok(Json(service::corrections::resolve(&s.platform, &caller, id, b).await?))
}

pub async fn rules(State(s): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<List<CorrectionRule>>> {
    let items = service::corrections::rules(&s.platform, &code).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn set_rule(State(s): State<AppState>, Caller(caller): Caller, ApiPath((code, item)): ApiPath<(String, String)>, ApiJson(b): ApiJson<RuleInput>) -> ApiResult<Json<CorrectionRule>> {
    Ok(Json(service::corrections::set_rule(&s.platform, &caller, &code, &item, b).await?))
}

pub async fn give_feedback(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewFeedback>) -> ApiResult<(StatusCode, Json<Feedback>)> {
    Ok((StatusCode::CREATED, Json(service::corrections::give_feedback(&s.platform, &caller, b).await?)))
}

pub async fn feedback_list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<Feedback>>> {
    let items = service::corrections::feedback_list(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn recheck(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<Recheck>) -> ApiResult<Json<Feedback>> {
    Ok(Json(service::corrections::recheck(&s.platform, &caller, id, b).await?))
}
