//! Sharing (共享): a consumer department applies for a resource; the application is routed by the entry's share
//! attribute and the profile (granted at once, checked by the authority, or answered by the provider within the
//! regime's working days); an approved one becomes a grant, and the sharing API serves calls within a grant only.
//! Every step and every call is an audit event; a call outside its grant is refused and logged as what it was.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::catalog::attrs::ShareOp;
use domain::catalog::entry::ResourceContent;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::profile::keys;
use domain::roles::Role;
use domain::sharing::{self as rules, ApplicationState, Call, DeliveryMode, Denial, Grant, GrantState, Request};
use domain::Invalid;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::sharing::{ApplicationRow, GrantRow};

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;

/// An application as a consumer department files it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    pub resource_code: String,
    /// 应用场景: the business the data serves.
    pub scenario: String,
    /// 申请依据: the law or the duty that needs the data.
    pub basis: String,
    /// 使用用途.
    pub purpose: String,
    /// The items needed (no more than necessary).
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    /// `api` (request-response, the default) or `batch`.
    #[serde(default)]
    pub mode: Option<DeliveryMode>,
    /// The consumer's API tokens (calling systems) the grant binds; none: any of its department's tokens.
    #[serde(default)]
    pub token_ids: Vec<i64>,
    /// First day of use; default today.
    #[serde(default)]
    pub starts_on: Option<NaiveDate>,
    /// Last day of use.
    pub expires_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Party {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApplicationView {
    pub id: i64,
    pub resource_code: String,
    pub resource_name: String,
    pub consumer: Party,
    pub provider: Party,
    pub scenario: String,
    pub basis: String,
    pub purpose: String,
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    pub mode: DeliveryMode,
    pub token_ids: Vec<i64>,
    pub starts_at: String,
    pub expires_at: String,
    pub state: ApplicationState,
    pub state_label: String,
    pub received_at: String,
    /// The working day the answer is due, where the regime sets one.
    pub due_on: Option<NaiveDate>,
    /// Still unanswered after its due day.
    pub overdue: bool,
    pub answered_at: Option<String>,
    pub answered_by: Option<String>,
    pub reason: String,
    pub refusal_basis: String,
    pub grant_id: Option<i64>,
}

/// An answer to an application: approve, or refuse with reasons (and a basis where the regime says so).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub approve: bool,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub basis: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GrantView {
    pub id: i64,
    pub application_id: i64,
    pub resource_code: String,
    pub consumer: Party,
    pub scenario: String,
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    pub mode: DeliveryMode,
    pub token_ids: Vec<i64>,
    pub starts_at: String,
    pub expires_at: String,
    pub state: GrantState,
    pub state_reason: String,
}

/// The authority's decision on a grant: suspend it, put it back in force, or end it, with a reason.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantDecision {
    pub state: GrantState,
    pub reason: String,
}

