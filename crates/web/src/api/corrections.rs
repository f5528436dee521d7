//! Correction requests: filed by a department using shared data (its officer or its system), resolved by the provider.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::corrections::{Correction, CorrectionRule, NewCorrection, Resolution, RuleInput};

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
