//! Aggregation: a resource's dataset versions, and the report and quarantine of each batch.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use service::aggregation::{BatchReport, VersionView};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiPath, Caller};
use crate::AppState;

pub async fn versions(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>) -> ApiResult<Json<List<VersionView>>> {
    let items = service::aggregation::versions(&s.platform, &caller, &code).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn batch(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<BatchReport>> {
    Ok(Json(service::aggregation::batch(&s.platform, &caller, id).await?))
}

pub async fn quarantine(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<axum::response::Response> {
    let bytes = service::aggregation::quarantine(&s.platform, &caller, id).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"batch-{id}-quarantine.csv\"")),
        ],
        bytes,
    )
        .into_response())
}

pub async fn freshness(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::aggregation::Freshness>>> {
    let items = service::aggregation::freshness(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}
