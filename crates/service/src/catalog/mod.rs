//! The catalog's use cases. `annual_lists` takes each department's yearly lists (CS-25a); `classification`
//! is the classification and grading standard and what must be reclassified under it (SYS-11a);
//! `consultations` asks the provider's opinion on revisions others write (YZ-7c); `entries` writes entries and moves them through review; `import` reads a catalog
//! from a spreadsheet; `read` answers what an
//! actor may see; `reports` are the supervisor's reports (classification, unenforceable conditions); `objections` settles disagreements about an entry's type (FS-16); `obligations` keeps update deadlines after a change of law or duties; `open_changes` is the open
//! catalog's public change log; `projects` gates IT
//! projects on their entries; `schema` is the authority's list of required fields; `sectors` designates each sector's responsible department (LS-8a); `search` keeps the node's
//! full-text index in step and answers searches; `views` derives the share and open catalogs and the lists, and
//! exports them. This module holds what they share: loading an entry with its provider and reviewing level, and
//! who may do what to it.

pub mod annual_lists;
pub mod classification;
pub mod consultations;
pub mod entries;
pub mod import;
pub mod objections;
pub mod obligations;
pub mod open_changes;
pub mod projects;
pub mod read;
pub mod reports;
pub mod schema;
pub mod search;
pub mod sectors;
pub mod views;

use domain::catalog::entry::ResourceContent;
use domain::catalog::lifecycle::Step;
use domain::catalog::view::{ProviderRef, RegionRef, RevisionView};
use domain::clock::{format_rfc3339_local, from_micros};
use domain::orgs::{Department, Region};
use domain::roles::Role;
use store::catalog::{ResourceRow, RevisionRow};

use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// An entry with what decides who acts on it.
pub(crate) struct Entry {
    pub row: ResourceRow,
    pub provider: Department,
    pub region: Region,
    /// The region whose authority reviews it: the provider's district when it has an authority of its own (and
    /// the regime has district catalogs), else the city (SYS-12c).
    pub reviewing_region: Region,
    pub city_region: Region,
    /// The department responsible for the entry's sector, where the regime designates one (LS-8a): it keeps the
    /// sector's catalog with the provider.
    pub sector_department_id: Option<i64>,
}

impl Entry {
    /// Whether a district authority reviews it, so the city re-reviews where the regime says (SYS-12d).
    pub fn district_reviewed(&self) -> bool {
        self.reviewing_region.id != self.city_region.id
    }

    pub fn provider_ref(&self) -> ProviderRef {
        ProviderRef { id: self.provider.id, name: self.provider.name.clone(), uscc: self.provider.uscc.clone() }
    }

    pub fn region_ref(&self) -> RegionRef {
        RegionRef { code: self.region.code.clone(), name: self.region.name.clone() }
    }

    /// A district's entry belongs to that district's supplementary catalog (LS-9d).
    pub fn supplementary(&self) -> bool {
        self.region.parent_id.is_some()
    }
}

pub(crate) fn not_found(code: &str) -> Error {
    Error::not_found(format!("资源{code}不存在"), format!("Resource {code} does not exist"))
}

/// Loads an entry by code with its provider and regions.
pub(crate) async fn load(p: &Platform, conn: &mut store::Conn, code: &str) -> Result<Entry> {
    let row = store::catalog::by_code(conn, code).await?.ok_or_else(|| not_found(code))?;
    entry_of(p, conn, row).await
}

pub(crate) async fn entry_of(p: &Platform, conn: &mut store::Conn, row: ResourceRow) -> Result<Entry> {
    let provider = store::orgs::department_by_id(conn, row.provider_department_id)
        .await?
        .ok_or_else(|| Error::Internal(store::Error::Corrupt(format!("resource {} has no provider", row.code))))?;
    let region = region(conn, row.region_id).await?;
    let city_region = match region.parent_id {
        Some(parent) => self::region(conn, parent).await?,
        None => region.clone(),
    };
    let reviewing_region = if region.parent_id.is_some() && p.profile.features.district_catalogs && has_authority(conn, region.id).await? {
        region.clone()
    } else {
        city_region.clone()
    };
    let sector_department_id = if p.profile.catalog.sectors && !row.industry.trim().is_empty() {
        store::catalog::sectors::responsible(conn, row.industry.trim()).await?
    } else {
        None
    };
    Ok(Entry { row, provider, region, reviewing_region, city_region, sector_department_id })
}

