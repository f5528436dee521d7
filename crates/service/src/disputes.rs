//! Disputes between departments over shared data (争议, SYS-29, FS-26c): a department's data officer opens one
//! against another department; the parties negotiate; either takes a failed negotiation to the authority, chosen by
//! where the parties sit (`domain::disputes::coordinator_region`); the authority settles it, or refers it with its
//! opinion to the body the profile names and records that body's decision — which may grant the data (FS-26c).
//! Every step is one audit event in the step's transaction; a step is compare-and-set on the state it leaves.

use chrono::NaiveDate;
use domain::catalog::attrs::ShareOp;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::disputes::{self as rules, DisputeOutcome, DisputeState, DisputeStep, Taker};
use domain::roles::Role;
use domain::sharing::{ApplicationState, DeliveryMode};
use domain::{FieldIssue, Invalid};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::disputes::DisputeRow;

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::sharing::Party;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDispute {
    /// The other party.
    pub respondent_department_id: i64,
    /// The resource in dispute, where there is one.
    #[serde(default)]
    pub resource_code: Option<String>,
    /// The application in dispute (a refusal, or conditions the requester cannot meet).
    #[serde(default)]
    pub application_id: Option<i64>,
    pub subject: String,
    /// What the filer needs and why.
    pub claim: String,
    /// The business the data would serve (a decided grant's scenario).
    #[serde(default)]
    pub scenario: String,
}

/// A step in a dispute, with what it records.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub step: DisputeStep,
    /// The agreement, why negotiation failed, the settlement, the authority's opinion, or the decision.
    #[serde(default)]
    pub text: String,
    /// The decision's document number (`decide`).
    #[serde(default)]
    pub reference: String,
    /// What a decision grants the party that needs the data (FS-26c), on the dispute's resource.
    #[serde(default)]
    pub grant: Option<DecidedGrant>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecidedGrant {
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    pub expires_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DisputeView {
    pub id: i64,
    pub filer: Party,
    pub respondent: Party,
    pub resource_code: Option<String>,
    pub application_id: Option<i64>,
    pub subject: String,
    pub claim: String,
    pub scenario: String,
    pub state: DisputeState,
    pub state_label: String,
    pub outcome: Option<DisputeOutcome>,
    /// The authority coordinating, once escalated.
    pub coordinator: Option<Party>,
    /// Who decides what the authority cannot settle, as the regime names it.
    pub decider: String,
    pub opened_by: String,
    pub opened_at: String,
    pub escalated_at: Option<String>,
    pub escalation_reason: String,
    pub opinion: String,
    pub referred_at: Option<String>,
    pub decision_ref: String,
    pub resolution: String,
    pub grant_id: Option<i64>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    /// The steps the caller may take now.
    pub steps: Vec<DisputeStep>,
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("争议{id}不存在"), format!("Dispute {id} does not exist"))
}

fn require_mechanism(p: &Platform) -> Result<()> {
    if p.profile.features.dispute {
        return Ok(());
    }
    Err(Error::invalid(
        "no_dispute_mechanism",
        "本地规定未设部门间争议解决机制：请通过数据需求清单由数据主管部门协调，或与提供部门协商",
        "This regime has no dispute procedure between departments: file a data demand for the authority to coordinate, or negotiate with the provider",
    ))
}

fn issue(field: &str, zh: &str, en: &str) -> FieldIssue {
    FieldIssue { field: field.into(), message: zh.into(), message_en: en.into() }
}

fn bounded(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max
}

