//! Exchange channels outside the platform (LS-17a, CS-22e, FS-25b): a department registers the channels and data
//! platforms of its own; each is integrated into the platform or shut down, or kept as an exception the authority
//! approves (in 佛山 recording the city government's approval); the report shows each department's progress and the
//! channels not yet as the regulation wants them. Every step is an audit event in the step's transaction.

use domain::channels::{self as rules, ChannelKind, ChannelState};
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::channels::ChannelRow;

use crate::{Actor, Error, Platform, Result};

/// A channel as a department registers it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    /// The department that runs it; a department's officer registers its own (default).
    #[serde(default)]
    pub department_id: Option<i64>,
    pub kind: ChannelKind,
    pub name: String,
    /// Whom it exchanges data with.
    #[serde(default)]
    pub counterparts: String,
    #[serde(default)]
    pub description: String,
    /// Built after the regulation took effect (or being built): an exception that awaits approval, and needs
    /// `exception_reason`.
    #[serde(default)]
    pub new_build: bool,
    #[serde(default)]
    pub exception_reason: String,
}

/// A request to keep a channel as an exception.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionRequest {
    pub reason: String,
}

/// The approver's decision on an exception.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelDecision {
    pub approve: bool,
    #[serde(default)]
    pub reason: String,
    /// The city government's approval document (title or number), where it approves (佛山).
    #[serde(default)]
    pub approval_document: String,
}

/// A channel integrated into the platform or shut down.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    /// What was done (整合至平台的方式、关停日期等).
    pub note: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Channel {
    pub id: i64,
    pub department_id: i64,
    pub department: String,
    pub kind: ChannelKind,
    pub name: String,
    pub counterparts: String,
    pub description: String,
    pub new_build: bool,
    pub state: ChannelState,
    pub state_label: String,
    pub state_label_en: String,
    /// Integrated, shut down, or an approved exception.
    pub compliant: bool,
    pub exception_reason: String,
    pub decision_reason: String,
    pub approval_document: String,
    pub decided_by: String,
    pub decided_at: Option<String>,
    pub retired_note: String,
    pub retired_at: Option<String>,
    pub registered_by: String,
    pub registered_at: String,
}

/// One department's channels, for the authority's report (CS-22e: 关停进度; FS-25b: items not integrated).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DepartmentChannels {
    pub department_id: i64,
    pub department: String,
    pub total: i64,
    pub in_use: i64,
    pub exception_requested: i64,
    pub exception_approved: i64,
    pub retired: i64,
    /// Retired or approved exceptions, as a share of the total, in percent.
    pub progress_percent: f64,
    /// The channels not yet as the regulation wants them.
    pub outstanding: Vec<Channel>,
}

