//! Writing entries and moving them through review. Each use case runs in one transaction with its audit event,
//! and bumps the catalog's change counter so search indexes on every node catch up.
//!
//! The path of a revision: a draft (created, or started from the published content) is edited and submitted;
//! it then passes the regime's review steps (`ReviewFlow`), each of which may return it with reasons; passing the
//! last publishes it, replacing the published revision. A change of attributes only takes a shorter road: an
//! upgrade is published at once, a downgrade waits for the same-level authority (SYS-26, SYS-37b).

use domain::catalog::attrs::Change;
use domain::catalog::entry::ResourceContent;
use domain::catalog::lifecycle::{require, ResourceState, RevisionState, Step};
use domain::catalog::rules::{check_attribute_change, check_complete, check_reclassification, check_shape, ReclassificationReason};
use domain::catalog::view::ResourceView;
use domain::catalog::ResourceCode;
use domain::profile::{keys, UpdateFulfilledBy};
use domain::roles::Role;
use store::catalog::{NewResource, NewRevision, ReviewRow, RevisionKind};

use super::{actor_department, facets, load, may_edit, require_edit, require_review, Entry};
use crate::{Actor, Error, Platform, Result};

/// A new entry.
pub struct NewEntry {
    /// The provider; a data officer's own department when absent.
    pub provider_department_id: Option<i64>,
    /// An existing code to keep (an imported catalog); assigned when absent.
    pub code: Option<String>,
    pub content: ResourceContent,
    pub note: String,
}

/// Creates a draft entry.
pub async fn create(p: &Platform, actor: &Actor, input: NewEntry) -> Result<ResourceView> {
    let code = create_unsynced(p, actor, input).await?;
    synced_view(p, actor, &code).await
}

/// After a committed change: the search index catches up, and the caller sees the entry as it now is.
async fn synced_view(p: &Platform, actor: &Actor, code: &str) -> Result<ResourceView> {
    super::search::after_change(p).await;
    super::read::get(p, actor, code).await
}

/// Creates a draft entry and answers its code, leaving the search index behind: bulk work syncs it once at the
/// end.
pub(crate) async fn create_unsynced(p: &Platform, actor: &Actor, input: NewEntry) -> Result<String> {
    let mut tx = p.store.begin().await?;
    let code = create_in(p, &mut tx, actor, input).await?;
    tx.commit().await?;
    Ok(code)
}

/// Creates a draft entry inside the caller's transaction (an import creates a whole file in one).
pub(crate) async fn create_in(p: &Platform, tx: &mut store::Tx, actor: &Actor, input: NewEntry) -> Result<String> {
    let provider_id = input.provider_department_id.or(actor.department_id).ok_or_else(|| {
        Error::invalid("provider_required", "请指定提供部门（provider_department_id）", "Name the providing department (provider_department_id)")
    })?;
    if !may_edit(actor, provider_id) {
        return Err(Error::forbidden("只能为本部门编制目录", "You can only catalog your own department's data"));
    }
    check_shape(&input.content)?;
    let now = p.now_us();
    let provider = store::orgs::department_by_id(tx, provider_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("部门{provider_id}不存在"), format!("Department {provider_id} does not exist")))?;
    let region = super::region(tx, provider.region_id).await?;
    if actor.has(Role::AuthorityAdmin) && actor.department_id != Some(provider.id) && actor.kind != crate::actor::ActorKind::Cli {
        let dept = actor_department(tx, actor).await?;
        let city = region.parent_id.unwrap_or(region.id);
        if !super::authority_covers(dept.as_ref(), &region, city) {
            return Err(Error::forbidden(
                format!("{}属于{}，须由该地区或市级数据主管部门代为编目", provider.name, region.name),
                format!("{} is in {}: its own or the city's authority catalogs for it", provider.name, region.name),
            ));
        }
    }
    let code = match &input.code {
        Some(c) => ResourceCode::parse(c)?,
        None => ResourceCode::assign(&region.code, provider.id, store::catalog::next_code_number(tx, provider.id).await?),
    };
    let seq = store::catalog::next_change_seq(tx).await?;
    let new = NewResource {
        code: code.as_str(),
        provider_department_id: provider.id,
        region_id: region.id,
        name: input.content.name.trim(),
        catalog_kind: input.content.catalog_kind.as_str(),
    };
    let id = store::catalog::insert_resource(tx, &new, seq, now).await.map_err(|e| {
        Error::from_store_conflict(e, format!("资源代码{code}已被使用"), format!("Resource code {code} is taken"))
    })?;
    let revision = NewRevision {
        resource_id: id,
        rev: 1,
        kind: RevisionKind::Edit,
        content: &input.content,
        note: input.note.trim(),
        evidence: "",
        downgrade: false,
        created_by: actor.user_id,
        reclassification: "",
    };
    store::catalog::insert_revision(tx, &revision, now).await?;
    super::consultations::open_if_needed(p, tx, actor, id, provider.id, 1).await?;
    let mut event = actor.event("resource.create", "resource", code.as_str());
    event.detail = format!("{} · {}", input.content.name.trim(), provider.name);
    store::audit::append(tx, &event, now).await?;
    Ok(code.as_str().to_string())
}

