//! Aggregation (归集): a department delivers a resource's data as a batch; every row is checked against the
//! resource's published items (`domain::catalog::validate`), rows that fail go to the batch's quarantine with the
//! reason per item, and the accepted rows become the resource's next dataset version — unless the failure rate is
//! above the limit, when the batch is refused whole and the previous version stays in force. The rows stream from
//! the file to the Parquet writer, so memory stays flat whatever the file's size; the version file is complete
//! before its row and audit event commit together (the lake's own order of writing makes the rest safe).

pub mod backflow;
mod check;
mod convert;
pub mod query;
pub mod retention;
mod reports;
pub mod sync;

use std::path::Path;
use std::sync::Arc;

use domain::catalog::entry::{Item, ItemType, ResourceContent};
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use lake::{Column, ColumnType, Lake};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::lake::{BatchRow, VersionRow};

use crate::actor::ActorKind;
use check::{Checked, Refusal};
pub use reports::*;
use crate::catalog::import::Encoding;
use crate::{Actor, Error, Platform, Result};

/// The failure rate above which a batch is refused whole, in percent, until the authority sets another
/// (`settings.ingest_max_failure_percent`).
pub const DEFAULT_MAX_FAILURE_PERCENT: f64 = 5.0;

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BatchReport {
    pub batch_id: i64,
    pub resource_code: String,
    /// `committed` or `refused`.
    pub state: String,
    /// The dataset version it became, when committed.
    pub version: Option<i64>,
    /// Whether it replaced the dataset or merged into it by key.
    #[serde(default)]
    pub mode: Mode,
    /// `file`, `api`, `sync` or `push`.
    #[serde(default)]
    pub channel: String,
    pub source_name: String,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_quarantined: i64,
    /// Accepted rows of which some value was normalized (spaces, full-width digits, date separators…).
    pub rows_normalized: i64,
    /// Rows in the version it became (with the previous rows kept, in merge mode).
    #[serde(default)]
    pub rows_in_version: Option<i64>,
    pub failure_percent: f64,
    pub max_failure_percent: f64,
    /// Problems counted by item and kind.
    pub problems: Vec<ProblemCount>,
    pub samples: Vec<Sample>,
    /// Why the batch was refused whole, when it was.
    pub refusal: Option<String>,
    pub refusal_en: Option<String>,
    /// Whether the quarantined rows can be downloaded (`GET /api/v1/batches/{id}/quarantine`).
    pub quarantine: bool,
    pub delivered_by: String,
    pub delivered_at: String,
    /// True when this answers a repeated delivery under the same batch key: nothing was delivered again.
    #[serde(default)]
    pub replayed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProblemCount {
    pub item: String,
    pub code: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Sample {
    pub line: u64,
    pub item: String,
    pub message: String,
    pub message_en: String,
}

/// A dataset version as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct VersionView {
    pub version: i64,
    pub batch_id: i64,
    pub rows: i64,
    pub bytes: i64,
    pub sha256: String,
    pub columns: Vec<String>,
    pub created_at: String,
}

/// Where an object-store lake is, from the deployment's config.
pub use lake::StoreConfig;

/// Attaches the node's lake — the folder `dir`, or the object store `remote` with `dir` for staging and local
/// copies — sweeping what interrupted deliveries left behind. A store that does not answer fails here, at start.
pub async fn attach(p: &Platform, dir: &Path, remote: Option<&StoreConfig>) -> Result<()> {
    let (dir, remote) = (dir.to_path_buf(), remote.cloned());
    let opened = tokio::task::spawn_blocking(move || match remote {
        Some(config) => Lake::open_remote(&dir, &config),
        None => Lake::open(&dir),
    })
    .await
    .map_err(|e| Error::Internal(store::Error::Corrupt(format!("lake task: {e}"))))?;
    let lake = Arc::new(opened.map_err(|e| match e {
        lake::Error::Config(why) => Error::invalid("lake_config", why.clone(), why),
        other => internal(other),
    })?);
    let mut conn = p.store.read().await?;
    let keep: std::collections::HashSet<String> = store::lake::all_paths(&mut conn).await?.into_iter().collect();
    drop(conn);
    let removed = blocking(&lake, move |l| l.sweep(&keep, std::time::Duration::from_secs(3600))).await?;
    if removed > 0 {
        tracing::info!(removed, "swept files of interrupted deliveries from the lake");
    }
    tracing::info!(lake = %lake.describe(), "lake attached");
    let _ = p.lake.set(lake);
    Ok(())
}

/// Runs a lake operation on a blocking thread: with an object store it waits on the network.
pub(crate) async fn blocking<T: Send + 'static>(lake: &Arc<Lake>, f: impl FnOnce(&Lake) -> lake::Result<T> + Send + 'static) -> Result<T> {
    let lake = lake.clone();
    tokio::task::spawn_blocking(move || f(&lake)).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("lake task: {e}"))))?.map_err(internal)
}

