//! Aggregation (归集): a department delivers a resource's data as a batch; every row is checked against the
//! resource's published items (`domain::catalog::validate`), rows that fail go to the batch's quarantine with the
//! reason per item, and the accepted rows become the resource's next dataset version — unless the failure rate is
//! above the limit, when the batch is refused whole and the previous version stays in force. The rows stream from
//! the file to the Parquet writer, so memory stays flat whatever the file's size; the version file is complete
//! before its row and audit event commit together (the lake's own order of writing makes the rest safe).

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use domain::catalog::entry::{Item, ItemType, ResourceContent};
use domain::catalog::validate::check;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use lake::{Column, ColumnType, Lake};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::lake::{BatchRow, VersionRow};

use crate::actor::ActorKind;
use crate::catalog::import::Encoding;
use crate::{Actor, Error, Platform, Result};

/// The failure rate above which a batch is refused whole, in percent, until the authority sets another
/// (`settings.ingest_max_failure_percent`).
pub const DEFAULT_MAX_FAILURE_PERCENT: f64 = 5.0;
/// Problems shown in a report as samples; the quarantine file holds them all.
const SAMPLES: usize = 20;

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BatchReport {
    pub batch_id: i64,
    pub resource_code: String,
    /// `committed` or `refused`.
    pub state: String,
    /// The dataset version it became, when committed.
    pub version: Option<i64>,
    pub source_name: String,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_quarantined: i64,
    /// Accepted rows of which some value was normalized (spaces, full-width digits, date separators…).
    pub rows_normalized: i64,
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

/// Attaches the node's lake (a folder), sweeping what interrupted deliveries left behind.
pub async fn attach(p: &Platform, dir: &Path) -> Result<()> {
    let lake = Lake::open(dir).map_err(internal)?;
    let mut conn = p.store.read().await?;
    let keep: std::collections::HashSet<String> = store::lake::all_paths(&mut conn).await?.into_iter().collect();
    drop(conn);
    let removed = lake.sweep(&keep, std::time::Duration::from_secs(3600)).map_err(internal)?;
    if removed > 0 {
        tracing::info!(removed, "swept files of interrupted deliveries from the lake");
    }
    let _ = p.lake.set(Arc::new(lake));
    Ok(())
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

fn norm_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').chars().filter(|c| !c.is_whitespace() && *c != '*').collect::<String>().to_lowercase()
}

/// Who may deliver a resource's data: its provider's data officers, the authority, the command line.
fn may_deliver(actor: &Actor, provider_id: i64) -> bool {
    actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin) || (actor.has(Role::DeptDataOfficer) && actor.department_id == Some(provider_id))
}

/// What the checking of a file found, before anything is committed.
struct Checked {
    staged: lake::Staged,
    quarantine: lake::QuarantineWriter,
    rows_read: i64,
    rows_accepted: i64,
    rows_normalized: i64,
    problems: Vec<ProblemCount>,
    samples: Vec<Sample>,
    /// The version's columns as JSON.
    schema: String,
}

/// A refusal of the whole file before its rows are read (columns, encoding, emptiness).
struct Refusal {
    zh: String,
    en: String,
}

/// Delivers a CSV file (UTF-8 or GBK, detected or declared) as a batch of resource `code`. `progress` is told the
/// bytes read so far.
pub async fn ingest_file(
    p: &Platform,
    actor: &Actor,
    code: &str,
    path: &Path,
    encoding: Encoding,
    progress: impl FnMut(u64) + Send + 'static,
) -> Result<BatchReport> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    ingest(p, actor, code, path, &name, encoding, progress).await
}

/// Delivers an uploaded file (spooled to `path`) under the name it was sent with.
pub async fn ingest_upload(p: &Platform, actor: &Actor, code: &str, path: &Path, name: &str, encoding: Encoding) -> Result<BatchReport> {
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    ingest(p, actor, code, path, &name, encoding, |_| {}).await
}

