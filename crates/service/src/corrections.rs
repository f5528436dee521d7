//! Correction requests (校核, LS-13b/c/d, SYS-28d, FS-30b): a department using shared data doubts a record, by
//! its system's token (channel `api`) or on the console (`manual`); the provider verifies it within the regime's
//! working days and says what it found. While a request is open the sharing API serves that record flagged as
//! under verification, never refused (LS-13d: the case is accepted as normal). Overdue requests alert the provider
//! and the authority. The provider sets, per item, how a doubt is verified and what evidence a request must bring
//! (SYS-28a: 纠错规则); a request on such an item without evidence is refused, naming what to bring.

use chrono::NaiveDate;
use domain::catalog::entry::IdentifierKind;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::profile::keys;
use domain::roles::Role;
use domain::sharing::GrantState;
use domain::{FieldIssue, Invalid};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::corrections::CorrectionRow;

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::sharing::key_print;

/// A doubt about one record of a shared resource.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCorrection {
    pub resource_code: String,
    /// The record's key (citizen ID, credit code or the resource's key item).
    pub record_key: String,
    /// The item doubted; leave out for the record as a whole.
    #[serde(default)]
    pub item: String,
    /// What looks wrong, and what the right value is believed to be.
    pub description: String,
    /// What supports it (a document number, a case reference).
    #[serde(default)]
    pub evidence: String,
    /// When the data's subject asks (SYS-28b): the person's citizen ID or the organization's credit code, as verified
    /// where the request was taken (the service center's counter or hotline). It must be the record's key: a subject
    /// asks about its own data only.
    #[serde(default)]
    pub subject_id: Option<String>,
}

/// What the provider found.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolution {
    /// `confirmed_correct` (the data stands) or `corrected` (fixed at the source; the next version carries it).
    pub outcome: String,
    pub resolution: String,
}