/// The lake's folder for temporary files (spools of files being made for a caller).
pub(crate) fn tmp_dir(p: &Platform) -> Result<std::path::PathBuf> {
    Ok(lake_of(p)?.root().join("tmp"))
}

/// Local files holding the lake files `rels`, in order (fetched from the object store when not yet here).
pub(crate) async fn local_files(p: &Platform, rels: Vec<String>) -> Result<Vec<std::path::PathBuf>> {
    blocking(&lake_of(p)?, move |l| rels.iter().map(|r| l.local(r)).collect()).await
}

fn internal(e: lake::Error) -> Error {
    Error::Internal(store::Error::Corrupt(format!("lake: {e}")))
}

fn lake_of(p: &Platform) -> Result<Arc<Lake>> {
    p.lake.get().cloned().ok_or_else(|| Error::Internal(store::Error::Corrupt("no lake attached to this node".into())))
}

fn column_type(item: &Item) -> ColumnType {
    match item.data_type {
        ItemType::String => ColumnType::Utf8,
        ItemType::Integer => ColumnType::Int64,
        ItemType::Decimal => ColumnType::Float64,
        ItemType::Date => ColumnType::Date,
        ItemType::DateTime => ColumnType::Timestamp,
        ItemType::Boolean => ColumnType::Boolean,
    }
}


/// Who may deliver a resource's data: its provider's data officers and systems (API tokens), the authority, the
/// command line.
fn may_deliver(actor: &Actor, provider_id: i64) -> bool {
    let own = actor.department_id == Some(provider_id);
    actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin) || (own && (actor.has(Role::DeptDataOfficer) || matches!(actor.kind, ActorKind::System { .. })))
}

/// How a delivery comes, and what it does to the dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub format: Format,
    pub encoding: Encoding,
    pub mode: Mode,
    /// `file`, `api`, `sync` or `push`.
    pub channel: &'static str,
    /// The caller's idempotency key: a second delivery under it answers the first one's report.
    pub key: Option<String>,
    /// The file's name, as the report shows it.
    pub source_name: String,
}

impl Delivery {
    /// A file delivery whose format is told by its name.
    pub fn file(name: &str) -> Delivery {
        Delivery { format: Format::of_name(name), encoding: Encoding::Auto, mode: Mode::Replace, channel: "file", key: None, source_name: clean_name(name) }
    }
}

/// A delivery's file name as kept: no control characters, at most 200 characters.
fn clean_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// What a delivered file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    /// One JSON object per line, keyed by item name.
    JsonLines,
    /// `{"rows": [{…}, …]}` or `[{…}, …]`: the API push of a batch of rows.
    Json,
    Parquet,
}

impl Format {
    /// By the file's extension; CSV when it says nothing else.
    pub fn of_name(name: &str) -> Format {
        let n = name.to_ascii_lowercase();
        match n.rsplit('.').next().unwrap_or("") {
            "xlsx" | "xlsm" => Format::Xlsx,
            "jsonl" | "ndjson" => Format::JsonLines,
            "json" => Format::Json,
            "parquet" => Format::Parquet,
            _ => Format::Csv,
        }
    }

    /// By a request's media type.
    pub fn of_media_type(media_type: &str) -> Option<Format> {
        let m = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        Some(match m.as_str() {
            "text/csv" | "application/csv" => Format::Csv,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Format::Xlsx,
            "application/x-ndjson" | "application/jsonl" | "application/jsonlines" | "application/x-jsonlines" => Format::JsonLines,
            "application/json" => Format::Json,
            "application/vnd.apache.parquet" | "application/x-parquet" => Format::Parquet,
            _ => return None,
        })
    }

    /// The extension a file of this format is named with.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::JsonLines => "jsonl",
            Format::Json => "json",
            Format::Parquet => "parquet",
        }
    }
}