async fn ingest(
    p: &Platform,
    actor: &Actor,
    code: &str,
    path: &Path,
    source_name: &str,
    encoding: Encoding,
    progress: impl FnMut(u64) + Send + 'static,
) -> Result<BatchReport> {
    let lake = lake_of(p)?;
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    if !may_deliver(actor, entry.provider.id) {
        return Err(Error::forbidden(format!("只有{}的数据专员可以归集该资源的数据", entry.provider.name), format!("Only the data officers of {} deliver this resource's data", entry.provider.name)));
    }
    let content: ResourceContent = match entry.row.published_rev {
        Some(rev) if entry.row.state == domain::catalog::lifecycle::ResourceState::Published => {
            store::catalog::revision_of(&mut conn, entry.row.id, rev).await?.map(|r| r.content).ok_or_else(|| crate::catalog::not_found(code))?
        }
        _ => {
            return Err(Error::invalid(
                "not_published",
                format!("资源{code}尚未发布：数据按已发布目录的数据项校验，请先发布目录"),
                format!("Resource {code} is not published: data is checked against the published items, publish the entry first"),
            ))
        }
    };
    let max_failure = match store::settings::get(&mut conn, "ingest_max_failure_percent").await? {
        Some(v) => v.parse().unwrap_or(DEFAULT_MAX_FAILURE_PERCENT),
        None => DEFAULT_MAX_FAILURE_PERCENT,
    };
    drop(conn);
    if content.items.is_empty() {
        return Err(Error::invalid("no_items", "该资源的目录没有数据项，无法校验数据", "The entry has no items to check the data against"));
    }
    // A spreadsheet is turned into CSV first (its one sheet is read whole: spreadsheets are the small deliveries).
    let is_xlsx = |n: &str| {
        let n = n.to_ascii_lowercase();
        n.ends_with(".xlsx") || n.ends_with(".xlsm")
    };
    let converted = if is_xlsx(source_name) || is_xlsx(&path.to_string_lossy()) {
        let out = lake.root().join("tmp").join(format!("{}.csv", p.now_us()));
        let (from, to) = (path.to_path_buf(), out.clone());
        let converted = tokio::task::spawn_blocking(move || xlsx_to_csv(&from, &to))
            .await
            .map_err(|e| Error::Internal(store::Error::Corrupt(format!("xlsx task: {e}"))))?;
        match converted {
            Ok(()) => Some(out),
            Err(refusal) => {
                let _ = std::fs::remove_file(&out);
                return refuse(p, actor, &entry, source_name, None, refusal, max_failure, p.now_us()).await;
            }
        }
    } else {
        None
    };
    let result = ingest_csv(p, &lake, actor, &entry, converted.as_deref().unwrap_or(path), source_name, if converted.is_some() { Encoding::Utf8 } else { encoding }, content, max_failure, progress).await;
    if let Some(out) = converted {
        let _ = std::fs::remove_file(out);
    }
    result
}

/// Writes the first sheet of an XLSX file as CSV; refuses a sheet whose header has merged cells (each column needs
/// its own item name).
fn xlsx_to_csv(path: &Path, out: &Path) -> std::result::Result<(), Refusal> {
    use calamine::Reader;
    let unreadable = |e: String| Refusal { zh: format!("不是有效的XLSX文件：{e}"), en: format!("Not a valid XLSX file: {e}") };
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path).map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
    let range = book.worksheet_range_at(0).ok_or_else(|| unreadable("没有工作表 / no sheet".into()))?.map_err(|e| unreadable(e.to_string()))?;
    let header_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let merged = book.merge_cells_by_sheet_id(0).unwrap_or_default();
    if let Some(m) = merged.iter().find(|m| m.start.0 <= header_row && header_row <= m.end.0) {
        let cell = |(r, c): (u32, u32)| {
            let mut col = String::new();
            let mut n = c + 1;
            while n > 0 {
                col.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
                n = (n - 1) / 26;
            }
            format!("{col}{}", r + 1)
        };
        let (a, b) = (cell(m.start), cell(m.end));
        return Err(Refusal {
            zh: format!("表头有合并单元格（{a}:{b}）：请取消合并，每列写一个数据项名称"),
            en: format!("The header has merged cells ({a}:{b}): unmerge them and give each column its item name"),
        });
    }
    let write = || -> std::io::Result<()> {
        let mut w = csv::Writer::from_path(out)?;
        for row in range.rows() {
            w.write_record(row.iter().map(crate::catalog::import::cell_text))?;
        }
        w.flush()
    };
    write().map_err(|e| Refusal { zh: format!("无法转换XLSX：{e}"), en: format!("Cannot convert the XLSX: {e}") })
}

