//! Each department's yearly lists (CS-25a: 每年更新本部门的数据共享清单、数据开放清单、数据应用场景清单). A
//! department submits each list for a year, derived from its published entries that day; the authority sets the
//! cut-off (the text names none, so the profile's day applies until it does) and reads who is still missing what.

use chrono::{Datelike, NaiveDate};
use domain::clock::{format_rfc3339_local, from_micros};
use domain::orgs::DepartmentKind;
use domain::roles::Role;
use schemars::JsonSchema;
use serde::Serialize;
use store::catalog::lists::SubmissionRow;

use super::views::{derive_for, Scope, Table};
use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// The lists every department submits each year.
pub const KINDS: [&str; 3] = ["share_list", "open_list", "scenario_list"];

/// A department's submitted list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Submitted {
    pub kind: String,
    pub rows: i64,
    pub submitted_by: String,
    pub submitted_at: String,
}

/// One department's year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DepartmentLists {
    pub department_id: i64,
    pub department_name: String,
    pub submitted: Vec<Submitted>,
    /// The lists not submitted yet.
    pub missing: Vec<String>,
    /// Past the cut-off with lists missing.
    pub overdue: bool,
}

/// Who has submitted what for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SubmissionReport {
    pub year: i32,
    pub cutoff: NaiveDate,
    pub past_cutoff: bool,
    pub departments: Vec<DepartmentLists>,
}

fn require_enabled(p: &Platform) -> Result<()> {
    if p.profile.features.three_lists {
        Ok(())
    } else {
        Err(Error::invalid(
            "no_yearly_lists",
            "适用办法未要求各部门每年报送数据共享、开放和应用场景清单",
            "The regulation in force does not ask departments for yearly lists",
        ))
    }
}

fn require_kind(kind: &str) -> Result<()> {
    if KINDS.contains(&kind) {
        Ok(())
    } else {
        Err(Error::invalid("unknown_list", format!("未知清单“{kind}”，可选：{}", KINDS.join("、")), format!("Unknown list '{kind}'; one of: {}", KINDS.join(", "))))
    }
}

fn require_year(p: &Platform, year: i32) -> Result<()> {
    let this_year = p.clock.today().year();
    if (2000..=this_year + 1).contains(&year) {
        Ok(())
    } else {
        Err(Error::invalid("invalid_year", format!("年份须在2000至{}之间", this_year + 1), format!("The year must be 2000 to {}", this_year + 1)))
    }
}

fn cutoff_key(year: i32) -> String {
    format!("annual_list_cutoff:{year}")
}

/// The cut-off of `year`: the authority's, else the profile's.
async fn cutoff(p: &Platform, conn: &mut store::Conn, year: i32) -> Result<NaiveDate> {
    if let Some(day) = store::settings::get(conn, &cutoff_key(year)).await?.and_then(|v| v.parse().ok()) {
        return Ok(day);
    }
    p.profile
        .catalog
        .annual_list_cutoff(year)
        .ok_or_else(|| Error::Internal(store::Error::Corrupt(format!("profile cut-off '{}'", p.profile.catalog.annual_list_cutoff))))
}

/// A department submits (or resubmits) its list of `kind` for `year`, derived from its published entries now. A
/// data officer submits for their own department; the authority may for any.
pub async fn submit(p: &Platform, actor: &Actor, kind: &str, year: i32, department_id: Option<i64>) -> Result<Table> {
    require_enabled(p)?;
    require_kind(kind)?;
    require_year(p, year)?;
    let department_id = department_id.or(actor.department_id).ok_or_else(|| {
        Error::invalid("department_required", "请指定报送部门（department_id）", "Name the submitting department (department_id)")
    })?;
    let own = actor.has(Role::DeptDataOfficer) && actor.department_id == Some(department_id);
    if !(own || actor.has(Role::AuthorityAdmin) || actor.kind == ActorKind::Cli) {
        return Err(Error::forbidden("只能报送本部门的清单", "You can only submit your own department's lists"));
    }
    let table = derive_for(p, actor, kind, Scope { region_code: None, department_id: Some(department_id) }).await?;
    let text = serde_json::to_string(&table).map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let department = store::orgs::department_by_id(&mut tx, department_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("部门{department_id}不存在"), format!("Department {department_id} does not exist")))?;
    let row = SubmissionRow { department_id, kind: kind.into(), row_count: table.rows.len() as i64, submitted_by: actor.name.clone(), submitted_at_us: now };
    store::catalog::lists::put_submission(&mut tx, &row, year, &text).await?;
    let mut event = actor.event("catalog.list.submit", "catalog_list", format!("{kind}/{year}/{department_id}"));
    event.detail = format!("{} · {} rows", department.name, table.rows.len());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(Table { year: Some(year), published_at: Some(format_rfc3339_local(from_micros(now))), ..table })
}

