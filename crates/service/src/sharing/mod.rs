//! Sharing (共享): a consumer department applies for a resource; the application is routed by the entry's share
//! attribute and the profile (granted at once, checked by the authority, or answered by the provider within the
//! regime's working days); an approved one becomes a grant, and the sharing API serves calls within a grant only.
//! Every step and every call is an audit event; a call outside its grant is refused and logged as what it was.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::catalog::attrs::ShareOp;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::profile::keys;
use domain::roles::Role;
use domain::sharing::{self as rules, ApplicationState, DeliveryMode, GrantState, Request};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::sharing::{ApplicationRow, GrantRow};

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;

mod api;
mod misuse;
pub mod consents;
mod notices;
pub mod onward;
mod push;
mod report;
mod scenarios;
mod usage;

pub use api::*;
pub(crate) use api::key_print;
pub use misuse::*;
pub use notices::{scan_overdue_answers, REVIEW_PREFIX, STEP_PREFIX};
pub use push::*;
pub use report::*;
pub use scenarios::*;
pub use usage::*;

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
    /// 使用逻辑: how the data serves the business (required where the regime says so, FS-08b).
    #[serde(default)]
    pub use_logic: String,
    /// The applicant undertakes to use the data only for its duties and the stated purpose and to pass it to no
    /// third party, directly or in another form (required where the regime says so, LS-19b, YZ-16).
    #[serde(default)]
    pub undertaking: bool,
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
    /// While a cross-level application is forwarded (FS-27): the region whose authority holds it.
    pub via_region_id: Option<i64>,
    pub use_logic: String,
    /// The applicant's undertaking to use the data only as stated and pass it to no third party.
    pub undertaking: bool,
    /// From a department outside the entry's named departments, for the provider to decide (LS-18c).
    pub beyond_scope: bool,
    /// Approved on each subject's consent (FS-31a).
    pub consent_required: bool,
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
    /// The kind of instrument the refusal rests on (FS-08a); required where the regime says so.
    #[serde(default)]
    pub ground: Option<rules::RefusalGround>,
    /// On approval, the grant as the approver fixes it, within the application (FS-29a: least authorization):
    /// fewer items or operations, named calling systems, an earlier last day. Left out: as applied for.
    #[serde(default)]
    pub items: Option<Vec<String>>,
    #[serde(default)]
    pub ops: Option<Vec<ShareOp>>,
    #[serde(default)]
    pub token_ids: Option<Vec<i64>>,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    /// On approval of sensitive data: each subject's record is served only with that subject's consent to the
    /// scenario (FS-31a), which the service center records.
    #[serde(default)]
    pub consent_required: bool,
}

impl Answer {
    /// An approval or a refusal that fixes nothing.
    pub fn new(approve: bool, reason: String, basis: String, ground: Option<rules::RefusalGround>) -> Answer {
        Answer { approve, reason, basis, ground, items: None, ops: None, token_ids: None, expires_on: None, consent_required: false }
    }

