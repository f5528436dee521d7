//! The auditor's routes: search, export, verify.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use domain::orgs::AuditEvent;
use schemars::JsonSchema;
use serde::Deserialize;
use service::audit::{Filter, VerifyReport};

use super::List;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, Caller};
use crate::AppState;

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Actions starting with this, e.g. `user.` or `auth.login`.
    pub action: Option<String>,
    pub actor: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// `ok`, `denied`, …
    pub result: Option<String>,
    /// First day, YYYY-MM-DD (Asia/Shanghai).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl SearchQuery {
    pub fn filter(&self) -> Filter {
        let day_start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0).map(|t| (t - chrono::Duration::hours(8)).and_utc().timestamp_micros()).unwrap_or(0)
        };
        let nonempty = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        Filter {
            action_prefix: nonempty(&self.action),
            actor_user_id: None,
            actor_name: nonempty(&self.actor),
            object_kind: nonempty(&self.object_kind),
            object_id: nonempty(&self.object_id),
            result: nonempty(&self.result),
            from_us: self.from.map(day_start),
            to_us: self.to.map(|d| day_start(d + chrono::Duration::days(1))),
        }
    }
}

pub async fn search(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<SearchQuery>) -> ApiResult<Json<List<AuditEvent>>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let offset = q.offset.unwrap_or(0).max(0);
    let (items, total) = service::audit::search(&s.platform, &caller, &q.filter(), limit, offset).await?;
    Ok(Json(List { items, total }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    pub format: Option<String>,
}

/// Streams the whole log, oldest first, a page at a time so memory stays flat however long the log is.
pub async fn export(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<ExportQuery>) -> ApiResult<Response> {
    let csv = match q.format.as_deref() {
        None | Some("jsonl") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_format",
                format!("不支持的导出格式“{other}”，可选 jsonl 或 csv"),
                format!("Unsupported export format '{other}'; use jsonl or csv"),
            ))
        }
    };
    // Check access and record the export before streaming starts.
    let first = service::audit::export_page(&s.platform, &caller, 0, 1000).await?;
    let platform = s.platform.clone();
    let stream = async_stream(platform, caller, first, csv);
    let (ctype, name) = if csv { ("text/csv; charset=utf-8", "audit.csv") } else { ("application/x-ndjson", "audit.jsonl") };
    Ok((
        [(header::CONTENT_TYPE, ctype.to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))],
        Body::from_stream(stream),
    )
        .into_response())
}

fn async_stream(
    platform: std::sync::Arc<service::Platform>,
    caller: service::Actor,
    first: Vec<AuditEvent>,
    csv: bool,
) -> impl futures_core::Stream<Item = Result<String, std::io::Error>> {
    let header = if csv { Some(csv_header()) } else { None };
    futures_util::stream::unfold((Some(first), header, platform, caller), move |(page, header, platform, caller)| async move {
        if let Some(h) = header {
            return Some((Ok(h), (page, None, platform, caller)));
        }
        let page = page?;
        if page.is_empty() {
            return None;
        }
        let last = page.last().map(|e| e.seq).unwrap_or(0);
        let mut out = String::new();
        for e in &page {
            if csv {
                out.push_str(&csv_line(e));
            } else {
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
                out.push('\n');
            }
        }
        let next = if page.len() < 1000 {
            Some(vec![])
        } else {
            match service::audit::export_page(&platform, &caller, last, 1000).await {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::error!(error = %e, "audit export page failed");
                    None
                }
            }
        };
        Some((Ok(out), (next, None, platform, caller)))
    })
}

fn csv_header() -> String {
    "seq,occurred_at,actor_user_id,actor_name,actor_department_id,actor_role,action,object_kind,object_id,purpose,result,client_addr,detail,prev_hash,hash\n".into()
}

fn csv_field(s: &str) -> String {
    // Quote everything; a leading formula character is neutralized so spreadsheets do not execute it.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn csv_line(e: &AuditEvent) -> String {
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    [
        e.seq.to_string(),
        csv_field(&e.occurred_at),
        opt(e.actor_user_id),
        csv_field(&e.actor_name),
        opt(e.actor_department_id),
        csv_field(&e.actor_role),
        csv_field(&e.action),
        csv_field(&e.object_kind),
        csv_field(&e.object_id),
        csv_field(&e.purpose),
        csv_field(&e.result),
        csv_field(&e.client_addr),
        csv_field(&e.detail),
        e.prev_hash.clone(),
        e.hash.clone(),
    ]
    .join(",")
        + "\n"
}

pub async fn verify(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<VerifyReport>> {
    Ok(Json(service::audit::verify(&s.platform, &caller).await?))
}
