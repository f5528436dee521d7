//! Disputes between departments (争议) and requests for data from outside the city (上级数据申请).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::disputes::{DisputeView, NewDispute, StepInput};
use service::upstream::{NewUpstream, UpstreamStepInput, UpstreamView};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

pub async fn open(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewDispute>) -> ApiResult<(StatusCode, Json<DisputeView>)> {
    Ok((StatusCode::CREATED, Json(service::disputes::open(&s.platform, &caller, b).await?)))
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<DisputeView>>> {
    let items = service::disputes::disputes(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn get(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<DisputeView>> {
    Ok(Json(service::disputes::dispute(&s.platform, &caller, id).await?))
}

pub async fn step(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<StepInput>) -> ApiResult<Json<DisputeView>> {
    Ok(Json(service::disputes::step(&s.platform, &caller, id, b).await?))
}

pub async fn file_upstream(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewUpstream>) -> ApiResult<(StatusCode, Json<UpstreamView>)> {
    Ok((StatusCode::CREATED, Json(service::upstream::file(&s.platform, &caller, b).await?)))
}

pub async fn upstream_list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<UpstreamView>>> {
    let items = service::upstream::requests(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn upstream_get(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<UpstreamView>> {
    Ok(Json(service::upstream::request(&s.platform, &caller, id).await?))
}

pub async fn upstream_step(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<UpstreamStepInput>) -> ApiResult<Json<UpstreamView>> {
    Ok(Json(service::upstream::step(&s.platform, &caller, id, b).await?))
}