#[allow(clippy::too_many_arguments)]
async fn ingest_csv(
    p: &Platform,
    lake: &Arc<Lake>,
    actor: &Actor,
    entry: &crate::catalog::Entry,
    path: &Path,
    source_name: &str,
    encoding: Encoding,
    content: ResourceContent,
    max_failure: f64,
    progress: impl FnMut(u64) + Send + 'static,
) -> Result<BatchReport> {
    std::fs::File::open(path).map_err(|e| {
        Error::invalid("unreadable_file", format!("无法读取文件{}：{e}", path.display()), format!("Cannot read {}: {e}", path.display()))
    })?;
    let items = content.items.clone();
    let external_keys = external_keys_bytes(p).await?;
    let checked = tokio::task::spawn_blocking({
        let (lake, path) = (lake.clone(), path.to_path_buf());
        move || check_file(&lake, &items, &path, encoding, external_keys, progress)
    })
    .await
    .map_err(|e| Error::Internal(store::Error::Corrupt(format!("ingest task: {e}"))))?;
    let now = p.now_us();
    let checked = match checked {
        Ok(Ok(c)) => c,
        Ok(Err(refusal)) => return refuse(p, actor, entry, source_name, None, refusal, max_failure, now).await,
        Err(e) => return Err(internal(e)),
    };
    let failure = if checked.rows_read == 0 { 0.0 } else { (checked.rows_read - checked.rows_accepted) as f64 * 100.0 / checked.rows_read as f64 };
    let failure = (failure * 100.0).round() / 100.0;
    if checked.rows_read == 0 {
        lake.discard(checked.staged);
        lake.drop_quarantine(checked.quarantine);
        let refusal = Refusal { zh: "文件只有表头，没有数据行".into(), en: "The file has a header and no rows".into() };
        return refuse(p, actor, entry, source_name, None, refusal, max_failure, now).await;
    }
    if failure > max_failure {
        let refusal = Refusal {
            zh: format!("未通过校验的行占{failure}%，超过{max_failure}%的上限，整批不予入库；上一版本数据不受影响"),
            en: format!("{failure}% of the rows failed, above the {max_failure}% limit: the batch is refused whole and the previous version stays"),
        };
        return refuse(p, actor, entry, source_name, Some(checked), refusal, max_failure, now).await;
    }
    commit(p, lake, actor, entry, source_name, checked, failure, max_failure, now).await
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

fn report_of(entry: &crate::catalog::Entry, source_name: &str, actor: &Actor, now: i64, max_failure: f64) -> BatchReport {
    BatchReport {
        batch_id: 0,
        resource_code: entry.row.code.clone(),
        state: String::new(),
        version: None,
        source_name: source_name.into(),
        rows_read: 0,
        rows_accepted: 0,
        rows_quarantined: 0,
        rows_normalized: 0,
        failure_percent: 0.0,
        max_failure_percent: max_failure,
        problems: vec![],
        samples: vec![],
        refusal: None,
        refusal_en: None,
        quarantine: false,
        delivered_by: actor.name.clone(),
        delivered_at: format_rfc3339_local(from_micros(now)),
    }
}

fn batch_row(entry: &crate::catalog::Entry, report: &BatchReport, now: i64) -> Result<BatchRow> {
    Ok(BatchRow {
        id: 0,
        resource_id: entry.row.id,
        channel: "file".into(),
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
    })
}

fn counts(report: &mut BatchReport, checked: &Checked) {
    report.rows_read = checked.rows_read;
    report.rows_accepted = checked.rows_accepted;
    report.rows_quarantined = checked.rows_read - checked.rows_accepted;
    report.rows_normalized = checked.rows_normalized;
    report.problems = checked.problems.clone();
    report.samples = checked.samples.clone();
    report.quarantine = report.rows_quarantined > 0;
}

/// Records the accepted rows as the next version, with the batch and its audit event in one transaction.
#[allow(clippy::too_many_arguments)]
async fn commit(
    p: &Platform,
    lake: &Lake,
    actor: &Actor,
    entry: &crate::catalog::Entry,
    source_name: &str,
    checked: Checked,
    failure: f64,
    max_failure: f64,
    now: i64,
) -> Result<BatchReport> {
    let mut report = report_of(entry, source_name, actor, now, max_failure);
    counts(&mut report, &checked);
    report.state = "committed".into();
    report.failure_percent = failure;
    let Checked { staged, quarantine, schema, .. } = checked;
    let (rows, bytes, sha256) = (staged.rows as i64, staged.bytes as i64, staged.sha256.clone());
    let mut conn = p.store.read().await?;
    let version = store::lake::next_version(&mut conn, entry.row.id).await?;
    drop(conn);
    report.version = Some(version);
    let rel = lake.commit(staged, &entry.row.code, version).map_err(internal)?;
    let result: Result<i64> = async {
        let mut tx = p.store.begin().await?;
        let batch_id = store::lake::insert_batch(&mut tx, &batch_row(entry, &report, now)?).await?;
        let v = VersionRow { resource_id: entry.row.id, version, batch_id, path: rel.clone(), rows, bytes, sha256: sha256.clone(), schema, created_at_us: now };
        store::lake::insert_version(&mut tx, &v).await.map_err(|e| {
            Error::from_store_conflict(e, "同一资源的另一批数据正在入库，请稍后重试", "Another batch of this resource is being committed: try again shortly")
        })?;
        let mut event = actor.event("aggregation.batch.commit", "resource", &entry.row.code);
        event.detail = format!("batch {batch_id} → version {version}: {rows} rows, {} quarantined", report.rows_quarantined);
        store::audit::append(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(batch_id)
    }
    .await;
    match result {
        Ok(batch_id) => {
            report.batch_id = batch_id;
            keep_quarantine(p, lake, quarantine, batch_id, report.quarantine).await?;
            Ok(report)
        }
        Err(e) => {
            lake.remove(&rel);
            lake.drop_quarantine(quarantine);
            Err(e)
        }
    }
}

/// Records a refused batch (no version) with its audit event; its quarantine, if any, is kept for the report.
#[allow(clippy::too_many_arguments)]
async fn refuse(
    p: &Platform,
    actor: &Actor,
    entry: &crate::catalog::Entry,
    source_name: &str,
    checked: Option<Checked>,
    refusal: Refusal,
    max_failure: f64,
    now: i64,
) -> Result<BatchReport> {
    let lake = lake_of(p)?;
    let mut report = report_of(entry, source_name, actor, now, max_failure);
    report.state = "refused".into();
    report.refusal = Some(refusal.zh);
    report.refusal_en = Some(refusal.en);
    let quarantine = checked.map(|c| {
        counts(&mut report, &c);
        lake.discard(c.staged);
        report.failure_percent = if c.rows_read == 0 { 0.0 } else { ((c.rows_read - c.rows_accepted) as f64 * 10_000.0 / c.rows_read as f64).round() / 100.0 };
        c.quarantine
    });
    let mut tx = p.store.begin().await?;
    let batch_id = store::lake::insert_batch(&mut tx, &batch_row(entry, &report, now)?).await?;
    let mut event = actor.event("aggregation.batch.refuse", "resource", &entry.row.code);
    event.result = "refused".into();
    event.detail = format!("batch {batch_id}: {}", report.refusal_en.clone().unwrap_or_default());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    report.batch_id = batch_id;
    if let Some(q) = quarantine {
        keep_quarantine(p, &lake, q, batch_id, report.quarantine).await?;
    }
    Ok(report)
}

/// Keeps the quarantined rows with the batch, or drops an empty quarantine.
async fn keep_quarantine(p: &Platform, lake: &Lake, q: lake::QuarantineWriter, batch_id: i64, any: bool) -> Result<()> {
    if !any {
        lake.drop_quarantine(q);
        return Ok(());
    }
    let rel = lake.keep_quarantine(q, batch_id).map_err(internal)?;
    let mut tx = p.store.begin().await?;
    store::lake::set_quarantine_path(&mut tx, batch_id, &rel).await?;
    tx.commit().await?;
    Ok(())
}

/// Counts the bytes read, for the progress bar.
struct Counting<R, F> {
    inner: R,
    read: u64,
    tell: F,
}

impl<R: Read, F: FnMut(u64)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.tell)(self.read);
        Ok(n)
    }
}