/// A providing department's rule for one item (SYS-28a).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// How a doubt about the item is verified (核查方式、依据).
    pub description: String,
    /// The evidence a correction request on the item brings (e.g. 结婚证或离婚证).
    pub evidence_required: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CorrectionRule {
    pub resource_code: String,
    pub item: String,
    pub description: String,
    pub evidence_required: String,
    pub set_by: String,
    pub set_at: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Correction {
    pub id: i64,
    pub resource_code: String,
    pub resource_name: String,
    pub record_key: String,
    pub item: String,
    pub description: String,
    pub evidence: String,
    /// `api`, `manual`, or `subject` (the data's subject asked, SYS-28b).
    pub channel: String,
    pub reporter: String,
    pub reporter_department: Option<String>,
    pub provider_department_id: i64,
    pub provider: String,
    /// `received` or `resolved`.
    pub state: String,
    pub outcome: String,
    pub resolution: String,
    pub received_at: String,
    /// The last working day for the provider's answer (LS-13c: 2; SYS-28d: 5; FS-30b: 10).
    pub due_on: Option<NaiveDate>,
    pub overdue: bool,
    pub resolved_at: Option<String>,
    pub resolved_by: String,
    /// The evidence the provider's rule for the item asks (SYS-28a), where it has one.
    pub evidence_required: Option<String>,
}

const OUTCOMES: &[&str] = &["confirmed_correct", "corrected"];

fn not_found(id: i64) -> Error {
    Error::not_found(format!("校核申请{id}不存在"), format!("Correction request {id} does not exist"))
}

/// Files a correction request against a record of a resource the caller's department holds a grant on.
pub async fn file(p: &Platform, actor: &Actor, input: NewCorrection) -> Result<Correction> {
    require_mechanism(p)?;
    let subject = input.subject_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (channel, department) = match actor.kind {
        // A subject's own request is taken by the service center (or the authority), which verified who asks.
        _ if subject.is_some() => {
            if !actor.has_any(&[Role::ServiceOperator, Role::AuthorityAdmin]) {
                return Err(Error::forbidden("本人数据的核查申请由政务服务中心或数据主管部门受理", "A subject's own request is taken by the service center or the data authority"));
            }
            ("subject", actor.department_id)
        }
        ActorKind::System { .. } => ("api", actor.department_id),
        _ if actor.has(Role::DeptDataOfficer) && actor.department_id.is_some() => ("manual", actor.department_id),
        _ => return Err(Error::forbidden("校核申请由使用数据的部门提出（数据专员或其系统令牌）", "A correction is filed by a department using the data (its data officer or its system's token)")),
    };
    if let Some(subject) = subject {
        if domain::ids::CitizenId::parse(subject).is_err() && domain::ids::Uscc::parse(subject).is_err() {
            return Err(Error::invalid("invalid_subject_id", "本人身份须为有效的公民身份号码或统一社会信用代码", "The subject is a valid citizen ID number or unified social credit code"));
        }
        if !subject.eq_ignore_ascii_case(input.record_key.trim()) {
            return Err(Error::forbidden("非本人数据：只能申请核查本人（本单位）的数据", "Not the subject's own data: a person or organization asks about its own data only"));
        }
    }
    let reporter_department = department;
    let department = department.unwrap_or_default();
    let mut issues = Vec::new();
    let mut issue = |field: &str, zh: &str, en: &str| issues.push(FieldIssue { field: field.into(), message: zh.into(), message_en: en.into() });
    let key = input.record_key.trim();
    if key.is_empty() || key.chars().count() > 200 {
        issue("record_key", "请给出有疑义记录的主键值（1至200个字符）", "Give the key of the record in doubt (1 to 200 characters)");
    }
    let description = input.description.trim();
    if description.is_empty() || description.chars().count() > 2000 {
        issue("description", "请说明疑义或错误（1至2000字）", "Describe the doubt or error (1 to 2,000 characters)");
    }
    if input.evidence.chars().count() > 2000 {
        issue("evidence", "佐证材料说明不超过2000字", "Evidence is at most 2,000 characters");
    }
    if !issues.is_empty() {
        let mut invalid = Invalid::new("invalid_correction", "校核申请有误，请按提示修改", "The correction request has problems: fix each one listed");
        invalid.fields = issues;
        return Err(invalid.into());
    }
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, input.resource_code.trim()).await?;
    let item = input.item.trim();
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    if !item.is_empty() && !content.items.iter().any(|i| i.name == item) {
        return Err(Error::invalid("invalid_correction", format!("资源没有数据项{item}"), format!("The resource has no item {item}")));
    }
    // A subject's key is its ID: only a resource keyed by citizen ID or credit code has records of it as such.
    if channel == "subject" && !content.items.iter().any(|i| i.is_key && matches!(i.identifier, IdentifierKind::CitizenId | IdentifierKind::Uscc)) {
        return Err(Error::invalid("subject_key", "该资源不以公民身份号码或统一社会信用代码为主键：本人的核查申请请向数据提供部门提出", "The resource is not keyed by citizen ID or credit code: take the subject's request to the provider"));
    }
    if !item.is_empty() && input.evidence.trim().is_empty() {
        if let Some(required) = evidence_required(&mut conn, entry.row.id, item).await? {
            let mut invalid = Invalid::new("invalid_correction", "校核申请有误，请按提示修改", "The correction request has problems: fix each one listed");
            invalid.fields = vec![FieldIssue {
                field: "evidence".into(),
                message: format!("数据提供部门的纠错规则要求该数据项的校核申请提供：{required}"),
                message_en: format!("The provider's correction rule for this item asks for: {required}"),
            }];
            return Err(invalid.into());
        }
    }
    // A department asks about data it uses; a subject about its own, whoever holds it.
    let holds_grant = channel == "subject" || holds_grant(&mut conn, entry.row.id, department).await?;
    drop(conn);
    if !holds_grant {
        return Err(Error::forbidden("本部门没有该资源的共享授权，不能对其数据提出校核", "Your department holds no grant on this resource, so it cannot ask for a correction of its data"));
    }
    let today = p.clock.today();
    let due_on = p.profile.due(&p.calendar(), keys::CORRECTION, today).map(|d| d.due);
    let now = p.now_us();
    let row = CorrectionRow {
        id: 0,
        resource_id: entry.row.id,
        record_key: key.into(),
        item: item.into(),
        description: description.into(),
        evidence: input.evidence.trim().into(),
        channel: channel.into(),
        reporter_department_id: reporter_department,
        reporter: actor.name.clone(),
        provider_department_id: entry.provider.id,
        state: "received".into(),
        outcome: String::new(),
        resolution: String::new(),
        received_at_us: now,
        due_on: due_on.map(|d| d.to_string()),
        resolved_at_us: None,
        resolved_by: String::new(),
    };
    let mut tx = p.store.begin().await?;
    let id = store::corrections::insert(&mut tx, &row).await?;
    let mut event = actor.event("correction.file", "correction", id.to_string());
    event.detail = format!("{} via {channel}: record {}{}, to department {}", entry.row.code, key_print(key), if item.is_empty() { String::new() } else { format!(" item {item}") }, entry.provider.id);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    // The sharing API flags the record from now on.
    p.caches.bump();
    get(p, actor, id).await
}