    fn narrows(&self) -> bool {
        self.items.is_some() || self.ops.is_some() || self.token_ids.is_some() || self.expires_on.is_some()
    }
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
    /// Serves a subject's record only with that subject's consent (FS-31a).
    pub consent_required: bool,
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

pub(crate) fn start_of_day_us(day: NaiveDate) -> i64 {
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
    if input.use_logic.chars().count() > 2000 {
        return Err(Error::invalid("invalid_application", "数据使用逻辑不超过2000个字", "At most 2000 characters for the use logic"));
    }
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
        use_logic: p.profile.sharing.application_use_logic.then_some(input.use_logic.as_str()),
        undertaking: p.profile.sharing.application_undertaking.then_some(input.undertaking),
        beyond_scope: false,
    };
    // Outside a restricted entry's named departments, and nothing else amiss: the provider decides, where the regime
    // says so (LS-18c).
    let beyond_scope = p.profile.sharing.out_of_scope_to_provider
        && rules::check_request(&content, &request).is_err_and(|e| !e.fields.is_empty() && e.fields.iter().all(|f| f.field == "consumer"))
        && rules::check_request(&content, &Request { beyond_scope: true, ..request.clone() }).is_ok();
    if let Err(invalid) = rules::check_request(&content, &Request { beyond_scope, ..request.clone() }) {
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
    // A scenario traced to the department's mapped business, or to a pre-approved scenario (LS-19a).
    if p.profile.sharing.scenario_from_business_items {
        let scenario = input.scenario.trim();
        let mapped = store::business_items::exists(&mut conn, consumer, scenario).await?
            || store::sharing::scenarios(&mut conn, Some(entry.row.id)).await?.iter().any(|s| {
                let departments: Vec<i64> = parse_list(&s.department_ids);
                s.name == scenario && (departments.is_empty() || departments.contains(&consumer))
            });
        if !mapped {
            return Err(Error::invalid(
                "business_item_required",
                format!("应用场景“{scenario}”不是本部门已梳理登记的核心业务事项或已发布的应用场景：请先登记核心业务"),
                format!("The scenario '{scenario}' is neither a core business item your department registered nor a published scenario: register the business first"),
            ));
        }
    }
    for id in &input.token_ids {
        let token = store::tokens::by_id(&mut conn, *id).await?;
        if !token.as_ref().is_some_and(|t| t.department_id == consumer && t.revoked_at.is_none()) {
            return Err(Error::invalid("invalid_application", format!("令牌{id}不是本部门有效的API令牌"), format!("Token {id} is not an active API token of your department")));
        }
    }
    // An application within a pre-approved scenario is granted at once, where the regime has them (LS-19c, FS-28).
    let mut state = if beyond_scope { ApplicationState::ProviderReview } else { rules::route(content.effective_share_attr(), mode, &p.profile.sharing) };
    let mut pre_approved = false;
    if p.profile.features.pre_approved_scenarios && state != ApplicationState::Approved && !beyond_scope {
        let fits = store::sharing::scenarios(&mut conn, Some(entry.row.id)).await?.iter().any(|s| {
            let scenario = rules::Scenario { name: s.name.clone(), department_ids: parse_list(&s.department_ids), items: parse_list(&s.items), ops: parse_list(&s.ops) };
            rules::within(&scenario, &request)
        });
        if fits {
            state = ApplicationState::Approved;
            pre_approved = true;
        }
    }
    // Across regions or levels, the authorities first where the regime says so (FS-27) — even for unconditional
    // data; only a pre-approved scenario has been agreed beforehand.
    let mut via_region_id = None;
    if p.profile.sharing.cross_level_via_authority && !pre_approved {
        let consumer_dept = store::orgs::department_by_id(&mut conn, consumer).await?.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?;
        let has_authority = store::orgs::has_authority(&mut conn, consumer_dept.region_id).await?;
        if let Some((start, via)) = rules::cross_level_start(consumer_dept.region_id, entry.region.id, entry.city_region.id, has_authority) {
            state = start;
            via_region_id = Some(via);
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
        via_region_id,
        use_logic: input.use_logic.trim().into(),
        undertaking: input.undertaking,
        beyond_scope,
        consent_required: false,
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_application(&mut tx, &row).await?;
    let mut event = actor.event("share.apply", "resource", &entry.row.code);
    event.purpose = row.scenario.clone();
    event.detail = format!("application {id} → {}", state.as_str());
    store::audit::append(&mut tx, &event, now).await?;
    let row = ApplicationRow { id, ..row };
    let step = notices::Step { application: &row, resource_code: &entry.row.code, provider_department_id: entry.provider.id, state, due_on: row.due_on.as_deref() };
    notices::step(&mut tx, actor, step, now).await?;
    if state == ApplicationState::Approved {
        grant(&mut tx, actor, &row, None, now).await?;
    }
    tx.commit().await?;
    p.caches.bump();
    application(p, actor, id).await
}

/// Makes the grant of an approved application, in the caller's transaction.
/// `dispute_id`: the dispute whose decision makes it (FS-26c).
pub(crate) async fn grant(tx: &mut store::Tx, actor: &Actor, a: &ApplicationRow, dispute_id: Option<i64>, now: i64) -> Result<i64> {
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
        dispute_id,
        beyond_scope: a.beyond_scope,
        consent_required: a.consent_required,
    };
    let id = store::sharing::insert_grant(tx, &row).await?;
    let mut event = actor.event("share.grant", "grant", id.to_string());
    event.purpose = a.scenario.clone();
    event.detail = format!("application {} granted: items {}, ops {}, mode {}{}", a.id, a.items, a.ops, a.mode, if a.consent_required { ", on each subject's consent" } else { "" });
    store::audit::append(tx, &event, now).await?;
    Ok(id)
}

/// Answers an application: the provider answers conditional ones (SYS-27c, CS-22c, FS-26b), the authority checks
/// unconditional ones where the regime says so (SYS-27b) and consents to batch delivery (LS-17c).
pub async fn answer(p: &Platform, actor: &Actor, id: i64, answer: Answer) -> Result<ApplicationView> {
    let mut conn = p.store.read().await?;
    let row = store::sharing::application_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let resource = store::catalog::by_id(&mut conn, row.resource_id).await?.ok_or_else(|| not_found(id))?;
    let actor_region = match actor.department_id {
        Some(d) if actor.has(Role::AuthorityAdmin) => store::orgs::department_by_id(&mut conn, d).await?.map(|d| d.region_id),
        _ => None,
    };
    drop(conn);
    let state = ApplicationState::parse(&row.state).unwrap_or(ApplicationState::Refused);
    let authority = actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin);
    // A forwarded application is with one region's authority (FS-27).
    let holder = actor.kind == ActorKind::Cli || (authority && actor_region.is_some() && actor_region == row.via_region_id);
    let allowed = match state {
        ApplicationState::ProviderReview => actor.has(Role::DeptDataOfficer) && actor.department_id == Some(resource.provider_department_id),
        ApplicationState::AuthorityReview | ApplicationState::Consent => authority,
        ApplicationState::Forwarding | ApplicationState::CityReview => holder,
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
            ApplicationState::Forwarding => Error::forbidden("跨层级申请先由申请部门所在地区的数据主管部门汇总报送", "The consumer's own authority forwards a cross-level application first"),
            ApplicationState::CityReview => Error::forbidden("该申请由市级数据主管部门审核", "The city authority reviews this application"),
            _ => Error::forbidden("该申请由数据主管部门审核", "The authority answers this application"),
        });
    }
    if answer.approve && matches!(state, ApplicationState::Forwarding | ApplicationState::CityReview) {
        if answer.narrows() {
            return Err(Error::invalid(
                "invalid_approval",
                "转报中的申请由最终审核方核定授权要素，转报时不能核定",
                "A forwarded application's grant is fixed by whoever approves it at the end, not when forwarding",
            ));
        }
        return forward(p, actor, row, state).await;
    }
    let mode = DeliveryMode::parse(&row.mode).unwrap_or(DeliveryMode::Api);
    // Consent is per subject, checked call by call: a grant that copies data out cannot honour it.
    if answer.approve && answer.consent_required && mode.copies_out() {
        return Err(Error::invalid(
            "invalid_approval",
            "按数据主体授权同意提供的数据只能逐条调用，不能批量交换或推送",
            "Data given on each subject's consent is served call by call, never by batch or push",
        ));
    }
    let mut row = row;
    let fixed = if answer.approve && answer.narrows() { Some(fix_elements(p, &mut row, mode, &answer).await?) } else { None };
    let next = if answer.approve {
        match state {
            ApplicationState::Consent => ApplicationState::Approved,
            _ => rules::after_approval(mode, &p.profile.sharing),
        }
    } else {
        rules::check_refusal(&answer.reason, &answer.basis, answer.ground, &p.profile.sharing)?;
        ApplicationState::Refused
    };
    // The basis as recorded names its kind of instrument where one was given (【规章】《…》).
    let basis = match answer.ground {
        Some(g) if !answer.approve && !answer.basis.trim().is_empty() => format!("【{}】{}", g.label(), answer.basis.trim()),
        _ => answer.basis.trim().to_string(),
    };
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::sharing::answer(&mut tx, id, state.as_str(), next.as_str(), &actor.name, answer.reason.trim(), &basis, now).await? {
        return Err(Error::Conflict { zh: format!("申请{id}已被他人答复", ), en: format!("Application {id} was answered meanwhile") });
    }
    if fixed.is_some() {
        store::sharing::fix_elements(&mut tx, id, &row.items, &row.ops, &row.token_ids, row.expires_at_us).await?;
    }
    if answer.approve && answer.consent_required {
        store::sharing::require_consent(&mut tx, id).await?;
        row.consent_required = true;
    }
    let mut event = actor.event("share.answer", "application", id.to_string());
    event.purpose = row.scenario.clone();
    event.detail = format!(
        "{} → {}{}{}",
        state.as_str(),
        next.as_str(),
        if answer.reason.is_empty() { String::new() } else { format!(": {}", answer.reason.trim()) },
        fixed.unwrap_or_default()
    );
    store::audit::append(&mut tx, &event, now).await?;
    let step = notices::Step { application: &row, resource_code: &resource.code, provider_department_id: resource.provider_department_id, state: next, due_on: None };
    notices::step(&mut tx, actor, step, now).await?;
    if next == ApplicationState::Approved {
        grant(&mut tx, actor, &row, None, now).await?;
    }
    tx.commit().await?;
    p.caches.bump();
    application(p, actor, id).await
}