/// Registers a channel. A department's officer registers its own; the authority any department's.
pub async fn register(p: &Platform, actor: &Actor, input: NewChannel) -> Result<Channel> {
    let own = actor.department_id.filter(|_| actor.has(Role::DeptDataOfficer));
    let department_id = match (input.department_id, own) {
        (Some(d), _) if actor.has(Role::AuthorityAdmin) => d,
        (None, Some(own)) => own,
        (Some(d), Some(own)) if d == own => own,
        _ => return Err(Error::forbidden("部门数据专员登记本部门的通道，数据主管部门可为任一部门登记", "A department's data officer registers its own channels; the authority any department's")),
    };
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("channel_name", "请填写通道或平台名称（1至200字）", "Name the channel or platform (1 to 200 characters)"));
    }
    if input.counterparts.chars().count() > 1000 || input.description.chars().count() > 2000 {
        return Err(Error::invalid("channel_text", "交换对象不超过1000字，说明不超过2000字", "At most 1000 characters for the counterparts and 2000 for the description"));
    }
    let state = rules::registered(input.new_build, &input.exception_reason, &p.profile.sharing.channels)?;
    let mut conn = p.store.read().await?;
    store::orgs::department_by_id(&mut conn, department_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("部门{department_id}不存在"), format!("Department {department_id} does not exist")))?;
    drop(conn);
    let now = p.now_us();
    let row = ChannelRow {
        id: 0,
        department_id,
        kind: input.kind.as_str().into(),
        name: name.into(),
        counterparts: input.counterparts.trim().into(),
        description: input.description.trim().into(),
        new_build: input.new_build,
        state: state.as_str().into(),
        exception_reason: input.exception_reason.trim().into(),
        decision_reason: String::new(),
        approval_document: String::new(),
        decided_by: String::new(),
        decided_at_us: None,
        retired_note: String::new(),
        retired_at_us: None,
        registered_by: actor.name.clone(),
        registered_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::channels::insert(&mut tx, &row).await?;
    let mut event = actor.event("channel.register", "exchange_channel", id.to_string());
    event.detail = format!("{} {}, department {department_id} → {}", row.kind, row.name, row.state);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The department asks to keep a channel in use as an exception.
pub async fn request_exception(p: &Platform, actor: &Actor, id: i64, input: ExceptionRequest) -> Result<Channel> {
    let row = load(p, actor, id).await?;
    require_owner(actor, &row)?;
    let state = state_of(&row);
    rules::check_exception(state, &input.reason, &p.profile.sharing.channels)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::channels::request_exception(&mut tx, id, state.as_str(), input.reason.trim()).await? {
        return Err(moved(id));
    }
    let mut event = actor.event("channel.exception", "exchange_channel", id.to_string());
    event.detail = input.reason.trim().into();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The authority decides an exception (LS-17a, CS-22e); in 佛山 it records the city government's approval (FS-25b).
/// No department approves its own.
pub async fn decide(p: &Platform, actor: &Actor, id: i64, input: ChannelDecision) -> Result<Channel> {
    crate::orgs::require_authority(actor)?;
    let row = load(p, actor, id).await?;
    if actor.department_id == Some(row.department_id) {
        return Err(Error::forbidden("不能批准本部门的通道例外", "You cannot approve your own department's exception"));
    }
    let state = state_of(&row);
    let next = rules::decide(state, input.approve, &input.reason, &input.approval_document, &p.profile.sharing.channels)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::channels::decide(&mut tx, id, state.as_str(), next.as_str(), input.reason.trim(), input.approval_document.trim(), &actor.name, now).await? {
        return Err(moved(id));
    }
    let mut event = actor.event("channel.decide", "exchange_channel", id.to_string());
    event.result = if input.approve { "approved".into() } else { "refused".into() };
    event.detail = format!("{} → {}{}", state.as_str(), next.as_str(), if input.approval_document.trim().is_empty() { String::new() } else { format!(", {}", input.approval_document.trim()) });
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The channel is integrated into the platform or shut down: its department or the authority records it.
pub async fn retire(p: &Platform, actor: &Actor, id: i64, input: Retirement) -> Result<Channel> {
    let row = load(p, actor, id).await?;
    if !actor.has(Role::AuthorityAdmin) {
        require_owner(actor, &row)?;
    }
    let note = input.note.trim();
    if note.is_empty() || note.chars().count() > 1000 {
        return Err(Error::invalid("channel_retired_note", "请说明整合或关停的情况（1至1000字）", "Say how it was integrated or shut down (1 to 1000 characters)"));
    }
    let state = state_of(&row);
    rules::retire(state)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if !store::channels::retire(&mut tx, id, state.as_str(), note, now).await? {
        return Err(moved(id));
    }
    let mut event = actor.event("channel.retire", "exchange_channel", id.to_string());
    event.detail = note.into();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The channels a caller sees: a department's own; every one for those who oversee.
pub async fn list(p: &Platform, actor: &Actor) -> Result<Vec<Channel>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    let rows = store::channels::list(&mut conn, scope).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(p, &mut conn, r).await?);
    }
    Ok(out)
}

pub async fn get(p: &Platform, actor: &Actor, id: i64) -> Result<Channel> {
    let row = load(p, actor, id).await?;
    let mut conn = p.store.read().await?;
    view(p, &mut conn, row).await
}

/// Each department's channels and how far they are integrated, shut down or excepted, for those who oversee.
pub async fn report(p: &Platform, actor: &Actor) -> Result<Vec<DepartmentChannels>> {
    if !actor.oversees() {
        return Err(Error::forbidden("无权查看通道整合情况", "You may not see the channels report"));
    }
    let mut out: Vec<DepartmentChannels> = Vec::new();
    for c in list(p, actor).await? {
        let i = match out.iter().position(|d| d.department_id == c.department_id) {
            Some(i) => i,
            None => {
                out.push(DepartmentChannels {
                    department_id: c.department_id,
                    department: c.department.clone(),
                    total: 0,
                    in_use: 0,
                    exception_requested: 0,
                    exception_approved: 0,
                    retired: 0,
                    progress_percent: 0.0,
                    outstanding: vec![],
                });
                out.len() - 1
            }
        };
        let d = &mut out[i];
        d.total += 1;
        match c.state {
            ChannelState::InUse => d.in_use += 1,
            ChannelState::ExceptionRequested => d.exception_requested += 1,
            ChannelState::ExceptionApproved => d.exception_approved += 1,
            ChannelState::Retired => d.retired += 1,
        }
        if !c.compliant {
            d.outstanding.push(c);
        }
    }
    for d in &mut out {
        d.progress_percent = crate::catalog::reports::percent((d.retired + d.exception_approved) as f64, d.total as f64);
    }
    Ok(out)
}

async fn load(p: &Platform, actor: &Actor, id: i64) -> Result<ChannelRow> {
    let mut conn = p.store.read().await?;
    let row = store::channels::by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    if !actor.oversees() && actor.department_id != Some(row.department_id) {
        return Err(not_found(id));
    }
    Ok(row)
}

fn require_owner(actor: &Actor, row: &ChannelRow) -> Result<()> {
    if actor.has(Role::DeptDataOfficer) && actor.department_id == Some(row.department_id) {
        Ok(())
    } else {
        Err(Error::forbidden("由通道所属部门的数据专员办理", "A data officer of the channel's department takes this step"))
    }
}

fn state_of(row: &ChannelRow) -> ChannelState {
    ChannelState::parse(&row.state).unwrap_or(ChannelState::InUse)
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("通道{id}不存在"), format!("Channel {id} does not exist"))
}

