//! Aggregation: a resource's dataset versions, and the report and quarantine of each batch.

use std::io::Write;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use service::aggregation::{BatchReport, VersionView};
use service::catalog::import::Encoding;

use super::List;
use crate::error::{ApiError, ApiResult, ErrorDetail};
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::AppState;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// `auto` (default: UTF-8 if the file is, else GBK), `utf-8` or `gbk`.
    pub encoding: Option<String>,
    /// The file's name, kept in the batch report.
    pub name: Option<String>,
}

/// A refused batch: the error, and the report of what was found.
#[derive(Serialize, JsonSchema)]
pub struct RefusedBatch {
    pub error: ErrorDetail,
    pub batch: BatchReport,
}

/// Delivers a CSV (`Content-Type: text/csv`) or XLSX file as the request body, streamed to disk: 201 with the report
/// when the batch is committed, 422 with the error and the report when it is refused whole.
pub async fn upload(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<axum::response::Response> {
    let kind = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    if !(kind.starts_with("text/csv") || kind.starts_with("application/octet-stream") || kind.starts_with(XLSX)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("请以 Content-Type: text/csv（CSV）或 {XLSX}（XLSX）上传"),
            format!("Upload with 'Content-Type: text/csv' (CSV) or '{XLSX}' (XLSX)"),
        ));
    }
    let encoding = match q.encoding.as_deref() {
        None => Encoding::Auto,
        Some(e) => Encoding::parse(e).ok_or_else(|| ApiError::bad_request("invalid_query", format!("未知编码“{e}”：可选 auto、utf-8、gbk"), format!("Unknown encoding '{e}': auto, utf-8 or gbk")))?,
    };
    let limit = s.options.max_upload_bytes;
    let too_large = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large", format!("文件超过{}MiB的上限", limit >> 20), format!("The file is over the {} MiB limit", limit >> 20));
    let broken = |e: std::io::Error| ApiError::internal(format!("upload spool: {e}"));
    // The body goes to a temporary file as it arrives; it is removed when this request ends, whatever happens.
    let mut spool = tempfile::NamedTempFile::new().map_err(broken)?;
    let mut written = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("unreadable_body", format!("上传中断：{e}"), format!("The upload broke off: {e}")))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(too_large());
        }
        spool.write_all(&chunk).map_err(broken)?;
    }
    spool.flush().map_err(broken)?;
    let fallback = if kind.starts_with(XLSX) { "upload.xlsx" } else { "upload.csv" };
    let mut name = q.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| fallback.into());
    if kind.starts_with(XLSX) && !name.to_ascii_lowercase().ends_with(".xlsx") {
        name.push_str(".xlsx");
    }
    let report = service::aggregation::ingest_upload(&s.platform, &caller, &code, spool.path(), &name, encoding).await?;
    if report.state == "committed" {
        return Ok((StatusCode::CREATED, Json(report)).into_response());
    }
    let error = ErrorDetail {
        code: "batch_refused".into(),
        message: report.refusal.clone().unwrap_or_default(),
        message_en: report.refusal_en.clone().unwrap_or_default(),
        fields: vec![],
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(RefusedBatch { error, batch: report })).into_response())
}

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

pub async fn history(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>) -> ApiResult<Json<List<service::aggregation::BatchSummary>>> {
    let items = service::aggregation::history(&s.platform, &caller, &code).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn limits(State(s): State<AppState>) -> ApiResult<Json<service::aggregation::Limits>> {
    Ok(Json(service::aggregation::limits(&s.platform).await?))
}

pub async fn set_limits(
    State(s): State<AppState>,
    Caller(caller): Caller,
    crate::extract::ApiJson(b): crate::extract::ApiJson<service::aggregation::Limits>,
) -> ApiResult<Json<service::aggregation::Limits>> {
    Ok(Json(service::aggregation::set_limits(&s.platform, &caller, b).await?))
}