/// Saves new content: into the working draft, or into a new revision started from the published one.
/// `reclassification` says why it classifies or grades the data differently, where it does (SYS-11e).
pub async fn update(
    p: &Platform,
    actor: &Actor,
    code: &str,
    content: ResourceContent,
    note: &str,
    reclassification: Option<ReclassificationReason>,
) -> Result<ResourceView> {
    let reason = reclassification.map(|r| r.as_str()).unwrap_or_default();
    check_shape(&content)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let entry = load(p, &mut tx, code).await?;
    require_edit(&mut tx, actor, &entry).await?;
    refuse_obsolete(&entry)?;
    let published = published_content(&mut tx, &entry).await?;
    let downgrade = published.as_ref().is_some_and(|old| {
        check_attribute_change(old, &content, p.profile.features.open_attr, "").map(|c| c.needs_review()).unwrap_or(false)
    });
    let rev = match entry.row.working_rev {
        Some(rev) => {
            let working = working(&mut tx, &entry, rev).await?;
            require(working.state, &[RevisionState::Draft, RevisionState::Returned], "修改", "edited")?;
            store::catalog::update_content(&mut tx, entry.row.id, rev, &content, note.trim(), reason, downgrade, now).await?;
            rev
        }
        None => {
            let rev = store::catalog::last_rev(&mut tx, entry.row.id).await? + 1;
            let revision = NewRevision {
                resource_id: entry.row.id,
                rev,
                kind: RevisionKind::Edit,
                content: &content,
                note: note.trim(),
                evidence: "",
                downgrade,
                created_by: actor.user_id,
                reclassification: reason,
            };
            store::catalog::insert_revision(&mut tx, &revision, now).await?;
            rev
        }
    };
    let seq = store::catalog::next_change_seq(&mut tx).await?;
    let name = (entry.row.state != ResourceState::Published).then_some(content.name.trim());
    store::catalog::set_working(&mut tx, entry.row.id, Some(rev), name, seq, now).await?;
    super::consultations::open_if_needed(p, &mut tx, actor, entry.row.id, entry.provider.id, rev).await?;
    let mut event = actor.event("resource.update", "resource", code);
    event.detail = format!("revision {rev}");
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    synced_view(p, actor, code).await
}

/// Submits the working revision for review, once it meets the regime's rules.
pub async fn submit(p: &Platform, actor: &Actor, code: &str) -> Result<ResourceView> {
    submit_unsynced(p, actor, code).await?;
    synced_view(p, actor, code).await
}

/// Submits without bringing the search index up to date, for bulk work.
pub(crate) async fn submit_unsynced(p: &Platform, actor: &Actor, code: &str) -> Result<()> {
    let norms = Norms::read(p).await?;
    let mut tx = p.store.begin().await?;
    submit_in(p, &mut tx, actor, code, &norms).await?;
    tx.commit().await?;
    Ok(())
}