fn json_list<T: Serialize>(v: &[T]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn parse_list<T: serde::de::DeserializeOwned>(s: &str) -> Vec<T> {
    serde_json::from_str(s).unwrap_or_default()
}

fn start_of_day_us(day: NaiveDate) -> i64 {
    let local = day.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(chrono_tz::Asia::Shanghai).earliest().expect("a Shanghai midnight");
    domain::clock::to_micros(local.with_timezone(&chrono::Utc))
}

/// Files an application (SYS-27, FS-26, CS-22, YZ-15, LS-16c): checked against the published entry, routed by its
/// share attribute, due by the regime's working days; unconditional data is granted at once where the regime says so.
pub async fn apply(p: &Platform, actor: &Actor, input: NewApplication) -> Result<ApplicationView> {
    let Some(consumer) = actor.department_id.filter(|_| actor.has(Role::DeptDataOfficer)) else {
        return Err(Error::forbidden("共享申请由需求部门的数据专员提出", "A share application is filed by a data officer of the consumer department"));
    };
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, &input.resource_code).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    let today = p.clock.today();
    let starts_on = input.starts_on.unwrap_or(today);
    if starts_on < today || starts_on > today + chrono::Duration::days(366) {
        return Err(Error::invalid("invalid_application", "授权开始日期须在今天至一年之内", "A grant starts between today and a year from now"));
    }
    let Some(day_after_expiry) = input.expires_on.checked_add_days(chrono::Days::new(1)) else {
        return Err(Error::invalid("invalid_application", "使用期限有误", "The end of use is not a valid date"));
    };
    let mode = input.mode.unwrap_or(DeliveryMode::Api);
    let request = Request {
        consumer_department_id: consumer,
        provider_department_id: entry.provider.id,
        scenario: &input.scenario,
        basis: &input.basis,
        purpose: &input.purpose,
        items: &input.items,
        ops: &input.ops,
        mode,
        days: (input.expires_on - starts_on).num_days() + 1,
    };
    if let Err(invalid) = rules::check_request(&content, &request) {
        drop(conn);
        // Asking for data that is not shared is itself recorded (CS-22d).
        if invalid.code == "non_share_entry" {
            let mut event = actor.event("share.apply", "resource", &entry.row.code);
            event.result = "refused".into();
            event.detail = "the resource is not shared".into();
            p.audit_writer.append(event).await?;
        }
        return Err(invalid.into());
    }
    for id in &input.token_ids {
        let token = store::tokens::by_id(&mut conn, *id).await?;
        if !token.as_ref().is_some_and(|t| t.department_id == consumer && t.revoked_at.is_none()) {
            return Err(Error::invalid("invalid_application", format!("令牌{id}不是本部门有效的API令牌"), format!("Token {id} is not an active API token of your department")));
        }
    }
    // An application within a pre-approved scenario is granted at once, where the regime has them (LS-19c, FS-28).
    let mut state = rules::route(content.effective_share_attr(), mode, &p.profile.sharing);
    if p.profile.features.pre_approved_scenarios && state != ApplicationState::Approved {
        let fits = store::sharing::scenarios(&mut conn, Some(entry.row.id)).await?.iter().any(|s| {
            let scenario = rules::Scenario { name: s.name.clone(), department_ids: parse_list(&s.department_ids), items: parse_list(&s.items), ops: parse_list(&s.ops) };
            rules::within(&scenario, &request)
        });
        if fits {
            state = ApplicationState::Approved;
        }
    }
    drop(conn);
    let due_on = match state {
        ApplicationState::ProviderReview => p.profile.due(&p.calendar(), keys::SHARE_CONDITIONAL_REVIEW, today).map(|d| d.due),
        _ => None,
    };
    let now = p.now_us();
    let row = ApplicationRow {
        id: 0,
        resource_id: entry.row.id,
        consumer_department_id: consumer,
        scenario: input.scenario.trim().into(),
        basis: input.basis.trim().into(),
        purpose: input.purpose.trim().into(),
        items: json_list(&input.items),
        ops: json_list(&input.ops),
        token_ids: json_list(&input.token_ids),
        mode: mode.as_str().into(),
        starts_at_us: start_of_day_us(starts_on),
        expires_at_us: start_of_day_us(day_after_expiry),
        state: state.as_str().into(),
        received_at_us: now,
        due_on: due_on.map(|d| d.to_string()),
        answered_at_us: None,
        answered_by: None,
        reason: String::new(),
        refusal_basis: String::new(),
        applied_by: actor.name.clone(),
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_application(&mut tx, &row).await?;
    let mut event = actor.event("share.apply", "resource", &entry.row.code);
    event.purpose = row.scenario.clone();
    event.detail = format!("application {id} → {}", state.as_str());
    store::audit::append(&mut tx, &event, now).await?;
    if state == ApplicationState::Approved {
        grant(&mut tx, actor, &ApplicationRow { id, ..row }, now).await?;
    }
    tx.commit().await?;
    p.caches.bump();
    application(p, actor, id).await
}

/// Makes the grant of an approved application, in the caller's transaction.
async fn grant(tx: &mut store::Tx, actor: &Actor, a: &ApplicationRow, now: i64) -> Result<i64> {
    let row = GrantRow {
        id: 0,
        application_id: a.id,
        resource_id: a.resource_id,
        consumer_department_id: a.consumer_department_id,
        scenario: a.scenario.clone(),
        items: a.items.clone(),
        ops: a.ops.clone(),
        token_ids: a.token_ids.clone(),
        mode: a.mode.clone(),
        starts_at_us: a.starts_at_us,
        expires_at_us: a.expires_at_us,
        state: GrantState::Active.as_str().into(),
        state_reason: String::new(),
        created_at_us: now,
        last_used_at_us: None,
    };
    let id = store::sharing::insert_grant(tx, &row).await?;
    let mut event = actor.event("share.grant", "grant", id.to_string());
    event.purpose = a.scenario.clone();
    event.detail = format!("application {} granted: items {}, ops {}, mode {}", a.id, a.items, a.ops, a.mode);
    store::audit::append(tx, &event, now).await?;
    Ok(id)
}

/// Answers an application: the provider answers conditional ones (SYS-27c, CS-22c, FS-26b), the authority checks
/// unconditional ones where the regime says so (SYS-27b) and consents to batch delivery (LS-17c).
pub async fn answer(p: &Platform, actor: &Actor, id: i64, answer: Answer) -> Result<ApplicationView> {
    let mut conn = p.store.read().await?;
    let row = store::sharing::application_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let resource = store::catalog::by_id(&mut conn, row.resource_id).await?.ok_or_else(|| not_found(id))?;
    drop(conn);
    let state = ApplicationState::parse(&row.state).unwrap_or(ApplicationState::Refused);
    let authority = actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin);
    let allowed = match state {
        ApplicationState::ProviderReview => actor.has(Role::DeptDataOfficer) && actor.department_id == Some(resource.provider_department_id),
        ApplicationState::AuthorityReview | ApplicationState::Consent => authority,
        ApplicationState::Approved | ApplicationState::Refused => {
            return Err(Error::invalid("application_answered", format!("申请{id}已答复，不能再次答复"), format!("Application {id} is already answered")));
        }
    };
    if actor.department_id == Some(row.consumer_department_id) {
        return Err(Error::forbidden("不能答复本部门提出的申请", "You cannot answer your own department's application"));
    }
    if !allowed {
        return Err(match state {
            ApplicationState::ProviderReview => Error::forbidden("有条件共享申请由数据提供部门的数据专员答复", "A conditional application is answered by a data officer of the provider"),
            _ => Error::forbidden("该申请由数据主管部门审核", "The authority answers this application"),
        });
    }
    let mode = DeliveryMode::parse(&row.mode).unwrap_or(DeliveryMode::Api);
    let next = if answer.approve {
        match state {
            ApplicationState::Consent => ApplicationState::Approved,
            _ => rules::after_approval(mode, &p.profile.sharing),
        }
    } else {
        rules::check_refusal(&answer.reason, &answer.basis, &p.profile.sharing)?;
        ApplicationState::Refused
    };
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::sharing::answer(&mut tx, id, state.as_str(), next.as_str(), &actor.name, answer.reason.trim(), answer.basis.trim(), now).await? {
        return Err(Error::Conflict { zh: format!("申请{id}已被他人答复", ), en: format!("Application {id} was answered meanwhile") });
    }
    let mut event = actor.event("share.answer", "application", id.to_string());
    event.purpose = row.scenario.clone();
    event.detail = format!("{} → {}{}", state.as_str(), next.as_str(), if answer.reason.is_empty() { String::new() } else { format!(": {}", answer.reason.trim()) });
    store::audit::append(&mut tx, &event, now).await?;
    if next == ApplicationState::Approved {
        grant(&mut tx, actor, &row, now).await?;
    }
    tx.commit().await?;
    p.caches.bump();
    application(p, actor, id).await
}

fn grant_not_found(id: i64) -> Error {
    Error::not_found(format!("授权{id}不存在"), format!("Grant {id} does not exist"))
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("共享申请{id}不存在"), format!("Share application {id} does not exist"))
}

/// One application, for its consumer, its provider and those who oversee.
pub async fn application(p: &Platform, actor: &Actor, id: i64) -> Result<ApplicationView> {
    let mut conn = p.store.read().await?;
    let row = store::sharing::application_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let views = views(p, &mut conn, vec![row]).await?;
    let view = views.into_iter().next().ok_or_else(|| not_found(id))?;
    if !actor.oversees() && actor.department_id != Some(view.consumer.id) && actor.department_id != Some(view.provider.id) {
        return Err(not_found(id));
    }
    Ok(view)
}

/// The applications a department made or must answer; all of them for those who oversee. Overdue ones are marked.
pub async fn applications(p: &Platform, actor: &Actor) -> Result<Vec<ApplicationView>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::sharing::applications(&mut conn, scope).await?;
    views(p, &mut conn, rows).await
}

