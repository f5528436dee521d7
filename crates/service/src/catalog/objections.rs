//! Objections to an entry's share or open type (FS-16). Another department raises one against a published entry,
//! proposing another type; the deciding parties — the source department, the same-level data authority and, for
//! the open type, the government-disclosure authority — each record a position. When all agree, the case closes:
//! kept, or changed, in which case the source department's new section is published at once (the negotiation is
//! the review). Each step commits with its audit event.

use domain::catalog::attrs::Attr;
use domain::catalog::entry::{Opening, ResourceContent, Sharing};
use domain::catalog::objections::{parties, proposes_a_change, settle, ObjectionKind, ObjectionState, Outcome, Party};
use domain::catalog::rules::check_complete;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::orgs::Department;
use domain::roles::Role;
use schemars::JsonSchema;
use serde::Serialize;
use store::catalog::objections::{NewObjection, ObjectionRow, PositionRow};

use super::{entry_of, load, Entry};
use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// An objection as the parties see it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ObjectionView {
    pub id: i64,
    pub code: String,
    pub resource_name: String,
    pub kind: ObjectionKind,
    pub kind_label: String,
    pub current_attr: Attr,
    pub proposed_attr: Attr,
    pub grounds: String,
    pub raised_by_department: String,
    pub raised_by: String,
    pub state: ObjectionState,
    pub state_label: String,
    pub parties: Vec<PartyView>,
    /// The revision that applied the change, once changed.
    pub applied_rev: Option<i64>,
    pub created_at: String,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PartyView {
    pub party: Party,
    pub label: String,
    /// The department that speaks for the party; none where none is designated yet.
    pub department: Option<String>,
    pub position: Option<PositionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PositionView {
    pub outcome: Outcome,
    pub outcome_label: String,
    pub comment: String,
    pub by: String,
    pub at: String,
}

/// Raising an objection.
pub struct NewObjectionInput {
    pub kind: ObjectionKind,
    pub proposed_attr: Attr,
    pub grounds: String,
}

/// A party's position; the source department's agreement to change may carry its new section.
pub struct PositionInput {
    pub outcome: Outcome,
    pub comment: String,
    pub sharing: Option<Sharing>,
    pub opening: Option<Opening>,
}

fn require_enabled(p: &Platform) -> Result<()> {
    if p.profile.catalog.classification_objections {
        Ok(())
    } else {
        Err(Error::invalid(
            "objections_not_in_regime",
            "适用办法未规定共享、开放类型异议的协商程序",
            "The regulation in force sets no procedure for objections to share or open types",
        ))
    }
}

fn bounded(text: &str, zh: &str, en: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 2000 {
        return Err(Error::invalid("text_required", format!("请填写{zh}（1至2000个字符）"), format!("Give {en} (1 to 2000 characters)")));
    }
    Ok(t.to_string())
}

/// The attribute of `kind` the published content states (an unset share attribute counts as unconditional).
fn attr_of(p: &Platform, c: &ResourceContent, kind: ObjectionKind) -> Attr {
    match kind {
        ObjectionKind::Share => c.effective_share_attr(),
        ObjectionKind::Open => c.effective_open_attr(p.profile.features.open_attr),
    }
}

/// A department other than the provider objects to a published entry's type.
pub async fn raise(p: &Platform, actor: &Actor, code: &str, input: NewObjectionInput) -> Result<ObjectionView> {
    require_enabled(p)?;
    let grounds = bounded(&input.grounds, "异议理由", "the grounds")?;
    let department_id = actor.department_id.ok_or_else(|| Error::forbidden("须以部门名义提出异议", "An objection is raised on behalf of a department"))?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let entry = load(p, &mut tx, code).await?;
    if entry.provider.id == department_id {
        return Err(Error::invalid(
            "own_entry",
            "本部门的资源可直接变更共享、开放属性，无需提出异议",
            "Your department's own entry: change its attributes directly instead",
        ));
    }
    let published = super::entries::published_content(&mut tx, &entry).await?;
    let published = published.filter(|_| entry.row.state == domain::catalog::lifecycle::ResourceState::Published).ok_or_else(|| {
        Error::invalid("not_published", "只能对已发布的资源提出类型异议", "Only a published entry's type can be objected to")
    })?;
    let current = attr_of(p, &published, input.kind);
    if !proposes_a_change(current, input.proposed_attr) {
        return Err(Error::invalid("no_change", "拟议类型与现行类型相同", "The proposed type is the one in force"));
    }
    if store::catalog::objections::negotiating(&mut tx, entry.row.id, input.kind.as_str()).await? {
        return Err(Error::Conflict {
            zh: format!("资源{code}已有协商中的{}异议，请在该异议中表达意见", input.kind.label()),
            en: format!("Resource {code} already has an objection to its {} under negotiation", input.kind.label_en()),
        });
    }
    let new = NewObjection {
        resource_id: entry.row.id,
        kind: input.kind.as_str(),
        current_attr: current.as_str(),
        proposed_attr: input.proposed_attr.as_str(),
        grounds: &grounds,
        raised_by_department_id: department_id,
        raised_by: &actor.name,
    };
    let id = store::catalog::objections::insert(&mut tx, &new, now).await?;
    let mut event = actor.event("catalog.objection.raise", "objection", id.to_string());
    event.detail = format!("{code} {}: {} → {}", input.kind.as_str(), current.as_str(), input.proposed_attr.as_str());
    event.purpose = grounds;
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The party the actor speaks for in an objection about `entry`, if any.
async fn party_of(conn: &mut store::Conn, actor: &Actor, entry: &Entry, kind: ObjectionKind) -> Result<Option<Party>> {
    let disclosure = disclosure_department(conn, entry).await?;
    let dept = super::actor_department(conn, actor).await?;
    for party in parties(kind) {
        let speaks = match party {
            Party::Source => actor.has(Role::DeptDataOfficer) && actor.department_id == Some(entry.provider.id),
            Party::Authority => {
                actor.kind == ActorKind::Cli || (actor.has(Role::AuthorityAdmin) && dept.as_ref().is_some_and(|d| d.region_id == entry.reviewing_region.id))
            }
            Party::Disclosure => disclosure.as_ref().is_some_and(|d| actor.department_id == Some(d.id)),
        };
        if speaks {
            return Ok(Some(*party));
        }
    }
    Ok(None)
}

/// Records the actor's position for the party it speaks for; settles the case once all agree.
pub async fn record_position(p: &Platform, actor: &Actor, id: i64, input: PositionInput) -> Result<ObjectionView> {
    require_enabled(p)?;
    let comment = bounded(&input.comment, "意见说明", "a comment")?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let row = store::catalog::objections::by_id(&mut tx, id).await?.ok_or_else(|| not_found(id))?;
    let (kind, proposed) = kinds(&row)?;
    if row.state != ObjectionState::Negotiating.as_str() {
        return Err(Error::invalid("objection_closed", format!("异议{id}已结案"), format!("Objection {id} is closed")));
    }
    let resource = store::catalog::by_id(&mut tx, row.resource_id).await?.ok_or_else(|| not_found(id))?;
    let entry = entry_of(p, &mut tx, resource).await?;
    let party = party_of(&mut tx, actor, &entry, kind).await?.ok_or_else(|| {
        Error::forbidden(
            "只有数源部门、同级政务数据主管部门（开放类型异议还有政务公开主管部门）可以表达协商意见",
            "Only the source department and the same-level data authority (and, for the open type, the government-disclosure authority) take positions",
        )
    })?;
    let published = super::entries::published_content(&mut tx, &entry).await?.ok_or_else(|| not_found(id))?;
    // The source department says what the entry will state if the type changes; it is checked now, so the
    // settlement cannot fail later.
    let proposal = match (party, input.outcome) {
        (Party::Source, Outcome::Change) => {
            let changed = proposed_content(p, &published, kind, proposed, input.sharing, input.opening)?;
            let required = super::schema::required_fields(p).await?;
            check_complete(&changed, &p.profile.catalog_rules(Some(required)))?;
            match kind {
                ObjectionKind::Share => serde_json::to_string(&changed.sharing),
                ObjectionKind::Open => serde_json::to_string(&changed.opening),
            }
            .map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?
        }
        _ => String::new(),
    };
    let position = PositionRow {
        party: party.as_str().into(),
        outcome: input.outcome.as_str().into(),
        comment: comment.clone(),
        proposal,
        actor_name: actor.name.clone(),
        at_us: now,
    };
    store::catalog::objections::put_position(&mut tx, id, &position).await?;
    let mut event = actor.event("catalog.objection.position", "objection", id.to_string());
    event.detail = format!("{} {}", party.as_str(), input.outcome.as_str());
    event.purpose = comment;
    store::audit::append(&mut tx, &event, now).await?;

    let positions = store::catalog::objections::positions(&mut tx, id).await?;
    let recorded: Vec<(Party, Outcome)> = positions.iter().filter_map(|r| Some((Party::parse(&r.party)?, Outcome::parse(&r.outcome)?))).collect();
    let state = settle(kind, &recorded);
    if state != ObjectionState::Negotiating {
        let applied = if state == ObjectionState::Changed {
            let source = positions.iter().find(|r| r.party == Party::Source.as_str()).map(|r| r.proposal.as_str()).unwrap_or_default();
            let changed = apply_proposal(&published, kind, source)?;
            let evidence = format!("分类异议{id}经{}协商确定", parties(kind).iter().map(|p| p.label()).collect::<Vec<_>>().join("、"));
            Some(super::entries::apply_decided_attributes(p, &mut tx, actor, &entry, &changed, &evidence).await?)
        } else {
            None
        };
        store::catalog::objections::close(&mut tx, id, state.as_str(), applied, now).await?;
        let mut event = actor.event("catalog.objection.settle", "objection", id.to_string());
        event.detail = format!("{} {}", entry.row.code, state.as_str());
        store::audit::append(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    if state == ObjectionState::Changed {
        super::search::after_change(p).await;
    }
    get(p, actor, id).await
}

/// The published content with the source department's new section for `kind`, stating the proposed type. Without
/// a section of its own, the published one is taken with the type changed and what the new type forbids dropped
/// (operations and conditions of data no longer shared or opened); the rules then say what it still lacks.
fn proposed_content(p: &Platform, published: &ResourceContent, kind: ObjectionKind, proposed: Attr, sharing: Option<Sharing>, opening: Option<Opening>) -> Result<ResourceContent> {
    let mut changed = published.clone();
    match kind {
        ObjectionKind::Share => {
            changed.sharing = sharing.unwrap_or_else(|| {
                let mut s = published.sharing.clone();
                s.attr = Some(proposed);
                if proposed != Attr::Conditional {
                    s.conditions.clear();
                }
                if proposed == Attr::None {
                    s.ops.clear();
                }
                s
            })
        }
        ObjectionKind::Open => {
            changed.opening = opening.unwrap_or_else(|| {
                let mut o = published.opening.clone();
                if p.profile.features.open_attr {
                    o.attr = Some(proposed);
                } else {
                    o.to_public = Some(proposed != Attr::None);
                }
                if proposed != Attr::Conditional {
                    o.conditions = Default::default();
                }
                if proposed == Attr::None {
                    o.ops.clear();
                } else {
                    o.not_open_reason = None;
                }
                o
            })
        }
    }
    // The type as stated: a conditional one still lacking its conditions is for the rules to name, not a mismatch.
    let stated = match kind {
        ObjectionKind::Share => changed.sharing.attr.unwrap_or(Attr::Unconditional),
        ObjectionKind::Open => changed.effective_open_attr(p.profile.features.open_attr),
    };
    if stated != proposed {
        return Err(Error::invalid(
            "proposal_mismatch",
            format!("调整后的{}须为异议拟议的类型", kind.label()),
            format!("The new {} must be the one the objection proposes", kind.label_en()),
        ));
    }
    Ok(changed)
}

fn apply_proposal(published: &ResourceContent, kind: ObjectionKind, proposal: &str) -> Result<ResourceContent> {
    let corrupt = |e: serde_json::Error| Error::Internal(store::Error::Corrupt(format!("objection proposal: {e}")));
    let mut changed = published.clone();
    match kind {
        ObjectionKind::Share => changed.sharing = serde_json::from_str(proposal).map_err(corrupt)?,
        ObjectionKind::Open => changed.opening = serde_json::from_str(proposal).map_err(corrupt)?,
    }
    Ok(changed)
}

fn kinds(row: &ObjectionRow) -> Result<(ObjectionKind, Attr)> {
    let corrupt = || Error::Internal(store::Error::Corrupt(format!("objection {} has an unknown kind or attribute", row.id)));
    Ok((ObjectionKind::parse(&row.kind).ok_or_else(corrupt)?, Attr::parse(&row.proposed_attr).ok_or_else(corrupt)?))
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("异议{id}不存在"), format!("Objection {id} does not exist"))
}

/// The settings key naming a region's government-disclosure authority.
fn disclosure_key(region_id: i64) -> String {
    format!("disclosure_department:{region_id}")
}

/// The government-disclosure authority at the entry's level: its reviewing region's, else the city's.
async fn disclosure_department(conn: &mut store::Conn, entry: &Entry) -> Result<Option<Department>> {
    for region_id in [entry.reviewing_region.id, entry.city_region.id] {
        if let Some(id) = store::settings::get(conn, &disclosure_key(region_id)).await?.and_then(|v| v.parse::<i64>().ok()) {
            return Ok(store::orgs::department_by_id(conn, id).await?);
        }
    }
    Ok(None)
}

/// The authority names the department that is the region's government-disclosure authority (政务公开主管部门).
pub async fn set_disclosure_department(p: &Platform, actor: &Actor, region_code: &str, department_id: i64) -> Result<()> {
    crate::orgs::require_authority(actor)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let region = store::orgs::region_by_code(&mut tx, region_code)
        .await?
        .ok_or_else(|| Error::not_found(format!("区划{region_code}不存在"), format!("Region {region_code} does not exist")))?;
    let department = store::orgs::department_by_id(&mut tx, department_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("部门{department_id}不存在"), format!("Department {department_id} does not exist")))?;
    if department.region_id != region.id {
        return Err(Error::invalid(
            "department_elsewhere",
            format!("{}不属于{}", department.name, region.name),
            format!("{} is not in {}", department.name, region.name),
        ));
    }
    store::settings::set(&mut tx, &disclosure_key(region.id), &department.id.to_string()).await?;
    let mut event = actor.event("catalog.disclosure_authority.set", "region", region.code.clone());
    event.detail = department.name.clone();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Who may read an objection: the authority and supervisors, the raising department, and the parties.
fn may_read(actor: &Actor, row: &ObjectionRow, entry: &Entry, disclosure: Option<&Department>) -> bool {
    actor.oversees()
        || actor.department_id.is_some_and(|d| d == row.raised_by_department_id || d == entry.provider.id || disclosure.is_some_and(|x| x.id == d))
}

pub async fn get(p: &Platform, actor: &Actor, id: i64) -> Result<ObjectionView> {
    let mut conn = p.store.read().await?;
    let row = store::catalog::objections::by_id(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let view = view(p, &mut conn, actor, row).await?;
    view.ok_or_else(|| not_found(id))
}

/// The objections the actor may read, newest first; under negotiation only when `open_only`.
pub async fn list(p: &Platform, actor: &Actor, open_only: bool) -> Result<Vec<ObjectionView>> {
    let mut conn = p.store.read().await?;
    let mut out = Vec::new();
    for row in store::catalog::objections::list(&mut conn, open_only).await? {
        if let Some(v) = view(p, &mut conn, actor, row).await? {
            out.push(v);
        }
    }
    Ok(out)
}

async fn view(p: &Platform, conn: &mut store::Conn, actor: &Actor, row: ObjectionRow) -> Result<Option<ObjectionView>> {
    let (kind, proposed) = kinds(&row)?;
    let resource = store::catalog::by_id(conn, row.resource_id).await?.ok_or_else(|| not_found(row.id))?;
    let entry = entry_of(p, conn, resource).await?;
    let disclosure = disclosure_department(conn, &entry).await?;
    if !may_read(actor, &row, &entry, disclosure.as_ref()) {
        return Ok(None);
    }
    let published = super::entries::published_content(conn, &entry).await?;
    let authority = store::orgs::list_departments(conn, 10_000, 0)
        .await?
        .0
        .into_iter()
        .find(|d| d.region_id == entry.reviewing_region.id && d.kind == domain::orgs::DepartmentKind::Authority);
    let raised_by = store::orgs::department_by_id(conn, row.raised_by_department_id).await?.map(|d| d.name).unwrap_or_default();
    let positions = store::catalog::objections::positions(conn, row.id).await?;
    let parties = parties(kind)
        .iter()
        .map(|party| PartyView {
            party: *party,
            label: party.label().into(),
            department: match party {
                Party::Source => Some(entry.provider.name.clone()),
                Party::Authority => authority.as_ref().map(|d| d.name.clone()),
                Party::Disclosure => disclosure.as_ref().map(|d| d.name.clone()),
            },
            position: positions.iter().find(|r| r.party == party.as_str()).and_then(|r| {
                let outcome = Outcome::parse(&r.outcome)?;
                Some(PositionView {
                    outcome,
                    outcome_label: outcome.label().into(),
                    comment: r.comment.clone(),
                    by: r.actor_name.clone(),
                    at: format_rfc3339_local(from_micros(r.at_us)),
                })
            }),
        })
        .collect();
    let state = ObjectionState::parse(&row.state).unwrap_or(ObjectionState::Negotiating);
    Ok(Some(ObjectionView {
        id: row.id,
        code: entry.row.code.clone(),
        resource_name: published.map(|c| c.name).unwrap_or_default(),
        kind,
        kind_label: kind.label().into(),
        current_attr: Attr::parse(&row.current_attr).unwrap_or(Attr::Unconditional),
        proposed_attr: proposed,
        grounds: row.grounds,
        raised_by_department: raised_by,
        raised_by: row.raised_by,
        state,
        state_label: state.label().into(),
        parties,
        applied_rev: row.applied_rev,
        created_at: format_rfc3339_local(from_micros(row.created_at_us)),
        closed_at: row.closed_at_us.map(|u| format_rfc3339_local(from_micros(u))),
    }))
}
