//! What aggregation shows: versions, delivery history, batch reports and quarantines, freshness, limits.

use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::lake::BatchRow;

use super::{internal, lake_of, BatchReport, VersionView, DEFAULT_MAX_FAILURE_PERCENT};
use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// A resource's dataset versions, newest first.
pub async fn versions(p: &Platform, _actor: &Actor, code: &str) -> Result<Vec<VersionView>> {
    let mut conn = p.store.read().await?;
    let row = store::catalog::by_code(&mut conn, code).await?.ok_or_else(|| crate::catalog::not_found(code))?;
    let versions = store::lake::versions(&mut conn, row.id).await?;
    Ok(versions
        .into_iter()
        .map(|v| {
            let columns = serde_json::from_str::<Vec<serde_json::Value>>(&v.schema)
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c["name"].as_str().map(String::from))
                .collect();
            VersionView { version: v.version, batch_id: v.batch_id, rows: v.rows, bytes: v.bytes, sha256: v.sha256, columns, created_at: format_rfc3339_local(from_micros(v.created_at_us)) }
        })
        .collect())
}

/// A page of a version's rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct VersionRows {
    pub version: i64,
    pub columns: Vec<String>,
    /// Values as text, none for empty.
    pub rows: Vec<Vec<Option<String>>>,
    pub offset: usize,
    /// Rows in the version.
    pub total: u64,
}

/// Most rows a page holds.
pub const MAX_PAGE_ROWS: usize = 1000;

/// Who may read a resource's raw data (its versions, its quarantines): its provider and the authority; sharing and
/// opening give others their own access.
fn holds_raw_data(actor: &Actor, entry: &crate::catalog::Entry) -> bool {
    actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin) || actor.department_id == Some(entry.provider.id)
}

/// Version `version` of a resource, for a caller who may read its data.
async fn readable_version(p: &Platform, actor: &Actor, code: &str, version: i64) -> Result<store::lake::VersionRow> {
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    if !holds_raw_data(actor, &entry) {
        return Err(Error::forbidden("版本数据只有提供部门和数据主管部门可以直接读取；其他部门请通过共享申请", "Only the provider and the authority read versions directly; others apply for sharing"));
    }
    let versions = store::lake::versions(&mut conn, entry.row.id).await?;
    versions.into_iter().find(|r| r.version == version).ok_or_else(|| {
        Error::not_found(format!("资源{code}没有版本{version}（可能已按保留规则清理）"), format!("Resource {code} has no version {version} (it may have been removed by retention)"))
    })
}

/// A page of a version's rows: any kept version reads as it was committed (time travel).
pub async fn version_rows(p: &Platform, actor: &Actor, code: &str, version: i64, offset: usize, limit: usize) -> Result<VersionRows> {
    if limit == 0 || limit > MAX_PAGE_ROWS {
        return Err(Error::invalid("invalid_limit", format!("limit须在1至{MAX_PAGE_ROWS}之间"), format!("limit is 1 to {MAX_PAGE_ROWS}")));
    }
    let row = readable_version(p, actor, code, version).await?;
    let lake = lake_of(p)?;
    let (columns, rows, total) = tokio::task::spawn_blocking(move || lake.read_page(&row.path, offset, limit))
        .await
        .map_err(|e| Error::Internal(store::Error::Corrupt(format!("read task: {e}"))))?
        .map_err(internal)?;
    Ok(VersionRows { version, columns, rows, offset, total })
}

/// A version's Parquet file, as committed (its SHA-256 is the version's checksum).
pub async fn version_file(p: &Platform, actor: &Actor, code: &str, version: i64) -> Result<Vec<u8>> {
    let row = readable_version(p, actor, code, version).await?;
    super::blocking(&lake_of(p)?, move |l| l.read_file(&row.path)).await
}

/// The limits aggregation applies, which the authority sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A batch with more failing rows than this, in percent, is refused whole.
    pub max_failure_percent: f64,
    /// A department is warned this many working days before a delivery is due (报送逾期预警, FS-44c).
    #[serde(default = "default_warning_lead")]
    pub warning_lead_working_days: u32,
}

/// Working days' warning before a delivery is due, until the authority sets another.
pub const DEFAULT_WARNING_LEAD: u32 = 1;

fn default_warning_lead() -> u32 {
    DEFAULT_WARNING_LEAD
}

pub async fn limits(p: &Platform) -> Result<Limits> {
    let mut conn = p.store.read().await?;
    let max_failure_percent = store::settings::get(&mut conn, "ingest_max_failure_percent").await?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MAX_FAILURE_PERCENT);
    let warning_lead_working_days = store::settings::get(&mut conn, "delivery_warning_lead").await?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_WARNING_LEAD);
    Ok(Limits { max_failure_percent, warning_lead_working_days })
}

