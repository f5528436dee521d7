//! Database sync (数据库抽取, SYS-7): a job reads a department's own PostgreSQL or MySQL/MariaDB table and
//! delivers it as a batch — the whole table each run (`full`: the version is replaced), or the rows past the
//! cursor column (`incremental`: a timestamp or increasing key; the rows are merged into the previous version by
//! key, so updated rows replace their old values). The connection URL is sealed with the node's key; the cursor
//! moves only when the batch commits, so a failed or interrupted run reads the same rows again, which the merge
//! makes harmless. Scheduled jobs are claimed by one node at a time.

use std::collections::BTreeMap;

use domain::catalog::entry::Item;
use domain::clock::{format_rfc3339_local, from_micros};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::source::{Cursor, Engine, SourceError};
use store::sync::SyncJobRow;

use super::{lake_of, may_deliver, published_content, BatchReport, Delivery, Format, Mode};
use crate::catalog::import::Encoding;
use crate::{Actor, Error, Platform, Result};

/// How long a run may hold its job before another node may take it (a crashed node's run).
const CLAIM_MICROS: i64 = 6 * 3600 * 1_000_000;

/// A sync job as set up.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSyncJob {
    pub resource_code: String,
    /// `postgres://user:password@host:port/db` or `mysql://…` (MariaDB too). Stored sealed, never shown again.
    pub connection: String,
    /// The table (or view), optionally `schema.table`.
    pub table: String,
    /// Item name → source column, for items whose column is named otherwise; the rest are read from the column of
    /// the item's own name, when the table has it.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// `full` (default) or `incremental`.
    #[serde(default)]
    pub mode: Option<String>,
    /// For `incremental`: the timestamp or increasing key column.
    #[serde(default)]
    pub cursor_column: Option<String>,
    /// Minutes between scheduled runs (5 to 44,640); none: run only when asked.
    #[serde(default)]
    pub interval_minutes: Option<i64>,
}

/// A source to test before setting up a job.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionTest {
    pub connection: String,
    pub table: String,
    /// When given, the test also says which of the resource's items the table supplies.
    #[serde(default)]
    pub resource_code: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SourceColumnView {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ConnectionReport {
    pub engine: String,
    pub columns: Vec<SourceColumnView>,
    pub rows: i64,
    /// Item name → the column it is read from (with a resource).
    pub mapped: BTreeMap<String, String>,
    /// Items the table does not supply (with a resource); required ones stop a job.
    pub unmapped: Vec<String>,
}

/// A sync job as shown: never its password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SyncJob {
    pub id: i64,
    pub resource_code: String,
    pub engine: String,
    /// The connection URL with its password masked.
    pub connection: String,
    pub table: String,
    pub columns: BTreeMap<String, String>,
    pub mode: String,
    pub cursor_column: Option<String>,
    /// How far an incremental job has read (the last row's cursor value).
    pub cursor_value: Option<String>,
    pub interval_minutes: Option<i64>,
    pub next_run_at: Option<String>,
    pub last_run_at: Option<String>,
    pub last_batch_id: Option<i64>,
    pub last_error: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SyncRun {
    pub job_id: i64,
    pub rows_read: u64,
    /// The batch the rows became; none when an incremental run found nothing new.
    pub batch: Option<BatchReport>,
    pub job: SyncJob,
}

/// A connection URL with its password masked, to show: in the authority part and as a `password=` parameter.
fn masked(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (url, None),
    };
    let query = query.map(|q| {
        q.split('&').map(|kv| if kv.to_ascii_lowercase().starts_with("password=") { "password=***" } else { kv }).collect::<Vec<_>>().join("&")
    });
    let shown = masked_authority(url);
    match query {
        Some(q) => format!("{shown}?{q}"),
        None => shown,
    }
}

fn masked_authority(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "***".into() };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => (Some(auth), host),
        None => (None, rest),
    };
    match auth {
        Some(auth) => {
            let user = auth.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => format!("{scheme}://{host}"),
    }
}