/// What a committed batch does to the dataset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The batch is the whole dataset: the new version holds its rows only.
    #[default]
    Replace,
    /// The batch holds new and changed rows: the new version is the previous one with these rows put in by key.
    Merge,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "replace" => Some(Mode::Replace),
            "merge" => Some(Mode::Merge),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Replace => "replace",
            Mode::Merge => "merge",
        }
    }
}

/// Delivers a file as a batch of resource `code`, its format told by its name: CSV (UTF-8 or GBK, detected or
/// declared), XLSX, JSON lines or Parquet. `progress` is told the bytes read so far.
pub async fn ingest_file(
    p: &Platform,
    actor: &Actor,
    code: &str,
    path: &Path,
    encoding: Encoding,
    progress: impl FnMut(u64) + Send + 'static,
) -> Result<BatchReport> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    deliver(p, actor, code, path, Delivery { encoding, ..Delivery::file(&name) }, progress).await
}

/// A delivery under way: what every step needs.
struct Batch<'a> {
    p: &'a Platform,
    lake: Arc<Lake>,
    actor: &'a Actor,
    entry: crate::catalog::Entry,
    items: Vec<Item>,
    delivery: Delivery,
    max_failure: f64,
}

/// Delivers the file at `path` as a batch of resource `code`, as `delivery` says. A delivery under an idempotency
/// key whose batch was committed for this resource is not delivered again: that report is answered, `replayed`. A
/// refused batch keeps no key, so the same key may deliver the batch once it is fixed.
pub async fn deliver(p: &Platform, actor: &Actor, code: &str, path: &Path, delivery: Delivery, progress: impl FnMut(u64) + Send + 'static) -> Result<BatchReport> {
    let lake = lake_of(p)?;
    if let Some(key) = &delivery.key {
        check_key(key)?;
    }
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    if !may_deliver(actor, entry.provider.id) {
        return Err(Error::forbidden(format!("只有{}的数据专员可以归集该资源的数据", entry.provider.name), format!("Only the data officers of {} deliver this resource's data", entry.provider.name)));
    }
    if let Some(key) = &delivery.key {
        if let Some(first) = store::lake::batch_by_external(&mut conn, entry.row.id, key).await? {
            drop(conn);
            let mut report = reports::report_of_row(p, &first).await?;
            report.replayed = true;
            return Ok(report);
        }
    }
    let content = published_content(&mut conn, &entry).await?;
    let max_failure = match store::settings::get(&mut conn, "ingest_max_failure_percent").await? {
        Some(v) => v.parse().unwrap_or(DEFAULT_MAX_FAILURE_PERCENT),
        None => DEFAULT_MAX_FAILURE_PERCENT,
    };
    drop(conn);
    if content.items.is_empty() {
        return Err(Error::invalid("no_items", "该资源的目录没有数据项，无法校验数据", "The entry has no items to check the data against"));
    }
    if delivery.mode == Mode::Merge && !content.items.iter().any(|i| i.is_key) {
        return Err(Error::invalid(
            "merge_without_key",
            "该资源的目录没有主键数据项，只能整体替换（mode=replace），不能按主键合并",
            "The entry has no key item: its data can only be replaced whole (mode=replace), not merged by key",
        ));
    }
    let batch = Batch { p, lake: lake.clone(), actor, entry, items: content.items, delivery, max_failure };
    // Other formats are turned into CSV first, in the lake's temporary folder, removed whatever happens.
    if batch.delivery.format == Format::Csv {
        return batch.ingest_csv(path, batch.delivery.encoding, progress).await;
    }
    let out = lake.root().join("tmp").join(format!("{}-{}.csv", p.now_us(), rand::random::<u32>()));
    let (from, to, format, items) = (path.to_path_buf(), out.clone(), batch.delivery.format, batch.items.clone());
    let converted = tokio::task::spawn_blocking(move || convert::to_csv(format, &from, &to, &items))
        .await
        .map_err(|e| Error::Internal(store::Error::Corrupt(format!("conversion task: {e}"))))?;
    let result = match converted {
        Ok(()) => batch.ingest_csv(&out, Encoding::Utf8, progress).await,
        Err(refusal) => batch.refuse(None, refusal, p.now_us()).await,
    };
    let _ = std::fs::remove_file(&out);
    result
}