async fn views(p: &Platform, conn: &mut store::Conn, rows: Vec<ApplicationRow>) -> Result<Vec<ApplicationView>> {
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    let today = p.clock.today();
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let resource = store::catalog::by_id(conn, a.resource_id).await?.ok_or_else(|| not_found(a.id))?;
        for d in [a.consumer_department_id, resource.provider_department_id] {
            if let std::collections::btree_map::Entry::Vacant(v) = names.entry(d) {
                v.insert(store::orgs::department_by_id(conn, d).await?.map(|x| x.name).unwrap_or_default());
            }
        }
        let state = ApplicationState::parse(&a.state).unwrap_or(ApplicationState::Refused);
        let due_on = a.due_on.as_deref().and_then(|d| d.parse::<NaiveDate>().ok());
        let pending = matches!(state, ApplicationState::ProviderReview | ApplicationState::AuthorityReview | ApplicationState::Consent);
        let grant_id = store::sharing::grant_of_application(conn, a.id).await?.map(|g| g.id);
        out.push(ApplicationView {
            id: a.id,
            resource_code: resource.code.clone(),
            resource_name: resource.name.clone(),
            consumer: Party { id: a.consumer_department_id, name: names[&a.consumer_department_id].clone() },
            provider: Party { id: resource.provider_department_id, name: names[&resource.provider_department_id].clone() },
            scenario: a.scenario,
            basis: a.basis,
            purpose: a.purpose,
            items: parse_list(&a.items),
            ops: parse_list(&a.ops),
            mode: DeliveryMode::parse(&a.mode).unwrap_or(DeliveryMode::Api),
            token_ids: parse_list(&a.token_ids),
            starts_at: format_rfc3339_local(from_micros(a.starts_at_us)),
            expires_at: format_rfc3339_local(from_micros(a.expires_at_us)),
            state,
            state_label: state.label().into(),
            received_at: format_rfc3339_local(from_micros(a.received_at_us)),
            due_on,
            overdue: pending && due_on.is_some_and(|d| today > d),
            answered_at: a.answered_at_us.map(|t| format_rfc3339_local(from_micros(t))),
            answered_by: a.answered_by,
            reason: a.reason,
            refusal_basis: a.refusal_basis,
            grant_id,
        });
    }
    Ok(out)
}

fn grant_view(g: GrantRow, resource_code: String, consumer: String) -> GrantView {
    GrantView {
        id: g.id,
        application_id: g.application_id,
        resource_code,
        consumer: Party { id: g.consumer_department_id, name: consumer },
        scenario: g.scenario,
        items: parse_list(&g.items),
        ops: parse_list(&g.ops),
        mode: DeliveryMode::parse(&g.mode).unwrap_or(DeliveryMode::Api),
        token_ids: parse_list(&g.token_ids),
        starts_at: format_rfc3339_local(from_micros(g.starts_at_us)),
        expires_at: format_rfc3339_local(from_micros(g.expires_at_us)),
        state: GrantState::parse(&g.state).unwrap_or(GrantState::Terminated),
        state_reason: g.state_reason,
    }
}

/// The grants a department holds or gives; all of them for those who oversee.
pub async fn grants(p: &Platform, actor: &Actor) -> Result<Vec<GrantView>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::sharing::grants(&mut conn, scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for g in rows {
        let code = store::catalog::by_id(&mut conn, g.resource_id).await?.map(|r| r.code).unwrap_or_default();
        let consumer = store::orgs::department_by_id(&mut conn, g.consumer_department_id).await?.map(|d| d.name).unwrap_or_default();
        out.push(grant_view(g, code, consumer));
    }
    Ok(out)
}