fn source_error(e: SourceError) -> Error {
    let (code, zh, en) = match &e {
        SourceError::Url => (
            "sync_connection_url",
            "连接串须为 postgres://用户:密码@主机:端口/库 或 mysql://…，经网络连接（不接受本机套接字或 host= 参数）".to_string(),
            "The URL is postgres://user:password@host:port/db or mysql://…, reached over the network (no local socket, no host= parameter)".to_string(),
        ),
        SourceError::Connect(why) => ("sync_unreachable", format!("无法连接部门数据库：{why}（请检查地址、端口、用户名和密码，以及防火墙）"), format!("{e} (check host, port, user, password and firewall)")),
        SourceError::Name(n) => ("sync_bad_name", format!("“{n}”不是合法的表名或列名：只能含字母、数字和下划线"), e.to_string()),
        SourceError::Table(t, why) => ("sync_no_table", format!("表{t}不存在或无权读取：{why}"), e.to_string()),
        SourceError::Column(c) => ("sync_no_column", format!("源表中没有列{c}"), e.to_string()),
        SourceError::Read(why) => ("sync_read_failed", format!("读取源表失败：{why}"), e.to_string()),
        SourceError::Write(why) => return Error::Internal(store::Error::Corrupt(format!("sync spool: {why}"))),
    };
    Error::invalid(code, zh, en)
}

/// Refuses a URL that leads to the platform's own control-plane database.
fn not_own_database(p: &Platform, url: &str) -> Result<()> {
    if p.store.is_own_database(url) {
        return Err(Error::invalid(
            "sync_control_plane",
            "该连接指向本平台自身的数据库，不能作为部门数据源",
            "The URL leads to the platform's own database, which is no department's source",
        ));
    }
    Ok(())
}

/// Which item is read from which source column: the job's own mapping first, then the column of the item's name.
fn mapping(items: &[Item], columns: &BTreeMap<String, String>, source: &[store::source::SourceColumn]) -> Result<(BTreeMap<String, String>, Vec<String>)> {
    for item in columns.keys() {
        if !items.iter().any(|i| &i.name == item) {
            return Err(Error::invalid("sync_unknown_item", format!("映射中的“{item}”不是该资源的数据项"), format!("'{item}' in the mapping is not an item of the resource")));
        }
    }
    let mut mapped = BTreeMap::new();
    let mut unmapped = Vec::new();
    for item in items {
        let wanted = columns.get(&item.name).cloned();
        let found = match &wanted {
            Some(c) => source.iter().find(|s| &s.name == c),
            None => source.iter().find(|s| s.name.eq_ignore_ascii_case(&item.name)),
        };
        match (found, wanted) {
            (Some(s), _) => {
                mapped.insert(item.name.clone(), s.name.clone());
            }
            (None, Some(c)) => return Err(source_error(SourceError::Column(c))),
            (None, None) => unmapped.push(item.name.clone()),
        }
    }
    Ok((mapped, unmapped))
}

async fn resource_items(p: &Platform, actor: &Actor, code: &str) -> Result<(crate::catalog::Entry, Vec<Item>)> {
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    if !may_deliver(actor, entry.provider.id) {
        return Err(Error::forbidden(format!("只有{}的数据专员可以设置该资源的同步", entry.provider.name), format!("Only the data officers of {} set up this resource's sync", entry.provider.name)));
    }
    let items = published_content(&mut conn, &entry).await?.items;
    Ok((entry, items))
}

/// The connection test: reaches the source, describes the table, counts its rows and, with a resource, says which
/// items it supplies.
pub async fn test_connection(p: &Platform, actor: &Actor, t: ConnectionTest) -> Result<ConnectionReport> {
    let engine = Engine::of_url(&t.connection).ok_or_else(|| source_error(SourceError::Url))?;
    not_own_database(p, &t.connection)?;
    let resource = match &t.resource_code {
        Some(code) => Some(resource_items(p, actor, code).await?),
        None => {
            if !(actor.has(domain::roles::Role::DeptDataOfficer) || actor.has(domain::roles::Role::AuthorityAdmin)) {
                return Err(Error::forbidden("只有数据专员和数据主管部门可以测试数据库连接", "Only data officers and the authority test database connections"));
            }
            None
        }
    };
    let inspected = store::source::inspect(&t.connection, &t.table).await.map_err(source_error)?;
    let (mapped, unmapped) = match &resource {
        Some((_, items)) => mapping(items, &t.columns, &inspected.columns)?,
        None => Default::default(),
    };
    Ok(ConnectionReport {
        engine: engine.as_str().into(),
        columns: inspected.columns.into_iter().map(|c| SourceColumnView { name: c.name, type_name: c.type_name }).collect(),
        rows: inspected.rows,
        mapped,
        unmapped,
    })
}

fn view(row: SyncJobRow, resource_code: String) -> SyncJob {
    let at = |us: Option<i64>| us.map(|u| format_rfc3339_local(from_micros(u)));
    SyncJob {
        id: row.id,
        resource_code,
        engine: row.engine,
        connection: row.connection_shown,
        table: row.source_table,
        columns: serde_json::from_str(&row.columns).unwrap_or_default(),
        mode: row.mode,
        cursor_column: row.cursor_column,
        cursor_value: row.cursor_value,
        interval_minutes: row.interval_minutes,
        next_run_at: at(row.next_run_at_us),
        last_run_at: at(row.last_run_at_us),
        last_batch_id: row.last_batch_id,
        last_error: row.last_error,
        created_by: row.created_by,
        created_at: format_rfc3339_local(from_micros(row.created_at_us)),
    }
}

