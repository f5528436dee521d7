//! Base databases: their fields and lineage, one subject's record, the cross-source checks.

use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use service::basedb::{BaseDatabase, Conflict, CrossCheck, Record};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, Caller};
use crate::AppState;

pub async fn describe(State(s): State<AppState>, Caller(caller): Caller, ApiPath(kind): ApiPath<String>) -> ApiResult<Json<BaseDatabase>> {
    let kind = service::basedb::parse_kind(&kind)?;
    Ok(Json(service::basedb::describe(&s.platform, &caller, kind).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PurposeQuery {
    /// The duty the lookup serves, kept in the audit log.
    pub purpose: Option<String>,
}

pub async fn lookup(State(s): State<AppState>, Caller(caller): Caller, ApiPath((kind, key)): ApiPath<(String, String)>, ApiQuery(q): ApiQuery<PurposeQuery>) -> ApiResult<Json<Record>> {
    let kind = service::basedb::parse_kind(&kind)?;
    Ok(Json(service::basedb::lookup(&s.platform, &caller, kind, &key, q.purpose.as_deref().unwrap_or("")).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictQuery {
    /// At most this many (1 to 1000, default 100).
    pub limit: Option<usize>,
}

pub async fn conflicts(State(s): State<AppState>, Caller(caller): Caller, ApiPath(kind): ApiPath<String>, ApiQuery(q): ApiQuery<ConflictQuery>) -> ApiResult<Json<List<Conflict>>> {
    let kind = service::basedb::parse_kind(&kind)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let items = service::basedb::conflicts(&s.platform, &caller, kind, limit).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn cross_check(State(s): State<AppState>, Caller(caller): Caller, ApiPath(kind): ApiPath<String>) -> ApiResult<Json<CrossCheck>> {
    let kind = service::basedb::parse_kind(&kind)?;
    Ok(Json(service::basedb::cross_check(&s.platform, &caller, kind).await?))
}