/// The authority suspends, restores or ends a grant, with its reason (SYS-31b/c).
pub async fn decide_grant(p: &Platform, actor: &Actor, id: i64, decision: GrantDecision) -> Result<GrantView> {
    if !(actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin)) {
        return Err(Error::forbidden("授权的暂停、恢复和终止由数据主管部门决定", "The authority suspends, restores and ends grants"));
    }
    if decision.reason.trim().is_empty() {
        return Err(Error::invalid("grant_reason", "请说明理由", "State the reason"));
    }
    let mut conn = p.store.read().await?;
    let g = store::sharing::grant_by_id(&mut conn, id).await?.ok_or_else(|| grant_not_found(id))?;
    drop(conn);
    if g.state == GrantState::Terminated.as_str() {
        return Err(Error::invalid("grant_terminated", "授权已终止，不能再变更", "The grant is terminated and cannot change"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::sharing::set_grant_state(&mut tx, id, &g.state, decision.state.as_str(), decision.reason.trim()).await? {
        return Err(Error::Conflict { zh: format!("授权{id}的状态刚被他人变更，请刷新后重试"), en: format!("Grant {id} changed meanwhile: reload and try again") });
    }
    let mut event = actor.event("share.grant.state", "grant", id.to_string());
    event.detail = format!("{} → {}: {}", g.state, decision.state.as_str(), decision.reason.trim());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    p.caches.bump();
    let mut conn = p.store.read().await?;
    let g = store::sharing::grant_by_id(&mut conn, id).await?.ok_or_else(|| grant_not_found(id))?;
    let code = store::catalog::by_id(&mut conn, g.resource_id).await?.map(|r| r.code).unwrap_or_default();
    let consumer = store::orgs::department_by_id(&mut conn, g.consumer_department_id).await?.map(|d| d.name).unwrap_or_default();
    Ok(grant_view(g, code, consumer))
}

/// Which grant a call names and what it claims to be for.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallOptions {
    /// The grant the call is made under; may be left out when the token holds one grant on the resource.
    #[serde(default)]
    pub grant: Option<i64>,
    /// The scenario the call serves; a scenario other than the grant's is refused as over-purpose.
    #[serde(default)]
    pub scenario: Option<String>,
}

/// What the sharing API needs to know about a resource for one consumer department; kept briefly by the node
/// (`serving::Caches`).
pub struct ShareState {
    resource_id: i64,
    provider_id: i64,
    content: ResourceContent,
    grants: Vec<KeptGrant>,
    version: Option<store::lake::VersionRow>,
}

/// A grant as the hot path checks it, parsed once when the state is read.
struct KeptGrant {
    id: i64,
    grant: Grant,
    token_ids: Vec<i64>,
    last_used_at_us: Option<i64>,
}

impl KeptGrant {
    fn of(g: GrantRow) -> KeptGrant {
        let grant = Grant {
            items: parse_list(&g.items),
            ops: parse_list(&g.ops),
            mode: DeliveryMode::parse(&g.mode).unwrap_or(DeliveryMode::Api),
            scenario: g.scenario,
            state: GrantState::parse(&g.state).unwrap_or(GrantState::Terminated),
            starts_at_us: g.starts_at_us,
            expires_at_us: g.expires_at_us,
        };
        KeptGrant { id: g.id, grant, token_ids: parse_list(&g.token_ids), last_used_at_us: g.last_used_at_us }
    }
}

async fn share_state(p: &Platform, code: &str, department: i64) -> Result<std::sync::Arc<ShareState>> {
    let now = p.now_us();
    if let Some(s) = p.caches.share(code, department, now) {
        return Ok(s);
    }
    let gen = p.caches.generation();
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    let grants = store::sharing::grants_for(&mut conn, entry.row.id, department).await?.into_iter().map(KeptGrant::of).collect();
    let version = store::lake::versions(&mut conn, entry.row.id).await?.into_iter().next();
    drop(conn);
    let state = std::sync::Arc::new(ShareState { resource_id: entry.row.id, provider_id: entry.provider.id, content, grants, version });
    p.caches.keep_share(code, department, state.clone(), gen, now);
    Ok(state)
}

/// A call the grant allowed: the grant, the published items, and the newest version to read.
struct Authorized {
    grant_id: i64,
    resource_id: i64,
    grant: Grant,
    content: ResourceContent,
    code: String,
    version: i64,
    path: String,
}

/// Checks a sharing-API call against the caller's grants (LS-16e: deny by default). A refusal is an audit event
/// naming why (SYS-31a: over-scope, over-purpose, expired, suspended) and a 403 with that code.
async fn authorize(p: &Platform, actor: &Actor, code: &str, action: &str, needs: &[ShareOp], items: Option<&[String]>, batch: bool, options: &CallOptions) -> Result<Authorized> {
    let ActorKind::System { token_id } = actor.kind else {
        return Err(Error::forbidden("共享接口须以需求部门系统的API令牌调用", "The sharing API is called with an API token of the consumer's system"));
    };
    let department = actor.department_id.ok_or_else(|| Error::forbidden("令牌没有所属部门", "The token has no department"))?;
    let state = share_state(p, code, department).await?;
    let bound: Vec<&KeptGrant> = state
        .grants
        .iter()
        .filter(|g| options.grant.is_none_or(|id| id == g.id))
        .filter(|g| g.token_ids.is_empty() || g.token_ids.contains(&token_id))
        .collect();
    let now = p.now_us();
    let mut denial = Denial::NoGrant;
    let mut chosen = None;
    for kept in &bound {
        let (id, grant) = (kept.id, &kept.grant);
        // A record or a batch takes every item its grant gives.
        let wanted = items.unwrap_or(&grant.items);
        let call = Call { needs, items: wanted, batch, scenario: options.scenario.as_deref(), now_us: now };
        let fits = || rules::grant_still_fits(&state.content, department, state.provider_id, &grant.items, &grant.ops, grant.mode);
        match rules::allows(grant, &call) {
            Ok(()) if fits() => {
                chosen = Some((id, grant.clone()));
                break;
            }
            Ok(()) => denial = Denial::Withdrawn,
            Err(d) => denial = d,
        }
    }
    let Some((grant_id, grant)) = chosen else {
        let mut event = actor.event("share.denied", "resource", code);
        event.result = "refused".into();
        event.purpose = options.scenario.clone().unwrap_or_default();
        event.detail = format!("{action}: {}{}", denial.as_str(), bound.first().map(|g| format!(" (grant {})", g.id)).unwrap_or_default());
        p.audit_writer.append(event).await?;
        return Err(Error::Denied(Invalid::new(
            match denial {
                Denial::NoGrant => "share_no_grant",
                Denial::OverScope => "share_over_scope",
                Denial::OverPurpose => "share_over_purpose",
                Denial::Expired => "share_expired",
                Denial::Suspended => "share_suspended",
                Denial::Withdrawn => "share_withdrawn",
            },
            format!("{}：请在授权范围内调用，或先提出共享申请", denial.label()),
            format!("Refused, {}: call within a grant, or apply first", denial.label_en()),
        )));
    };
    let Some(version) = &state.version else {
        return Err(Error::not_found(format!("资源{code}尚无数据版本"), format!("Resource {code} has no data yet")));
    };
    // The last use is kept to the hour (idle grants, SYS-31a): one write an hour per grant, not one per call.
    let last = bound.iter().find(|g| g.id == grant_id).and_then(|g| g.last_used_at_us);
    if last.is_none_or(|t| now - t >= 3_600_000_000) && p.caches.grant_touch_due(grant_id, now) {
        let mut tx = p.store.begin().await?;
        store::sharing::touch_grant(&mut tx, grant_id, now).await?;
        store::alerts::resolve_other(&mut tx, "grant_idle", &grant_id.to_string(), None, now).await?;
        tx.commit().await?;
    }
    Ok(Authorized { grant_id, resource_id: state.resource_id, grant, content: state.content.clone(), code: code.into(), version: version.version, path: version.path.clone() })
}

/// A record as a grant lets its consumer see it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Record {
    pub resource_code: String,
    pub version: i64,
    pub grant_id: i64,
    /// The granted items' values, masked where the grant does not obtain them.
    pub values: BTreeMap<String, Option<String>>,
    /// The items whose values are masked.
    pub masked: Vec<String>,
}

/// The first key item of the entry: records are found by it.
fn key_item(content: &ResourceContent) -> Result<&domain::catalog::entry::Item> {
    content.items.iter().find(|i| i.is_key).ok_or_else(|| Error::invalid("share_no_key", "该资源没有主键数据项，不能按主键查询", "The resource has no key item to look records up by"))
}

/// Reads the row with `key` from the authorized version: the values of `items`, or none when no row has it.
/// Reads the row with `key` from the authorized version, held in memory by key: the values of `items`, or none
/// when no row has it.
async fn row_by_key(p: &Platform, a: &Authorized, items: &[String], key: &str) -> Result<Option<Vec<Option<String>>>> {
    let key_name = &key_item(&a.content)?.name;
    let table = match p.caches.cached_table(&a.path, key_name) {
        Some(t) => t,
        None => {
            let path = crate::aggregation::local_files(p, vec![a.path.clone()]).await?.remove(0);
            p.caches.load_table(&a.path, path, key_name).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("share lookup: {e}"))))?
        }
    };
    Ok(table.get(key, items))
}

/// A short fingerprint of a looked-up key for the audit log: repeated and distinct keys can be counted (misuse
/// checks) without the log holding the identifier itself.
fn key_print(key: &str) -> String {
    use sm3::Digest;
    hex::encode(&sm3::Sm3::digest(key.as_bytes())[..6])
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.chars().count() > 200 {
        return Err(Error::invalid("share_key", "主键值须为1至200个字符", "The key is 1 to 200 characters"));
    }
    Ok(())
}

/// A record by key with only the granted items, masked as the grant requires (SYS-27, CS-21b, FS-13c, LS-17b).
pub async fn record(p: &Platform, actor: &Actor, code: &str, key: &str, options: CallOptions) -> Result<Record> {
    check_key(key)?;
    let a = authorize(p, actor, code, "record", &[ShareOp::View, ShareOp::Obtain], None, false, &options).await?;
    let items = a.grant.items.clone();
    let row = row_by_key(p, &a, &items, key).await?;
    let mut event = actor.event("share.record", "resource", &a.code);
    event.purpose = a.grant.scenario.clone();
    event.detail = format!("grant {}, version {}, key {}{}", a.grant_id, a.version, key_print(key), if row.is_some() { "" } else { ", not found" });
    p.audit_writer.append(event).await?;
    let row = row.ok_or_else(|| Error::not_found("没有该主键的记录", "No record has this key"))?;
    let mut values = BTreeMap::new();
    let mut masked = Vec::new();
    for (name, value) in items.iter().zip(row) {
        let item = a.content.items.iter().find(|i| &i.name == name);
        let shown = match (item, value) {
            (Some(item), Some(v)) => {
                let m = rules::masked(item, &v, &a.grant.ops);
                if m != v {
                    masked.push(name.clone());
                }
                Some(m)
            }
            (_, v) => v,
        };
        values.insert(name.clone(), shown);
    }
    Ok(Record { resource_code: a.code, version: a.version, grant_id: a.grant_id, values, masked })
}

