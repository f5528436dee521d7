//! Requests for data the city platform cannot obtain itself (SYS-34, FS-27): a department's data officer files one;
//! it waits first with the department's own district authority (where it has one), which forwards it to the city's;
//! only the city authority applies to the province, the nation or another region, and records their reference and
//! answer. The requester follows each step but never addresses the higher level itself.

use domain::clock::{format_rfc3339_local, from_micros};
use domain::disputes::{self as rules, UpstreamActor, UpstreamState, UpstreamStep, UpstreamTarget};
use domain::roles::Role;
use domain::{FieldIssue, Invalid};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::disputes::UpstreamRow;

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::sharing::Party;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUpstream {
    pub target: UpstreamTarget,
    /// Who holds the data there (省公安厅, 国家人口基础信息库…), as the requester knows it.
    pub holder: String,
    pub description: String,
    #[serde(default)]
    pub items: Vec<String>,
    pub scenario: String,
    /// 申请依据.
    pub basis: String,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamStepInput {
    pub step: UpstreamStep,
    /// The higher level's reference for the application (`submit`).
    #[serde(default)]
    pub reference: String,
    /// The answer obtained, the refusal, or why the request is sent back.
    #[serde(default)]
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UpstreamView {
    pub id: i64,
    pub requester: Party,
    pub target: UpstreamTarget,
    pub holder: String,
    pub description: String,
    pub items: Vec<String>,
    pub scenario: String,
    pub basis: String,
    pub state: UpstreamState,
    pub state_label: String,
    pub filed_by: String,
    pub filed_at: String,
    pub forwarded_at: Option<String>,
    pub submitted_at: Option<String>,
    pub external_ref: String,
    pub answer: String,
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("上级数据申请{id}不存在"), format!("Upstream request {id} does not exist"))
}

fn issue(field: &str, zh: &str, en: &str) -> FieldIssue {
    FieldIssue { field: field.into(), message: zh.into(), message_en: en.into() }
}

/// Files a request (SYS-34a): it starts with the requester's own authority — a district's when the department is in
/// a district that has one, else the city's.
pub async fn file(p: &Platform, actor: &Actor, input: NewUpstream) -> Result<UpstreamView> {
    let Some(requester) = actor.department_id.filter(|_| actor.has(Role::DeptDataOfficer)) else {
        return Err(Error::forbidden("跨层级数据申请由部门的数据专员提出", "An upstream request is filed by a department's data officer"));
    };
    let mut issues = Vec::new();
    for (field, value, max, zh, en) in [
        ("holder", &input.holder, 200, "请写明数据所在的部门或平台", "Name the department or platform that holds the data"),
        ("description", &input.description, 2000, "请描述所需数据", "Describe the data needed"),
        ("scenario", &input.scenario, 500, "请填写应用场景", "State the application scenario"),
        ("basis", &input.basis, 500, "请填写申请依据", "State the basis"),
    ] {
        if value.trim().is_empty() || value.chars().count() > max {
            issues.push(issue(field, &format!("{zh}（不超过{max}字）"), &format!("{en} (at most {max} characters)")));
        }
    }
    if input.items.len() > 200 || input.items.iter().any(|i| i.trim().is_empty() || i.chars().count() > 100) {
        issues.push(issue("items", "数据项最多200项，每项1至100字", "At most 200 items of 1 to 100 characters"));
    }
    if !issues.is_empty() {
        let mut invalid = Invalid::new("invalid_upstream", "申请有误，请按提示修改", "The request has problems: fix each one listed");
        invalid.fields = issues;
        return Err(invalid.into());
    }
    let mut conn = p.store.read().await?;
    let dept = store::orgs::department_by_id(&mut conn, requester).await?.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?;
    let region = crate::catalog::region(&mut conn, dept.region_id).await?;
    let district_authority = region.parent_id.is_some() && store::orgs::has_authority(&mut conn, region.id).await?;
    drop(conn);
    let state = if district_authority { UpstreamState::LocalReview } else { UpstreamState::CityReview };
    let now = p.now_us();
    let items: Vec<String> = input.items.iter().map(|i| i.trim().to_string()).collect();
    let row = UpstreamRow {
        requester_department_id: requester,
        target: input.target.as_str().into(),
        holder: input.holder.trim().into(),
        description: input.description.trim().into(),
        items: serde_json::to_string(&items).unwrap_or_else(|_| "[]".into()),
        scenario: input.scenario.trim().into(),
        basis: input.basis.trim().into(),
        state: state.as_str().into(),
        filed_by: actor.name.clone(),
        filed_at_us: now,
        ..Default::default()
    };
    let mut tx = p.store.begin().await?;
    let id = store::disputes::insert_upstream(&mut tx, &row).await?;
    let mut event = actor.event("upstream.file", "upstream_request", id.to_string());
    event.purpose = row.scenario.clone();
    event.detail = format!("{} {} → {}", row.target, row.holder, state.as_str());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    request(p, actor, id).await
}

/// An authority's step on a request (SYS-34a/b): the district's forwards or returns; the city's applies upward with
/// the higher level's reference, records the answer, or returns it.
pub async fn step(p: &Platform, actor: &Actor, id: i64, input: UpstreamStepInput) -> Result<UpstreamView> {
    let mut conn = p.store.read().await?;
    let mut row = store::disputes::upstream_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let requester = store::orgs::department_by_id(&mut conn, row.requester_department_id).await?.ok_or_else(|| not_found(id))?;
    let requester_region = crate::catalog::region(&mut conn, requester.region_id).await?;
    let city = requester_region.parent_id.unwrap_or(requester_region.id);
    let acting = if actor.kind == ActorKind::Cli {
        UpstreamActor::CityAuthority
    } else if actor.has(Role::AuthorityAdmin) {
        match actor.department_id {
            Some(d) => match store::orgs::department_by_id(&mut conn, d).await?.map(|d| d.region_id) {
                Some(r) if r == city => UpstreamActor::CityAuthority,
                Some(r) if r == requester_region.id => UpstreamActor::DistrictAuthority,
                _ => UpstreamActor::Other,
            },
            None => UpstreamActor::Other,
        }
    } else {
        UpstreamActor::Other
    };
    drop(conn);
    if acting == UpstreamActor::Other && !actor.oversees() && actor.department_id != Some(row.requester_department_id) {
        return Err(not_found(id));
    }
    let from = UpstreamState::parse(&row.state).unwrap_or(UpstreamState::Returned);
    let to = rules::upstream_next(from, input.step, acting).map_err(|e| match e.code {
        "upstream_not_yours" => Error::Denied(e),
        _ => e.into(),
    })?;
    let now = p.now_us();
    let (reference, answer) = (input.reference.trim(), input.answer.trim());
    match input.step {
        UpstreamStep::Forward => row.forwarded_at_us = Some(now),
        UpstreamStep::Submit => {
            if reference.is_empty() || reference.chars().count() > 100 {
                return Err(Error::invalid("upstream_reference", "请填写上级受理的编号或文号（1至100字）", "Give the higher level's reference (1 to 100 characters)"));
            }
            row.external_ref = reference.into();
            row.submitted_at_us = Some(now);
        }
        UpstreamStep::Obtained | UpstreamStep::Refused | UpstreamStep::Return => {
            if answer.is_empty() || answer.chars().count() > 2000 {
                return Err(Error::invalid(
                    "upstream_answer",
                    "请写明结果：获取的方式、上级的答复或退回的理由（1至2000字）",
                    "State the result: how the data is obtained, the higher level's answer, or why it is sent back (1 to 2,000 characters)",
                ));
            }
            row.answer = answer.into();
            row.answered_by = Some(actor.name.clone());
            row.answered_at_us = Some(now);
        }
    }
    row.state = to.as_str().into();
    let mut tx = p.store.begin().await?;
    if !store::disputes::update_upstream(&mut tx, &row, from.as_str()).await? {
        return Err(Error::Conflict { zh: format!("申请{id}已被他人处理"), en: format!("Request {id} was handled meanwhile") });
    }
    let mut event = actor.event(&format!("upstream.{}", input.step.as_str()), "upstream_request", id.to_string());
    event.purpose = row.scenario.clone();
    event.detail = format!("{} → {}{}", from.as_str(), to.as_str(), if reference.is_empty() { String::new() } else { format!(" ({reference})") });
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    request(p, actor, id).await
}

/// One request, for its requester and those who oversee.
pub async fn request(p: &Platform, actor: &Actor, id: i64) -> Result<UpstreamView> {
    let mut conn = p.store.read().await?;
    let row = store::disputes::upstream_by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    if !actor.oversees() && actor.department_id != Some(row.requester_department_id) {
        return Err(not_found(id));
    }
    view(&mut conn, row).await
}

/// A department's requests; every one for those who oversee.
pub async fn requests(p: &Platform, actor: &Actor) -> Result<Vec<UpstreamView>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::disputes::upstream_requests(&mut conn, scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(&mut conn, row).await?);
    }
    Ok(out)
}

async fn view(conn: &mut store::Conn, row: UpstreamRow) -> Result<UpstreamView> {
    let state = UpstreamState::parse(&row.state).unwrap_or(UpstreamState::Returned);
    let at = |t: Option<i64>| t.map(|t| format_rfc3339_local(from_micros(t)));
    let name = store::orgs::department_by_id(conn, row.requester_department_id).await?.map(|d| d.name).unwrap_or_default();
    Ok(UpstreamView {
        id: row.id,
        requester: Party { id: row.requester_department_id, name },
        target: UpstreamTarget::parse(&row.target).unwrap_or(UpstreamTarget::Province),
        holder: row.holder,
        description: row.description,
        items: serde_json::from_str(&row.items).unwrap_or_default(),
        scenario: row.scenario,
        basis: row.basis,
        state,
        state_label: state.label().into(),
        filed_by: row.filed_by,
        filed_at: format_rfc3339_local(from_micros(row.filed_at_us)),
        forwarded_at: at(row.forwarded_at_us),
        submitted_at: at(row.submitted_at_us),
        external_ref: row.external_ref,
        answer: row.answer,
        answered_by: row.answered_by,
        answered_at: at(row.answered_at_us),
    })
}