/// The providing department sets the rule for verifying an item of its resource (SYS-28a); the audit event is in
/// the same transaction.
pub async fn set_rule(p: &Platform, actor: &Actor, code: &str, item: &str, input: RuleInput) -> Result<CorrectionRule> {
    require_mechanism(p)?;
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    if !resolves(actor, entry.provider.id) {
        return Err(Error::forbidden("纠错规则由数据提供部门的数据专员制定", "A data officer of the providing department sets its correction rules"));
    }
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    drop(conn);
    if !content.items.iter().any(|i| i.name == item) {
        return Err(Error::not_found(format!("资源没有数据项{item}"), format!("The resource has no item {item}")));
    }
    let description = input.description.trim();
    let evidence = input.evidence_required.trim();
    if description.is_empty() || description.chars().count() > 1000 || evidence.is_empty() || evidence.chars().count() > 500 {
        return Err(Error::invalid(
            "invalid_correction_rule",
            "请写明核查方式（1至1000字）和校核申请须提供的佐证材料（1至500字）",
            "State how the item is verified (1 to 1,000 characters) and the evidence a request brings (1 to 500)",
        ));
    }
    let now = p.now_us();
    let row = store::corrections::RuleRow { resource_id: entry.row.id, item: item.into(), description: description.into(), evidence_required: evidence.into(), set_by: actor.name.clone(), set_at_us: now };
    let mut tx = p.store.begin().await?;
    store::corrections::put_rule(&mut tx, &row).await?;
    let mut event = actor.event("correction.rule", "resource", &entry.row.code);
    event.detail = format!("{item}: evidence {evidence}");
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(rule_view(&entry.row.code, row))
}

/// A resource's correction rules, for anyone who may file or answer a request.
pub async fn rules(p: &Platform, code: &str) -> Result<Vec<CorrectionRule>> {
    require_mechanism(p)?;
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    Ok(store::corrections::rules(&mut conn, entry.row.id).await?.into_iter().map(|r| rule_view(&entry.row.code, r)).collect())
}

fn rule_view(code: &str, r: store::corrections::RuleRow) -> CorrectionRule {
    CorrectionRule {
        resource_code: code.into(),
        item: r.item,
        description: r.description,
        evidence_required: r.evidence_required,
        set_by: r.set_by,
        set_at: format_rfc3339_local(from_micros(r.set_at_us)),
    }
}

fn require_mechanism(p: &Platform) -> Result<()> {
    if p.profile.features.correction {
        Ok(())
    } else {
        Err(Error::invalid(
            "no_correction_mechanism",
            "本地规定未设数据校核申请机制：数据质量问题请向数据主管部门反映",
            "This regime has no correction-request procedure: report data-quality problems to the data authority",
        ))
    }
}

/// Whether `actor` is the one to resolve this request now: it is open and the actor is an officer of the providing
/// department (the console offers the outcome only then).
pub fn resolvable(actor: &Actor, c: &Correction) -> bool {
    c.state == "received" && resolves(actor, c.provider_department_id)
}

fn resolves(actor: &Actor, provider_department_id: i64) -> bool {
    actor.has(Role::DeptDataOfficer) && actor.department_id == Some(provider_department_id)
}