/// A verification request (核验): the key and the values the caller holds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub key: String,
    /// Item name → the value to check.
    pub values: BTreeMap<String, String>,
    #[serde(default)]
    pub grant: Option<i64>,
    #[serde(default)]
    pub scenario: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Match,
    NoMatch,
}

/// A verification's answer: match or no match per item, never a value (CS-21c, FS-14d).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Verification {
    pub resource_code: String,
    pub version: i64,
    pub grant_id: i64,
    /// Whether a record has the key.
    pub found: bool,
    pub items: BTreeMap<String, Verdict>,
}

/// Checks claimed values against the record with the key (结果核验).
pub async fn verify(p: &Platform, actor: &Actor, code: &str, req: VerifyRequest) -> Result<Verification> {
    check_key(&req.key)?;
    if req.values.is_empty() || req.values.len() > 100 {
        return Err(Error::invalid("share_verify_values", "请给出1至100个待核验的数据项", "Give 1 to 100 items to verify"));
    }
    let items: Vec<String> = req.values.keys().cloned().collect();
    let options = CallOptions { grant: req.grant, scenario: req.scenario.clone() };
    let a = authorize(p, actor, code, "verify", &[ShareOp::Compare], Some(&items), false, &options).await?;
    let day = p.now_us().div_euclid(86_400_000_000);
    if !p.caches.verification_allowed(a.grant_id, &req.key, day) {
        let mut event = actor.event("share.denied", "resource", &a.code);
        event.result = "refused".into();
        event.purpose = a.grant.scenario.clone();
        event.detail = format!("verify: daily limit for key {} under grant {}", key_print(&req.key), a.grant_id);
        p.audit_writer.append(event).await?;
        return Err(Error::Denied(Invalid::new(
            "share_verify_limit",
            format!("同一主键在同一授权下每天最多核验{}次", crate::serving::VERIFY_PER_KEY_PER_DAY),
            format!("A key is verified at most {} times a day under one grant", crate::serving::VERIFY_PER_KEY_PER_DAY),
        )));
    }
    let row = row_by_key(p, &a, &items, &req.key).await?;
    let mut verdicts = BTreeMap::new();
    for (i, name) in items.iter().enumerate() {
        let stored = row.as_ref().and_then(|r| r[i].as_deref()).map(str::trim);
        let same = stored.is_some_and(|s| s == req.values[name].trim());
        verdicts.insert(name.clone(), if same { Verdict::Match } else { Verdict::NoMatch });
    }
    let mut event = actor.event("share.verify", "resource", &a.code);
    event.purpose = a.grant.scenario.clone();
    let matched = verdicts.values().filter(|v| **v == Verdict::Match).count();
    event.detail = format!("grant {}, version {}, key {}, {matched}/{} items match", a.grant_id, a.version, key_print(&req.key), verdicts.len());
    p.audit_writer.append(event).await?;
    Ok(Verification { resource_code: a.code, version: a.version, grant_id: a.grant_id, found: row.is_some(), items: verdicts })
}

/// A statistics request (统计): counts, and sums of granted numeric items, grouped by granted items.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsRequest {
    /// Items to group by (text, date or yes/no items; not identifiers or keys).
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Only records with these values (item → value).
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    /// Numeric items to sum.
    #[serde(default)]
    pub sums: Vec<String>,
    #[serde(default)]
    pub grant: Option<i64>,
    #[serde(default)]
    pub scenario: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StatsGroup {
    pub values: BTreeMap<String, Option<String>>,
    pub count: u64,
    pub sums: BTreeMap<String, f64>,
}

/// A statistics answer: every group describes at least `k` records.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Stats {
    pub resource_code: String,
    pub version: i64,
    pub grant_id: i64,
    pub k: u64,
    pub groups: Vec<StatsGroup>,
    /// Cells of fewer than k records, left out of every answer (so no two answers differ by them).
    pub withheld_cells: usize,
}

/// The most cells a grant's table may have.
const MAX_CELLS: usize = 200_000;

