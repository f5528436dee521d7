//! The catalog: entries and their review, the reviewer's queue, required fields, update obligations, the open
//! catalog for the public.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use domain::catalog::attrs::Attr;
use domain::catalog::entry::{Opening, ResourceContent, Sharing};
use domain::catalog::lifecycle::RevisionState;
use domain::catalog::view::{HistoryEntry, ResourceSummary, ResourceView};
use domain::catalog::rules::ReclassificationReason;
use domain::catalog::Field;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use service::catalog::obligations::{Obligation, ObligationInput};
use service::catalog::search::{CatalogQuery, FacetValue};
use service::catalog::views::Scope;

use super::{List, Paging};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::AppState;

/// `{"items", "total", "facets"}`: a page of the catalog and the facet counts of everything that matched.
#[derive(Serialize, JsonSchema)]
pub struct SearchPage<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// Dimension (`provider`, `region`, `industry`, `share_attr`, `open_attr`, `format`, `security_level`) →
    /// values with their labels and counts.
    pub facets: BTreeMap<String, Vec<FacetValue>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Words to search for in names, summaries and items (Chinese is cut into words).
    pub q: Option<String>,
    /// A provider's department id.
    pub provider: Option<i64>,
    /// A division code: that region's entries (a district's supplementary catalog).
    pub region: Option<String>,
    pub industry: Option<String>,
    pub share_attr: Option<Attr>,
    pub open_attr: Option<Attr>,
    pub format: Option<String>,
    pub security_level: Option<String>,
    /// `draft`, `in_review` or `returned`: work in progress instead of the published catalog.
    pub state: Option<RevisionState>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub async fn list_resources(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<SearchPage<ResourceSummary>>> {
    let (limit, offset) = Paging { limit: q.limit, offset: q.offset }.get();
    if let Some(state) = q.state {
        if !matches!(state, RevisionState::Draft | RevisionState::InReview | RevisionState::Returned) {
            return Err(ApiError::bad_request(
                "invalid_query",
                "state 须为 draft、in_review 或 returned；已发布的目录不带 state 查询",
                "state is draft, in_review or returned; leave it out for the published catalog",
            ));
        }
        let query = service::catalog::read::ListQuery {
            provider_department_id: q.provider,
            region_code: q.region,
            share_attr: q.share_attr,
            open_attr: q.open_attr,
            working_state: Some(state),
        };
        let (items, total) = service::catalog::read::list(&s.platform, &caller, &query, limit, offset).await?;
        return Ok(Json(SearchPage { items, total, facets: BTreeMap::new() }));
    }
    let mut filters = Vec::new();
    let mut add = |dimension: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            filters.push((dimension.to_string(), v));
        }
    };
    add("provider", q.provider.map(|p| p.to_string()));
    add("region", q.region);
    add("industry", q.industry);
    add("share_attr", q.share_attr.map(|a| a.as_str().to_string()));
    add("open_attr", q.open_attr.map(|a| a.as_str().to_string()));
    add("format", q.format);
    add("security_level", q.security_level);
    let query = CatalogQuery { text: q.q.unwrap_or_default(), filters, open_only: false };
    let (items, total, facets) = service::catalog::search::search(&s.platform, &caller, &query, limit, offset).await?;
    Ok(Json(SearchPage { items, total, facets }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// The providing department; a data officer's own when absent.
    pub provider_department_id: Option<i64>,
    /// An existing 资源代码 to keep; assigned when absent.
    pub code: Option<String>,
    pub content: ResourceContent,
    #[serde(default)]
    pub note: String,
}

pub async fn create(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<CreateBody>) -> ApiResult<(StatusCode, Json<ResourceView>)> {
    let input = service::catalog::entries::NewEntry { provider_department_id: b.provider_department_id, code: b.code, content: b.content, note: b.note };
    Ok((StatusCode::CREATED, Json(service::catalog::entries::create(&s.platform, &caller, input).await?)))
}

pub async fn get(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::read::get(&s.platform, &caller, &code).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    pub content: ResourceContent,
    /// What changed and why.
    #[serde(default)]
    pub note: String,
    /// Why the classification or grade changes, where it does (SYS-11e): `content`, `scope`, `timeliness` or
    /// `application_direction`.
    #[serde(default)]
    pub reclassification_reason: Option<ReclassificationReason>,
}

pub async fn update(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::entries::update(&s.platform, &caller, &code, b.content, &b.note, b.reclassification_reason).await?))
}

