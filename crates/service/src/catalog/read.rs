//! Reading the catalog. Every signed-in caller sees published entries, including those not shared, which show
//! that the data exists and nothing more (FS-13d). Working revisions are shown to the provider, the service
//! center and the authority. The public sees only the open catalog.

use std::collections::btree_map::Entry as Slot;
use std::collections::BTreeMap;

use domain::catalog::attrs::Attr;
use domain::catalog::diff::diff;
use domain::catalog::lifecycle::{ResourceState, RevisionState};
use domain::catalog::view::{HistoryEntry, ResourceSummary, ResourceView, ReviewView, WorkingSummary};
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use store::catalog::{ListFilter, ResourceRow, RevisionRow};

use super::{actor_department, edit_refusal, entry_of, load, may_review, may_see_working, not_found, revision_view, Entry};
use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// What the actor may do on an entry, so that pages offer only what the service will accept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allowed {
    /// Write it: edit, submit, withdraw, change attributes (each still subject to the entry's state).
    pub edit: bool,
    /// Take the review step its working revision waits for.
    pub review: bool,
}

/// One entry as the actor may see it.
pub async fn get(p: &Platform, actor: &Actor, code: &str) -> Result<ResourceView> {
    Ok(get_with_allowed(p, actor, code).await?.0)
}

/// One entry as the actor may see it, with what the actor may do on it.
pub async fn get_with_allowed(p: &Platform, actor: &Actor, code: &str) -> Result<(ResourceView, Allowed)> {
    let mut conn = p.store.read().await?;
    let entry = load(p, &mut conn, code).await?;
    let see_working = may_see_working(actor, entry.provider.id);
    if entry.row.state != ResourceState::Published && !see_working {
        return Err(not_found(code));
    }
    let published = match entry.row.published_rev {
        Some(rev) if entry.row.state == ResourceState::Published || see_working => store::catalog::revision_of(&mut conn, entry.row.id, rev).await?,
        _ => None,
    };
    if actor.kind == ActorKind::Anonymous && !is_open(p, &entry, published.as_ref()) {
        return Err(not_found(code));
    }
    let working = match entry.row.working_rev {
        Some(rev) if see_working => store::catalog::revision_of(&mut conn, entry.row.id, rev).await?,
        _ => None,
    };
    let actor_dept = actor_department(&mut conn, actor).await?;
    let step = working.as_ref().filter(|w| w.state == RevisionState::InReview).and_then(|w| w.step);
    let allowed = Allowed {
        edit: edit_refusal(actor, actor_dept.as_ref(), &entry).is_none(),
        review: step.is_some_and(|s| may_review(actor, actor_dept.as_ref(), s, &entry, working.as_ref().and_then(|w| w.submitted_by))),
    };
    Ok((view(p, &entry, published, working), allowed))
}

/// An entry of the open catalog, as anyone may see it: its published revision only.
pub async fn get_open(p: &Platform, code: &str) -> Result<ResourceView> {
    let mut conn = p.store.read().await?;
    let entry = load(p, &mut conn, code).await?;
    let published = match entry.row.published_rev {
        Some(rev) => store::catalog::revision_of(&mut conn, entry.row.id, rev).await?,
        None => None,
    };
    if !is_open(p, &entry, published.as_ref()) {
        return Err(not_found(code));
    }
    Ok(view(p, &entry, published, None))
}

/// Whether a published entry's published revision (already read) belongs to the open catalog.
fn is_open(p: &Platform, entry: &Entry, published: Option<&RevisionRow>) -> bool {
    entry.row.state == ResourceState::Published && published.is_some_and(|r| r.content.is_open(p.profile.features.open_attr))
}

fn view(p: &Platform, entry: &Entry, published: Option<RevisionRow>, working: Option<RevisionRow>) -> ResourceView {
    ResourceView {
        code: entry.row.code.clone(),
        state: entry.row.state,
        provider: entry.provider_ref(),
        region: entry.region_ref(),
        supplementary: entry.supplementary(),
        published: published.map(|r| revision_view(p, &r)),
        working: working.map(|r| revision_view(p, &r)),
    }
}