/// A 64-bit fingerprint of a row's key (FNV-1a over the values, each ended by 0xff, which UTF-8 never holds). Keys
/// are remembered by fingerprint only, so memory stays at a few bytes a row; two different keys sharing one is
/// about as likely as 1 in 10^7 over ten million rows.
fn key_hash(values: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        for b in v.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The fingerprints are already hashes: the map uses them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | *b as u64;
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Opens a CSV for reading records: the encoding decided (or checked against the declared one) on the first
/// megabyte, GBK transcoded on the way, a UTF-8 byte-order mark dropped.
fn open_records<'a>(file: std::fs::File, encoding: Encoding, progress: impl FnMut(u64) + 'a) -> std::io::Result<Result<csv::Reader<Box<dyn Read + 'a>>, Refusal>> {
    let mut counting = Counting { inner: std::io::BufReader::with_capacity(1 << 20, file), read: 0, tell: progress };
    // The encoding is decided on the first megabyte: valid UTF-8 (a character cut at the end aside) is UTF-8.
    let mut head = vec![0u8; 1 << 20];
    let mut filled = 0;
    while filled < head.len() {
        let n = counting.read(&mut head[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    let gbk = match encoding {
        Encoding::Auto => !utf8,
        Encoding::Utf8 if !utf8 => {
            return Ok(Err(Refusal { zh: "文件不是UTF-8编码（可能是GBK：请声明 --encoding gbk 或使用 auto）".into(), en: "The file is not UTF-8 (it may be GBK: declare --encoding gbk or use auto)".into() }))
        }
        Encoding::Utf8 => false,
        Encoding::Gbk if utf8 && !head.is_ascii() => {
            return Ok(Err(Refusal { zh: "文件是UTF-8编码，却声明为GBK（请改用 --encoding utf-8 或 auto）".into(), en: "The file is UTF-8, declared GBK (use --encoding utf-8 or auto)".into() }))
        }
        Encoding::Gbk => true,
    };
    // UTF-8 goes to the CSV reader as it is (the reader checks it); GBK is transcoded on the way.
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
    let stream = std::io::Cursor::new(head).chain(counting);
    let reader: Box<dyn Read + 'a> = if gbk {
        Box::new(encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(encoding_rs::GB18030)).build(stream))
    } else {
        let mut stream = stream;
        std::io::copy(&mut (&mut stream).take(bom), &mut std::io::sink())?;
        Box::new(stream)
    };
    Ok(Ok(csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(reader)))
}