/// What a submission is checked against: the compilation norm and the classification standard in force.
pub(crate) struct Norms {
    pub schema: super::schema::Schema,
    pub scheme: domain::catalog::scheme::ClassificationScheme,
}

impl Norms {
    pub(crate) async fn read(p: &Platform) -> Result<Norms> {
        Ok(Norms { schema: super::schema::schema(p).await?, scheme: super::classification::scheme(p).await? })
    }
}

/// Submits inside the caller's transaction.
pub(crate) async fn submit_in(p: &Platform, tx: &mut store::Tx, actor: &Actor, code: &str, norms: &Norms) -> Result<()> {
    let now = p.now_us();
    let entry = load(p, tx, code).await?;
    require_edit(tx, actor, &entry).await?;
    refuse_obsolete(&entry)?;
    let rev = entry.row.working_rev.ok_or_else(|| {
        Error::invalid("nothing_to_submit", "没有待提交的修订：请先修改目录", "There is no revision to submit: edit the entry first")
    })?;
    let working = working(tx, &entry, rev).await?;
    require(working.state, &[RevisionState::Draft, RevisionState::Returned], "提交", "submitted")?;
    check_complete(&working.content, &p.profile.catalog_rules(Some(norms.schema.required.clone())))?;
    super::classification::check(&norms.scheme, &working.content)?;
    crate::sharing::onward::check(p, tx, code, entry.provider.id, &working.content).await?;
    if p.profile.catalog.reclassification_reason {
        if let Some(published) = published_content(tx, &entry).await? {
            check_reclassification(&published, &working.content, ReclassificationReason::parse(&working.reclassification))?;
        }
    }
    // A change of attributes only goes to the same-level authority (SYS-26); an edit takes the whole flow.
    let first = match working.kind {
        RevisionKind::AttributeChange => Step::AuthorityReview,
        RevisionKind::Edit => p.profile.review_flow().steps(entry.district_reviewed())[0],
    };
    let due = review_due(p);
    store::catalog::submit(tx, entry.row.id, rev, first, due, actor.user_id, now).await?;
    let seq = store::catalog::next_change_seq(tx).await?;
    store::catalog::set_working(tx, entry.row.id, Some(rev), None, seq, now).await?;
    let mut event = actor.event("resource.submit", "resource", code);
    event.detail = format!("revision {rev} → {} (norm v{})", first.as_str(), norms.schema.version);
    store::audit::append(tx, &event, now).await?;
    if p.profile.catalog.update_fulfilled_by == UpdateFulfilledBy::Submission {
        super::obligations::fulfil(p, tx, actor, &entry, rev).await?;
    }
    Ok(())
}

/// The review deadline of a revision submitted today, where the regime sets one (SYS-13b).
fn review_due(p: &Platform) -> Option<(chrono::NaiveDate, bool)> {
    p.profile.due(&p.calendar(), keys::CATALOG_REVIEW, p.clock.today()).map(|d| (d.due, d.provisional))
}