/// Every revision of an entry with what changed from the one before, and the review decisions on it.
pub async fn history(p: &Platform, actor: &Actor, code: &str) -> Result<Vec<HistoryEntry>> {
    let mut conn = p.store.read().await?;
    let entry = load(p, &mut conn, code).await?;
    let see_working = may_see_working(actor, entry.provider.id);
    if entry.row.state != ResourceState::Published && !see_working {
        return Err(not_found(code));
    }
    let revisions = store::catalog::revisions(&mut conn, entry.row.id).await?;
    let reviews = store::catalog::reviews(&mut conn, entry.row.id).await?;
    let fmt = |us: Option<i64>| us.map(|u| format_rfc3339_local(from_micros(u)));
    let mut out = Vec::new();
    let mut before: Option<&RevisionRow> = None;
    for r in &revisions {
        // Others see the revisions that were published.
        let shown = see_working || matches!(r.state, RevisionState::Published | RevisionState::Superseded);
        if shown {
            out.push(HistoryEntry {
                rev: r.rev,
                state: r.state,
                kind: r.kind.as_str().into(),
                note: r.note.clone(),
                reclassification: domain::catalog::rules::ReclassificationReason::parse(&r.reclassification),
                created_at: format_rfc3339_local(from_micros(r.created_at_us)),
                submitted_at: fmt(r.submitted_at_us),
                published_at: fmt(r.published_at_us),
                changes: diff(before.map(|b| &b.content), &r.content),
                reviews: reviews
                    .iter()
                    .filter(|v| v.rev == r.rev)
                    .map(|v| ReviewView {
                        rev: v.rev,
                        step: v.step,
                        decision: if v.passed { "pass".into() } else { "return".into() },
                        actor: v.actor_name.clone(),
                        reason: v.reason.clone(),
                        decided_at: format_rfc3339_local(from_micros(v.decided_at_us)),
                    })
                    .collect(),
            });
            before = Some(r);
        }
    }
    Ok(out)
}

/// What a list is narrowed by, as the API takes it.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub provider_department_id: Option<i64>,
    pub region_code: Option<String>,
    pub share_attr: Option<Attr>,
    pub open_attr: Option<Attr>,
    /// `draft`, `in_review` or `returned`: entries whose working revision is so (the actor's own, or all for the
    /// authority and the service center).
    pub working_state: Option<RevisionState>,
}

/// Entries by code. Without `working_state`, the published catalog.
pub async fn list(p: &Platform, actor: &Actor, q: &ListQuery, limit: i64, offset: i64) -> Result<(Vec<ResourceSummary>, i64)> {
    let mut conn = p.store.read().await?;
    let region_id = match &q.region_code {
        Some(code) => Some(
            store::orgs::region_by_code(&mut conn, code)
                .await?
                .ok_or_else(|| Error::not_found(format!("区划{code}不存在"), format!("Region {code} does not exist")))?
                .id,
        ),
        None => None,
    };
    let mut filter = ListFilter {
        published_only: q.working_state.is_none(),
        provider_department_id: q.provider_department_id,
        region_id,
        share_attr: q.share_attr,
        open_attr: q.open_attr,
        working_state: q.working_state,
        step: None,
    };
    if q.working_state.is_some() && !(actor.kind == ActorKind::Cli || actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator])) {
        // Others see only their own department's work in progress.
        let own = actor.department_id.ok_or_else(|| Error::forbidden("无权查看他人的目录草稿", "You may not see others' drafts"))?;
        if filter.provider_department_id.is_some_and(|d| d != own) {
            return Err(Error::forbidden("无权查看其他部门的目录草稿", "You may not see other departments' drafts"));
        }
        filter.provider_department_id = Some(own);
    }
    let (rows, total) = store::catalog::list(&mut conn, &filter, limit, offset).await?;
    Ok((summaries(p, &mut conn, rows).await?, total))
}

/// What waits for the actor's review, oldest submission first, with deadlines.
pub async fn queue(p: &Platform, actor: &Actor) -> Result<Vec<ResourceSummary>> {
    if !(actor.kind == ActorKind::Cli || actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator, Role::DeptDataOfficer])) {
        return Err(Error::forbidden("只有审核人有审核队列", "Only reviewers have a review queue"));
    }
    let mut conn = p.store.read().await?;
    let actor_dept = actor_department(&mut conn, actor).await?;
    let filter = ListFilter { working_state: Some(RevisionState::InReview), ..Default::default() };
    let (rows, _) = store::catalog::list(&mut conn, &filter, 10_000, 0).await?;
    let mut mine = Vec::new();
    for (row, working) in rows {
        let Some(step) = working.as_ref().and_then(|w| w.step) else { continue };
        let entry = entry_of(p, &mut conn, row.clone()).await?;
        if may_review(actor, actor_dept.as_ref(), step, &entry, working.as_ref().and_then(|w| w.submitted_by)) {
            mine.push((row, working));
        }
    }
    mine.sort_by_key(|(_, w)| w.as_ref().and_then(|w| w.submitted_at_us));
    summaries(p, &mut conn, mine).await
}