/// Key fingerprints kept while checking: every accepted row's (the file fits in memory), or only those a first pass
/// found repeated, each with the line it first appears on (a large file: memory stays flat). In the second case a
/// key's later occurrences are quarantined even when its first row fails for another reason.
enum Keys {
    Seen(HashMap<u64, u64, std::hash::BuildHasherDefault<Identity>>),
    Repeated(HashMap<u64, u64, std::hash::BuildHasherDefault<Identity>>),
}

impl Keys {
    /// The first line of a key seen again on `line`, if it repeats an earlier one.
    fn repeats(&mut self, fingerprint: u64, line: u64) -> Option<u64> {
        match self {
            Keys::Seen(seen) => seen.insert(fingerprint, line),
            Keys::Repeated(repeated) => repeated.get(&fingerprint).copied().filter(|first| *first != line),
        }
    }
}

/// Fingerprints per sorted run spilled to disk by the first pass (16 bytes each: 64 MiB a run).
const RUN: usize = 4 << 20;

/// The first pass over a large file: every row's key fingerprint and line, sorted in runs on disk and merged, to
/// find the keys that repeat and the line each first appears on.
fn repeated_keys(dir: &Path, path: &Path, encoding: Encoding, items: &[Item], key_items: &[usize], column_of: &[Option<usize>], run_len: usize) -> std::io::Result<Keys> {
    use std::io::{BufReader, BufWriter, Write};
    let Ok(mut csv) = open_records(std::fs::File::open(path)?, encoding, |_| {})? else { return Ok(Keys::Repeated(HashMap::default())) };
    let mut record = csv::StringRecord::new();
    let _ = csv.read_record(&mut record);
    let mut run: Vec<(u64, u64)> = Vec::with_capacity(run_len.min(1 << 20));
    let mut files: Vec<tempfile::NamedTempFile> = Vec::new();
    let spill = |run: &mut Vec<(u64, u64)>, files: &mut Vec<tempfile::NamedTempFile>| -> std::io::Result<()> {
        run.sort_unstable();
        let file = tempfile::NamedTempFile::new_in(dir)?;
        let mut w = BufWriter::with_capacity(1 << 20, file.as_file());
        for (fp, line) in run.iter() {
            w.write_all(&fp.to_le_bytes())?;
            w.write_all(&line.to_le_bytes())?;
        }
        w.flush()?;
        drop(w);
        files.push(file);
        run.clear();
        Ok(())
    };
    let mut line: u64 = 1;
    while csv.read_record(&mut record).unwrap_or(false) {
        line = record.position().map(|p| p.line()).unwrap_or(line + 1);
        let mut key: Vec<std::borrow::Cow<str>> = Vec::with_capacity(key_items.len());
        for i in key_items {
            match check(&items[*i], column_of[*i].and_then(|c| record.get(c)).unwrap_or("")) {
                Ok(c) => key.push(c.value.unwrap_or_default()),
                Err(_) => break,
            }
        }
        if key.len() == key_items.len() {
            let parts: Vec<&str> = key.iter().map(|k| k.as_ref()).collect();
            run.push((key_hash(&parts), line));
            if run.len() >= run_len {
                spill(&mut run, &mut files)?;
            }
        }
    }
    let mut repeated: HashMap<u64, u64, std::hash::BuildHasherDefault<Identity>> = HashMap::default();
    let mut note = |previous: &mut Option<(u64, u64)>, (fp, line): (u64, u64)| {
        match previous {
            Some((p, first)) if *p == fp => {
                repeated.entry(fp).or_insert(*first);
            }
            _ => *previous = Some((fp, line)),
        }
    };
    let mut previous = None;
    if files.is_empty() {
        run.sort_unstable();
        for pair in run {
            note(&mut previous, pair);
        }
        return Ok(Keys::Repeated(repeated));
    }
    spill(&mut run, &mut files)?;
    // Merge the runs: the smallest head first.
    let mut readers: Vec<BufReader<&std::fs::File>> = files.iter().map(|f| BufReader::with_capacity(1 << 16, f.as_file())).collect();
    for r in readers.iter_mut() {
        std::io::Seek::rewind(r.get_mut())?;
    }
    let next = |r: &mut BufReader<&std::fs::File>| -> std::io::Result<Option<(u64, u64)>> {
        let mut buf = [0u8; 16];
        match std::io::Read::read_exact(r, &mut buf) {
            Ok(()) => Ok(Some((u64::from_le_bytes(buf[..8].try_into().unwrap_or_default()), u64::from_le_bytes(buf[8..].try_into().unwrap_or_default())))),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    };
    let mut heap = std::collections::BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some(pair) = next(r)? {
            heap.push(std::cmp::Reverse((pair, i)));
        }
    }
    while let Some(std::cmp::Reverse((pair, i))) = heap.pop() {
        note(&mut previous, pair);
        if let Some(pair) = next(&mut readers[i])? {
            heap.push(std::cmp::Reverse((pair, i)));
        }
    }
    Ok(Keys::Repeated(repeated))
}

