//! Data demands: filed by a department, answered by the provider (or the authority), mounted once cataloged.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::demands::{Demand, DemandAnswer, Mount, NewDemand};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

pub async fn create(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewDemand>) -> ApiResult<(StatusCode, Json<Demand>)> {
    Ok((StatusCode::CREATED, Json(service::demands::create(&s.platform, &caller, b).await?)))
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<Demand>>> {
    let items = service::demands::list(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn answer(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<DemandAnswer>) -> ApiResult<Json<Demand>> {
    Ok(Json(service::demands::answer(&s.platform, &caller, id, b).await?))
}

pub async fn mount(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<Mount>) -> ApiResult<Json<Demand>> {
    Ok(Json(service::demands::mount(&s.platform, &caller, id, b).await?))
}

/// YZ-15c: a refused application taken to the demand list.
pub async fn escalate(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<(StatusCode, Json<Demand>)> {
    Ok((StatusCode::CREATED, Json(service::demands::escalate(&s.platform, &caller, id).await?)))
}
