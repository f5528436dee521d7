//! Aggregation: a resource's dataset versions, and the report and quarantine of each batch.

use std::io::Write;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use futures_util::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use service::aggregation::{BatchReport, Delivery, Format, Mode, VersionView};
use service::catalog::import::Encoding;

use super::List;
use crate::error::{ApiError, ApiResult, ErrorDetail};
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::AppState;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// `auto` (default: UTF-8 if the file is, else GBK), `utf-8` or `gbk`; for CSV.
    pub encoding: Option<String>,
    /// The file's name, kept in the batch report.
    pub name: Option<String>,
    /// `replace` (default: the batch is the whole dataset) or `merge` (new and changed rows, put in by key).
    pub mode: Option<String>,
}

/// A refused batch: the error, and the report of what was found.
#[derive(Serialize, JsonSchema)]
pub struct RefusedBatch {
    pub error: ErrorDetail,
    pub batch: BatchReport,
}

const MEDIA_TYPES: &str = "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (XLSX), application/x-ndjson (JSON lines), application/json ({\"rows\": [...]}), application/vnd.apache.parquet";

/// Delivers the request body as a batch, streamed to disk: CSV, XLSX, JSON lines, JSON rows or Parquet by its
/// `Content-Type`. 201 with the report when the batch is committed; 200 with the first report (`replayed`) when
/// its `Idempotency-Key` was already delivered; 422 with the error and the report when it is refused whole.
pub async fn upload(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<axum::response::Response> {
    let kind = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // A generic binary body is taken as the file its name says.
    let format = if kind.to_ascii_lowercase().starts_with("application/octet-stream") {
        Some(Format::of_name(q.name.as_deref().unwrap_or("upload.csv")))
    } else {
        Format::of_media_type(kind)
    };
    let Some(format) = format else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("不支持的Content-Type“{kind}”：可用 {MEDIA_TYPES}"),
            format!("Unsupported Content-Type '{kind}': use {MEDIA_TYPES}"),
        ));
    };
    let encoding = match q.encoding.as_deref() {
        None => Encoding::Auto,
        Some(e) => Encoding::parse(e).ok_or_else(|| ApiError::bad_request("invalid_query", format!("未知编码“{e}”：可选 auto、utf-8、gbk"), format!("Unknown encoding '{e}': auto, utf-8 or gbk")))?,
    };
    let mode = match q.mode.as_deref() {
        None => Mode::Replace,
        Some(m) => Mode::parse(m).ok_or_else(|| ApiError::bad_request("invalid_query", format!("未知交付方式“{m}”：可选 replace（整体替换）、merge（按主键合并）"), format!("Unknown mode '{m}': replace or merge")))?,
    };
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::bad_request("invalid_batch_key", "Idempotency-Key 须为可见ASCII字符", "The Idempotency-Key is visible ASCII"))?
                .trim()
                .to_string(),
        ),
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
    let mut name = q.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| format!("upload.{}", format.extension()));
    if Format::of_name(&name) != format {
        name = format!("{name}.{}", format.extension());
    }
    // The push client (前置机) says who it is; other systems pushing by token are the API channel.
    let agent = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let channel = if agent.starts_with("shuyuan-push/") {
        "push"
    } else if key.is_some() || matches!(caller.kind, service::actor::ActorKind::System { .. }) {
        "api"
    } else {
        "file"
    };
    let delivery = Delivery { format, encoding, mode, channel, key, source_name: name };
    let report = service::aggregation::deliver(&s.platform, &caller, &code, spool.path(), delivery, |_| {}).await?;
    if report.replayed {
        return Ok((StatusCode::OK, [("idempotent-replayed", "true")], Json(report)).into_response());
    }
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

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Rows to skip (default 0).
    pub offset: Option<usize>,
    /// Rows to answer, 1 to 1000 (default 100).
    pub limit: Option<usize>,
}

pub async fn version_rows(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath((code, version)): ApiPath<(String, i64)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<service::aggregation::VersionRows>> {
    Ok(Json(service::aggregation::version_rows(&s.platform, &caller, &code, version, q.offset.unwrap_or(0), q.limit.unwrap_or(100)).await?))
}

pub async fn version_file(State(s): State<AppState>, Caller(caller): Caller, ApiPath((code, version)): ApiPath<(String, i64)>) -> ApiResult<axum::response::Response> {
    let bytes = service::aggregation::version_file(&s.platform, &caller, &code, version).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/vnd.apache.parquet".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{code}-v{version}.parquet\"")),
        ],
        bytes,
    )
        .into_response())
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

pub async fn query(
    State(s): State<AppState>,
    Caller(caller): Caller,
    crate::extract::ApiJson(b): crate::extract::ApiJson<service::aggregation::query::QueryRequest>,
) -> ApiResult<Json<service::aggregation::query::QueryAnswer>> {
    Ok(Json(service::aggregation::query::query(&s.platform, &caller, b).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackflowQuery {
    /// The duty the returned data serves (SYS-30b), kept in the audit log.
    pub purpose: Option<String>,
}

/// The caller's district's rows of a city resource, as CSV (回流).
/// A temporary file as a streamed body; the file is unlinked at once and the open handle streams it.
pub(crate) async fn stream_file(tmp: tempfile::NamedTempFile) -> Result<axum::body::Body, ApiError> {
    let file = tokio::fs::File::open(tmp.path()).await.map_err(|e| ApiError::internal(format!("spooled file: {e}")))?;
    drop(tmp);
    Ok(axum::body::Body::from_stream(futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 1 << 16];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })))
}

pub async fn backflow(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>, ApiQuery(q): ApiQuery<BackflowQuery>) -> ApiResult<axum::response::Response> {
    let slice = service::aggregation::backflow::district_slice(&s.platform, &caller, &code, q.purpose.as_deref().unwrap_or("")).await?;
    let body = stream_file(slice.file).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{code}-{}-v{}.csv\"", slice.region_code, slice.version)),
            (axum::http::HeaderName::from_static("x-rows"), slice.rows.to_string()),
        ],
        body,
    )
        .into_response())
}

pub async fn coverage(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::aggregation::Coverage>>> {
    let items = service::aggregation::coverage(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn retention(State(s): State<AppState>) -> ApiResult<Json<service::aggregation::retention::Retention>> {
    Ok(Json(service::aggregation::retention::rule(&s.platform).await?))
}

pub async fn set_retention(
    State(s): State<AppState>,
    Caller(caller): Caller,
    crate::extract::ApiJson(b): crate::extract::ApiJson<service::aggregation::retention::Retention>,
) -> ApiResult<Json<service::aggregation::retention::Retention>> {
    Ok(Json(service::aggregation::retention::set_rule(&s.platform, &caller, b).await?))
}