/// The authority sets the day by which `year`'s lists are due.
pub async fn set_cutoff(p: &Platform, actor: &Actor, year: i32, day: NaiveDate) -> Result<SubmissionReport> {
    crate::orgs::require_authority(actor)?;
    require_enabled(p)?;
    require_year(p, year)?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    store::settings::set(&mut tx, &cutoff_key(year), &day.to_string()).await?;
    let mut event = actor.event("catalog.list.cutoff", "catalog_list", year.to_string());
    event.detail = day.to_string();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    report(p, actor, year).await
}

/// Every department (the authority and the service center aside) with the lists it has submitted for `year` and
/// those it is missing; past the cut-off, a missing list is overdue.
pub async fn report(p: &Platform, actor: &Actor, year: i32) -> Result<SubmissionReport> {
    require_enabled(p)?;
    require_year(p, year)?;
    if !(actor.kind == ActorKind::Cli || actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator, Role::Auditor, Role::DeptDataOfficer])) {
        return Err(Error::forbidden("无权查看清单报送情况", "You may not see the lists' submissions"));
    }
    let mut conn = p.store.read().await?;
    let cutoff = cutoff(p, &mut conn, year).await?;
    let submissions = store::catalog::lists::submissions(&mut conn, year).await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    drop(conn);
    let past_cutoff = p.clock.today() > cutoff;
    // A data officer sees their own department's row only.
    let own_only = !actor.oversees();
    let rows = departments
        .into_iter()
        .filter(|d| d.active && matches!(d.kind, DepartmentKind::Department | DepartmentKind::PublicUtility))
        .filter(|d| !own_only || actor.department_id == Some(d.id))
        .map(|d| {
            let submitted: Vec<Submitted> = submissions
                .iter()
                .filter(|s| s.department_id == d.id)
                .map(|s| Submitted { kind: s.kind.clone(), rows: s.row_count, submitted_by: s.submitted_by.clone(), submitted_at: format_rfc3339_local(from_micros(s.submitted_at_us)) })
                .collect();
            let missing: Vec<String> = KINDS.iter().filter(|k| !submitted.iter().any(|s| s.kind == **k)).map(|k| k.to_string()).collect();
            DepartmentLists { department_id: d.id, department_name: d.name, overdue: past_cutoff && !missing.is_empty(), submitted, missing }
        })
        .collect();
    Ok(SubmissionReport { year, cutoff, past_cutoff, departments: rows })
}

/// The list a department submitted, as it was then.
pub async fn submitted(p: &Platform, actor: &Actor, kind: &str, year: i32, department_id: i64) -> Result<Table> {
    require_enabled(p)?;
    require_kind(kind)?;
    let own = actor.department_id == Some(department_id);
    if !(own || actor.oversees()) {
        return Err(Error::forbidden("无权查看其他部门报送的清单", "You may not see another department's submitted lists"));
    }
    let mut conn = p.store.read().await?;
    let text = store::catalog::lists::submitted_rows(&mut conn, department_id, kind, year).await?.ok_or_else(|| {
        Error::not_found(format!("部门{department_id}尚未报送{year}年的该清单"), format!("Department {department_id} has not submitted this list for {year}"))
    })?;
    let mut table: Table = serde_json::from_str(&text).map_err(|e| Error::Internal(store::Error::Corrupt(format!("submitted list: {e}"))))?;
    table.year = Some(year);
    Ok(table)
}