pub async fn submit(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::entries::submit(&s.platform, &caller, &code).await?))
}

#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PassBody {
    #[serde(default)]
    pub comment: String,
}

pub async fn pass(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<PassBody>,
) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::entries::pass(&s.platform, &caller, &code, &b.comment).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

pub async fn return_to_provider(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::entries::return_to_provider(&s.platform, &caller, &code, &b.reason).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributesBody {
    pub sharing: Sharing,
    pub opening: Opening,
    /// Evidence of declassification, desensitization or consent, to raise data out of none.
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub note: String,
}

pub async fn attributes(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<AttributesBody>,
) -> ApiResult<Json<ResourceView>> {
    let input = service::catalog::entries::AttributeInput { sharing: b.sharing, opening: b.opening, evidence: b.evidence, note: b.note };
    Ok(Json(service::catalog::entries::change_attributes(&s.platform, &caller, &code, input).await?))
}

pub async fn withdraw(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::entries::withdraw(&s.platform, &caller, &code, &b.reason).await?))
}

pub async fn obsolete(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::entries::make_obsolete(&s.platform, &caller, &code, &b.reason).await?))
}

pub async fn history(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>) -> ApiResult<Json<List<HistoryEntry>>> {
    let items = service::catalog::read::history(&s.platform, &caller, &code).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn queue(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<ResourceSummary>>> {
    let items = service::catalog::read::queue(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemaBody {
    /// The fields an entry must fill before it is submitted.
    pub required: Vec<Field>,
}

pub async fn schema(State(s): State<AppState>) -> ApiResult<Json<service::catalog::schema::Schema>> {
    Ok(Json(service::catalog::schema::schema(&s.platform).await?))
}

pub async fn set_schema(State(s): State<AppState>, Caller(caller): Caller, ApiJson(b): ApiJson<SchemaBody>) -> ApiResult<Json<service::catalog::schema::Schema>> {
    Ok(Json(service::catalog::schema::set_required_fields(&s.platform, &caller, b.required).await?))
}

pub async fn consultation(State(s): State<AppState>, Caller(caller): Caller, ApiPath(code): ApiPath<String>) -> ApiResult<Json<service::catalog::consultations::ConsultationView>> {
    Ok(Json(service::catalog::consultations::get(&s.platform, &caller, &code).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpinionBody {
    pub opinion: domain::catalog::lifecycle::Opinion,
    /// Required when disagreeing.
    #[serde(default)]
    pub comment: String,
}

pub async fn answer_consultation(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(b): ApiJson<OpinionBody>,
) -> ApiResult<Json<service::catalog::consultations::ConsultationView>> {
    Ok(Json(service::catalog::consultations::answer(&s.platform, &caller, &code, b.opinion, &b.comment).await?))
}

pub async fn sectors(State(s): State<AppState>) -> ApiResult<Json<List<service::catalog::sectors::Sector>>> {
    let items = service::catalog::sectors::list(&s.platform).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SectorBody {
    pub responsible_department_id: i64,
}

pub async fn designate_sector(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(b): ApiJson<SectorBody>,
) -> ApiResult<Json<service::catalog::sectors::Sector>> {
    Ok(Json(service::catalog::sectors::designate(&s.platform, &caller, &name, b.responsible_department_id).await?))
}

pub async fn classification_scheme(State(s): State<AppState>) -> ApiResult<Json<domain::catalog::scheme::ClassificationScheme>> {
    Ok(Json(service::catalog::classification::scheme(&s.platform).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemeBody {
    /// The subject categories entries may use; empty admits any.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The grades in use; empty admits every grade.
    #[serde(default)]
    pub levels: Vec<domain::catalog::entry::SecurityLevel>,
}

pub async fn set_classification_scheme(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiJson(b): ApiJson<SchemeBody>,
) -> ApiResult<Json<domain::catalog::scheme::ClassificationScheme>> {
    Ok(Json(service::catalog::classification::set_scheme(&s.platform, &caller, b.categories, b.levels).await?))
}

pub async fn reclassifications(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::catalog::classification::Reclassification>>> {
    let items = service::catalog::classification::reclassifications(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObligationQuery {
    pub department_id: Option<i64>,
    /// Only those not yet fulfilled.
    pub open: Option<bool>,
}

pub async fn obligations(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<ObligationQuery>,
) -> ApiResult<Json<List<Obligation>>> {
    let items = service::catalog::obligations::list(&s.platform, &caller, q.department_id, q.open.unwrap_or(false)).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObligationBody {
    pub department_id: i64,
    /// `law_change` (法律法规修订) or `duty_change` (职能变化).
    pub cause: String,
    pub description: String,
    /// The day the law or the duties changed.
    pub occurred_on: NaiveDate,
}

pub async fn create_obligation(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiJson(b): ApiJson<ObligationBody>,
) -> ApiResult<(StatusCode, Json<Obligation>)> {
    let input = ObligationInput { department_id: b.department_id, cause: b.cause, description: b.description, occurred_on: b.occurred_on };
    Ok((StatusCode::CREATED, Json(service::catalog::obligations::create(&s.platform, &caller, input).await?)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenQuery {
    pub q: Option<String>,
    pub provider: Option<i64>,
    /// A district's division code: that district's open catalog (SYS-36b).
    pub region: Option<String>,
    pub open_attr: Option<Attr>,
    pub format: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The open catalog (开放目录), for anyone: entries opened unconditionally or on conditions.
pub async fn open_catalog(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<OpenQuery>) -> ApiResult<Json<SearchPage<ResourceSummary>>> {
    let (limit, offset) = Paging { limit: q.limit, offset: q.offset }.get();
    let mut filters = Vec::new();
    if let Some(p) = q.provider {
        filters.push(("provider".to_string(), p.to_string()));
    }
    if let Some(a) = q.open_attr {
        filters.push(("open_attr".to_string(), a.as_str().to_string()));
    }
    if let Some(r) = q.region.filter(|r| !r.is_empty()) {
        filters.push(("region".to_string(), r));
    }
    if let Some(f) = q.format.filter(|f| !f.is_empty()) {
        filters.push(("format".to_string(), f));
    }
    let query = CatalogQuery { text: q.q.unwrap_or_default(), filters, open_only: true };
    let (items, total, facets) = service::catalog::search::search(&s.platform, &caller, &query, limit, offset).await?;
    Ok(Json(SearchPage { items, total, facets }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// A day (YYYY-MM-DD, Asia/Shanghai): changes from its start.
    pub since: Option<chrono::NaiveDate>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The open catalog's change log, for anyone (LS-21a).
pub async fn open_changes(State(s): State<AppState>, ApiQuery(q): ApiQuery<ChangesQuery>) -> ApiResult<Json<service::catalog::open_changes::OpenChanges>> {
    let (limit, offset) = Paging { limit: q.limit, offset: q.offset }.get();
    Ok(Json(service::catalog::open_changes::list(&s.platform, q.since, limit, offset).await?))
}

pub async fn open_get(State(s): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<ResourceView>> {
    Ok(Json(service::catalog::read::get_open(&s.platform, &code).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `csv`, `xlsx` or `json` for a file to download; absent for the table as JSON.
    pub format: Option<String>,
    /// A district's division code for that district's entries only (SYS-36b, SYS-38a).
    pub region: Option<String>,
}

/// A published list is the city's as it was that day, so it is not cut by region.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// `csv`, `xlsx` or `json` for a file to download; absent for the table as JSON.
    pub format: Option<String>,
}

/// A table, or the file it exports as.
fn table_response(table: service::catalog::views::Table, format: Option<String>) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let Some(format) = format else { return Ok(Json(table).into_response()) };
    let (bytes, media_type) = service::catalog::views::export(&table, &format)?;
    let name = match table.year {
        Some(year) => format!("{}-{year}.{format}", table.view),
        None => format!("{}.{format}", table.view),
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, media_type.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// A view derived from the published catalog: `catalog`, `share`, `open` or a list.
pub async fn view(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(view): ApiPath<String>,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> ApiResult<axum::response::Response> {
    table_response(service::catalog::views::derive_for(&s.platform, &caller, &view, Scope { region_code: q.region.as_deref(), department_id: None }).await?, q.format)
}

/// The open catalog as a table or file, for anyone.
pub async fn open_export(State(s): State<AppState>, Caller(caller): Caller, ApiQuery(q): ApiQuery<FormatQuery>) -> ApiResult<axum::response::Response> {
    table_response(service::catalog::views::derive_for(&s.platform, &caller, "open", Scope { region_code: q.region.as_deref(), department_id: None }).await?, q.format)
}

pub async fn list(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath((kind, year)): ApiPath<(String, i32)>,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> ApiResult<axum::response::Response> {
    table_response(service::catalog::views::list(&s.platform, &caller, &kind, year).await?, q.format)
}

pub async fn publish_list(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath((kind, year)): ApiPath<(String, i32)>,
) -> ApiResult<Json<service::catalog::views::Table>> {
    Ok(Json(service::catalog::views::publish_list(&s.platform, &caller, &kind, year).await?))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitListBody {
    /// The submitting department; the caller's own when absent.
    #[serde(default)]
    pub department_id: Option<i64>,
}

pub async fn submit_list(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath((kind, year)): ApiPath<(String, i32)>,
    ApiJson(b): ApiJson<SubmitListBody>,
) -> ApiResult<(StatusCode, Json<service::catalog::views::Table>)> {
    Ok((StatusCode::CREATED, Json(service::catalog::annual_lists::submit(&s.platform, &caller, &kind, year, b.department_id).await?)))
}

pub async fn submitted_list(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath((kind, year, department_id)): ApiPath<(String, i32, i64)>,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> ApiResult<axum::response::Response> {
    table_response(service::catalog::annual_lists::submitted(&s.platform, &caller, &kind, year, department_id).await?, q.format)
}

pub async fn submission_report(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(year): ApiPath<i32>,
) -> ApiResult<Json<service::catalog::annual_lists::SubmissionReport>> {
    Ok(Json(service::catalog::annual_lists::report(&s.platform, &caller, year).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CutoffBody {
    /// YYYY-MM-DD.
    pub cutoff: NaiveDate,
}

pub async fn set_list_cutoff(
    State(s): State<AppState>,
    Caller(caller): Caller,
    ApiPath(year): ApiPath<i32>,
    ApiJson(b): ApiJson<CutoffBody>,
) -> ApiResult<Json<service::catalog::annual_lists::SubmissionReport>> {
    Ok(Json(service::catalog::annual_lists::set_cutoff(&s.platform, &caller, year, b.cutoff).await?))
}

pub async fn reassessments(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::catalog::read::Reassessment>>> {
    let items = service::catalog::read::reassessments(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn file_obligation(State(s): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Obligation>> {
    Ok(Json(service::catalog::obligations::acknowledge_filing(&s.platform, &caller, id).await?))
}

pub async fn classification_report(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::catalog::reports::ClassificationRow>>> {
    let items = service::catalog::reports::classification_report(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn department_report(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::catalog::reports::DepartmentCatalogMetrics>>> {
    let items = service::catalog::reports::department_metrics(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}

pub async fn conditions_report(State(s): State<AppState>, Caller(caller): Caller) -> ApiResult<Json<List<service::catalog::reports::ManualCondition>>> {
    let items = service::catalog::reports::manual_conditions(&s.platform, &caller).await?;
    Ok(Json(List { total: items.len() as i64, items }))
}
