//! Regions and departments.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::orgs::{Department, Region};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{List, Paging};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

pub async fn list_regions(State(s): State<AppState>) -> ApiResult<Json<List<Region>>> {
    let items = service::orgs::list_regions(&s.platform).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionBody {
    /// Administrative division code, six digits.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// The city's code for a district; absent for a city.
    pub parent_code: Option<String>,
}

pub async fn create_region(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiJson(b): ApiJson<RegionBody>,
) -> ApiResult<(StatusCode, Json<Region>)> {
    let input = service::orgs::RegionInput { code: b.code, name: b.name, name_en: b.name_en, parent_code: b.parent_code };
    Ok((StatusCode::CREATED, Json(service::orgs::create_region(&s.platform, &caller, input).await?)))
}

pub async fn list_departments(State(s): State<AppState>, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<List<Department>>> {
    let (limit, offset) = p.get();
    let (items, total) = service::orgs::list_departments(&s.platform, limit, offset).await?;
    Ok(Json(List { items, total }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// `authority`, `service_center`, `department` or `public_utility`.
    pub kind: String,
    pub region_code: String,
    /// Unified social credit code, checked by GB 32100.
    pub uscc: String,
}

pub async fn create_department(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiJson(b): ApiJson<DepartmentBody>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    let input =
        service::orgs::DepartmentInput { name: b.name, name_en: b.name_en, kind: b.kind, region_code: b.region_code, uscc: b.uscc };
    Ok((StatusCode::CREATED, Json(service::orgs::create_department(&s.platform, &caller, input).await?)))
}

pub async fn get_department(State(s): State<AppState>, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Department>> {
    Ok(Json(service::orgs::department(&s.platform, id).await?))
}