/// Opens a dispute (SYS-29a, FS-26c): by a department's data officer, against another department, about a resource
/// or an application of theirs where it names one.
pub async fn open(p: &Platform, actor: &Actor, input: NewDispute) -> Result<DisputeView> {
    require_mechanism(p)?;
    let Some(filer) = actor.department_id.filter(|_| actor.has(Role::DeptDataOfficer)) else {
        return Err(Error::forbidden("争议由部门的数据专员提出", "A dispute is opened by a department's data officer"));
    };
    let mut issues = Vec::new();
    if !bounded(&input.subject, 200) {
        issues.push(issue("subject", "请填写争议事项（1至200字）", "State what the dispute is about (1 to 200 characters)"));
    }
    if !bounded(&input.claim, 2000) {
        issues.push(issue("claim", "请说明需求和理由（1至2000字）", "State what you need and why (1 to 2,000 characters)"));
    }
    if input.scenario.chars().count() > 200 {
        issues.push(issue("scenario", "应用场景不超过200字", "The scenario has at most 200 characters"));
    }
    if input.respondent_department_id == filer {
        issues.push(issue("respondent_department_id", "争议的另一方不能是本部门", "The other party cannot be your own department"));
    }
    let mut conn = p.store.read().await?;
    if store::orgs::department_by_id(&mut conn, input.respondent_department_id).await?.is_none() {
        issues.push(issue("respondent_department_id", "该部门不存在", "No such department"));
    }
    let mut resource_id = None;
    if let Some(code) = input.resource_code.as_deref().filter(|c| !c.trim().is_empty()) {
        match store::catalog::by_code(&mut conn, code.trim()).await? {
            Some(r) if [filer, input.respondent_department_id].contains(&r.provider_department_id) => resource_id = Some(r.id),
            Some(_) => issues.push(issue("resource_code", "该资源不属于争议任何一方", "The resource belongs to neither party")),
            None => issues.push(issue("resource_code", "该资源不存在", "No such resource")),
        }
    }
    if let Some(app_id) = input.application_id {
        let app = store::sharing::application_by_id(&mut conn, app_id).await?;
        let parties = match &app {
            Some(a) => {
                let provider = store::catalog::by_id(&mut conn, a.resource_id).await?.map(|r| r.provider_department_id);
                resource_id = resource_id.or(Some(a.resource_id));
                let mut both = [Some(a.consumer_department_id), provider];
                both.sort();
                let mut ours = [Some(filer), Some(input.respondent_department_id)];
                ours.sort();
                both == ours
            }
            None => false,
        };
        if !parties {
            issues.push(issue("application_id", "该申请不在争议双方之间", "The application is not between the two parties"));
        }
    }
    drop(conn);
    if !issues.is_empty() {
        let mut invalid = Invalid::new("invalid_dispute", "争议有误，请按提示修改", "The dispute has problems: fix each one listed");
        invalid.fields = issues;
        return Err(invalid.into());
    }
    let now = p.now_us();
    let row = DisputeRow {
        filer_department_id: filer,
        respondent_department_id: input.respondent_department_id,
        resource_id,
        application_id: input.application_id,
        subject: input.subject.trim().into(),
        claim: input.claim.trim().into(),
        scenario: input.scenario.trim().into(),
        state: DisputeState::Negotiating.as_str().into(),
        opened_by: actor.name.clone(),
        opened_at_us: now,
        ..Default::default()
    };
    let mut tx = p.store.begin().await?;
    let id = store::disputes::insert_dispute(&mut tx, &row).await?;
    let mut event = actor.event("dispute.open", "dispute", id.to_string());
    event.detail = format!("against department {}: {}", row.respondent_department_id, row.subject);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    dispute(p, actor, id).await
}

