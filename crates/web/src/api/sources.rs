//! One data, one source: the register of source departments and the repeated collections the authority settles.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::sources::{Adopted, Designate, NewSource, RepeatedCollection, Settle, Source};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, Caller};
use crate::AppState;

pub async fn list(State(s): State<AppState>) -> ApiResult<Json<List<Source>>> {
    let items = service::sources::list(&s.platform).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn create(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewSource>) -> ApiResult<(StatusCode, Json<Source>)> {
    Ok((StatusCode::CREATED, Json(service::sources::create(&s.platform, &caller, b).await?)))
}

pub async fn designate(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<Designate>) -> ApiResult<Json<Source>> {
    Ok(Json(service::sources::designate(&s.platform, &caller, id, b).await?))
}

pub async fn adopt(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<Adopted>> {
    Ok(Json(service::sources::adopt_statutory(&s.platform, &caller).await?))
}

pub async fn repeated(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<RepeatedCollection>>> {
    let items = service::sources::repeated(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn settle(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<Settle>) -> ApiResult<Json<RepeatedCollection>> {
    Ok(Json(service::sources::settle(&s.platform, &caller, b).await?))
}