/// Passes the step the working revision waits for; passing the last one publishes it.
pub async fn pass(p: &Platform, actor: &Actor, code: &str, comment: &str) -> Result<ResourceView> {
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let entry = load(p, &mut tx, code).await?;
    let (revision, step) = in_review(&mut tx, &entry).await?;
    let rev = revision.rev;
    let actor_dept = actor_department(&mut tx, actor).await?;
    require_review(actor, actor_dept.as_ref(), step, &entry, revision.submitted_by)?;
    record_review(&mut tx, &entry, rev, step, true, actor, comment, now).await?;
    // An attribute change has one step: the same-level authority.
    let next = match revision.kind {
        RevisionKind::AttributeChange => None,
        RevisionKind::Edit => p.profile.review_flow().after(entry.district_reviewed(), step),
    };
    match next {
        Some(next) => {
            store::catalog::advance(&mut tx, entry.row.id, rev, next, now).await?;
            let seq = store::catalog::next_change_seq(&mut tx).await?;
            store::catalog::set_working(&mut tx, entry.row.id, Some(rev), None, seq, now).await?;
            let mut event = actor.event("resource.review.pass", "resource", code);
            event.detail = format!("revision {rev}: {} → {}", step.as_str(), next.as_str());
            event.purpose = comment.trim().into();
            store::audit::append(&mut tx, &event, now).await?;
        }
        None => {
            super::consultations::require_answered(&mut tx, &entry, rev).await?;
            let mut event = actor.event("resource.review.pass", "resource", code);
            event.detail = format!("revision {rev}: {} → published", step.as_str());
            event.purpose = comment.trim().into();
            store::audit::append(&mut tx, &event, now).await?;
            publish(p, &mut tx, actor, &entry, rev, &revision.content).await?;
        }
    }
    tx.commit().await?;
    synced_view(p, actor, code).await
}

/// Returns the working revision to its provider; the reasons are required (LS-9b).
pub async fn return_to_provider(p: &Platform, actor: &Actor, code: &str, reason: &str) -> Result<ResourceView> {
    let reason = required_reason(reason, "退回理由", "a reason for returning it")?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let entry = load(p, &mut tx, code).await?;
    let (revision, step) = in_review(&mut tx, &entry).await?;
    let rev = revision.rev;
    let actor_dept = actor_department(&mut tx, actor).await?;
    require_review(actor, actor_dept.as_ref(), step, &entry, revision.submitted_by)?;
    record_review(&mut tx, &entry, rev, step, false, actor, &reason, now).await?;
    store::catalog::return_revision(&mut tx, entry.row.id, rev, now).await?;
    let seq = store::catalog::next_change_seq(&mut tx).await?;
    store::catalog::set_working(&mut tx, entry.row.id, Some(rev), None, seq, now).await?;
    let mut event = actor.event("resource.review.return", "resource", code);
    event.detail = format!("revision {rev} at {}", step.as_str());
    event.purpose = reason;
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    synced_view(p, actor, code).await
}

/// The attributes of a published entry, changed on their own.
pub struct AttributeInput {
    pub sharing: domain::catalog::entry::Sharing,
    pub opening: domain::catalog::entry::Opening,
    /// Evidence of declassification, desensitization or consent, to raise data out of 不予共享 or 不予开放.
    pub evidence: String,
    pub note: String,
}

/// Changes the attributes of a published entry. An upgrade is published at once; a downgrade waits for the
/// same-level authority and the published attributes stay in force meanwhile (SYS-26, SYS-37b).
pub async fn change_attributes(p: &Platform, actor: &Actor, code: &str, input: AttributeInput) -> Result<ResourceView> {
    let now = p.now_us();
    let required = super::schema::required_fields(p).await?;
    let mut tx = p.store.begin().await?;
    let entry = load(p, &mut tx, code).await?;
    require_edit(&mut tx, actor, &entry).await?;
    refuse_obsolete(&entry)?;
    let published = published_content(&mut tx, &entry).await?.ok_or_else(|| {
        Error::invalid("not_published", "资源尚未发布：请修改草稿后提交审核", "The entry is not published yet: edit its draft and submit it")
    })?;
    if entry.row.working_rev.is_some() {
        return Err(Error::invalid(
            "revision_pending",
            "该资源已有未完成的修订，请先完成或撤销后再变更属性",
            "The entry has a revision in progress: finish it before changing attributes",
        ));
    }
    let mut proposed = published.clone();
    proposed.sharing = input.sharing;
    proposed.opening = input.opening;
    let change = check_attribute_change(&published, &proposed, p.profile.features.open_attr, &input.evidence)?;
    if change.share == Change::Same && change.open == Change::Same && proposed == published {
        return Err(Error::invalid("no_change", "属性没有变化", "The attributes are unchanged"));
    }
    check_complete(&proposed, &p.profile.catalog_rules(Some(required)))?;
    let rev = store::catalog::last_rev(&mut tx, entry.row.id).await? + 1;
    let revision = NewRevision {
        resource_id: entry.row.id,
        rev,
        kind: RevisionKind::AttributeChange,
        content: &proposed,
        note: input.note.trim(),
        evidence: input.evidence.trim(),
        downgrade: change.needs_review(),
        created_by: actor.user_id,
        reclassification: "",
    };
    store::catalog::insert_revision(&mut tx, &revision, now).await?;
    let mut event = actor.event("resource.attributes", "resource", code);
    event.detail = format!("revision {rev}: share {:?}, open {:?}", change.share, change.open);
    event.purpose = input.evidence.trim().into();
    store::audit::append(&mut tx, &event, now).await?;
    if change.needs_review() {
        store::catalog::submit(&mut tx, entry.row.id, rev, Step::AuthorityReview, review_due(p), actor.user_id, now).await?;
        let seq = store::catalog::next_change_seq(&mut tx).await?;
        store::catalog::set_working(&mut tx, entry.row.id, Some(rev), None, seq, now).await?;
    } else {
        publish(p, &mut tx, actor, &entry, rev, &proposed).await?;
    }
    tx.commit().await?;
    synced_view(p, actor, code).await
}