/// The provider says what it found (LS-13c: confirmed correct, or corrected).
pub async fn resolve(p: &Platform, actor: &Actor, id: i64, input: Resolution) -> Result<Correction> {
    let mut conn = p.store.read().await?;
    let c = store::corrections::by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    drop(conn);
    if !resolves(actor, c.provider_department_id) {
        return Err(Error::forbidden("校核由数据提供部门在平台上完成", "The providing department resolves a correction, on the platform"));
    }
    let outcome = input.outcome.trim();
    if !OUTCOMES.contains(&outcome) {
        return Err(Error::invalid("correction_outcome", "核查结果须为 confirmed_correct（确认无误）或 corrected（已更正）", "The outcome is confirmed_correct or corrected"));
    }
    let resolution = input.resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 2000 {
        return Err(Error::invalid("correction_resolution", "请说明核查情况（1至2000字）", "Say what the verification found (1 to 2,000 characters)"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::corrections::resolve(&mut tx, id, outcome, resolution, &actor.name, now).await? {
        return Err(Error::Conflict { zh: format!("校核申请{id}已办结"), en: format!("Correction request {id} is resolved already") });
    }
    let mut event = actor.event("correction.resolve", "correction", id.to_string());
    event.detail = format!("{outcome}: {resolution}");
    store::audit::append(&mut tx, &event, now).await?;
    store::alerts::resolve_other(&mut tx, "correction_overdue", &id.to_string(), None, now).await?;
    tx.commit().await?;
    p.caches.bump();
    get(p, actor, id).await
}

/// The corrections a caller sees: its department's, filed or to answer; every one for those who oversee.
pub async fn list(p: &Platform, actor: &Actor) -> Result<Vec<Correction>> {
    let scope = if actor.oversees() {
        None
    } else {
        Some(actor.department_id.ok_or_else(|| Error::forbidden("无权查看校核申请", "You may not see correction requests"))?)
    };
    let mut conn = p.store.read().await?;
    let rows = store::corrections::list(&mut conn, scope, 500).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(p, &mut conn, row).await?);
    }
    Ok(out)
}

pub async fn get(p: &Platform, actor: &Actor, id: i64) -> Result<Correction> {
    let mut conn = p.store.read().await?;
    let row = store::corrections::by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let mine = actor.department_id.is_some_and(|d| d == row.provider_department_id || Some(d) == row.reporter_department_id);
    if !(mine || actor.oversees()) {
        return Err(not_found(id));
    }
    view(p, &mut conn, row).await
}

/// Raises an alert to the provider and the authority for each open correction past its due day (LS-13c: it
/// escalates to the authority), once per correction.
pub async fn scan_overdue(p: &Platform) -> Result<usize> {
    let today = p.clock.today();
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let late = store::corrections::overdue(&mut conn, &today.to_string()).await?;
    drop(conn);
    let actor = Actor::platform("corrections");
    let mut raised = 0;
    let mut tx = p.store.begin().await?;
    for c in late {
        let due = c.due_on.clone().unwrap_or_default();
        let row = store::alerts::AlertRow {
            id: 0,
            kind: "correction_overdue".into(),
            object_kind: "correction".into(),
            object_id: c.id.to_string(),
            department_id: c.provider_department_id,
            to_authority: true,
            due_at_us: due.parse::<NaiveDate>().map(crate::sharing::start_of_day_us).unwrap_or(now),
            message: format!("校核申请{}应于{due}前完成核查，已逾期", c.id),
            message_en: format!("Correction request {} was due by {due} and is overdue", c.id),
            raised_at_us: now,
            resolved_at_us: None,
        };
        if crate::alerts::raise_logged(&mut tx, &actor, &row, format!("correction_overdue: due {due}"), now).await? {
            raised += 1;
        }
    }
    tx.commit().await?;
    Ok(raised)
}

async fn view(p: &Platform, conn: &mut store::Conn, c: CorrectionRow) -> Result<Correction> {
    let resource = store::catalog::by_id(conn, c.resource_id).await?;
    let (resource_code, resource_name) = resource.map(|r| (r.code, r.name)).unwrap_or_default();
    let provider = store::orgs::department_by_id(conn, c.provider_department_id).await?.map(|d| d.name).unwrap_or_default();
    let reporter_department = match c.reporter_department_id {
        Some(d) => store::orgs::department_by_id(conn, d).await?.map(|d| d.name),
        None => None,
    };
    let due_on = c.due_on.as_deref().and_then(|s| s.parse::<NaiveDate>().ok());
    let open = c.state == "received";
    let evidence_required = match c.item.as_str() {
        "" => None,
        item => evidence_required(conn, c.resource_id, item).await?,
    };
    Ok(Correction {
        id: c.id,
        resource_code,
        resource_name,
        record_key: c.record_key,
        item: c.item,
        description: c.description,
        evidence: c.evidence,
        channel: c.channel,
        reporter: c.reporter,
        reporter_department,
        provider_department_id: c.provider_department_id,
        provider,
        overdue: open && due_on.is_some_and(|d| p.clock.today() > d),
        state: c.state,
        outcome: c.outcome,
        resolution: c.resolution,
        received_at: format_rfc3339_local(from_micros(c.received_at_us)),
        due_on,
        resolved_at: c.resolved_at_us.map(|t| format_rfc3339_local(from_micros(t))),
        resolved_by: c.resolved_by,
        evidence_required,
    })
}

/// Quality feedback on records of a shared resource (FS-08e: 主动对数据质量进行检查、反馈).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeedback {
    pub resource_code: String,
    /// The keys of the records found wrong (1 to 100).
    pub record_keys: Vec<String>,
    /// The item in doubt, if one.
    #[serde(default)]
    pub item: String,
    pub description: String,
}