/// Takes a step (SYS-29a/b, FS-26c). The parties settle or escalate, the filer withdraws, the coordinating
/// authority settles or refers with its opinion, and records the decision with its reference — and, where the
/// decision shares data, the grant.
pub async fn step(p: &Platform, actor: &Actor, id: i64, input: StepInput) -> Result<DisputeView> {
    require_mechanism(p)?;
    let mut conn = p.store.read().await?;
    let mut row = store::disputes::dispute_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let taker = taker(actor, coordinating_region(&mut conn, actor).await?, &row);
    if taker == Taker::Other && !actor.oversees() && !is_party(actor, &row) {
        return Err(not_found(id));
    }
    let from = DisputeState::parse(&row.state).unwrap_or(DisputeState::Resolved);
    let (to, outcome) = rules::next(from, input.step, taker).map_err(|e| match e.code {
        "dispute_not_yours" => Error::Denied(e),
        _ => e.into(),
    })?;
    let text = input.text.trim().to_string();
    let needs_text = !matches!(input.step, DisputeStep::Withdraw);
    if (needs_text && text.is_empty()) || text.chars().count() > 4000 {
        let (zh, en) = match input.step {
            DisputeStep::Settle => ("请写明协商一致的内容", "State what was agreed"),
            DisputeStep::Escalate => ("请说明协商未果的情况", "State why negotiation failed"),
            DisputeStep::Coordinate => ("请写明协调结果", "State the coordinated settlement"),
            DisputeStep::Refer => ("请写明主管部门的处理意见", "State the authority's opinion"),
            _ => ("请写明决定内容", "State the decision"),
        };
        return Err(Error::invalid("dispute_text", format!("{zh}（不超过4000字）"), format!("{en} (at most 4,000 characters)")));
    }
    if input.step == DisputeStep::Decide && (input.reference.trim().is_empty() || input.reference.chars().count() > 100) {
        return Err(Error::invalid("dispute_reference", "请填写决定的文号（1至100字）", "Give the decision's document number (1 to 100 characters)"));
    }
    if input.grant.is_some() && input.step != DisputeStep::Decide {
        return Err(Error::invalid("dispute_grant", "只有登记决定时可以授权共享", "Only a decision grants data"));
    }
    let now = p.now_us();
    match input.step {
        DisputeStep::Escalate => {
            let filer = store::orgs::department_by_id(&mut conn, row.filer_department_id).await?.ok_or_else(|| not_found(id))?;
            let respondent = store::orgs::department_by_id(&mut conn, row.respondent_department_id).await?.ok_or_else(|| not_found(id))?;
            let region = crate::catalog::region(&mut conn, filer.region_id).await?;
            let city = region.parent_id.unwrap_or(region.id);
            let has_authority = store::orgs::has_authority(&mut conn, filer.region_id).await?;
            row.coordinator_region_id = Some(rules::coordinator_region(filer.region_id, respondent.region_id, city, has_authority));
            row.escalated_at_us = Some(now);
            row.escalation_reason = text.clone();
        }
        DisputeStep::Refer => {
            row.opinion = text.clone();
            row.referred_at_us = Some(now);
        }
        DisputeStep::Decide => {
            row.decision_ref = input.reference.trim().into();
            row.resolution = text.clone();
        }
        DisputeStep::Settle | DisputeStep::Coordinate | DisputeStep::Withdraw => row.resolution = text.clone(),
    }
    drop(conn);
    if let Some(outcome) = outcome {
        row.outcome = Some(outcome.as_str().into());
        row.resolved_by = Some(actor.name.clone());
        row.resolved_at_us = Some(now);
    }
    row.state = to.as_str().into();
    let mut tx = p.store.begin().await?;
    if let Some(g) = &input.grant {
        row.grant_id = Some(decided_grant(p, &mut tx, actor, &row, g, now).await?);
    }
    if !store::disputes::update_dispute(&mut tx, &row, from.as_str()).await? {
        return Err(Error::Conflict { zh: format!("争议{id}已被他人处理"), en: format!("Dispute {id} was handled meanwhile") });
    }
    let mut event = actor.event(&format!("dispute.{}", input.step.as_str()), "dispute", id.to_string());
    event.detail = format!("{} → {}{}", from.as_str(), to.as_str(), if input.reference.trim().is_empty() { String::new() } else { format!(" ({})", input.reference.trim()) });
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    if row.grant_id.is_some() {
        p.caches.bump();
    }
    dispute(p, actor, id).await
}