/// Statistics only (FS-14e, SYS-27): the grant's table — its dimension items crossed — is built, cells of fewer than
/// k records are withheld, and the answer sums the remaining cells, so no answer nor difference of answers
/// describes fewer than k people.
pub async fn stats(p: &Platform, actor: &Actor, code: &str, req: StatsRequest) -> Result<Stats> {
    if req.group_by.len() > 10 || req.filters.len() > 10 || req.sums.len() > 10 {
        return Err(Error::invalid("stats_request", "分组、筛选和求和的数据项各不超过10个", "At most 10 items each to group by, filter on and sum"));
    }
    let mut named: Vec<String> = req.group_by.iter().chain(req.filters.keys()).chain(&req.sums).cloned().collect();
    named.sort();
    named.dedup();
    let options = CallOptions { grant: req.grant, scenario: req.scenario.clone() };
    let a = authorize(p, actor, code, "stats", &[ShareOp::Stats], Some(&named), false, &options).await?;
    // One table over every dimension of the resource, whatever the grant: answers to different grants are sums of
    // the same released cells, so they cannot be differenced against each other either.
    let dims: Vec<&str> = rules::stats_dimensions(&a.content).into_iter().map(|i| i.name.as_str()).collect();
    let measures: Vec<&str> = rules::stats_measures(&a.content).into_iter().map(|i| i.name.as_str()).collect();
    let allowed: Vec<&str> = dims.iter().copied().filter(|d| a.grant.items.iter().any(|g| g == d)).collect();
    let index_of = |name: &str| allowed.contains(&name).then(|| dims.iter().position(|d| *d == name)).flatten();
    let mut group_by = Vec::new();
    for name in &req.group_by {
        group_by.push(index_of(name).ok_or_else(|| {
            Error::invalid(
                "stats_dimension",
                format!("不能按“{name}”分组：可分组的是授权内列明取值的数据项（{}）", allowed.join("、")),
                format!("Cannot group by '{name}': groups are the granted items with listed values ({})", allowed.join(", ")),
            )
        })?);
    }
    let mut filters = Vec::new();
    for (name, value) in &req.filters {
        filters.push((index_of(name).ok_or_else(|| Error::invalid("stats_dimension", format!("不能按“{name}”筛选"), format!("Cannot filter on '{name}'")))?, value.clone()));
    }
    let mut sums = Vec::new();
    for name in &req.sums {
        let granted = a.grant.items.iter().any(|g| g == name);
        sums.push(measures.iter().position(|m| m == name).filter(|_| granted).ok_or_else(|| Error::invalid("stats_measure", format!("“{name}”不是授权内可求和的数值型数据项"), format!("'{name}' is not a granted numeric item to sum")))?);
    }
    let path = crate::aggregation::local_files(p, vec![a.path.clone()]).await?.remove(0);
    let tables = [lake::query::Table { names: vec!["t".into()], path }];
    let mut select: Vec<String> = dims.iter().map(|d| format!("CAST({} AS VARCHAR)", lake::query::ident(d))).collect();
    select.push("COUNT(*)".into());
    select.extend(measures.iter().map(|m| format!("CAST(SUM({}) AS DOUBLE)", lake::query::ident(m))));
    let group = if dims.is_empty() { String::new() } else { format!(" GROUP BY {}", (1..=dims.len()).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")) };
    let sql = format!("SELECT {} FROM t{group}", select.join(", "));
    let answer = lake::query::sql(&tables, &sql, MAX_CELLS, 512).await.map_err(|e| match e {
        // A catalog item the newest version does not have yet.
        lake::query::QueryError::Sql(why) => Error::invalid("share_version_lacks_items", format!("当前数据版本缺少目录中的数据项，请提供部门重新归集：{why}"), format!("The newest version lacks an item of the entry: the provider must deliver it again ({why})")),
        other => Error::Internal(store::Error::Corrupt(format!("share stats: {other}"))),
    })?;
    if answer.truncated {
        return Err(Error::invalid("stats_too_fine", "授权的数据项组合过细，无法统计：请申请更少的分组数据项", "The grant's items cross into too many cells: apply for fewer items to group by"));
    }
    let cells: Vec<rules::Cell> = answer
        .rows
        .into_iter()
        .map(|row| {
            let count = row[dims.len()].as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
            let sums = row[dims.len() + 1..].iter().map(|v| v.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0.0)).collect();
            rules::Cell { dims: row[..dims.len()].to_vec(), count, sums }
        })
        .collect();
    let k = u64::from(p.profile.features.min_group_size).max(1);
    let released = rules::release(cells, k);
    let groups: Vec<StatsGroup> = rules::aggregate(&released, &group_by, &filters)
        .into_iter()
        .map(|g| StatsGroup {
            values: req.group_by.iter().cloned().zip(g.dims).collect(),
            count: g.count,
            sums: sums.iter().map(|m| (measures[*m].to_string(), g.sums[*m])).collect(),
        })
        .collect();
    let mut event = actor.event("share.stats", "resource", &a.code);
    event.purpose = a.grant.scenario.clone();
    event.detail = format!("grant {}, version {}, group by [{}], {} groups, {} cells withheld", a.grant_id, a.version, req.group_by.join(","), groups.len(), released.withheld);
    p.audit_writer.append(event).await?;
    Ok(Stats { resource_code: a.code, version: a.version, grant_id: a.grant_id, k, groups, withheld_cells: released.withheld })
}

/// How a batch is delivered.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// `csv` (the default) or `parquet`.
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub grant: Option<i64>,
    #[serde(default)]
    pub scenario: Option<String>,
}

/// A batch file made for one consumer.
pub struct BatchFile {
    pub file: tempfile::NamedTempFile,
    pub delivery_id: i64,
    pub rows: u64,
    pub parquet: bool,
    pub version: i64,
    pub sm3: String,
}

/// Batch delivery (批量交换, LS-17c): the granted items of the newest version as CSV or Parquet, for a grant that
/// obtains data in batch mode. Each file's rows are ordered by a secret of its own and the delivery is recorded
/// with the file's SM3, so a leaked copy is traced to its consumer ([`trace`]).
pub async fn batch(p: &Platform, actor: &Actor, code: &str, q: BatchQuery) -> Result<BatchFile> {
    let parquet = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "parquet" => true,
        other => return Err(Error::invalid("share_batch_format", format!("不支持的格式“{other}”：可选 csv 或 parquet"), format!("Unknown format '{other}': csv or parquet"))),
    };
    let options = CallOptions { grant: q.grant, scenario: q.scenario.clone() };
    let a = authorize(p, actor, code, "batch", &[ShareOp::Obtain], None, true, &options).await?;
    let key = key_item(&a.content)?.name.clone();
    let path = crate::aggregation::local_files(p, vec![a.path.clone()]).await?.remove(0);
    let secret: [u8; 16] = rand::random();
    let tmp_dir = crate::aggregation::tmp_dir(p)?;
    let file = tempfile::Builder::new().suffix(if parquet { ".parquet" } else { ".csv" }).tempfile_in(tmp_dir).map_err(|e| Error::Internal(store::Error::Corrupt(format!("batch spool: {e}"))))?;
    let (out, items, format) = (file.path().to_path_buf(), a.grant.items.clone(), if parquet { lake::export::ExportFormat::Parquet } else { lake::export::ExportFormat::Csv });
    let note = format!("grant {}", a.grant_id);
    let written = tokio::task::spawn_blocking(move || -> Result<(u64, String), lake::Error> {
        let rows = lake::export::export(&path, &items, &key, &secret, &note, &out, format)?;
        use sm3::Digest;
        let mut h = sm3::Sm3::new();
        let mut f = std::fs::File::open(&out)?;
        std::io::copy(&mut f, &mut h)?;
        Ok((rows, hex::encode(h.finalize())))
    })
    .await
    .map_err(|e| Error::Internal(store::Error::Corrupt(format!("batch task: {e}"))))?
    .map_err(|e| match e {
        lake::Error::Value { column, .. } => Error::invalid(
            "share_version_lacks_items",
            format!("当前数据版本缺少数据项“{column}”，请提供部门重新归集"),
            format!("The newest version lacks item '{column}': the provider must deliver it again"),
        ),
        other => Error::Internal(store::Error::Corrupt(format!("batch: {other}"))),
    })?;
    let (rows, sm3) = written;
    let now = p.now_us();
    let row = store::sharing::DeliveryRow {
        id: 0,
        grant_id: a.grant_id,
        resource_id: a.resource_id,
        consumer_department_id: actor.department_id.unwrap_or_default(),
        version: a.version,
        format: if parquet { "parquet" } else { "csv" }.into(),
        rows: rows as i64,
        sm3: sm3.clone(),
        secret: hex::encode(secret),
        delivered_to: actor.name.clone(),
        delivered_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let delivery_id = store::sharing::insert_delivery(&mut tx, &row).await?;
    let mut event = actor.event("share.batch", "resource", &a.code);
    event.purpose = a.grant.scenario.clone();
    event.detail = format!("grant {}, version {}, delivery {delivery_id}: {rows} rows as {}, sm3 {sm3}", a.grant_id, a.version, row.format);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(BatchFile { file, delivery_id, rows, parquet, version: a.version, sm3 })
}