/// The published revision's content: data is checked against what the catalog has published.
pub(crate) async fn published_content(conn: &mut store::Conn, entry: &crate::catalog::Entry) -> Result<ResourceContent> {
    let code = &entry.row.code;
    match entry.row.published_rev {
        Some(rev) if entry.row.state == domain::catalog::lifecycle::ResourceState::Published => {
            store::catalog::revision_of(conn, entry.row.id, rev).await?.map(|r| r.content).ok_or_else(|| crate::catalog::not_found(code))
        }
        _ => Err(Error::invalid(
            "not_published",
            format!("资源{code}尚未发布：数据按已发布目录的数据项校验，请先发布目录"),
            format!("Resource {code} is not published: data is checked against the published items, publish the entry first"),
        )),
    }
}

/// An idempotency key: 1 to 100 characters of letters, digits and `-_.:`, as clients generate them (UUIDs,
/// checksums, `system-date-sequence`).
fn check_key(key: &str) -> Result<()> {
    if !key.is_empty() && key.len() <= 100 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
        return Ok(());
    }
    Err(Error::invalid(
        "invalid_batch_key",
        "批次编号（Idempotency-Key）须为1至100个字母、数字或 - _ . : 字符",
        "The batch key (Idempotency-Key) is 1 to 100 letters, digits or - _ . : characters",
    ))
}

