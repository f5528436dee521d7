//! Health, metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::error::ApiError;
use crate::AppState;

pub async fn healthz(State(s): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    s.platform.store.ping().await.map_err(|e| {
        tracing::error!(error = %e, "health check failed");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "数据库不可用", "The database does not answer")
    })?;
    Ok(Json(serde_json::json!({"status": "ok", "profile": s.platform.profile.id})))
}

pub async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render())
}

pub async fn openapi() -> impl IntoResponse {
    Json(crate::openapi::document())
}