/// Publishes `proposed` at once as an attribute change decided outside review (an objection the parties settled,
/// FS-16), inside the caller's transaction; answers the new revision. The entry must have no revision in progress.
pub(crate) async fn apply_decided_attributes(p: &Platform, tx: &mut store::Tx, actor: &Actor, entry: &Entry, proposed: &ResourceContent, evidence: &str) -> Result<i64> {
    if entry.row.working_rev.is_some() {
        return Err(Error::invalid(
            "revision_pending",
            "该资源有未完成的修订，须由提供部门先完成或撤销，协商结果才能生效",
            "The entry has a revision in progress: its provider finishes it first, then the settled type applies",
        ));
    }
    let now = p.now_us();
    let rev = store::catalog::last_rev(tx, entry.row.id).await? + 1;
    let revision = NewRevision {
        resource_id: entry.row.id,
        rev,
        kind: RevisionKind::AttributeChange,
        content: proposed,
        note: evidence,
        evidence,
        downgrade: false,
        created_by: actor.user_id,
        reclassification: "",
    };
    store::catalog::insert_revision(tx, &revision, now).await?;
    let mut event = actor.event("resource.attributes", "resource", &entry.row.code);
    event.detail = format!("revision {rev}");
    event.purpose = evidence.into();
    store::audit::append(tx, &event, now).await?;
    publish(p, tx, actor, entry, rev, proposed).await?;
    Ok(rev)
}

/// Takes a published entry out of the catalog; a new revision can publish it again. The reason is required
/// (FS-17a).
pub async fn withdraw(p: &Platform, actor: &Actor, code: &str, reason: &str) -> Result<ResourceView> {
    end(p, actor, code, reason, ResourceState::Withdrawn).await
}

/// Marks an entry obsolete (作废): kept for the record, never published again. Only the authority.
pub async fn make_obsolete(p: &Platform, actor: &Actor, code: &str, reason: &str) -> Result<ResourceView> {
    crate::orgs::require_authority(actor)?;
    end(p, actor, code, reason, ResourceState::Obsolete).await
}

async fn end(p: &Platform, actor: &Actor, code: &str, reason: &str, state: ResourceState) -> Result<ResourceView> {
    let reason = required_reason(reason, "理由", "a reason")?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let entry = load(p, &mut tx, code).await?;
    require_edit(&mut tx, actor, &entry).await?;
    refuse_obsolete(&entry)?;
    if state == ResourceState::Withdrawn && entry.row.state != ResourceState::Published {
        return Err(Error::invalid("not_published", "只能撤回已发布的资源", "Only a published entry can be withdrawn"));
    }
    let published = published_content(&mut tx, &entry).await?;
    super::open_changes::record(p, &mut tx, &entry, published.as_ref(), None).await?;
    let seq = store::catalog::next_change_seq(&mut tx).await?;
    store::catalog::set_state(&mut tx, entry.row.id, state, seq, now).await?;
    let action = if state == ResourceState::Withdrawn { "resource.withdraw" } else { "resource.obsolete" };
    let mut event = actor.event(action, "resource", code);
    event.purpose = reason;
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    synced_view(p, actor, code).await
}