/// The region whose authority the actor acts for: an authority admin coordinates disputes in its department's
/// region. Looked up once per request, not once per dispute listed.
async fn coordinating_region(conn: &mut store::Conn, actor: &Actor) -> Result<Option<i64>> {
    match actor.department_id {
        Some(d) if actor.has(Role::AuthorityAdmin) => Ok(store::orgs::department_by_id(conn, d).await?.map(|d| d.region_id)),
        _ => Ok(None),
    }
}

/// Who the actor is in this dispute: a party (through its data officer), the coordinating authority, or no one.
fn taker(actor: &Actor, actor_region: Option<i64>, row: &DisputeRow) -> Taker {
    let officer = actor.has(Role::DeptDataOfficer);
    if officer && actor.department_id == Some(row.filer_department_id) {
        Taker::Filer
    } else if officer && actor.department_id == Some(row.respondent_department_id) {
        Taker::Respondent
    } else if actor.kind == ActorKind::Cli || (actor_region.is_some() && actor_region == row.coordinator_region_id) {
        Taker::Coordinator
    } else {
        Taker::Other
    }
}

fn is_party(actor: &Actor, row: &DisputeRow) -> bool {
    actor.department_id.is_some_and(|d| d == row.filer_department_id || d == row.respondent_department_id)
}

/// The grant a decision makes (FS-26c): for the party that is not the resource's provider, on the items and
/// operations the decision names, through an application of record that cites the decision. The entry's share
/// attribute does not stop it — overriding it is what the decision is for — but the items must be the entry's.
async fn decided_grant(p: &Platform, tx: &mut store::Tx, actor: &Actor, row: &DisputeRow, g: &DecidedGrant, now: i64) -> Result<i64> {
    let Some(resource_id) = row.resource_id else {
        return Err(Error::invalid("dispute_grant", "该争议未涉及具体数据资源，不能授权", "The dispute names no resource to grant"));
    };
    let resource = store::catalog::by_id(tx, resource_id).await?.ok_or_else(|| not_found(row.id))?;
    let entry = crate::catalog::entry_of(p, tx, resource).await?;
    let content = crate::aggregation::published_content(tx, &entry).await?;
    let consumer = if row.filer_department_id == entry.provider.id { row.respondent_department_id } else { row.filer_department_id };
    let mut issues = Vec::new();
    if g.items.is_empty() {
        issues.push(issue("grant.items", "请列出决定共享的数据项", "List the items the decision shares"));
    }
    for (i, name) in g.items.iter().enumerate() {
        if !content.items.iter().any(|it| &it.name == name) {
            issues.push(issue(&format!("grant.items[{i}]"), "目录没有该数据项", "The entry has no such item"));
        }
    }
    if g.ops.is_empty() {
        issues.push(issue("grant.ops", "请选择数据操作", "Choose the operations"));
    }
    let today = p.clock.today();
    let days = (g.expires_on - today).num_days() + 1;
    let day_after = g.expires_on.checked_add_days(chrono::Days::new(1));
    if !(1..=3660).contains(&days) || day_after.is_none() {
        issues.push(issue("grant.expires_on", "授权期限须在1天至10年之间", "A grant runs from 1 day to 10 years"));
    }
    if !issues.is_empty() {
        let mut invalid = Invalid::new("dispute_grant", "决定授权的内容有误", "The decided grant has problems");
        invalid.fields = issues;
        return Err(invalid.into());
    }
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    let ops: Vec<String> = g.ops.iter().map(|o| o.as_str().to_string()).collect();
    let application = store::sharing::ApplicationRow {
        id: 0,
        resource_id,
        consumer_department_id: consumer,
        scenario: if row.scenario.is_empty() { row.subject.clone() } else { row.scenario.clone() },
        basis: format!("争议{}的决定 {}", row.id, row.decision_ref),
        purpose: row.claim.chars().take(500).collect(),
        items: json(&g.items),
        ops: json(&ops),
        token_ids: "[]".into(),
        mode: DeliveryMode::Api.as_str().into(),
        starts_at_us: crate::sharing::start_of_day_us(today),
        expires_at_us: crate::sharing::start_of_day_us(day_after.unwrap_or(g.expires_on)),
        state: ApplicationState::Approved.as_str().into(),
        received_at_us: now,
        due_on: None,
        answered_at_us: Some(now),
        answered_by: Some(actor.name.clone()),
        reason: row.resolution.clone(),
        refusal_basis: String::new(),
        applied_by: format!("dispute:{}", row.id),
        via_region_id: None,
        use_logic: String::new(),
        undertaking: false,
        beyond_scope: false,
        consent_required: false,
    };
    let application_id = store::sharing::insert_application(tx, &application).await?;
    crate::sharing::grant(tx, actor, &store::sharing::ApplicationRow { id: application_id, ..application }, Some(row.id), now).await
}

