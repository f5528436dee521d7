//! The supervisor's reports on the catalog: how far each department has classified and graded its entries
//! (SYS-11b), the share conditions the platform cannot enforce by itself (FS-14f), and how each department keeps
//! its catalog — complete, conforming, opened, updated on time (SYS-36e, SYS-69b).

use std::collections::BTreeMap;

use domain::catalog::attrs::{Attr, ShareCondition};
use domain::catalog::lifecycle::ResourceState;
use schemars::JsonSchema;
use serde::Serialize;

use crate::{Actor, Error, Platform, Result};

fn require_supervisor(actor: &Actor) -> Result<()> {
    if actor.oversees() {
        Ok(())
    } else {
        Err(Error::forbidden("无权查看目录监督报告", "You may not see the catalog's supervision reports"))
    }
}

/// How far a department has classified and graded its entries (SYS-11b: the city supervises classification).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ClassificationRow {
    pub region_code: String,
    pub region_name: String,
    pub department_id: i64,
    pub department_name: String,
    /// Entries, published or not (obsolete ones left out).
    pub entries: i64,
    /// Of those, how many state both a classification (分类) and a security level (分级).
    pub classified: i64,
    pub percent: f64,
}

/// Every department with entries, and how many of them are classified and graded, by region.
pub async fn classification_report(p: &Platform, actor: &Actor) -> Result<Vec<ClassificationRow>> {
    require_supervisor(actor)?;
    let mut conn = p.store.read().await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    let regions = store::orgs::list_regions(&mut conn).await?;
    let mut counts: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for (row, published, working) in rows {
        if row.state == ResourceState::Obsolete {
            continue;
        }
        // What the department has stated most recently.
        let content = working.or(published);
        let classified = content.is_some_and(|c| !c.classification.trim().is_empty() && c.security_level.is_some());
        let slot = counts.entry(row.provider_department_id).or_default();
        slot.0 += 1;
        slot.1 += classified as i64;
    }
    let mut out: Vec<ClassificationRow> = counts
        .into_iter()
        .filter_map(|(dept_id, (entries, classified))| {
            let d = departments.iter().find(|d| d.id == dept_id)?;
            let r = regions.iter().find(|r| r.id == d.region_id)?;
            Some(ClassificationRow {
                region_code: r.code.clone(),
                region_name: r.name.clone(),
                department_id: d.id,
                department_name: d.name.clone(),
                entries,
                classified,
                percent: (classified as f64 * 1000.0 / entries as f64).round() / 10.0,
            })
        })
        .collect();
    out.sort_by(|a, b| a.region_code.cmp(&b.region_code).then(a.department_id.cmp(&b.department_id)));
    Ok(out)
}

/// A published entry whose share conditions include one the platform cannot enforce (FS-14f: 共享条件包括但不限于,
/// so `other` conditions are enforced by the provider's people, and supervised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ManualCondition {
    pub code: String,
    pub name: String,
    pub department_id: i64,
    pub department_name: String,
    /// The conditions in words, as the provider stated them.
    pub descriptions: Vec<String>,
    /// Every condition of the entry is manual: the platform enforces none of them.
    pub only_manual: bool,
}

/// Published entries shared on conditions the platform does not enforce, by department.
pub async fn manual_conditions(p: &Platform, actor: &Actor) -> Result<Vec<ManualCondition>> {
    require_supervisor(actor)?;
    let mut conn = p.store.read().await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    drop(conn);
    let mut out: Vec<ManualCondition> = rows
        .into_iter()
        .filter_map(|(row, published, _)| {
            let content = published.filter(|_| row.state == ResourceState::Published)?;
            let conditions = &content.sharing.conditions;
            let descriptions: Vec<String> = conditions
                .iter()
                .filter_map(|c| match c {
                    ShareCondition::Other { description } => Some(description.clone()),
                    _ => None,
                })
                .collect();
            if descriptions.is_empty() {
                return None;
            }
            let department = departments.iter().find(|d| d.id == row.provider_department_id)?;
            Some(ManualCondition {
                code: row.code,
                name: content.name,
                department_id: department.id,
                department_name: department.name.clone(),
                only_manual: conditions.iter().all(|c| !c.machine_enforced()),
                descriptions,
            })
        })
        .collect();
    out.sort_by(|a, b| a.department_id.cmp(&b.department_id).then(a.code.cmp(&b.code)));
    Ok(out)
}

