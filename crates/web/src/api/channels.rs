//! Exchange channels outside the platform: registered by their department, integrated or shut down, or kept as an
//! exception the authority approves (LS-17a, CS-22e, FS-25b).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::channels::{Channel, ChannelDecision, DepartmentChannels, ExceptionRequest, NewChannel, Retirement};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

pub async fn register(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewChannel>) -> ApiResult<(StatusCode, Json<Channel>)> {
    Ok((StatusCode::CREATED, Json(service::channels::register(&s.platform, &caller, b).await?)))
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<Channel>>> {
    let items = service::channels::list(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn get(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Channel>> {
    Ok(Json(service::channels::get(&s.platform, &caller, id).await?))
}

pub async fn exception(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<ExceptionRequest>) -> ApiResult<Json<Channel>> {
    Ok(Json(service::channels::request_exception(&s.platform, &caller, id, b).await?))
}

pub async fn decide(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<ChannelDecision>) -> ApiResult<Json<Channel>> {
    Ok(Json(service::channels::decide(&s.platform, &caller, id, b).await?))
}

pub async fn retire(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<Retirement>) -> ApiResult<Json<Channel>> {
    Ok(Json(service::channels::retire(&s.platform, &caller, id, b).await?))
}

pub async fn report(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<DepartmentChannels>>> {
    let items = service::channels::report(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}