pub(crate) async fn region(conn: &mut store::Conn, id: i64) -> Result<Region> {
    store::orgs::region_by_id(conn, id).await?.ok_or_else(|| Error::Internal(store::Error::Corrupt(format!("region {id} is missing"))))
}

async fn has_authority(conn: &mut store::Conn, region_id: i64) -> Result<bool> {
    Ok(store::orgs::has_authority(conn, region_id).await?)
}

/// The department an actor acts for, if any.
pub(crate) async fn actor_department(conn: &mut store::Conn, actor: &Actor) -> Result<Option<Department>> {
    match actor.department_id {
        Some(id) => Ok(store::orgs::department_by_id(conn, id).await?),
        None => Ok(None),
    }
}

/// May the actor write the provider's entries? Its data officers, and the authority (which also keeps entries
/// for departments that cannot).
pub(crate) fn may_edit(actor: &Actor, provider_id: i64) -> bool {
    actor.kind == ActorKind::Cli
        || actor.has(Role::AuthorityAdmin)
        || (actor.has(Role::DeptDataOfficer) && actor.department_id == Some(provider_id))
}

/// May the actor, acting for `actor_dept`, write entries of `region`? A district's authority keeps its own
/// district's catalog only (FS-12c); the city's authority, any.
pub(crate) fn authority_covers(actor_dept: Option<&Department>, region: &Region, city_region_id: i64) -> bool {
    match actor_dept {
        None => true,
        Some(d) => d.region_id == city_region_id || d.region_id == region.id,
    }
}

pub(crate) async fn require_edit(conn: &mut store::Conn, actor: &Actor, entry: &Entry) -> Result<()> {
    // Only an authority's reach depends on where it sits.
    let dept = if actor.has(Role::AuthorityAdmin) { actor_department(conn, actor).await? } else { None };
    match edit_refusal(actor, dept.as_ref(), entry) {
        None => Ok(()),
        Some(e) => Err(e),
    }
}

/// Why the actor, acting for `actor_dept`, may not write the entry; `None` when it may.
pub(crate) fn edit_refusal(actor: &Actor, actor_dept: Option<&Department>, entry: &Entry) -> Option<Error> {
    let officer_of_provider = actor.has(Role::DeptDataOfficer) && actor.department_id == Some(entry.provider.id);
    if actor.has(Role::AuthorityAdmin)
        && !officer_of_provider
        && actor.kind != ActorKind::Cli
        && !authority_covers(actor_dept, &entry.region, entry.city_region.id)
    {
        return Some(Error::forbidden(
            format!("资源{}属于{}的目录，须由该地区或市级数据主管部门维护", entry.row.code, entry.region.name),
            format!("Resource {} belongs to the catalog of {}: its own or the city's authority keeps it", entry.row.code, entry.region.name),
        ));
    }
    let sector_keeper = actor.has(Role::DeptDataOfficer) && entry.sector_department_id.is_some() && actor.department_id == entry.sector_department_id;
    if may_edit(actor, entry.provider.id) || sector_keeper {
        None
    } else {
        Some(Error::forbidden(
            format!("只有{}的数据专员可以编辑其目录", entry.provider.name),
            format!("Only the data officers of {} can edit its catalog", entry.provider.name),
        ))
    }
}

/// May the actor see an entry's working revision? Its provider, the service center and the authority.
pub(crate) fn may_see_working(actor: &Actor, provider_id: i64) -> bool {
    actor.kind == ActorKind::Cli
        || actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator])
        || (actor.department_id == Some(provider_id) && actor.kind == ActorKind::User)
}