/// Fixes the grant's elements within the application (FS-29a) on `row`, which the grant is then made from: the
/// narrowing within what was applied for, the systems named the consumer's own, and the result still fitting the
/// entry as published. Answers what was fixed, for the audit event.
async fn fix_elements(p: &Platform, row: &mut ApplicationRow, mode: DeliveryMode, answer: &Answer) -> Result<String> {
    let applied = rules::Elements {
        items: parse_list(&row.items),
        ops: parse_list(&row.ops),
        token_ids: parse_list(&row.token_ids),
        starts_at_us: row.starts_at_us,
        expires_at_us: row.expires_at_us,
    };
    let expires_at_us = match answer.expires_on {
        Some(day) => Some(start_of_day_us(day.checked_add_days(chrono::Days::new(1)).ok_or_else(|| Error::invalid("invalid_approval", "截止日期有误", "The last day is not a valid date"))?)),
        None => None,
    };
    let narrowing = rules::Narrowing { items: answer.items.as_deref(), ops: answer.ops.as_deref(), token_ids: answer.token_ids.as_deref(), expires_at_us };
    let fixed = rules::narrow(&applied, mode, &narrowing)?;
    let mut conn = p.store.read().await?;
    for id in answer.token_ids.iter().flatten() {
        let token = store::tokens::by_id(&mut conn, *id).await?;
        if !token.as_ref().is_some_and(|t| t.department_id == row.consumer_department_id && t.revoked_at.is_none()) {
            return Err(Error::invalid("invalid_approval", format!("令牌{id}不是申请部门有效的API令牌"), format!("Token {id} is not an active API token of the consumer")));
        }
    }
    let resource = store::catalog::by_id(&mut conn, row.resource_id).await?.ok_or_else(|| not_found(row.id))?;
    let provider = resource.provider_department_id;
    let entry = crate::catalog::entry_of(p, &mut conn, resource).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    drop(conn);
    if !rules::grant_still_fits(&content, row.consumer_department_id, provider, &fixed.items, &fixed.ops, mode, row.beyond_scope) {
        return Err(Error::invalid("invalid_approval", "核定的授权不符合目录的共享条件（批量交换和数据推送须含主键数据项）", "The grant fixed does not fit the entry's conditions (batch delivery and push include the key item)"));
    }
    row.items = json_list(&fixed.items);
    row.ops = json_list(&fixed.ops);
    row.token_ids = json_list(&fixed.token_ids);
    row.expires_at_us = fixed.expires_at_us;
    Ok(format!("; fixed: items {}, ops {}, tokens {}, until {}", row.items, row.ops, row.token_ids, format_rfc3339_local(from_micros(row.expires_at_us))))
}