fn moved(id: i64) -> Error {
    Error::Conflict { zh: format!("通道{id}已被他人处理，请刷新后重试"), en: format!("Channel {id} was handled meanwhile: reload and try again") }
}

async fn view(p: &Platform, conn: &mut store::Conn, r: ChannelRow) -> Result<Channel> {
    let department = store::orgs::department_by_id(conn, r.department_id).await?.map(|d| d.name).unwrap_or_default();
    let state = state_of(&r);
    let (label, label_en) = state.label_for(p.profile.sharing.channels.existing);
    Ok(Channel {
        id: r.id,
        department_id: r.department_id,
        department,
        kind: ChannelKind::parse(&r.kind).unwrap_or(ChannelKind::Channel),
        name: r.name,
        counterparts: r.counterparts,
        description: r.description,
        new_build: r.new_build,
        state,
        state_label: label.into(),
        state_label_en: label_en.into(),
        compliant: state.compliant(),
        exception_reason: r.exception_reason,
        decision_reason: r.decision_reason,
        approval_document: r.approval_document,
        decided_by: r.decided_by,
        decided_at: r.decided_at_us.map(|u| format_rfc3339_local(from_micros(u))),
        retired_note: r.retired_note,
        retired_at: r.retired_at_us.map(|u| format_rfc3339_local(from_micros(u))),
        registered_by: r.registered_by,
        registered_at: format_rfc3339_local(from_micros(r.registered_at_us)),
    })
}