/// May the actor take this review step on the entry? The service center checks; the authority of the reviewing
/// region reviews; the city authority re-reviews. An authority administrator with no department acts for the
/// city. The department's own review is taken by one of its data officers other than the one who submitted it
/// (FS-17b).
pub(crate) fn may_review(actor: &Actor, actor_dept: Option<&Department>, step: Step, entry: &Entry, submitted_by: Option<i64>) -> bool {
    if actor.kind == ActorKind::Cli {
        return true;
    }
    let region_of_actor = actor_dept.map(|d| d.region_id).unwrap_or(entry.city_region.id);
    match step {
        Step::DepartmentReview => {
            actor.has(Role::DeptDataOfficer) && actor.department_id == Some(entry.provider.id) && actor.user_id.is_some() && actor.user_id != submitted_by
        }
        Step::ServiceCheck => actor.has(Role::ServiceOperator),
        Step::AuthorityReview => actor.has(Role::AuthorityAdmin) && region_of_actor == entry.reviewing_region.id,
        Step::CityReview => actor.has(Role::AuthorityAdmin) && region_of_actor == entry.city_region.id,
    }
}

pub(crate) fn require_review(actor: &Actor, actor_dept: Option<&Department>, step: Step, entry: &Entry, submitted_by: Option<i64>) -> Result<()> {
    if may_review(actor, actor_dept, step, entry, submitted_by) {
        return Ok(());
    }
    let who = match step {
        Step::DepartmentReview => format!("{}提交人以外的数据专员", entry.provider.name),
        Step::ServiceCheck => "数据服务机构".to_string(),
        Step::AuthorityReview => format!("{}的数据主管部门", entry.reviewing_region.name),
        Step::CityReview => format!("{}的数据主管部门", entry.city_region.name),
    };
    Err(Error::forbidden(
        format!("资源{}正待“{}”，须由{who}办理", entry.row.code, step.label()),
        format!("Resource {} waits for the {}, which {} takes", entry.row.code, step.label_en(), who_en(step, entry)),
    ))
}

fn who_en(step: Step, entry: &Entry) -> String {
    match step {
        Step::DepartmentReview => format!("a data officer of {} other than its submitter", entry.provider.name),
        Step::ServiceCheck => "the data service center".into(),
        Step::AuthorityReview => format!("the data authority of {}", entry.reviewing_region.name),
        Step::CityReview => format!("the data authority of {}", entry.city_region.name),
    }
}

/// A revision as shown, with its review deadline judged against today.
pub(crate) fn revision_view(p: &Platform, r: &RevisionRow) -> RevisionView {
    let fmt = |us: Option<i64>| us.map(|u| format_rfc3339_local(from_micros(u)));
    let in_review = r.state == domain::catalog::lifecycle::RevisionState::InReview;
    RevisionView {
        rev: r.rev,
        state: r.state,
        kind: r.kind.as_str().into(),
        step: r.step,
        effective_share_attr: r.content.effective_share_attr(),
        content: r.content.clone(),
        note: r.note.clone(),
        downgrade: r.downgrade,
        reclassification: domain::catalog::rules::ReclassificationReason::parse(&r.reclassification),
        updated_at: format_rfc3339_local(from_micros(r.updated_at_us)),
        submitted_at: fmt(r.submitted_at_us),
        published_at: fmt(r.published_at_us),
        review_due: r.review_due,
        due_provisional: r.due_provisional,
        overdue: in_review && r.review_due.is_some_and(|due| p.clock.today() > due),
    }
}

/// The facets of content a published entry's row keeps.
pub(crate) fn facets<'a>(p: &Platform, c: &'a ResourceContent) -> store::catalog::Facets<'a> {
    store::catalog::Facets {
        name: &c.name,
        catalog_kind: c.catalog_kind.as_str(),
        share_attr: Some(c.effective_share_attr()),
        open_attr: Some(c.effective_open_attr(p.profile.features.open_attr)),
        format: c.format.map(|f| f.as_str()),
        industry: &c.industry,
        security_level: c.security_level.map(|l| l.as_str()),
        update_frequency: c.update_frequency.map(|f| f.as_str()),
    }
}