pub(crate) async fn summaries(p: &Platform, conn: &mut store::Conn, rows: Vec<(ResourceRow, Option<RevisionRow>)>) -> Result<Vec<ResourceSummary>> {
    let mut departments: BTreeMap<i64, String> = BTreeMap::new();
    let mut regions: BTreeMap<i64, (String, bool)> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (row, working) in rows {
        if let Slot::Vacant(slot) = departments.entry(row.provider_department_id) {
            slot.insert(store::orgs::department_by_id(conn, row.provider_department_id).await?.map(|d| d.name).unwrap_or_default());
        }
        if let Slot::Vacant(slot) = regions.entry(row.region_id) {
            let r = store::orgs::region_by_id(conn, row.region_id).await?;
            slot.insert(r.map(|r| (r.code, r.parent_id.is_some())).unwrap_or_default());
        }
        let (region_code, supplementary) = regions[&row.region_id].clone();
        let working = working.map(|w| {
            let view = revision_view(p, &w);
            WorkingSummary {
                rev: w.rev,
                state: w.state,
                kind: w.kind.as_str().into(),
                step: w.step,
                submitted_at: view.submitted_at,
                review_due: w.review_due,
                overdue: view.overdue,
                downgrade: w.downgrade,
            }
        });
        out.push(ResourceSummary {
            code: row.code,
            name: row.name,
            state: row.state,
            provider_id: row.provider_department_id,
            provider_name: departments[&row.provider_department_id].clone(),
            region_code,
            supplementary,
            catalog_kind: row.catalog_kind,
            share_attr: row.share_attr,
            open_attr: row.open_attr,
            format: row.format,
            industry: row.industry,
            security_level: row.security_level,
            update_frequency: row.update_frequency,
            published_rev: row.published_rev,
            published_at: row.published_at_us.map(|u| format_rfc3339_local(from_micros(u))),
            working,
        });
    }
    Ok(out)
}

/// An entry whose attributes are due for their periodic reassessment (SYS-25a, YZ-14d, YZ-19: 定期更新).
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Reassessment {
    pub resource: ResourceSummary,
    /// When its attributes were last decided: the day its current revision was published.
    pub assessed_on: chrono::NaiveDate,
    /// `assessed_on` plus the profile's period (`periodic_evaluation`, one year by default).
    pub due_on: chrono::NaiveDate,
}

/// Published entries whose share and open attributes are due for reassessment today: the authority sees all, a
/// department its own.
pub async fn reassessments(p: &Platform, actor: &Actor) -> Result<Vec<Reassessment>> {
    use domain::profile::Unit;
    let all = actor.kind == ActorKind::Cli || actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator]);
    let own = if all { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("无权查看", "You may not see this"))?) };
    let period = p.profile.deadline("periodic_evaluation");
    let (value, unit) = period.map(|d| (d.value, d.unit)).unwrap_or((1, Unit::Years));
    let months = match unit {
        Unit::Years => value * 12,
        Unit::Months => value,
        _ => 12,
    };
    let today = p.clock.today();
    let mut conn = p.store.read().await?;
    let filter = ListFilter { published_only: true, provider_department_id: own, ..Default::default() };
    let (rows, _) = store::catalog::list(&mut conn, &filter, 100_000, 0).await?;
    let (mut due, mut dates) = (Vec::new(), Vec::new());
    for (row, working) in rows {
        let Some(published_us) = row.published_at_us else { continue };
        let assessed_on = domain::clock::local_day(published_us);
        let due_on = assessed_on.checked_add_months(chrono::Months::new(months)).unwrap_or(assessed_on);
        if due_on <= today {
            due.push((row, working));
            dates.push((assessed_on, due_on));
        }
    }
    let mut out: Vec<Reassessment> = summaries(p, &mut conn, due)
        .await?
        .into_iter()
        .zip(dates)
        .map(|(resource, (assessed_on, due_on))| Reassessment { resource, assessed_on, due_on })
        .collect();
    out.sort_by_key(|r| r.due_on);
    Ok(out)
}