/// One dispute, for its parties and those who oversee.
pub async fn dispute(p: &Platform, actor: &Actor, id: i64) -> Result<DisputeView> {
    let mut conn = p.store.read().await?;
    let row = store::disputes::dispute_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    if !actor.oversees() && !is_party(actor, &row) {
        return Err(not_found(id));
    }
    let actor_region = coordinating_region(&mut conn, actor).await?;
    view(p, &mut conn, actor, actor_region, row).await
}

/// The disputes a department is party to; every one for those who oversee.
pub async fn disputes(p: &Platform, actor: &Actor) -> Result<Vec<DisputeView>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::disputes::disputes(&mut conn, scope).await?;
    let actor_region = coordinating_region(&mut conn, actor).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(p, &mut conn, actor, actor_region, row).await?);
    }
    Ok(out)
}

async fn party(conn: &mut store::Conn, id: i64) -> Result<Party> {
    Ok(Party { id, name: store::orgs::department_by_id(conn, id).await?.map(|d| d.name).unwrap_or_default() })
}

async fn view(p: &Platform, conn: &mut store::Conn, actor: &Actor, actor_region: Option<i64>, row: DisputeRow) -> Result<DisputeView> {
    let state = DisputeState::parse(&row.state).unwrap_or(DisputeState::Resolved);
    let steps = rules::steps(state, taker(actor, actor_region, &row));
    let resource_code = match row.resource_id {
        Some(r) => store::catalog::by_id(conn, r).await?.map(|r| r.code),
        None => None,
    };
    let coordinator = match row.coordinator_region_id {
        Some(r) => store::orgs::region_by_id(conn, r).await?.map(|r| Party { id: r.id, name: format!("{}数据主管部门", r.name) }),
        None => None,
    };
    let at = |t: Option<i64>| t.map(|t| format_rfc3339_local(from_micros(t)));
    Ok(DisputeView {
        id: row.id,
        filer: party(conn, row.filer_department_id).await?,
        respondent: party(conn, row.respondent_department_id).await?,
        resource_code,
        application_id: row.application_id,
        subject: row.subject,
        claim: row.claim,
        scenario: row.scenario,
        state,
        state_label: state.label().into(),
        outcome: row.outcome.as_deref().and_then(DisputeOutcome::parse),
        coordinator,
        decider: p.profile.sharing.dispute_decider.clone(),
        opened_by: row.opened_by,
        opened_at: format_rfc3339_local(from_micros(row.opened_at_us)),
        escalated_at: at(row.escalated_at_us),
        escalation_reason: row.escalation_reason,
        opinion: row.opinion,
        referred_at: at(row.referred_at_us),
        decision_ref: row.decision_ref,
        resolution: row.resolution,
        grant_id: row.grant_id,
        resolved_by: row.resolved_by,
        resolved_at: at(row.resolved_at_us),
        steps,
    })
}
