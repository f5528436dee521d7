//! Sign in and out, and who am I.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use domain::roles::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::extract::{bearer, ApiJson, Caller};
use crate::AppState;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, JsonSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer TOKEN`. Valid for 12 hours.
    pub token: String,
    pub user: domain::orgs::User,
}

pub async fn login(State(s): State<AppState>, Caller(caller): Caller, ApiJson(body): ApiJson<LoginBody>) -> ApiResult<Json<LoginResponse>> {
    let session = service::auth::login(&s.platform, &body.username, &body.password, &caller.client_addr).await?;
    Ok(Json(LoginResponse { token: session.token, user: session.user }))
}

pub async fn logout(State(s): State<AppState>, Caller(caller): Caller, headers: HeaderMap) -> ApiResult<Json<serde_json::Value>> {
    let token = bearer(&headers).ok_or_else(ApiError::unauthenticated)?;
    service::auth::logout(&s.platform, &caller, token).await?;
    Ok(Json(serde_json::json!({"ok": true})))
}

#[derive(Serialize, JsonSchema)]
pub struct Me {
    /// `user` or `system`.
    pub kind: String,
    pub user_id: Option<i64>,
    pub name: String,
    pub department_id: Option<i64>,
    pub roles: Vec<Role>,
}

pub async fn me(Caller(caller): Caller) -> Json<Me> {
    let kind = match caller.kind {
        service::actor::ActorKind::System { .. } => "system",
        _ => "user",
    };
    Json(Me { kind: kind.into(), user_id: caller.user_id, name: caller.name, department_id: caller.department_id, roles: caller.roles })
}