/// A leaked copy to trace: its resource and its keys in the order the copy holds them (at least 20).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceRequest {
    pub resource_code: String,
    pub keys: Vec<String>,
}

/// A batch delivery a copy was traced to.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Traced {
    pub delivery_id: i64,
    pub grant_id: i64,
    pub consumer: Party,
    pub delivered_to: String,
    pub delivered_at: String,
    pub version: i64,
    /// Share of neighbouring keys in the delivery's order (1 for its own file; about 0.5 by chance).
    pub match_share: f64,
}

/// Traces a leaked copy to the batch deliveries whose row order it follows (SYS-33: data obtained by sharing is
/// not passed on). The authority only.
pub async fn trace(p: &Platform, actor: &Actor, req: TraceRequest) -> Result<Vec<Traced>> {
    if !(actor.kind == ActorKind::Cli || actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator, Role::Auditor])) {
        return Err(Error::forbidden("溯源由数据主管部门、数据服务中心或审计员进行", "The authority, the service center or an auditor traces copies"));
    }
    if req.keys.len() < 20 || req.keys.len() > 100_000 {
        return Err(Error::invalid("trace_keys", "请按副本中的顺序给出20至100000个主键值", "Give 20 to 100,000 keys in the order the copy holds them"));
    }
    let mut conn = p.store.read().await?;
    let resource = store::catalog::by_code(&mut conn, &req.resource_code).await?.ok_or_else(|| crate::catalog::not_found(&req.resource_code))?;
    let deliveries = store::sharing::deliveries(&mut conn, resource.id).await?;
    let mut out = Vec::new();
    for d in deliveries {
        let secret = hex::decode(&d.secret).unwrap_or_default();
        let share = lake::export::order_match(&req.keys, &secret);
        if share >= 0.95 {
            let consumer = store::orgs::department_by_id(&mut conn, d.consumer_department_id).await?.map(|x| x.name).unwrap_or_default();
            out.push(Traced {
                delivery_id: d.id,
                grant_id: d.grant_id,
                consumer: Party { id: d.consumer_department_id, name: consumer },
                delivered_to: d.delivered_to,
                delivered_at: format_rfc3339_local(from_micros(d.delivered_at_us)),
                version: d.version,
                match_share: share,
            });
        }
    }
    drop(conn);
    let mut event = actor.event("share.trace", "resource", &req.resource_code);
    event.detail = format!("{} keys → deliveries {:?}", req.keys.len(), out.iter().map(|t| t.delivery_id).collect::<Vec<_>>());
    p.audit_writer.append(event).await?;
    Ok(out)
}