/// Reads and checks a CSV file, writing accepted rows to a staged version and the others to the quarantine.
/// Answers a refusal when the file cannot be taken at all (encoding, columns). A file larger than `external_keys`
/// bytes is read twice: first for its repeated keys, so memory stays flat whatever its size.
fn check_file(lake: &Lake, items: &[Item], path: &Path, encoding: Encoding, external_keys: u64, progress: impl FnMut(u64)) -> lake::Result<Result<Checked, Refusal>> {
    let file = std::fs::File::open(path)?;
    let large = file.metadata()?.len() > external_keys;
    let mut csv = match open_records(file, encoding, progress)? {
        Ok(csv) => csv,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut record = csv::StringRecord::new();
    match csv.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Ok(Err(Refusal { zh: "文件是空的".into(), en: "The file is empty".into() })),
        Err(e) => return Ok(Err(Refusal { zh: format!("第1行不是合法的CSV：{e}"), en: format!("Line 1 is not valid CSV: {e}") })),
    }
    // Each file column to an item, by column name or Chinese label.
    let mut mapping: Vec<Option<usize>> = Vec::with_capacity(record.len());
    let mut unknown = Vec::new();
    for header in record.iter() {
        let h = norm_header(header);
        match items.iter().position(|i| norm_header(&i.name) == h || norm_header(&i.label) == h) {
            Some(i) if mapping.contains(&Some(i)) => {
                return Ok(Err(Refusal { zh: format!("表头“{header}”重复"), en: format!("The header '{header}' appears twice") }));
            }
            Some(i) => mapping.push(Some(i)),
            None if h.is_empty() => mapping.push(None),
            None => {
                unknown.push(header.to_string());
                mapping.push(None);
            }
        }
    }
    if !unknown.is_empty() {
        return Ok(Err(Refusal {
            zh: format!("表头中的“{}”不是目录所列的数据项：按目录采集，不得超出（或先更新目录）", unknown.join("”“")),
            en: format!("Columns {} are not items of the entry: deliver what the catalog lists (or update the entry first)", unknown.join(", ")),
        }));
    }
    let absent: Vec<&Item> = items.iter().enumerate().filter(|(i, it)| (it.required || it.is_key) && !mapping.contains(&Some(*i))).map(|(_, it)| it).collect();
    if !absent.is_empty() {
        let names: Vec<String> = absent.iter().map(|i| format!("{}（{}）", i.label, i.name)).collect();
        return Ok(Err(Refusal { zh: format!("缺少必填数据项的列：{}", names.join("、")), en: format!("Columns of required items are missing: {}", names.join(", ")) }));
    }
    // For each item, the file column it is read from.
    let column_of: Vec<Option<usize>> = (0..items.len()).map(|i| mapping.iter().position(|m| *m == Some(i))).collect();
    let columns: Vec<Column> = items.iter().map(|i| Column { name: i.name.clone(), ty: column_type(i) }).collect();
    let mut writer = lake.stage(&columns)?;
    let mut header = vec!["行号", "问题"];
    header.extend(record.iter());
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    let mut quarantine = lake.quarantine(&header.iter().map(String::as_str).collect::<Vec<_>>())?;
    let key_items: Vec<usize> = items.iter().enumerate().filter(|(_, i)| i.is_key).map(|(i, _)| i).collect();
    let mut keys = if large && !key_items.is_empty() {
        repeated_keys(&lake.root().join("tmp"), path, encoding, items, &key_items, &column_of, RUN)?
    } else {
        Keys::Seen(HashMap::default())
    };
    let mut problem_counts: HashMap<(usize, &'static str), i64> = HashMap::new();
    let mut samples = Vec::new();
    let (mut rows_read, mut rows_accepted, mut rows_normalized) = (0i64, 0i64, 0i64);
    let mut line: u64 = 1;
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                writer.abandon();
                lake.drop_quarantine(quarantine);
                return Ok(Err(Refusal { zh: format!("第{}行之后文件无法读取（可能被截断或编码有误）：{e}", line), en: format!("The file cannot be read after line {line} (truncated or wrongly encoded?): {e}") }));
            }
        }
        line = record.position().map(|p| p.line()).unwrap_or(line + 1);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows_read += 1;
        let mut reasons: Vec<String> = Vec::new();
        if record.len() != mapping.len() {
            reasons.push(format!("本行有{}列，表头有{}列", record.len(), mapping.len()));
            *problem_counts.entry((usize::MAX, "ragged_row")).or_default() += 1;
            if samples.len() < SAMPLES {
                samples.push(Sample { line, item: String::new(), message: reasons[0].clone(), message_en: format!("the row has {} cells, the header {}", record.len(), mapping.len()) });
            }
        } else {
            let mut values: Vec<Option<std::borrow::Cow<str>>> = vec![None; items.len()];
            let mut normalized = false;
            for (i, item) in items.iter().enumerate() {
                let cell = column_of[i].and_then(|c| record.get(c)).unwrap_or("");
                match check(item, cell) {
                    Ok(c) => {
                        normalized |= c.normalized;
                        values[i] = c.value;
                    }
                    Err(problem) => {
                        let (zh, en) = problem.messages(item);
                        *problem_counts.entry((i, problem.code())).or_default() += 1;
                        if samples.len() < SAMPLES {
                            samples.push(Sample { line, item: item.name.clone(), message: zh.clone(), message_en: en });
                        }
                        reasons.push(zh);
                    }
                }
            }
            if reasons.is_empty() && !key_items.is_empty() {
                let key: Vec<&str> = key_items.iter().map(|i| values[*i].as_deref().unwrap_or("")).collect();
                if let Some(first) = keys.repeats(key_hash(&key), line) {
                    let zh = format!("主键（{}）与第{first}行重复", key.join("，"));
                    *problem_counts.entry((key_items[0], "duplicate_key")).or_default() += 1;
                    if samples.len() < SAMPLES {
                        samples.push(Sample { line, item: items[key_items[0]].name.clone(), message: zh.clone(), message_en: format!("the key ({}) repeats line {first}", key.join(", ")) });
                    }
                    reasons.push(zh);
                }
            }
            if reasons.is_empty() {
                let row: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
                writer.push(&row)?;
                rows_accepted += 1;
                rows_normalized += normalized as i64;
                continue;
            }
        }
        let joined = reasons.join("；");
        let line_text = line.to_string();
        let mut cells = vec![line_text.as_str(), joined.as_str()];
        cells.extend(record.iter());
        quarantine.write_record(cells)?;
    }
    let staged = writer.finish()?;
    let mut problems: Vec<ProblemCount> = problem_counts
        .into_iter()
        .map(|((i, code), count)| ProblemCount { item: items.get(i).map(|it| it.name.clone()).unwrap_or_default(), code: code.to_string(), count })
        .collect();
    problems.sort_by(|a, b| b.count.cmp(&a.count).then(a.item.cmp(&b.item)));
    Ok(Ok(Checked { staged, quarantine, rows_read, rows_accepted, rows_normalized, problems, samples, schema: schema_json(items) }))
}

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