/// Turning feedback into recheck requests: the evidence, where the provider's rule for the item asks for it.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recheck {
    #[serde(default)]
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Feedback {
    pub id: i64,
    pub resource_code: String,
    pub provider_department_id: i64,
    pub reporter_department_id: i64,
    pub reporter: String,
    pub record_keys: Vec<String>,
    pub item: String,
    pub description: String,
    /// `open`, or `rechecked` (turned into correction requests).
    pub state: String,
    pub correction_ids: Vec<i64>,
    pub created_at: String,
}

/// A department using the data (its officer or its system) flags records it found wrong; the provider is told, in
/// the same transaction as the feedback and its audit event.
pub async fn give_feedback(p: &Platform, actor: &Actor, input: NewFeedback) -> Result<Feedback> {
    let department = user_department(actor)?;
    let keys: Vec<String> = input.record_keys.iter().map(|k| k.trim().to_string()).collect();
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    let description = input.description.trim();
    if keys.is_empty() || keys.len() > 100 || distinct.len() != keys.len() || keys.iter().any(|k| k.is_empty() || k.chars().count() > 200) {
        return Err(Error::invalid("invalid_feedback", "请列出1至100条不重复的记录主键（每条1至200个字符）", "List 1 to 100 distinct record keys (1 to 200 characters each)"));
    }
    if description.is_empty() || description.chars().count() > 2000 {
        return Err(Error::invalid("invalid_feedback", "请说明发现的数据质量问题（1至2000字）", "Describe the quality problem found (1 to 2,000 characters)"));
    }
    let (entry, item) = user_of(p, department, &input.resource_code, &input.item).await?;
    let now = p.now_us();
    let row = store::corrections::FeedbackRow {
        id: 0,
        resource_id: entry.row.id,
        provider_department_id: entry.provider.id,
        reporter_department_id: department,
        reporter: actor.name.clone(),
        record_keys: serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into()),
        item: item.clone(),
        description: description.into(),
        state: "open".into(),
        correction_ids: "[]".into(),
        created_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::corrections::insert_feedback(&mut tx, &row).await?;
    let mut event = actor.event("correction.feedback", "resource", &entry.row.code);
    event.detail = format!("feedback {id}: {} records, to department {}", keys.len(), entry.provider.id);
    store::audit::append(&mut tx, &event, now).await?;
    let alert = store::alerts::AlertRow {
        id: 0,
        kind: "quality_feedback".into(),
        object_kind: "quality_feedback".into(),
        object_id: id.to_string(),
        department_id: entry.provider.id,
        to_authority: false,
        due_at_us: now,
        message: format!("资源{}收到数据质量反馈{id}：{}条记录{}", entry.row.code, keys.len(), if item.is_empty() { String::new() } else { format!("的“{item}”") }),
        message_en: format!("Resource {} received quality feedback {id}: {} records{}", entry.row.code, keys.len(), if item.is_empty() { String::new() } else { format!(", item {item}") }),
        raised_at_us: now,
        resolved_at_us: None,
    };
    crate::alerts::raise_logged(&mut tx, actor, &alert, format!("quality_feedback {id}"), now).await?;
    tx.commit().await?;
    feedback_view(p, actor, id).await
}

