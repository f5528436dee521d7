//! Departments' core business items (核心业务梳理, LS-19a).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use service::business_items::{BusinessItem, NewBusinessItem};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, Caller};
use crate::AppState;

pub async fn register(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<NewBusinessItem>) -> ApiResult<(StatusCode, Json<BusinessItem>)> {
    Ok((StatusCode::CREATED, Json(service::business_items::register(&s.platform, &caller, b).await?)))
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<BusinessItem>>> {
    let items = service::business_items::list(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}