impl Batch<'_> {
    async fn ingest_csv(&self, path: &Path, encoding: Encoding, progress: impl FnMut(u64) + Send + 'static) -> Result<BatchReport> {
        std::fs::File::open(path).map_err(|e| {
            Error::invalid("unreadable_file", format!("无法读取文件{}：{e}", path.display()), format!("Cannot read {}: {e}", path.display()))
        })?;
        let external_keys = external_keys_bytes(self.p).await?;
        let checked = tokio::task::spawn_blocking({
            let (lake, path, items) = (self.lake.clone(), path.to_path_buf(), self.items.clone());
            move || check::check_file(&lake, &items, &path, encoding, external_keys, progress)
        })
        .await
        .map_err(|e| Error::Internal(store::Error::Corrupt(format!("ingest task: {e}"))))?;
        let now = self.p.now_us();
        let checked = match checked {
            Ok(Ok(c)) => c,
            Ok(Err(refusal)) => return self.refuse(None, refusal, now).await,
            Err(e) => return Err(internal(e)),
        };
        if checked.rows_read == 0 {
            self.lake.discard(checked.staged);
            self.lake.drop_quarantine(checked.quarantine);
            let refusal = Refusal { zh: "文件只有表头，没有数据行".into(), en: "The file has a header and no rows".into(), ..Default::default() };
            return self.refuse(None, refusal, now).await;
        }
        let failure = checked.failure_percent();
        if failure > self.max_failure {
            let max = self.max_failure;
            let refusal = Refusal {
                zh: format!("未通过校验的行占{failure}%，超过{max}%的上限，整批不予入库；上一版本数据不受影响"),
                en: format!("{failure}% of the rows failed, above the {max}% limit: the batch is refused whole and the previous version stays"),
                ..Default::default()
            };
            return self.refuse(Some(checked), refusal, now).await;
        }
        self.commit(checked, now).await
    }

    fn report(&self, now: i64) -> BatchReport {
        BatchReport {
            batch_id: 0,
            resource_code: self.entry.row.code.clone(),
            state: String::new(),
            version: None,
            mode: self.delivery.mode,
            channel: self.delivery.channel.into(),
            source_name: self.delivery.source_name.clone(),
            rows_read: 0,
            rows_accepted: 0,
            rows_quarantined: 0,
            rows_normalized: 0,
            rows_in_version: None,
            failure_percent: 0.0,
            max_failure_percent: self.max_failure,
            problems: vec![],
            samples: vec![],
            refusal: None,
            refusal_en: None,
            quarantine: false,
            delivered_by: self.actor.name.clone(),
            delivered_at: format_rfc3339_local(from_micros(now)),
            replayed: false,
        }
    }

    fn batch_row(&self, report: &BatchReport, now: i64) -> Result<BatchRow> {
        Ok(BatchRow {
            id: 0,
            resource_id: self.entry.row.id,
            channel: self.delivery.channel.into(),
            state: report.state.clone(),
            source_name: report.source_name.clone(),
            rows_read: report.rows_read,
            rows_accepted: report.rows_accepted,
            rows_quarantined: report.rows_quarantined,
            rows_normalized: report.rows_normalized,
            report: serde_json::to_string(report).map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?,
            quarantine_path: None,
            created_by: report.delivered_by.clone(),
            created_at_us: now,
            external_id: self.delivery.key.clone(),
            mode: self.delivery.mode.as_str().into(),
        })
    }

    /// Records the accepted rows as the next version (merged into the previous one by key, in merge mode), with the
    /// batch and its audit event in one transaction.
    async fn commit(&self, checked: Checked, now: i64) -> Result<BatchReport> {
        let (p, lake, entry) = (self.p, &self.lake, &self.entry);
        let mut report = self.report(now);
        checked.count_into(&mut report);
        report.state = "committed".into();
        report.failure_percent = checked.failure_percent();
        let Checked { staged, quarantine, schema, .. } = checked;
        let mut conn = p.store.read().await?;
        let version = store::lake::next_version(&mut conn, entry.row.id).await?;
        let previous = store::lake::versions(&mut conn, entry.row.id).await?.into_iter().next();
        drop(conn);
        let staged = match (self.delivery.mode, previous) {
            (Mode::Merge, Some(previous)) => {
                let columns: Vec<Column> = self.items.iter().map(|i| Column { name: i.name.clone(), ty: column_type(i) }).collect();
                let key: Vec<String> = self.items.iter().filter(|i| i.is_key).map(|i| i.name.clone()).collect();
                let lake = lake.clone();
                let merged = tokio::task::spawn_blocking(move || {
                    let key: Vec<&str> = key.iter().map(String::as_str).collect();
                    lake.merge(&previous.path, staged, &columns, &key)
                })
                .await
                .map_err(|e| Error::Internal(store::Error::Corrupt(format!("merge task: {e}"))))?;
                match merged {
                    Ok(m) => m.staged,
                    Err(e) => {
                        self.lake.drop_quarantine(quarantine);
                        return Err(internal(e));
                    }
                }
            }
            _ => staged,
        };
        let (rows, bytes, sha256) = (staged.rows as i64, staged.bytes as i64, staged.sha256.clone());
        report.version = Some(version);
        report.rows_in_version = Some(rows);
        let code = entry.row.code.clone();
        let rel = blocking(lake, move |l| l.commit(staged, &code, version)).await?;
        let result: Result<i64> = async {
            let mut tx = p.store.begin().await?;
            let batch_id = store::lake::insert_batch(&mut tx, &self.batch_row(&report, now)?).await.map_err(|e| {
                Error::from_store_conflict(e, "同一批次编号的另一次交付正在入库，请稍后查询该批次", "Another delivery under the same batch key is being committed: look the batch up shortly")
            })?;
            let v = VersionRow { resource_id: entry.row.id, version, batch_id, path: rel.clone(), rows, bytes, sha256: sha256.clone(), schema, created_at_us: now };
            store::lake::insert_version(&mut tx, &v).await.map_err(|e| {
                Error::from_store_conflict(e, "同一资源的另一批数据正在入库，请稍后重试", "Another batch of this resource is being committed: try again shortly")
            })?;
            let mut event = self.actor.event("aggregation.batch.commit", "resource", &entry.row.code);
            event.detail = format!(
                "batch {batch_id} ({}, {}) → version {version}: {} rows accepted, {} quarantined, {rows} in the version",
                self.delivery.channel,
                self.delivery.mode.as_str(),
                report.rows_accepted,
                report.rows_quarantined
            );
            store::audit::append(&mut tx, &event, now).await?;
            // The data matches the catalog again: a stale-catalog flag is resolved.
            store::alerts::resolve_other(&mut tx, "catalog_stale", &entry.row.code, None, now).await?;
            tx.commit().await?;
            Ok(batch_id)
        }
        .await;
        match result {
            Ok(batch_id) => {
                // The sharing API serves the new version from now on.
                p.caches.bump();
                // Subscribers of the resource are pushed the new version's changes.
                p.wake_worker();
                report.batch_id = batch_id;
                keep_quarantine(p, lake, quarantine, batch_id, report.quarantine).await?;
                Ok(report)
            }
            Err(e) => {
                lake.drop_quarantine(quarantine);
                blocking(lake, move |l| Ok(l.remove(&rel))).await?;
                Err(e)
            }
        }
    }

    /// Flags the entry as stale to its provider (YZ-8a): the data holds columns the catalog does not list. One open
    /// flag per resource; a committed batch resolves it.
    async fn flag_stale(&self, tx: &mut store::Tx, columns: &[String], now: i64) -> Result<()> {
        let code = &self.entry.row.code;
        if store::alerts::open_exists(tx, "catalog_stale", code).await? {
            return Ok(());
        }
        let row = store::alerts::AlertRow {
            id: 0,
            kind: "catalog_stale".into(),
            object_kind: "resource".into(),
            object_id: code.clone(),
            department_id: self.entry.provider.id,
            to_authority: false,
            due_at_us: now,
            message: format!("资源“{}”（{code}）交付的数据含有目录未列的数据项“{}”：请更新目录后再交付", self.entry.row.name, columns.join("”“")),
            message_en: format!("Resource {} ({code}) was delivered with columns the catalog does not list ({}): update the entry, then deliver", self.entry.row.name, columns.join(", ")),
            raised_at_us: now,
            resolved_at_us: None,
        };
        crate::alerts::raise_logged(tx, &Actor::platform("alerts"), &row, format!("catalog_stale: {}", columns.join(", ")), now).await?;
        Ok(())
    }

    /// Records a refused batch (no version) with its audit event; its quarantine, if any, is kept for the report.
    async fn refuse(&self, checked: Option<Checked>, refusal: Refusal, now: i64) -> Result<BatchReport> {
        let p = self.p;
        let mut report = self.report(now);
        report.state = "refused".into();
        report.refusal = Some(refusal.zh);
        report.refusal_en = Some(refusal.en);
        let stale = refusal.stale;
        let quarantine = checked.map(|c| {
            c.count_into(&mut report);
            report.failure_percent = c.failure_percent();
            self.lake.discard(c.staged);
            c.quarantine
        });
        let written: Result<i64> = async {
            let mut tx = p.store.begin().await?;
            // A refused batch keeps no key: the same batch, fixed (encoding, catalog, limit), may be delivered again.
            let row = BatchRow { external_id: None, ..self.batch_row(&report, now)? };
            let batch_id = store::lake::insert_batch(&mut tx, &row).await?;
            let mut event = self.actor.event("aggregation.batch.refuse", "resource", &self.entry.row.code);
            event.result = "refused".into();
            event.detail = format!("batch {batch_id}: {}", report.refusal_en.clone().unwrap_or_default());
            store::audit::append(&mut tx, &event, now).await?;
            if !stale.is_empty() {
                self.flag_stale(&mut tx, &stale, now).await?;
            }
            tx.commit().await?;
            Ok(batch_id)
        }
        .await;
        let batch_id = match written {
            Ok(id) => id,
            Err(e) => {
                if let Some(q) = quarantine {
                    self.lake.drop_quarantine(q);
                }
                return Err(e);
            }
        };
        report.batch_id = batch_id;
        if let Some(q) = quarantine {
            keep_quarantine(p, &self.lake, q, batch_id, report.quarantine).await?;
        }
        Ok(report)
    }
}