/// The department that gave the feedback turns it into recheck requests (复核申请, FS-30b), one per record, due by
/// the regime's working days: all of them and the feedback's new state in one transaction, or none.
pub async fn recheck(p: &Platform, actor: &Actor, id: i64, input: Recheck) -> Result<Feedback> {
    require_mechanism(p)?;
    let department = user_department(actor)?;
    let mut conn = p.store.read().await?;
    let f = store::corrections::feedback_by_id(&mut conn, id).await?.ok_or_else(|| feedback_not_found(id))?;
    drop(conn);
    if f.reporter_department_id != department {
        return Err(if f.provider_department_id == department {
            Error::forbidden("由提出反馈的部门转为复核申请", "The department that gave the feedback turns it into recheck requests")
        } else {
            feedback_not_found(id)
        });
    }
    if f.state != "open" {
        return Err(Error::invalid("feedback_rechecked", format!("反馈{id}已转为复核申请"), format!("Feedback {id} was turned into recheck requests already")));
    }
    let resource = {
        let mut conn = p.store.read().await?;
        store::catalog::by_id(&mut conn, f.resource_id).await?.ok_or_else(|| feedback_not_found(id))?
    };
    let (entry, item) = user_of(p, department, &resource.code, &f.item).await?;
    let evidence = input.evidence.trim();
    if evidence.chars().count() > 2000 {
        return Err(Error::invalid("invalid_correction", "佐证材料说明不超过2000字", "Evidence is at most 2,000 characters"));
    }
    if !item.is_empty() && evidence.is_empty() {
        let mut conn = p.store.read().await?;
        if let Some(required) = evidence_required(&mut conn, entry.row.id, &item).await? {
            return Err(Error::invalid(
                "invalid_correction",
                format!("数据提供部门的纠错规则要求该数据项的复核申请提供：{required}"),
                format!("The provider's correction rule for this item asks for: {required}"),
            ));
        }
    }
    let keys: Vec<String> = serde_json::from_str(&f.record_keys).unwrap_or_default();
    let due_on = p.profile.due(&p.calendar(), keys::CORRECTION, p.clock.today()).map(|d| d.due.to_string());
    let channel = if matches!(actor.kind, ActorKind::System { .. }) { "api" } else { "manual" };
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let mut ids = Vec::with_capacity(keys.len());
    for key in &keys {
        let row = CorrectionRow {
            id: 0,
            resource_id: entry.row.id,
            record_key: key.clone(),
            item: item.clone(),
            description: f.description.clone(),
            evidence: evidence.into(),
            channel: channel.into(),
            reporter_department_id: Some(department),
            reporter: actor.name.clone(),
            provider_department_id: entry.provider.id,
            state: "received".into(),
            outcome: String::new(),
            resolution: String::new(),
            received_at_us: now,
            due_on: due_on.clone(),
            resolved_at_us: None,
            resolved_by: String::new(),
        };
        let cid = store::corrections::insert(&mut tx, &row).await?;
        let mut event = actor.event("correction.file", "correction", cid.to_string());
        event.detail = format!("{} from feedback {id}: record {}, to department {}", entry.row.code, key_print(key), entry.provider.id);
        store::audit::append(&mut tx, &event, now).await?;
        ids.push(cid);
    }
    if !store::corrections::feedback_rechecked(&mut tx, id, &serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())).await? {
        return Err(Error::Conflict { zh: format!("反馈{id}已被处理"), en: format!("Feedback {id} was handled meanwhile") });
    }
    store::alerts::resolve_other(&mut tx, "quality_feedback", &id.to_string(), None, now).await?;
    tx.commit().await?;
    // The sharing API flags the records from now on.
    p.caches.bump();
    feedback_view(p, actor, id).await
}