/// Sets up a job after testing its source: the table must supply the key and required items, and an incremental
/// job's cursor column must exist. The URL is sealed before it is stored.
pub async fn create(p: &Platform, actor: &Actor, job: NewSyncJob) -> Result<SyncJob> {
    let mode = match job.mode.as_deref().unwrap_or("full") {
        m @ ("full" | "incremental") => m.to_string(),
        other => return Err(Error::invalid("sync_mode", format!("未知同步方式“{other}”：可选 full（全量）、incremental（增量）"), format!("Unknown mode '{other}': full or incremental"))),
    };
    if let Some(m) = job.interval_minutes {
        if !(5..=44_640).contains(&m) {
            return Err(Error::invalid("sync_interval", "同步间隔须在5分钟至31天（44640分钟）之间", "The interval is 5 minutes to 31 days (44,640 minutes)"));
        }
    }
    let cursor = match (mode.as_str(), job.cursor_column.as_deref()) {
        ("incremental", Some(c)) => Some(c.to_string()),
        ("incremental", None) => {
            return Err(Error::invalid("sync_cursor", "增量同步须指定游标列（时间戳或递增主键）", "An incremental job names its cursor column (a timestamp or increasing key)"))
        }
        (_, Some(_)) => return Err(Error::invalid("sync_cursor", "全量同步不使用游标列", "A full job has no cursor column")),
        _ => None,
    };
    let (entry, items) = resource_items(p, actor, &job.resource_code).await?;
    if mode == "incremental" && !items.iter().any(|i| i.is_key) {
        return Err(Error::invalid("merge_without_key", "该资源的目录没有主键数据项，增量同步无法按主键合并，请用全量同步", "The entry has no key item: incremental rows cannot be merged by key, use a full job"));
    }
    let engine = Engine::of_url(&job.connection).ok_or_else(|| source_error(SourceError::Url))?;
    not_own_database(p, &job.connection)?;
    let inspected = store::source::inspect(&job.connection, &job.table).await.map_err(source_error)?;
    let (_, unmapped) = mapping(&items, &job.columns, &inspected.columns)?;
    let missing: Vec<&Item> = items.iter().filter(|i| (i.required || i.is_key) && unmapped.contains(&i.name)).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|i| format!("{}（{}）", i.label, i.name)).collect();
        return Err(Error::invalid(
            "sync_missing_items",
            format!("源表没有必填数据项的列：{}（可在 columns 中指定对应列）", names.join("、")),
            format!("The table has no column for required items: {} (map them in `columns`)", names.join(", ")),
        ));
    }
    if let Some(c) = &cursor {
        store::source::check_name(c, false).map_err(source_error)?;
        if !inspected.columns.iter().any(|s| &s.name == c) {
            return Err(source_error(SourceError::Column(c.clone())));
        }
    }
    let sealer = crate::secrets::sealer(p)?;
    let now = p.now_us();
    let row = SyncJobRow {
        id: 0,
        resource_id: entry.row.id,
        engine: engine.as_str().into(),
        connection: sealer.seal(&job.connection),
        connection_shown: masked(&job.connection),
        source_table: job.table.clone(),
        columns: serde_json::to_string(&job.columns).unwrap_or_else(|_| "{}".into()),
        mode,
        cursor_column: cursor,
        cursor_value: None,
        cursor_seen: "[]".into(),
        interval_minutes: job.interval_minutes,
        next_run_at_us: job.interval_minutes.map(|_| now),
        last_run_at_us: None,
        last_batch_id: None,
        last_error: None,
        created_by: actor.name.clone(),
        created_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::sync::insert(&mut tx, &row).await?;
    let mut event = actor.event("aggregation.sync.create", "sync_job", id.to_string());
    event.detail = format!("{} ← {} {} ({})", entry.row.code, row.connection_shown, row.source_table, row.mode);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

async fn job_of(p: &Platform, actor: &Actor, id: i64) -> Result<(SyncJobRow, crate::catalog::Entry)> {
    let not_found = || Error::not_found(format!("同步任务{id}不存在"), format!("Sync job {id} does not exist"));
    let mut conn = p.store.read().await?;
    let row = store::sync::by_id(&mut conn, id).await?.ok_or_else(not_found)?;
    let resource = store::catalog::by_id(&mut conn, row.resource_id).await?.ok_or_else(not_found)?;
    let entry = crate::catalog::entry_of(p, &mut conn, resource).await?;
    if !(actor.oversees() || actor.department_id == Some(entry.provider.id)) {
        return Err(Error::forbidden("只有提供部门和数据主管部门可以查看同步任务", "Only the provider and the authority see sync jobs"));
    }
    Ok((row, entry))
}

pub async fn get(p: &Platform, actor: &Actor, id: i64) -> Result<SyncJob> {
    let (row, entry) = job_of(p, actor, id).await?;
    Ok(view(row, entry.row.code))
}

/// The jobs a caller sees: a department's own, or every one for those who oversee.
pub async fn list(p: &Platform, actor: &Actor) -> Result<Vec<SyncJob>> {
    let department = if actor.oversees() {
        None
    } else {
        Some(actor.department_id.ok_or_else(|| Error::forbidden("无权查看同步任务", "You may not see sync jobs"))?)
    };
    let mut conn = p.store.read().await?;
    let rows = store::sync::list(&mut conn, department).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let code = store::catalog::by_id(&mut conn, row.resource_id).await?.map(|r| r.code).unwrap_or_default();
        out.push(view(row, code));
    }
    Ok(out)
}