/// The limits aggregation applies, which the authority sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A batch with more failing rows than this, in percent, is refused whole.
    pub max_failure_percent: f64,
}

pub async fn limits(p: &Platform) -> Result<Limits> {
    let mut conn = p.store.read().await?;
    let max_failure_percent = store::settings::get(&mut conn, "ingest_max_failure_percent").await?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MAX_FAILURE_PERCENT);
    Ok(Limits { max_failure_percent })
}

/// The authority sets the failure limit (0 to 100).
pub async fn set_limits(p: &Platform, actor: &Actor, limits: Limits) -> Result<Limits> {
    crate::orgs::require_authority(actor)?;
    let percent = limits.max_failure_percent;
    if !(0.0..=100.0).contains(&percent) {
        return Err(Error::invalid("invalid_limit", "失败率上限须在0至100之间", "The failure limit is a percentage from 0 to 100"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    store::settings::set(&mut tx, "ingest_max_failure_percent", &percent.to_string()).await?;
    let mut event = actor.event("aggregation.limits.set", "settings", "ingest_max_failure_percent");
    event.detail = percent.to_string();
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
    let owner = actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin) || actor.department_id == Some(entry.provider.id);
    if !owner {
        return Err(Error::forbidden("隔离区数据含原始值，只有提供部门和数据主管部门可以下载", "The quarantine holds raw values: only the provider and the authority download it"));
    }
    let path = batch.quarantine_path.ok_or_else(|| Error::not_found(format!("批次{id}没有隔离的行"), format!("Batch {id} quarantined no rows")))?;
    lake_of(p)?.read_file(&path).map_err(internal)
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
}

/// The published resources with a declared update frequency, late ones first: a department's own for its data
/// officers, every one for the authority, the service center and auditors.
pub async fn freshness(p: &Platform, actor: &Actor) -> Result<Vec<Freshness>> {
    let all = actor.oversees();
    if !all && !actor.has(Role::DeptDataOfficer) {
        return Err(Error::forbidden("无权查看归集时效", "You may not see delivery freshness"));
    }
    let now = p.clock.now();
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
        out.push(Freshness {
            code: row.code,
            name: content.name,
            provider_id: row.provider_department_id,
            provider,
            update_frequency: frequency,
            last_delivery: delivered.map(|u| format_rfc3339_local(from_micros(u))),
            due: due.map(format_rfc3339_local),
            late: due.is_some_and(|d| now > d),
        });
    }
    out.sort_by(|a, b| b.late.cmp(&a.late).then(a.due.cmp(&b.due)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::catalog::entry::IdentifierKind;

    fn item(name: &str, key: bool) -> Item {
        Item {
            name: name.into(),
            label: name.into(),
            data_type: ItemType::String,
            format: String::new(),
            is_key: key,
            required: false,
            identifier: IdentifierKind::None,
            level: None,
            values: vec![],
            description: String::new(),
        }
    }

    #[test]
    fn the_first_pass_finds_repeated_keys_across_spilled_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut text = String::from("k,v\n");
        for n in 0..50 {
            text.push_str(&format!("K{n},{n}\n"));
        }
        text.push_str("K3,again\nK47,again\nK3,thrice\n");
        std::fs::write(&path, text).unwrap();
        let items = [item("k", true), item("v", false)];
        for run in [4, 1000] {
            let Keys::Repeated(found) = repeated_keys(dir.path(), &path, Encoding::Auto, &items, &[0], &[Some(0), Some(1)], run).unwrap() else { panic!("repeated") };
            let mut firsts: Vec<u64> = found.into_values().collect();
            firsts.sort();
            assert_eq!(firsts, [5, 49], "K3 first on line 5, K47 on line 49 (run of {run})");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the runs are removed");
    }
}
