//! Data demands (供需对接, SYS-32, YZ-15c): a department that cannot get what it needs through sharing, or whose
//! need the catalog does not meet, names the provider, the items, the scenario and the basis. The reviewer — the
//! provider, or the authority where the regime has it coordinate — answers within the regime's working days; data
//! that is reasonable but not yet cataloged is published and mounted within the regime's own days.

use chrono::NaiveDate;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::profile::keys;
use domain::roles::Role;
use domain::sharing::{DemandReviewer, DemandState};
use domain::{FieldIssue, Invalid};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::demands::DemandRow;

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDemand {
    /// The department expected to provide the data.
    #[serde(default)]
    pub provider_department_id: Option<i64>,
    /// The data items needed, as the requester names them.
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub scenario: String,
    /// 使用依据.
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Demand {
    pub id: i64,
    pub requester: crate::sharing::Party,
    pub provider: crate::sharing::Party,
    pub items: Vec<String>,
    pub scenario: String,
    pub basis: String,
    pub description: String,
    pub state: DemandState,
    pub state_label: String,
    pub received_at: String,
    /// The working day the review is due, where the regime sets one.
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    pub answered_by: Option<String>,
    pub reason: String,
    /// For reasonable data not yet cataloged: the day it must be published and mounted.
    pub catalog_due_on: Option<NaiveDate>,
    pub catalog_overdue: bool,
    pub resource_code: Option<String>,
    /// The refused application this demand escalates (YZ-15c).
    pub source_application_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The data is in the catalog: the requester applies for it.
    Accept,
    /// Reasonable, not yet cataloged: the provider catalogs and mounts it.
    Catalog,
    Reject,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandAnswer {
    pub decision: Decision,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// The published entry, with data delivered, that meets the demand.
    pub resource_code: String,
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("数据需求{id}不存在"), format!("Data demand {id} does not exist"))
}

/// Files a demand (SYS-32a): provider, items, scenario and basis are all stated.
pub async fn create(p: &Platform, actor: &Actor, input: NewDemand) -> Result<Demand> {
    if !p.profile.features.data_demand {
        return Err(Error::invalid("no_demand_mechanism", "本地规定未设数据供需对接机制：请通过共享申请获取数据", "This regime has no data-demand mechanism: apply for shared data instead"));
    }
    let Some(requester) = actor.department_id.filter(|_| actor.has(Role::DeptDataOfficer)) else {
        return Err(Error::forbidden("数据需求由部门的数据专员提出", "A data demand is filed by a department's data officer"));
    };
    let mut issues = Vec::new();
    let mut issue = |field: &str, zh: &str, en: &str| issues.push(FieldIssue { field: field.into(), message: zh.into(), message_en: en.into() });
    if input.provider_department_id.is_none() {
        issue("provider_department_id", "请指明数据提供部门", "Name the providing department");
    }
    if input.items.iter().all(|i| i.trim().is_empty()) || input.items.len() > 200 {
        issue("items", "请列出所需的数据项（1至200项）", "List the data items needed (1 to 200)");
    }
    if input.scenario.trim().is_empty() {
        issue("scenario", "请填写应用场景", "State the application scenario");
    }
    if input.basis.trim().is_empty() {
        issue("basis", "请填写使用依据", "State the basis for using the data");
    }
    if input.provider_department_id == Some(requester) {
        issue("provider_department_id", "数据提供部门不能是本部门", "The provider cannot be your own department");
    }
    if !issues.is_empty() {
        let mut invalid = Invalid::new("invalid_demand", "数据需求有误，请按提示修改", "The demand has problems: fix each one listed");
        invalid.fields = issues;
        return Err(invalid.into());
    }
    let provider = input.provider_department_id.unwrap_or_default();
    let mut conn = p.store.read().await?;
    if store::orgs::department_by_id(&mut conn, provider).await?.is_none() {
        return Err(Error::invalid("invalid_demand", format!("部门{provider}不存在"), format!("Department {provider} does not exist")));
    }
    drop(conn);
    let today = p.clock.today();
    let due_on = p.profile.due(&p.calendar(), keys::DEMAND_REVIEW, today).map(|d| d.due);
    let now = p.now_us();
    let items: Vec<String> = input.items.iter().map(|i| i.trim().to_string()).filter(|i| !i.is_empty()).collect();
    let row = DemandRow {
        id: 0,
        requester_department_id: requester,
        provider_department_id: provider,
        items: serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
        scenario: input.scenario.trim().into(),
        basis: input.basis.trim().into(),
        description: input.description.trim().into(),
        state: DemandState::ProviderReview.as_str().into(),
        received_at_us: now,
        due_on: due_on.map(|d| d.to_string()),
        answered_at_us: None,
        answered_by: None,
        reason: String::new(),
        catalog_due_on: None,
        resource_code: None,
        fulfilled_at_us: None,
        created_by: actor.name.clone(),
        source_application_id: None,
    };
    let mut tx = p.store.begin().await?;
    let id = store::demands::insert(&mut tx, &row).await?;
    let mut event = actor.event("share.demand", "demand", id.to_string());
    event.purpose = row.scenario.clone();
    event.detail = format!("to department {provider}: {}", items.join("、"));
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// Takes a refused application to the demand list (YZ-15c): the consumer's data officer asks the reviewer — the
/// authority in 鄞州 — to negotiate with the provider. Once per application.
pub async fn escalate(p: &Platform, actor: &Actor, application_id: i64) -> Result<Demand> {
    if !p.profile.features.data_demand {
        return Err(Error::invalid("no_demand_mechanism", "本地规定未设数据需求清单", "This regime has no data-demand list"));
    }
    let mut conn = p.store.read().await?;
    let app = store::sharing::application_by_id(&mut conn, application_id)
        .await?
        .filter(|a| actor.oversees() || actor.department_id == Some(a.consumer_department_id))
        .ok_or_else(|| Error::not_found(format!("共享申请{application_id}不存在"), format!("Share application {application_id} does not exist")))?;
    if !(actor.has(Role::DeptDataOfficer) && actor.department_id == Some(app.consumer_department_id)) {
        return Err(Error::forbidden("由提出申请部门的数据专员提交数据需求清单", "The applicant department's data officer files the demand"));
    }
    if app.state != domain::sharing::ApplicationState::Refused.as_str() {
        return Err(Error::invalid("application_not_refused", "只有未获同意的共享申请可以转为数据需求", "Only a refused application is escalated to a demand"));
    }
    if let Some(existing) = store::demands::by_source_application(&mut conn, application_id).await? {
        return Err(Error::invalid("application_escalated", format!("该申请已转为数据需求{}", existing.id), format!("The application is already demand {}", existing.id)));
    }
    let resource = store::catalog::by_id(&mut conn, app.resource_id).await?.ok_or_else(|| crate::catalog::not_found(""))?;
    drop(conn);
    let today = p.clock.today();
    let due_on = p.profile.due(&p.calendar(), keys::DEMAND_REVIEW, today).map(|d| d.due);
    let now = p.now_us();
    let row = DemandRow {
        id: 0,
        requester_department_id: app.consumer_department_id,
        provider_department_id: resource.provider_department_id,
        items: app.items.clone(),
        scenario: app.scenario.clone(),
        basis: app.basis.clone(),
        description: format!("共享申请{application_id}（{}）未获同意：{}", resource.code, app.reason),
        state: DemandState::ProviderReview.as_str().into(),
        received_at_us: now,
        due_on: due_on.map(|d| d.to_string()),
        answered_at_us: None,
        answered_by: None,
        reason: String::new(),
        catalog_due_on: None,
        resource_code: None,
        fulfilled_at_us: None,
        created_by: actor.name.clone(),
        source_application_id: Some(application_id),
    };
    let mut tx = p.store.begin().await?;
    let id = store::demands::insert(&mut tx, &row).await?;
    let mut event = actor.event("share.demand", "demand", id.to_string());
    event.purpose = row.scenario.clone();
    event.detail = format!("escalated from refused application {application_id}");
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

fn reviews(p: &Platform, actor: &Actor, provider_department_id: i64) -> bool {
    match p.profile.sharing.demand_reviewer {
        DemandReviewer::Provider => actor.has(Role::DeptDataOfficer) && actor.department_id == Some(provider_department_id),
        DemandReviewer::Authority => actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin),
    }
}

/// Whether `actor` is the one to answer this demand now: it waits for review and the regime makes the actor its
/// reviewer (the console offers the answer only then).
pub fn answerable(p: &Platform, actor: &Actor, d: &Demand) -> bool {
    d.state == DemandState::ProviderReview && reviews(p, actor, d.provider.id)
}

/// The reviewer's answer (SYS-32b: a rejection states its reasons; SYS-32c: reasonable uncataloged data is due in
/// the catalog, mounted, within the regime's working days of the demand's receipt).
pub async fn answer(p: &Platform, actor: &Actor, id: i64, a: DemandAnswer) -> Result<Demand> {
    let mut conn = p.store.read().await?;
    let d = store::demands::by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    drop(conn);
    if !reviews(p, actor, d.provider_department_id) {
        return Err(Error::forbidden("该数据需求由数据提供部门（或按规定由数据主管部门）审核", "The provider (or, where the regime says so, the authority) reviews this demand"));
    }
    if d.state != DemandState::ProviderReview.as_str() {
        return Err(Error::invalid("demand_answered", format!("数据需求{id}已答复"), format!("Demand {id} is already answered")));
    }
    if a.decision == Decision::Reject && a.reason.trim().is_empty() {
        return Err(Error::invalid("demand_reason", "驳回数据需求应当说明具体原因", "A rejection states its reasons"));
    }
    let (state, catalog_due) = match a.decision {
        Decision::Accept => (DemandState::Accepted, None),
        Decision::Reject => (DemandState::Rejected, None),
        Decision::Catalog => {
            let received = domain::clock::local_day(d.received_at_us);
            (DemandState::Cataloging, p.profile.due(&p.calendar(), keys::DEMAND_CATALOG_AND_MOUNT, received).map(|x| x.due))
        }
    };
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let catalog_due = catalog_due.map(|d| d.to_string());
    if !store::demands::answer(&mut tx, id, state.as_str(), &actor.name, a.reason.trim(), catalog_due.as_deref(), now).await? {
        return Err(Error::Conflict { zh: format!("数据需求{id}已被他人答复"), en: format!("Demand {id} was answered meanwhile") });
    }
    let mut event = actor.event("share.demand.answer", "demand", id.to_string());
    event.detail = format!("{}{}", state.as_str(), if a.reason.trim().is_empty() { String::new() } else { format!(": {}", a.reason.trim()) });
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The provider names the published entry, with data delivered, that meets an accepted demand (挂接).
pub async fn mount(p: &Platform, actor: &Actor, id: i64, m: Mount) -> Result<Demand> {
    let mut conn = p.store.read().await?;
    let d = store::demands::by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    if !(actor.has(Role::DeptDataOfficer) && actor.department_id == Some(d.provider_department_id)) {
        return Err(Error::forbidden("由数据提供部门挂接数据", "The provider mounts the data"));
    }
    let resource = store::catalog::by_code(&mut conn, &m.resource_code).await?.ok_or_else(|| crate::catalog::not_found(&m.resource_code))?;
    let published = resource.state == domain::catalog::lifecycle::ResourceState::Published;
    let delivered = !store::lake::versions(&mut conn, resource.id).await?.is_empty();
    drop(conn);
    if resource.provider_department_id != d.provider_department_id || !published || !delivered {
        return Err(Error::invalid(
            "demand_not_mounted",
            format!("资源{}须为本部门已发布且已归集数据的目录", m.resource_code),
            format!("Resource {} must be a published entry of yours with data delivered", m.resource_code),
        ));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::demands::fulfil(&mut tx, id, &m.resource_code, now).await? {
        return Err(Error::invalid("demand_answered", format!("数据需求{id}不在待挂接状态"), format!("Demand {id} is not awaiting data")));
    }
    let mut event = actor.event("share.demand.mount", "demand", id.to_string());
    event.detail = format!("mounted as {}", m.resource_code);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

pub async fn get(p: &Platform, actor: &Actor, id: i64) -> Result<Demand> {
    let mut conn = p.store.read().await?;
    let d = store::demands::by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    if !actor.oversees() && actor.department_id != Some(d.requester_department_id) && actor.department_id != Some(d.provider_department_id) {
        return Err(not_found(id));
    }
    view(p, &mut conn, d).await
}

/// The demand list (YZ-15c): a department's own and those it must answer; every one for those who oversee.
pub async fn list(p: &Platform, actor: &Actor) -> Result<Vec<Demand>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::demands::list(&mut conn, scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        out.push(view(p, &mut conn, d).await?);
    }
    Ok(out)
}

async fn view(p: &Platform, conn: &mut store::Conn, d: DemandRow) -> Result<Demand> {
    let name = |d: Option<domain::orgs::Department>| d.map(|x| x.name).unwrap_or_default();
    let requester = name(store::orgs::department_by_id(conn, d.requester_department_id).await?);
    let provider = name(store::orgs::department_by_id(conn, d.provider_department_id).await?);
    let state = DemandState::parse(&d.state).unwrap_or(DemandState::Rejected);
    let today = p.clock.today();
    let due_on = d.due_on.as_deref().and_then(|s| s.parse::<NaiveDate>().ok());
    let catalog_due_on = d.catalog_due_on.as_deref().and_then(|s| s.parse::<NaiveDate>().ok());
    Ok(Demand {
        id: d.id,
        requester: crate::sharing::Party { id: d.requester_department_id, name: requester },
        provider: crate::sharing::Party { id: d.provider_department_id, name: provider },
        items: serde_json::from_str(&d.items).unwrap_or_default(),
        scenario: d.scenario,
        basis: d.basis,
        description: d.description,
        state,
        state_label: state.label().into(),
        received_at: format_rfc3339_local(from_micros(d.received_at_us)),
        due_on,
        overdue: state == DemandState::ProviderReview && due_on.is_some_and(|x| today > x),
        answered_by: d.answered_by,
        reason: d.reason,
        catalog_due_on,
        catalog_overdue: state == DemandState::Cataloging && catalog_due_on.is_some_and(|x| today > x),
        resource_code: d.resource_code,
        source_application_id: d.source_application_id,
    })
}
