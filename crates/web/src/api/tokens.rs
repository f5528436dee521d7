//! API tokens for departments' systems.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::orgs::ApiToken;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{List, Paging};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

pub async fn list(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<List<ApiToken>>> {
    let (limit, offset) = p.get();
    let (items, total) = service::auth::list_tokens(&s.platform, &caller, limit, offset).await?;
    Ok(Json(List { items, total }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub name: String,
    pub department_id: i64,
    /// For a bulk system: the distinct keys it looks up in an hour before that counts as enumeration (authority
    /// only; by default the profile's `sharing.anomaly.keys_per_hour`).
    #[serde(default)]
    pub keys_per_hour: Option<i64>,
}

#[derive(Serialize, JsonSchema)]
pub struct NewToken {
    /// Shown once: store it in the calling system now.
    pub secret: String,
    pub token: ApiToken,
}

pub async fn create(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<TokenBody>) -> ApiResult<(StatusCode, Json<NewToken>)> {
    let (token, secret) = service::auth::create_token(&s.platform, &caller, &b.name, b.department_id, b.keys_per_hour).await?;
    Ok((StatusCode::CREATED, Json(NewToken { secret, token })))
}

pub async fn revoke(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ApiToken>> {
    Ok(Json(service::auth::revoke_token(&s.platform, &caller, id).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeBody {
    /// What the review of the anomaly found.
    pub reason: String,
}

pub async fn resume(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<ResumeBody>) -> ApiResult<Json<ApiToken>> {
    Ok(Json(service::auth::resume_token(&s.platform, &caller, id, &b.reason).await?))
}
