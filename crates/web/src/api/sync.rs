//! Database sync jobs: testing a department's database, setting up a job, running it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::aggregation::sync::{ConnectionReport, ConnectionTest, NewSyncJob, SyncJob, SyncRun};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

pub async fn test(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<ConnectionTest>) -> ApiResult<Json<ConnectionReport>> {
    Ok(Json(service::aggregation::sync::test_connection(&s.platform, &caller, b).await?))
}

pub async fn create(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewSyncJob>) -> ApiResult<(StatusCode, Json<SyncJob>)> {
    Ok((StatusCode::CREATED, Json(service::aggregation::sync::create(&s.platform, &caller, b).await?)))
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<SyncJob>>> {
    let items = service::aggregation::sync::list(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn get(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<SyncJob>> {
    Ok(Json(service::aggregation::sync::get(&s.platform, &caller, id).await?))
}

pub async fn delete(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    service::aggregation::sync::delete(&s.platform, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn run(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<SyncRun>> {
    Ok(Json(service::aggregation::sync::run(&s.platform, &caller, id).await?))
}