/// Feedback a department gave or received; all of it for those who oversee.
pub async fn feedback_list(p: &Platform, actor: &Actor) -> Result<Vec<Feedback>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::corrections::feedback_list(&mut conn, scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(feedback_of(&mut conn, r).await?);
    }
    Ok(out)
}

async fn feedback_view(p: &Platform, actor: &Actor, id: i64) -> Result<Feedback> {
    let mut conn = p.store.read().await?;
    let f = store::corrections::feedback_by_id(&mut conn, id).await?.ok_or_else(|| feedback_not_found(id))?;
    if !actor.oversees() && actor.department_id != Some(f.reporter_department_id) && actor.department_id != Some(f.provider_department_id) {
        return Err(feedback_not_found(id));
    }
    feedback_of(&mut conn, f).await
}

async fn feedback_of(conn: &mut store::Conn, f: store::corrections::FeedbackRow) -> Result<Feedback> {
    let resource_code = store::catalog::by_id(conn, f.resource_id).await?.map(|r| r.code).unwrap_or_default();
    Ok(Feedback {
        id: f.id,
        resource_code,
        provider_department_id: f.provider_department_id,
        reporter_department_id: f.reporter_department_id,
        reporter: f.reporter,
        record_keys: serde_json::from_str(&f.record_keys).unwrap_or_default(),
        item: f.item,
        description: f.description,
        state: f.state,
        correction_ids: serde_json::from_str(&f.correction_ids).unwrap_or_default(),
        created_at: format_rfc3339_local(from_micros(f.created_at_us)),
    })
}

/// The department of a user of shared data: its data officer or its system's token.
fn user_department(actor: &Actor) -> Result<i64> {
    match (&actor.kind, actor.department_id) {
        (ActorKind::System { .. }, Some(d)) => Ok(d),
        (_, Some(d)) if actor.has(Role::DeptDataOfficer) => Ok(d),
        _ => Err(Error::forbidden("数据质量反馈由使用数据的部门提出（数据专员或其系统令牌）", "Quality feedback comes from a department using the data (its data officer or its system's token)")),
    }
}

/// The published entry `code` and the item named (checked), for a department holding a grant on it.
async fn user_of(p: &Platform, department: i64, code: &str, item: &str) -> Result<(crate::catalog::Entry, String)> {
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code.trim()).await?;
    let item = item.trim().to_string();
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    if !item.is_empty() && !content.items.iter().any(|i| i.name == item) {
        return Err(Error::invalid("invalid_feedback", format!("资源没有数据项{item}"), format!("The resource has no item {item}")));
    }
    if !holds_grant(&mut conn, entry.row.id, department).await? {
        return Err(Error::forbidden("本部门没有该资源的共享授权，不能对其数据提出反馈或校核", "Your department holds no grant on this resource, so it cannot give feedback on its data"));
    }
    Ok((entry, item))
}

/// Whether the department holds a grant on the resource that has not ended: it uses the data, so it may doubt it.
async fn holds_grant(conn: &mut store::Conn, resource_id: i64, department: i64) -> Result<bool> {
    Ok(store::sharing::grants_for(conn, resource_id, department).await?.iter().any(|g| GrantState::parse(&g.state).is_some_and(|s| s != GrantState::Terminated)))
}

/// The evidence the provider's correction rule for the item asks for (SYS-28a), if it has one.
async fn evidence_required(conn: &mut store::Conn, resource_id: i64, item: &str) -> Result<Option<String>> {
    Ok(store::corrections::rules(conn, resource_id).await?.into_iter().find(|r| r.item == item).map(|r| r.evidence_required))
}

fn feedback_not_found(id: i64) -> Error {
    Error::not_found(format!("数据质量反馈{id}不存在"), format!("Quality feedback {id} does not exist"))
}