/// Flags grants in force that have not been used for the regime's idle period (SYS-31a: 3 months without a call)
/// to the consumer and the authority, once per idle day; a call resolves the flag. Regimes without the rule flag
/// nothing. Answers how many were raised.
pub async fn scan_idle(p: &Platform) -> Result<usize> {
    let Some(rule) = p.profile.deadline(keys::IDLE_GRANT).filter(|d| d.unit == domain::profile::Unit::Months) else { return Ok(0) };
    let actor = Actor::platform("share-idle");
    let today = p.clock.today();
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let grants = store::sharing::grants_in_force(&mut conn).await?;
    drop(conn);
    let mut raised = 0;
    let mut tx = p.store.begin().await?;
    for g in grants {
        let last = from_micros(g.last_used_at_us.unwrap_or(g.created_at_us)).with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let idle = rules::idle_on(last, rule.value);
        if today < idle {
            continue;
        }
        let row = store::alerts::AlertRow {
            id: 0,
            kind: "grant_idle".into(),
            object_kind: "grant".into(),
            object_id: g.id.to_string(),
            department_id: g.consumer_department_id,
            to_authority: true,
            due_at_us: start_of_day_us(idle),
            message: format!("授权{}（{}）自{last}起{}个月未调用，请说明情况或申请终止授权", g.id, g.scenario, rule.value),
            message_en: format!("Grant {} ({}) has not been called for {} months since {last}: explain, or ask to end it", g.id, g.scenario, rule.value),
            raised_at_us: now,
            resolved_at_us: None,
        };
        if store::alerts::raise(&mut tx, &row).await? {
            let mut event = actor.event("alert.raise", "grant", g.id.to_string());
            event.detail = format!("grant_idle: last used {last}, idle since {idle}");
            store::audit::append(&mut tx, &event, now).await?;
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}

/// What a consumer records of the data a grant gave it (SYS-20b): its use and effect and how it is kept, or, once
/// the grant has ended, that the copies are destroyed (FS-08d).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUsage {
    /// `usage` or `destruction`.
    pub kind: UsageKind,
    /// 应用效果.
    #[serde(default)]
    pub effect: String,
    /// 使用过程.
    #[serde(default)]
    pub process: String,
    /// 存储情况.
    #[serde(default)]
    pub storage: String,
    /// The day the copies were destroyed (for `destruction`).
    #[serde(default)]
    pub destroyed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    Usage,
    Destruction,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Usage {
    pub id: i64,
    pub grant_id: i64,
    pub kind: String,
    pub effect: String,
    pub process: String,
    pub storage: String,
    pub destroyed_on: Option<String>,
    pub reported_by: String,
    pub reported_at: String,
}

fn usage_view(u: store::sharing::UsageRow) -> Usage {
    Usage {
        id: u.id,
        grant_id: u.grant_id,
        kind: u.kind,
        effect: u.effect,
        process: u.process,
        storage: u.storage,
        destroyed_on: u.destroyed_on,
        reported_by: u.reported_by,
        reported_at: format_rfc3339_local(from_micros(u.reported_at_us)),
    }
}

/// Records a grant's use or the destruction of its copies; only the consumer's data officers.
pub async fn record_usage(p: &Platform, actor: &Actor, grant_id: i64, u: NewUsage) -> Result<Usage> {
    let mut conn = p.store.read().await?;
    let g = store::sharing::grant_by_id(&mut conn, grant_id).await?.ok_or_else(|| grant_not_found(grant_id))?;
    drop(conn);
    if !(actor.has(Role::DeptDataOfficer) && actor.department_id == Some(g.consumer_department_id)) {
        return Err(Error::forbidden("使用情况由获取数据的部门记录", "The consumer records how it uses the data"));
    }
    let text = |s: &str| s.trim().chars().take(2000).collect::<String>();
    match u.kind {
        UsageKind::Usage if u.effect.trim().is_empty() || u.storage.trim().is_empty() => {
            return Err(Error::invalid("usage_fields", "请填写应用效果和存储情况", "State the effect of use and how the data is stored"));
        }
        UsageKind::Destruction if u.destroyed_on.is_none() => {
            return Err(Error::invalid("usage_fields", "请填写销毁日期", "State the day the copies were destroyed"));
        }
        UsageKind::Destruction if u.destroyed_on.is_some_and(|d| d > p.clock.today()) => {
            return Err(Error::invalid("usage_fields", "销毁日期不能晚于今天", "The destruction cannot be dated after today"));
        }
        _ => {}
    }
    let now = p.now_us();
    let row = store::sharing::UsageRow {
        id: 0,
        grant_id,
        kind: match u.kind {
            UsageKind::Usage => "usage",
            UsageKind::Destruction => "destruction",
        }
        .into(),
        effect: text(&u.effect),
        process: text(&u.process),
        storage: text(&u.storage),
        destroyed_on: u.destroyed_on.map(|d| d.to_string()),
        reported_by: actor.name.clone(),
        reported_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_usage(&mut tx, &row).await?;
    let mut event = actor.event("share.usage", "grant", grant_id.to_string());
    event.purpose = g.scenario.clone();
    event.detail = format!("{}{}", row.kind, row.destroyed_on.as_deref().map(|d| format!(" on {d}")).unwrap_or_default());
    store::audit::append(&mut tx, &event, now).await?;
    if u.kind == UsageKind::Destruction {
        store::alerts::resolve_other(&mut tx, "grant_destruction", &grant_id.to_string(), None, now).await?;
    }
    tx.commit().await?;
    Ok(usage_view(store::sharing::UsageRow { id, ..row }))
}

/// A grant's usage records, for its consumer, its provider and those who oversee.
pub async fn usage(p: &Platform, actor: &Actor, grant_id: i64) -> Result<Vec<Usage>> {
    let mut conn = p.store.read().await?;
    let g = store::sharing::grant_by_id(&mut conn, grant_id).await?.ok_or_else(|| grant_not_found(grant_id))?;
    let provider = store::catalog::by_id(&mut conn, g.resource_id).await?.map(|r| r.provider_department_id);
    if !actor.oversees() && actor.department_id != Some(g.consumer_department_id) && actor.department_id != provider {
        return Err(grant_not_found(grant_id));
    }
    Ok(store::sharing::usage_of(&mut conn, grant_id).await?.into_iter().map(usage_view).collect())
}

/// Asks the consumer of every ended grant that obtained data to confirm its copies are destroyed (FS-08d), once
/// per grant; the confirmation resolves it.
pub async fn scan_destruction(p: &Platform) -> Result<usize> {
    let actor = Actor::platform("share-destruction");
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let ended = store::sharing::ended_without_destruction(&mut conn, now).await?;
    drop(conn);
    let mut raised = 0;
    let mut tx = p.store.begin().await?;
    for g in ended {
        let row = store::alerts::AlertRow {
            id: 0,
            kind: "grant_destruction_due".into(),
            object_kind: "grant".into(),
            object_id: g.id.to_string(),
            department_id: g.consumer_department_id,
            to_authority: false,
            due_at_us: g.expires_at_us.min(now),
            message: format!("授权{}（{}）已结束：请销毁获取的数据副本并记录销毁情况", g.id, g.scenario),
            message_en: format!("Grant {} ({}) has ended: destroy the copies obtained and record it", g.id, g.scenario),
            raised_at_us: now,
            resolved_at_us: None,
        };
        // One request per grant, whatever the instant it is first seen.
        if store::alerts::open_exists(&mut tx, "grant_destruction_due", &row.object_id).await? {
            continue;
        }
        if store::alerts::raise(&mut tx, &row).await? {
            let mut event = actor.event("alert.raise", "grant", g.id.to_string());
            event.detail = "grant_destruction_due".into();
            store::audit::append(&mut tx, &event, now).await?;
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}

/// A pre-approved scenario as the authority states it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScenario {
    pub name: String,
    pub resource_code: String,
    /// The departments taking part.
    pub department_ids: Vec<i64>,
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    /// The law or decision the scenario rests on.
    pub basis: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScenarioView {
    pub id: i64,
    pub name: String,
    pub resource_code: String,
    pub department_ids: Vec<i64>,
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    pub basis: String,
    pub created_by: String,
    pub created_at: String,
}

fn scenario_view(s: store::sharing::ScenarioRow, code: String) -> ScenarioView {
    ScenarioView {
        id: s.id,
        name: s.name,
        resource_code: code,
        department_ids: parse_list(&s.department_ids),
        items: parse_list(&s.items),
        ops: parse_list(&s.ops),
        basis: s.basis,
        created_by: s.created_by,
        created_at: format_rfc3339_local(from_micros(s.created_at_us)),
    }
}

/// The authority publishes a pre-approved scenario (FS-28a: only the authority); its items and operations must be
/// ones the entry shares with every participant.
pub async fn create_scenario(p: &Platform, actor: &Actor, input: NewScenario) -> Result<ScenarioView> {
    if !p.profile.features.pre_approved_scenarios {
        return Err(Error::invalid("no_scenarios", "本地规定未设预先审定的应用场景：请按共享申请办理", "This regime has no pre-approved scenarios: apply as usual"));
    }
    if !(actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin)) {
        return Err(Error::forbidden("应用场景由数据主管部门审定发布", "The authority publishes application scenarios"));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || input.basis.trim().is_empty() || input.department_ids.is_empty() {
        return Err(Error::invalid("invalid_scenario", "请填写场景名称、依据和参与部门", "State the scenario's name, basis and participating departments"));
    }
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, &input.resource_code).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    drop(conn);
    for d in &input.department_ids {
        let req = Request {
            consumer_department_id: *d,
            provider_department_id: entry.provider.id,
            scenario: &name,
            basis: &input.basis,
            purpose: &name,
            items: &input.items,
            ops: &input.ops,
            mode: DeliveryMode::Api,
            days: 1,
        };
        rules::check_request(&content, &req)?;
    }
    let now = p.now_us();
    let row = store::sharing::ScenarioRow {
        id: 0,
        name,
        resource_id: entry.row.id,
        department_ids: json_list(&input.department_ids),
        items: json_list(&input.items),
        ops: json_list(&input.ops),
        basis: input.basis.trim().into(),
        created_by: actor.name.clone(),
        created_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_scenario(&mut tx, &row)
        .await
        .map_err(|e| Error::from_store_conflict(e, "该资源已有同名场景", "The resource already has a scenario of this name"))?;
    let mut event = actor.event("share.scenario", "resource", &entry.row.code);
    event.purpose = row.name.clone();
    event.detail = format!("scenario {id}: departments {}, items {}, ops {}", row.department_ids, row.items, row.ops);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(scenario_view(store::sharing::ScenarioRow { id, ..row }, entry.row.code.clone()))
}

pub async fn scenarios(p: &Platform) -> Result<Vec<ScenarioView>> {
    let mut conn = p.store.read().await?;
    let rows = store::sharing::scenarios(&mut conn, None).await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let code = store::catalog::by_id(&mut conn, s.resource_id).await?.map(|r| r.code).unwrap_or_default();
        out.push(scenario_view(s, code));
    }
    Ok(out)
}