/// The authority sets the limits: the failure rate (0 to 100) and the warning lead (0 to 30 working days).
pub async fn set_limits(p: &Platform, actor: &Actor, limits: Limits) -> Result<Limits> {
    crate::orgs::require_authority(actor)?;
    let percent = limits.max_failure_percent;
    if !(0.0..=100.0).contains(&percent) {
        return Err(Error::invalid("invalid_limit", "失败率上限须在0至100之间", "The failure limit is a percentage from 0 to 100"));
    }
    if limits.warning_lead_working_days > 30 {
        return Err(Error::invalid("invalid_limit", "预警提前量须在0至30个工作日之间", "The warning lead is 0 to 30 working days"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    store::settings::set(&mut tx, "ingest_max_failure_percent", &percent.to_string()).await?;
    store::settings::set(&mut tx, "delivery_warning_lead", &limits.warning_lead_working_days.to_string()).await?;
    let mut event = actor.event("aggregation.limits.set", "settings", "ingest_max_failure_percent");
    event.detail = format!("max failure {percent}%, warning lead {} working days", limits.warning_lead_working_days);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    self::limits(p).await
}

/// Who may read a resource's deliveries: its provider and those who oversee every department.
fn may_read_deliveries(actor: &Actor, entry: &crate::catalog::Entry) -> bool {
    actor.oversees() || actor.department_id == Some(entry.provider.id)
}

/// One delivery of a resource, as its history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BatchSummary {
    pub batch_id: i64,
    /// `committed` or `refused`.
    pub state: String,
    pub source_name: String,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_quarantined: i64,
    pub quarantine: bool,
    pub delivered_by: String,
    pub delivered_at: String,
}

/// A resource's deliveries, newest first (the last 100): for its provider, the authority, the service center and
/// auditors.
pub async fn history(p: &Platform, actor: &Actor, code: &str) -> Result<Vec<BatchSummary>> {
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    if !may_read_deliveries(actor, &entry) {
        return Err(Error::forbidden("只有提供部门、数据主管部门和审计人员可以查看归集记录", "Only the provider, the authority and auditors see the delivery history"));
    }
    let rows = store::lake::batches_of(&mut conn, entry.row.id, 100).await?;
    Ok(rows
        .into_iter()
        .map(|b| BatchSummary {
            batch_id: b.id,
            state: b.state,
            source_name: b.source_name,
            rows_read: b.rows_read,
            rows_accepted: b.rows_accepted,
            rows_quarantined: b.rows_quarantined,
            quarantine: b.quarantine_path.is_some(),
            delivered_by: b.created_by,
            delivered_at: format_rfc3339_local(from_micros(b.created_at_us)),
        })
        .collect())
}

/// Who may read a batch's report and quarantine: the provider, the authority, the service center, the auditor.
async fn readable_batch(p: &Platform, actor: &Actor, id: i64) -> Result<(BatchRow, crate::catalog::Entry)> {
    let not_found = || Error::not_found(format!("批次{id}不存在"), format!("Batch {id} does not exist"));
    let mut conn = p.store.read().await?;
    let batch = store::lake::batch_by_id(&mut conn, id).await?.ok_or_else(not_found)?;
    let resource = store::catalog::by_id(&mut conn, batch.resource_id).await?.ok_or_else(not_found)?;
    let entry = crate::catalog::entry_of(p, &mut conn, resource).await?;
    if !may_read_deliveries(actor, &entry) {
        return Err(Error::forbidden("只有提供部门、数据主管部门和审计人员可以查看批次报告", "Only the provider, the authority and auditors read batch reports"));
    }
    Ok((batch, entry))
}

/// A batch's report.
pub async fn batch(p: &Platform, actor: &Actor, id: i64) -> Result<BatchReport> {
    let (batch, _) = readable_batch(p, actor, id).await?;
    report_of_row(p, &batch).await
}

/// The report a batch recorded, with its version and quarantine as they are now.
pub(super) async fn report_of_row(p: &Platform, batch: &BatchRow) -> Result<BatchReport> {
    let id = batch.id;
    let mut report: BatchReport = serde_json::from_str(&batch.report).map_err(|e| Error::Internal(store::Error::Corrupt(format!("batch {id} report: {e}"))))?;
    report.batch_id = batch.id;
    report.quarantine = batch.quarantine_path.is_some();
    if report.state == "committed" {
        let mut conn = p.store.read().await?;
        report.version = store::lake::versions(&mut conn, batch.resource_id).await?.into_iter().find(|v| v.batch_id == id).map(|v| v.version);
    }
    Ok(report)
}

/// The quarantined rows of a batch as CSV (UTF-8 with a byte-order mark): line, problems, and the row as delivered.
/// Only the provider and the authority: it holds the raw data.
pub async fn quarantine(p: &Platform, actor: &Actor, id: i64) -> Result<Vec<u8>> {
    let (batch, entry) = readable_batch(p, actor, id).await?;
    if !holds_raw_data(actor, &entry) {
        return Err(Error::forbidden("隔离区数据含原始值，只有提供部门和数据主管部门可以下载", "The quarantine holds raw values: only the provider and the authority download it"));
    }
    let path = batch.quarantine_path.ok_or_else(|| Error::not_found(format!("批次{id}没有隔离的行"), format!("Batch {id} quarantined no rows")))?;
    super::blocking(&lake_of(p)?, move |l| l.read_file(&path)).await
}

/// A published resource's freshness: when it was last delivered, when the next delivery is due, whether it is late
/// (SYS-17b, LS-8c).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Freshness {
    pub code: String,
    pub name: String,
    pub provider_id: i64,
    pub provider: String,
    pub update_frequency: domain::catalog::entry::UpdateFrequency,
    /// The last committed version's time; none before the first delivery.
    pub last_delivery: Option<String>,
    /// When the next delivery is due (from publication while nothing is delivered); none for irregular data.
    pub due: Option<String>,
    pub late: bool,
    /// `on_time`, `due_soon` (within the warning lead, FS-44c), `overdue` or `irregular`.
    pub status: domain::freshness::FeedStatus,
    /// The day the department is warned.
    pub warn_on: Option<String>,
    /// The due instant, for the alerts it raises.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) due_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The published resources with a declared update frequency, late ones first: a department's own for its data
/// officers, every one for the authority, the service center and auditors.
pub async fn freshness(p: &Platform, actor: &Actor) -> Result<Vec<Freshness>> {
    let all = actor.oversees();
    if !all && !actor.has(Role::DeptDataOfficer) {
        return Err(Error::forbidden("无权查看归集时效", "You may not see delivery freshness"));
    }
    let now = p.clock.now();
    let lead = limits(p).await?.warning_lead_working_days;
    let calendar = p.calendar();
    let mut conn = p.store.read().await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    let last = store::lake::last_versions(&mut conn).await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    drop(conn);
    let mut out = Vec::new();
    for (row, published, _) in rows {
        let (domain::catalog::lifecycle::ResourceState::Published, Some(content)) = (row.state, published) else { continue };
        let Some(frequency) = content.update_frequency else { continue };
        if !all && actor.department_id != Some(row.provider_department_id) {
            continue;
        }
        let delivered = last.get(&row.id).copied();
        let Some(since) = delivered.or(row.published_at_us) else { continue };
        let due = domain::freshness::next_due(frequency, from_micros(since));
        let provider = departments.iter().find(|d| d.id == row.provider_department_id).map(|d| d.name.clone()).unwrap_or_default();
        let (status, warn_on) = domain::freshness::status(due, now, lead, &calendar);
        out.push(Freshness {
            status,
            warn_on: warn_on.map(|d| d.to_string()),
            code: row.code,
            name: content.name,
            provider_id: row.provider_department_id,
            provider,
            update_frequency: frequency,
            last_delivery: delivered.map(|u| format_rfc3339_local(from_micros(u))),
            due: due.map(format_rfc3339_local),
            due_at: due,
            late: due.is_some_and(|d| now > d),
        });
    }
    out.sort_by(|a, b| b.late.cmp(&a.late).then(a.due.cmp(&b.due)));
    Ok(out)
}


/// A department's aggregation coverage (应归尽归, 全量汇聚, SYS-17a, CS-17b): its published entries, how many have
/// delivered data (挂接, SYS-12e), and which have none.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Coverage {
    pub department_id: i64,
    pub department: String,
    pub published: i64,
    pub delivered: i64,
    pub percent: f64,
    pub missing: Vec<MissingEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MissingEntry {
    pub code: String,
    pub name: String,
}

/// Coverage per department, lowest first: a department's own for its officers, every one for those who oversee.
pub async fn coverage(p: &Platform, actor: &Actor) -> Result<Vec<Coverage>> {
    let all = actor.oversees();
    if !all && actor.department_id.is_none() {
        return Err(Error::forbidden("无权查看归集覆盖率", "You may not see aggregation coverage"));
    }
    let mut conn = p.store.read().await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    let last = store::lake::last_versions(&mut conn).await?;
    drop(conn);
    let mut by: std::collections::BTreeMap<i64, Coverage> = std::collections::BTreeMap::new();
    for (row, published, _) in rows {
        if row.state != domain::catalog::lifecycle::ResourceState::Published || (!all && actor.department_id != Some(row.provider_department_id)) {
            continue;
        }
        let c = by.entry(row.provider_department_id).or_insert_with(|| Coverage {
            department_id: row.provider_department_id,
            department: departments.iter().find(|d| d.id == row.provider_department_id).map(|d| d.name.clone()).unwrap_or_default(),
            published: 0,
            delivered: 0,
            percent: 0.0,
            missing: vec![],
        });
        c.published += 1;
        if last.contains_key(&row.id) {
            c.delivered += 1;
        } else {
            c.missing.push(MissingEntry { code: row.code, name: published.map(|p| p.name).unwrap_or(row.name) });
        }
    }
    let mut out: Vec<Coverage> = by
        .into_values()
        .map(|mut c| {
            c.percent = (c.delivered as f64 * 1000.0 / c.published as f64).round() / 10.0;
            c
        })
        .collect();
    out.sort_by(|a, b| a.percent.total_cmp(&b.percent).then(a.department_id.cmp(&b.department_id)));
    Ok(out)
}