/// Passes a cross-level application on (FS-27): the consumer's district authority to the city's; the city's to the
/// usual route, due from today where the provider answers.
async fn forward(p: &Platform, actor: &Actor, row: ApplicationRow, state: ApplicationState) -> Result<ApplicationView> {
    let id = row.id;
    let mut conn = p.store.read().await?;
    let resource = store::catalog::by_id(&mut conn, row.resource_id).await?.ok_or_else(|| not_found(id))?;
    let entry = crate::catalog::entry_of(p, &mut conn, resource).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    drop(conn);
    let mode = DeliveryMode::parse(&row.mode).unwrap_or(DeliveryMode::Api);
    let (next, via) = match state {
        ApplicationState::Forwarding => (ApplicationState::CityReview, Some(entry.city_region.id)),
        _ => (rules::after_city_review(content.effective_share_attr(), mode, &p.profile.sharing), None),
    };
    let due_on = match next {
        ApplicationState::ProviderReview => p.profile.due(&p.calendar(), keys::SHARE_CONDITIONAL_REVIEW, p.clock.today()).map(|d| d.due.to_string()),
        _ => None,
    };
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::sharing::forward(&mut tx, id, state.as_str(), next.as_str(), via, due_on.as_deref()).await? {
        return Err(Error::Conflict { zh: format!("申请{id}已被他人处理"), en: format!("Application {id} was handled meanwhile") });
    }
    let mut event = actor.event("share.forward", "application", id.to_string());
    event.purpose = row.scenario.clone();
    event.detail = format!("{} → {}", state.as_str(), next.as_str());
    store::audit::append(&mut tx, &event, now).await?;
    let step = notices::Step { application: &row, resource_code: &entry.row.code, provider_department_id: entry.provider.id, state: next, due_on: due_on.as_deref() };
    notices::step(&mut tx, actor, step, now).await?;
    if next == ApplicationState::Approved {
        grant(&mut tx, actor, &row, None, now).await?;
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
        let pending = !matches!(state, ApplicationState::Approved | ApplicationState::Refused);
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
            via_region_id: a.via_region_id,
            use_logic: a.use_logic,
            undertaking: a.undertaking,
            beyond_scope: a.beyond_scope,
            consent_required: a.consent_required,
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
        consent_required: g.consent_required,
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

