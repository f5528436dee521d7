//! Objections to an entry's share or open type (FS-16): raise one, take a position, read them; and naming a
//! region's government-disclosure authority.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::catalog::attrs::Attr;
use domain::catalog::entry::{Opening, Sharing};
use domain::catalog::objections::{ObjectionKind, Outcome};
use schemars::JsonSchema;
use serde::Deserialize;
use service::catalog::objections::{NewObjectionInput, ObjectionView, PositionInput};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseBody {
    /// `share` (共享类型) or `open` (开放类型).
    pub kind: ObjectionKind,
    /// The type the objecting department asks for.
    pub proposed_attr: Attr,
    pub grounds: String,
}

pub async fn raise(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>, ApiJson(b): ApiJson<RaiseBody>) -> ApiResult<(StatusCode, Json<ObjectionView>)> {
    let input = NewObjectionInput { kind: b.kind, proposed_attr: b.proposed_attr, grounds: b.grounds };
    Ok((StatusCode::CREATED, Json(service::catalog::objections::raise(&s.platform, &caller, &code, input).await?)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionBody {
    pub outcome: Outcome,
    pub comment: String,
    /// The source department's new sharing section, agreeing to change a share type; without one, the published
    /// section with the type changed.
    #[serde(default)]
    pub sharing: Option<Sharing>,
    /// The source department's new opening section, agreeing to change an open type; without one, the published
    /// section with the type changed.
    #[serde(default)]
    pub opening: Option<Opening>,
}

pub async fn position(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<PositionBody>) -> ApiResult<Json<ObjectionView>> {
    let input = PositionInput { outcome: b.outcome, comment: b.comment, sharing: b.sharing, opening: b.opening };
    Ok(Json(service::catalog::objections::record_position(&s.platform, &caller, id, input).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only those under negotiation.
    pub open: Option<bool>,
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<List<ObjectionView>>> {
    let items = service::catalog::objections::list(&s.platform, &caller, q.open.unwrap_or(false)).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn get(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<ObjectionView>> {
    Ok(Json(service::catalog::objections::get(&s.platform, &caller, id).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureBody {
    pub department_id: i64,
}

pub async fn set_disclosure(State(s): State<AppState>, Caller(caller): Caller, ApiPath(region): ApiPath<String>, ApiJson(b): ApiJson<DisclosureBody>) -> ApiResult<StatusCode> {
    service::catalog::objections::set_disclosure_department(&s.platform, &caller, &region, b.department_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