/// Files larger than this are checked for repeated keys in a first pass (`settings.ingest_external_keys_bytes`).
pub const DEFAULT_EXTERNAL_KEYS_BYTES: u64 = 512 << 20;

async fn external_keys_bytes(p: &Platform) -> Result<u64> {
    let mut conn = p.store.read().await?;
    Ok(store::settings::get(&mut conn, "ingest_external_keys_bytes").await?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_EXTERNAL_KEYS_BYTES))
}

/// The columns a version of `items` has, as the version records them.
fn schema_json(items: &[Item]) -> String {
    let columns: Vec<serde_json::Value> = items.iter().map(|i| serde_json::json!({"name": i.name, "type": i.data_type.as_str()})).collect();
    serde_json::Value::Array(columns).to_string()
}

/// Keeps the quarantined rows with the batch, or drops an empty quarantine.
async fn keep_quarantine(p: &Platform, lake: &Arc<Lake>, q: lake::QuarantineWriter, batch_id: i64, any: bool) -> Result<()> {
    if !any {
        lake.drop_quarantine(q);
        return Ok(());
    }
    let rel = blocking(lake, move |l| l.keep_quarantine(q, batch_id)).await?;
    let mut tx = p.store.begin().await?;
    store::lake::set_quarantine_path(&mut tx, batch_id, &rel).await?;
    tx.commit().await?;
    Ok(())
}