/// Publishes revision `rev`, whose content the caller has already read or written, inside the caller's
/// transaction.
async fn publish(p: &Platform, tx: &mut store::Tx, actor: &Actor, entry: &Entry, rev: i64, content: &ResourceContent) -> Result<()> {
    // Every way to publish (a reviewed revision, an attribute upgrade, a decided objection) passes here.
    crate::sharing::onward::check(p, tx, &entry.row.code, entry.provider.id, content).await?;
    let now = p.now_us();
    let before = published_content(tx, entry).await?;
    super::open_changes::record(p, tx, entry, before.as_ref(), Some((content, rev))).await?;
    let seq = store::catalog::next_change_seq(tx).await?;
    store::catalog::publish(tx, entry.row.id, rev, &facets(p, content), seq, now).await?;
    let mut event = actor.event("resource.publish", "resource", &entry.row.code);
    event.detail = format!("revision {rev}");
    store::audit::append(tx, &event, now).await?;
    if p.profile.catalog.update_fulfilled_by == UpdateFulfilledBy::Publication {
        super::obligations::fulfil(p, tx, actor, entry, rev).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn record_review(tx: &mut store::Tx, entry: &Entry, rev: i64, step: Step, passed: bool, actor: &Actor, reason: &str, now: i64) -> Result<()> {
    let review = ReviewRow {
        rev,
        step,
        passed,
        actor_user_id: actor.user_id,
        actor_name: actor.name.clone(),
        reason: reason.trim().to_string(),
        decided_at_us: now,
    };
    Ok(store::catalog::insert_review(tx, entry.row.id, &review).await?)
}

/// The working revision in review, with the step it waits for.
async fn in_review(tx: &mut store::Tx, entry: &Entry) -> Result<(store::catalog::RevisionRow, Step)> {
    let not_in_review = || Error::invalid("not_in_review", "该资源没有待审核的修订", "The entry has no revision in review");
    let rev = entry.row.working_rev.ok_or_else(not_in_review)?;
    let working = working(tx, entry, rev).await?;
    match (working.state, working.step) {
        (RevisionState::InReview, Some(step)) => Ok((working, step)),
        _ => Err(not_in_review()),
    }
}

async fn working(conn: &mut store::Conn, entry: &Entry, rev: i64) -> Result<store::catalog::RevisionRow> {
    store::catalog::revision_of(conn, entry.row.id, rev)
        .await?
        .ok_or_else(|| Error::Internal(store::Error::Corrupt(format!("revision {rev} of {} is missing", entry.row.code))))
}

pub(crate) async fn published_content(conn: &mut store::Conn, entry: &Entry) -> Result<Option<ResourceContent>> {
    match entry.row.published_rev {
        Some(rev) => Ok(Some(working(conn, entry, rev).await?.content)),
        None => Ok(None),
    }
}

fn refuse_obsolete(entry: &Entry) -> Result<()> {
    if entry.row.state == ResourceState::Obsolete {
        Err(Error::invalid("obsolete", format!("资源{}已废止，不能再修改", entry.row.code), format!("Resource {} is obsolete and cannot change", entry.row.code)))
    } else {
        Ok(())
    }
}

fn required_reason(reason: &str, zh: &str, en: &str) -> Result<String> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 1000 {
        return Err(Error::invalid("reason_required", format!("请填写{zh}（1至1000个字符）"), format!("Give {en} (1 to 1000 characters)")));
    }
    Ok(r.to_string())
}