/// How a department keeps its catalog, in the dimensions the authority evaluates (SYS-36e: 目录编制、质量管理、
/// 目录开放、目录更新; SYS-69b: 完整、规范、及时).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DepartmentCatalogMetrics {
    pub region_code: String,
    pub department_id: i64,
    pub department_name: String,
    /// Published entries.
    pub entries: i64,
    /// Of the fields the norm in force requires, the share its published entries fill, in percent.
    pub completeness_percent: f64,
    /// The share of its published entries the classification standard in force admits (规范), in percent.
    pub conforming_percent: f64,
    /// Published entries in the open catalog.
    pub open_entries: i64,
    /// Update obligations that fell due or were fulfilled, and of those the ones fulfilled by their due day.
    pub updates_due: i64,
    pub updates_on_time: i64,
    /// `updates_on_time / updates_due` in percent; none while nothing fell due.
    pub timeliness_percent: Option<f64>,
    /// The pass rate of its delivered data against its items; none until data is delivered (aggregation).
    pub quality_pass_percent: Option<f64>,
    /// Its published entries by the share attribute in effect (CS-21a, YZ-13, LS-16a: sharing is the rule, not
    /// sharing the exception, and the exception is watched).
    pub unconditional_entries: i64,
    pub conditional_entries: i64,
    pub not_shared_entries: i64,
    /// `conditional_entries` and `not_shared_entries` as a share of `entries`, in percent (0 without entries).
    pub conditional_percent: f64,
    pub not_shared_percent: f64,
    /// The codes of its published entries that are not shared, for the authority to look at each.
    pub not_shared_codes: Vec<String>,
}

/// What the department report counts of one department's published entries.
#[derive(Default)]
struct Tally {
    entries: i64,
    /// Of the required fields, the share each entry fills, summed.
    filled: f64,
    conforming: i64,
    open: i64,
    unconditional: i64,
    conditional: i64,
    not_shared: Vec<String>,
}

/// `part` of `whole` in percent to one decimal; 100 of nothing (nothing is missing).
pub(crate) fn percent(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        100.0
    } else {
        (part * 1000.0 / whole).round() / 10.0
    }
}

/// Every department with published entries or update obligations, by region.
pub async fn department_metrics(p: &Platform, actor: &Actor) -> Result<Vec<DepartmentCatalogMetrics>> {
    require_supervisor(actor)?;
    let norms = crate::catalog::entries::Norms::read(p).await?;
    let rules = p.profile.catalog_rules(Some(norms.schema.required.clone()));
    let required: Vec<&str> = norms.schema.required.iter().map(|f| f.as_str()).collect();
    let open_attr = p.profile.features.open_attr;
    let today = p.clock.today();
    let mut conn = p.store.read().await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    let obligations = store::catalog::obligations::list(&mut conn, None, false).await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    let regions = store::orgs::list_regions(&mut conn).await?;
    drop(conn);
    let mut tally: BTreeMap<i64, Tally> = BTreeMap::new();
    for (row, published, _) in rows {
        let (ResourceState::Published, Some(content)) = (row.state, published) else { continue };
        let missing = match domain::catalog::rules::check_complete(&content, &rules) {
            Ok(()) => 0,
            Err(e) => e.fields.iter().filter(|f| required.contains(&f.field.as_str())).count(),
        };
        let slot = tally.entry(row.provider_department_id).or_default();
        slot.entries += 1;
        slot.filled += if required.is_empty() { 1.0 } else { 1.0 - missing as f64 / required.len() as f64 };
        slot.conforming += norms.scheme.issues(&content).is_empty() as i64;
        slot.open += content.is_open(open_attr) as i64;
        match content.effective_share_attr() {
            Attr::Unconditional => slot.unconditional += 1,
            Attr::Conditional => slot.conditional += 1,
            Attr::None => slot.not_shared.push(row.code.clone()),
        }
    }
    let mut updates: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for o in &obligations {
        let fell_due = o.fulfilled_on.is_some() || o.due_on.is_some_and(|d| d < today);
        if !fell_due {
            continue;
        }
        let slot = updates.entry(o.department_id).or_default();
        slot.0 += 1;
        slot.1 += matches!((o.fulfilled_on, o.due_on), (Some(done), Some(due)) if done <= due) as i64;
    }
    let mut out: Vec<DepartmentCatalogMetrics> = departments
        .iter()
        .filter(|d| tally.contains_key(&d.id) || updates.contains_key(&d.id))
        .map(|d| {
            let none = Tally::default();
            let t = tally.get(&d.id).unwrap_or(&none);
            let (updates_due, updates_on_time) = updates.get(&d.id).copied().unwrap_or_default();
            let entries = t.entries as f64;
            let exception = |n: usize| if t.entries == 0 { 0.0 } else { percent(n as f64, entries) };
            DepartmentCatalogMetrics {
                region_code: regions.iter().find(|r| r.id == d.region_id).map(|r| r.code.clone()).unwrap_or_default(),
                department_id: d.id,
                department_name: d.name.clone(),
                entries: t.entries,
                completeness_percent: percent(t.filled, entries),
                conforming_percent: percent(t.conforming as f64, entries),
                open_entries: t.open,
                updates_due,
                updates_on_time,
                timeliness_percent: (updates_due > 0).then(|| percent(updates_on_time as f64, updates_due as f64)),
                quality_pass_percent: None,
                unconditional_entries: t.unconditional,
                conditional_entries: t.conditional,
                not_shared_entries: t.not_shared.len() as i64,
                conditional_percent: exception(t.conditional as usize),
                not_shared_percent: exception(t.not_shared.len()),
                not_shared_codes: t.not_shared.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.region_code.cmp(&b.region_code).then(a.department_id.cmp(&b.department_id)));
    Ok(out)
}