/// Removes a job (its batches and versions stay).
pub async fn delete(p: &Platform, actor: &Actor, id: i64) -> Result<()> {
    let (row, entry) = job_of(p, actor, id).await?;
    if !may_deliver(actor, entry.provider.id) {
        return Err(Error::forbidden("只有提供部门的数据专员和数据主管部门可以删除同步任务", "Only the provider's data officers and the authority remove sync jobs"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    store::sync::delete(&mut tx, id).await?;
    let mut event = actor.event("aggregation.sync.delete", "sync_job", id.to_string());
    event.detail = format!("{} ← {} {}", entry.row.code, row.connection_shown, row.source_table);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Runs a job now, for someone who may deliver its resource. A run already under way answers a conflict.
pub async fn run(p: &Platform, actor: &Actor, id: i64) -> Result<SyncRun> {
    let (_, entry) = job_of(p, actor, id).await?;
    if !may_deliver(actor, entry.provider.id) {
        return Err(Error::forbidden("只有提供部门的数据专员和数据主管部门可以运行同步任务", "Only the provider's data officers and the authority run sync jobs"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let claimed = store::sync::claim(&mut tx, id, now, now + CLAIM_MICROS).await?;
    tx.commit().await?;
    if !claimed {
        return Err(Error::Conflict { zh: format!("同步任务{id}正在运行"), en: format!("Sync job {id} is running") });
    }
    run_claimed(p, id, actor).await
}

/// Runs the scheduled job due longest ago, if one is due: the step a node's background worker repeats (and tests
/// call directly). Answers the run, or none when nothing is due.
pub async fn run_due(p: &Platform) -> Result<Option<SyncRun>> {
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let claimed = store::sync::claim_due(&mut tx, now, now + CLAIM_MICROS).await?;
    tx.commit().await?;
    match claimed {
        Some(id) => Ok(Some(run_claimed(p, id, &Actor::platform(format!("sync:job-{id}"))).await?)),
        None => Ok(None),
    }
}

/// Runs a claimed job and releases it, recording what happened: the error of a failed run is kept on the job (and
/// answered), the cursor moves only with a committed batch.
async fn run_claimed(p: &Platform, id: i64, actor: &Actor) -> Result<SyncRun> {
    let loaded: Result<(SyncJobRow, String)> = async {
        let mut conn = p.store.read().await?;
        let row = store::sync::by_id(&mut conn, id).await?.ok_or_else(|| Error::not_found(format!("同步任务{id}不存在"), format!("Sync job {id} does not exist")))?;
        let code = store::catalog::by_id(&mut conn, row.resource_id).await?.map(|r| r.code).unwrap_or_default();
        Ok((row, code))
    }
    .await;
    let (row, code) = match loaded {
        Ok(x) => x,
        Err(e) => {
            // Release the claim so the job is not held for hours by a run that never started.
            if let Ok(mut tx) = p.store.begin().await {
                let _ = store::sync::release(&mut tx, id).await;
                let _ = tx.commit().await;
            }
            return Err(e);
        }
    };
    let outcome = read_and_deliver(p, actor, &row, &code).await;
    let now = p.now_us();
    let next = row.interval_minutes.map(|m| now + m * 60_000_000);
    let (batch_id, error, cursor, result) = match outcome {
        Ok((rows_read, report, last_cursor)) => {
            let committed = report.as_ref().is_some_and(|r| r.state == "committed");
            let error = report.as_ref().filter(|r| r.state == "refused").and_then(|r| r.refusal.clone());
            let cursor = if committed { last_cursor } else { None };
            (report.as_ref().map(|r| r.batch_id), error, cursor, Ok((rows_read, report)))
        }
        Err(e) => {
            let shown = match &e {
                Error::Invalid(i) => i.message.clone(),
                other => other.to_string(),
            };
            (None, Some(shown), None, Err(e))
        }
    };
    let mut tx = p.store.begin().await?;
    store::sync::finish(&mut tx, id, now, next, batch_id, error.as_deref(), cursor.as_ref().map(|(v, s)| (v.as_str(), s.as_str()))).await?;
    tx.commit().await?;
    let (rows_read, batch) = result?;
    let mut conn = p.store.read().await?;
    let row = store::sync::by_id(&mut conn, id).await?.ok_or_else(|| Error::not_found(format!("同步任务{id}不存在"), format!("Sync job {id} does not exist")))?;
    Ok(SyncRun { job_id: id, rows_read, batch, job: view(row, code) })
}

/// Reads the job's rows into a CSV in the lake's temporary folder and delivers it. Answers the rows read, the
/// batch (none when an incremental run found nothing new) and the cursor after it: the last row's cursor value with
/// the fingerprints of the rows read at that value.
async fn read_and_deliver(p: &Platform, actor: &Actor, row: &SyncJobRow, code: &str) -> Result<(u64, Option<BatchReport>, Option<(String, String)>)> {
    let url = crate::secrets::sealer(p)?.open(&row.connection)?;
    not_own_database(p, &url)?;
    let (_, items) = resource_items(p, actor, code).await?;
    let columns: BTreeMap<String, String> = serde_json::from_str(&row.columns).unwrap_or_default();
    let inspected = store::source::inspect(&url, &row.source_table).await.map_err(source_error)?;
    let (mapped, _) = mapping(&items, &columns, &inspected.columns)?;
    let selected: Vec<(&str, &str)> = items.iter().filter_map(|i| mapped.get(&i.name).map(|c| (i.name.as_str(), c.as_str()))).collect();
    let lake = lake_of(p)?;
    let spool = tempfile::Builder::new().suffix(".csv").tempfile_in(lake.root().join("tmp")).map_err(|e| Error::Internal(store::Error::Corrupt(format!("sync spool: {e}"))))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, spool.as_file()));
    w.write_record(selected.iter().map(|(item, _)| *item)).map_err(|e| Error::Internal(store::Error::Corrupt(format!("sync spool: {e}"))))?;
    let source_columns: Vec<&str> = selected.iter().map(|(_, c)| *c).collect();
    let seen: std::collections::HashSet<String> = serde_json::from_str(&row.cursor_seen).unwrap_or_default();
    let cursor = row.cursor_column.as_deref().map(|column| Cursor { column, after: row.cursor_value.as_deref(), seen: &seen });
    let read = store::source::read(&url, &row.source_table, &source_columns, cursor, |values| {
        w.write_record(values.iter().map(|v| v.as_deref().unwrap_or(""))).map_err(std::io::Error::from)
    })
    .await
    .map_err(source_error)?;
    w.flush().map_err(|e| Error::Internal(store::Error::Corrupt(format!("sync spool: {e}"))))?;
    drop(w);
    if row.mode == "incremental" && read.rows == 0 {
        return Ok((0, None, None));
    }
    let cursor = read.last_cursor.map(|value| (value, serde_json::to_string(&read.seen).unwrap_or_else(|_| "[]".into())));
    let delivery = Delivery {
        format: Format::Csv,
        encoding: Encoding::Utf8,
        mode: if row.mode == "incremental" { Mode::Merge } else { Mode::Replace },
        channel: "sync",
        key: None,
        source_name: format!("{} {}", row.connection_shown, row.source_table),
    };
    let report = super::deliver(p, actor, code, spool.path(), delivery, |_| {}).await?;
    Ok((read.rows, Some(report), cursor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_when_shown() {
        assert_eq!(masked("postgres://hr:s3cr@t@10.0.0.5:5432/hr"), "postgres://hr:***@10.0.0.5:5432/hr");
        assert_eq!(masked("mysql://root@127.0.0.1:3306/test"), "mysql://root:***@127.0.0.1:3306/test");
        assert_eq!(masked("mysql://127.0.0.1/test"), "mysql://127.0.0.1/test");
        assert_eq!(masked("nonsense"), "***");
        assert_eq!(masked("postgres://h/db?user=hr&password=s3cr&sslmode=require"), "postgres://h/db?user=hr&password=***&sslmode=require");
    }
}
