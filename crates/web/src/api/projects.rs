//! IT projects and their catalog gates.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::catalog::gates::GateReport;
use schemars::JsonSchema;
use serde::Deserialize;
use service::catalog::projects::{Project, ProjectInput};

use super::List;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectQuery {
    pub department_id: Option<i64>,
}

pub async fn list(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<ProjectQuery>) -> ApiResult<Json<List<Project>>> {
    let items = service::catalog::projects::list(&s.platform, &caller, q.department_id).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectBody {
    pub name: String,
    /// The department building it; a data officer's own when absent.
    pub department_id: Option<i64>,
    /// `fiscal` or `purchased_service`.
    pub funding: String,
    /// `new`, `rebuild`, `expansion` or `upgrade`.
    pub kind: String,
}

pub async fn create(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<ProjectBody>) -> ApiResult<(StatusCode, Json<Project>)> {
    let input = ProjectInput { name: b.name, department_id: b.department_id, funding: b.funding, kind: b.kind };
    Ok((StatusCode::CREATED, Json(service::catalog::projects::create(&s.platform, &caller, input).await?)))
}

pub async fn get(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Project>> {
    Ok(Json(service::catalog::projects::get(&s.platform, &caller, id).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Codes of the department's entries the project must deliver.
    pub codes: Vec<String>,
}

pub async fn link(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<LinkBody>) -> ApiResult<Json<Project>> {
    Ok(Json(service::catalog::projects::link(&s.platform, &caller, id, &b.codes).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DockingBody {
    /// The 数据对接说明文档: its title and where it is kept (a link or archive number).
    pub docking_document: String,
    /// The reserved data-sharing interface (e.g. its address and specification).
    pub share_interface: String,
    /// The reserved open-data interface.
    pub open_interface: String,
}

pub async fn docking(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<DockingBody>) -> ApiResult<Json<Project>> {
    let input = service::catalog::projects::DockingInput { document: b.docking_document, share_interface: b.share_interface, open_interface: b.open_interface };
    Ok(Json(service::catalog::projects::set_docking(&s.platform, &caller, id, input).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    /// `approval` (立项), `online` (建成上线) or `acceptance` (验收).
    pub gate: String,
}

pub async fn check(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiQuery(q): ApiQuery<CheckQuery>) -> ApiResult<Json<GateReport>> {
    Ok(Json(service::catalog::projects::check(&s.platform, &caller, id, &q.gate).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageBody {
    /// The next stage: `approved`, `construction`, `completed` or `accepted`.
    pub stage: String,
    /// The authority's reason for approving without the catalog, where the regime allows it (LS-29a).
    pub exception_reason: Option<String>,
}

pub async fn stage(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>, ApiJson(b): ApiJson<StageBody>) -> ApiResult<Json<Project>> {
    Ok(Json(service::catalog::projects::set_stage(&s.platform, &caller, id, &b.stage, b.exception_reason.as_deref()).await?))
}
