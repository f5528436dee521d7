//! User administration.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::orgs::User;
use domain::roles::Role;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{List, Paging};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

pub async fn list(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<List<User>>> {
    let (limit, offset) = p.get();
    let (items, total) = service::users::list_users(&s.platform, &caller, limit, offset).await?;
    Ok(Json(List { items, total }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub username: String,
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
    pub department_id: Option<i64>,
    #[serde(default)]
    pub roles: Vec<Role>,
}

pub async fn create(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<UserBody>) -> ApiResult<(StatusCode, Json<User>)> {
    let input = service::users::UserInput {
        username: b.username,
        display_name: b.display_name,
        password: b.password,
        department_id: b.department_id,
        roles: b.roles,
    };
    Ok((StatusCode::CREATED, Json(service::users::create_user(&s.platform, &caller, input).await?)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: Role,
}

pub async fn assign_role(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RoleBody>,
) -> ApiResult<Json<User>> {
    Ok(Json(service::users::assign_role(&s.platform, &caller, id, b.role).await?))
}

pub async fn remove_role(State(s): State<AppState>, Caller(caller): Caller, ApiPath((id, role)): ApiPath<(i64, String)>) -> ApiResult<Json<User>> {
    let role: Role = role.parse()?;
    Ok(Json(service::users::remove_role(&s.platform, &caller, id, role).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveBody {
    /// false disables the account and ends its sessions at once; true enables it again.
    pub active: bool,
}

pub async fn set_active(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ActiveBody>,
) -> ApiResult<Json<User>> {
    Ok(Json(service::users::set_active(&s.platform, &caller, id, b.active).await?))
}
