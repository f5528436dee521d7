//! `shuyuan push`: the front-end push client (前置机推送). A department runs it next to its own system, with an API
//! token of its department, to send files of a folder, or a table of its database, to the platform's batches API.
//! Each file is sent under a batch key derived from the resource, the mode and the file's bytes, so sending the
//! same file again (a retry, a rerun) delivers nothing twice: the platform answers the first delivery's report. In
//! a folder, the files already delivered are listed in `.shuyuan-pushed` and not sent again.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sm3::Digest;

/// What to push, and where.
pub struct Push {
    pub url: String,
    pub token: String,
    pub resource: String,
    pub mode: String,
    pub encoding: String,
    pub paths: Vec<PathBuf>,
    pub source: Option<String>,
    pub table: Option<String>,
    pub columns: Vec<String>,
    pub every: Option<u64>,
}

/// The delivery formats the platform takes, by extension.
const EXTENSIONS: [&str; 7] = ["csv", "xlsx", "xlsm", "jsonl", "ndjson", "json", "parquet"];
/// The list of files of a folder already delivered.
const STATE_FILE: &str = ".shuyuan-pushed";

fn media_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("xlsx" | "xlsm") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("jsonl" | "ndjson") => "application/x-ndjson",
        Some("json") => "application/json",
        Some("parquet") => "application/vnd.apache.parquet",
        _ => "text/csv",
    }
}

/// Runs the client: once, or every `every` minutes until stopped. Exits 0 when every batch was committed (now or
/// before), 2 when one was refused.
pub async fn run(push: Push) -> Result<i32> {
    if !["replace", "merge"].contains(&push.mode.as_str()) {
        bail!("未知交付方式“{}”：可选 replace、merge / unknown mode '{}': replace or merge", push.mode, push.mode);
    }
    if push.paths.is_empty() && push.table.is_none() {
        bail!("请给出要推送的文件或文件夹，或 --source-url 与 --table / give files or folders to push, or --source-url with --table");
    }
    let client = reqwest::Client::builder()
        .user_agent(concat!("shuyuan-push/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(15))
        .build()?;
    loop {
        let mut code = 0;
        let mut outcome = Vec::new();
        for path in &push.paths {
            outcome.push(push_path(&client, &push, path).await);
        }
        if let Some(table) = &push.table {
            outcome.push(push_table(&client, &push, table).await);
        }
        for result in outcome {
            match result {
                Ok(c) => code = code.max(c),
                // Once, the error is the answer; when pushing periodically, the next round tries again.
                Err(e) if push.every.is_none() => return Err(e),
                Err(e) => {
                    eprintln!("推送失败 / push failed: {e:#}");
                    code = 2;
                }
            }
        }
        match push.every {
            None => return Ok(code),
            Some(minutes) => {
                println!("{} 分钟后再次推送 / pushing again in {minutes} min", minutes);
                tokio::time::sleep(Duration::from_secs(minutes * 60)).await;
            }
        }
    }
}

async fn push_path(client: &reqwest::Client, push: &Push, path: &Path) -> Result<i32> {
    if !path.is_dir() {
        return Ok(send(client, push, path, &batch_key(push, path)?).await?.0);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("读取文件夹 / read folder {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str())))
        .collect();
    files.sort();
    let state = path.join(STATE_FILE);
    let done: Vec<String> = std::fs::read_to_string(&state).unwrap_or_default().lines().filter_map(|l| l.split('\t').next().map(String::from)).collect();
    let mut code = 0;
    for file in files {
        let key = batch_key(push, &file)?;
        if done.contains(&key) {
            continue;
        }
        let (result, batch) = send(client, push, &file, &key).await?;
        code = code.max(result);
        let mut log = std::fs::OpenOptions::new().create(true).append(true).open(&state).with_context(|| format!("写入 / write {}", state.display()))?;
        writeln!(log, "{key}\t{}\t{batch}\t{}", file.file_name().unwrap_or_default().to_string_lossy(), if result == 0 { "committed" } else { "refused" })?;
    }
    Ok(code)
}

/// The batch key of a file: SM3 over the resource, the mode and the bytes.
fn batch_key(push: &Push, path: &Path) -> Result<String> {
    let mut hasher = sm3::Sm3::new();
    hasher.update(push.resource.as_bytes());
    hasher.update([0]);
    hasher.update(push.mode.as_bytes());
    hasher.update([0]);
    hasher.update(push.encoding.as_bytes());
    hasher.update([0]);
    let mut file = std::fs::File::open(path).with_context(|| format!("读取 / read {}", path.display()))?;
    std::io::copy(&mut file, &mut HashWriter(&mut hasher))?;
    Ok(format!("push-{}", &hex::encode(hasher.finalize())[..40]))
}

struct HashWriter<'a>(&'a mut sm3::Sm3);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends one file, streamed with a progress bar; prints the report. Answers the exit code and the batch id.
async fn send(client: &reqwest::Client, push: &Push, path: &Path, key: &str) -> Result<(i32, i64)> {
    let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let size = std::fs::metadata(path).with_context(|| format!("读取 / read {}", path.display()))?.len();
    let bar = ProgressBar::new(size);
    bar.set_style(ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}").expect("template"));
    bar.set_message(name.clone());
    let file = tokio::fs::File::open(path).await?;
    let shown = bar.clone();
    let stream = futures_util::stream::unfold(file, move |mut file| {
        let shown = shown.clone();
        async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; 1 << 16];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    shown.inc(n as u64);
                    Some((Ok::<_, std::io::Error>(buf), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        }
    });
    let url = format!("{}/api/v1/resources/{}/batches", push.url.trim_end_matches('/'), push.resource);
    let response = client
        .post(url)
        .bearer_auth(&push.token)
        .header("content-type", media_type(path))
        .header("content-length", size)
        .header("idempotency-key", key)
        .query(&[("mode", push.mode.as_str()), ("encoding", push.encoding.as_str()), ("name", name.as_str())])
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .with_context(|| format!("连接平台 / reach the platform at {}", push.url))?;
    bar.finish_and_clear();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let report = if status == 422 { &body["batch"] } else { &body };
    match status {
        200 | 201 | 422 => {
            let committed = report["state"] == "committed";
            println!(
                "{name}：批次 / batch {} {}{}{}；读取 / read {}，接收 / accepted {}，隔离 / quarantined {}",
                report["batch_id"],
                if committed { "已入库 / committed" } else { "整批拒收 / refused" },
                report["version"].as_i64().map(|v| format!("，版本 / version {v}")).unwrap_or_default(),
                if status == 200 { "（此前已交付 / delivered before）" } else { "" },
                report["rows_read"],
                report["rows_accepted"],
                report["rows_quarantined"],
            );
            if let (Some(zh), Some(en)) = (report["refusal"].as_str(), report["refusal_en"].as_str()) {
                println!("  ! {zh} / {en}");
            }
            Ok((if committed { 0 } else { 2 }, report["batch_id"].as_i64().unwrap_or_default()))
        }
        _ => bail!(
            "{name}：平台拒绝 / the platform refused ({status}): {} / {}",
            body["error"]["message"].as_str().unwrap_or(""),
            body["error"]["message_en"].as_str().unwrap_or("")
        ),
    }
}

/// Reads a table of the department's database (all its rows, or the columns `--columns` names, each as
/// `item=column` or `column`) into a CSV and sends it.
async fn push_table(client: &reqwest::Client, push: &Push, table: &str) -> Result<i32> {
    let url = push.source.as_deref().context("--table 需要 --source-url / --table needs --source-url")?;
    let (items, columns): (Vec<String>, Vec<String>) = if push.columns.is_empty() {
        let inspected = store::source::inspect(url, table).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        inspected.columns.into_iter().map(|c| (c.name.clone(), c.name)).unzip()
    } else {
        push.columns.iter().map(|c| c.split_once('=').map(|(i, c)| (i.to_string(), c.to_string())).unwrap_or_else(|| (c.clone(), c.clone()))).unzip()
    };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(format!("{table}.csv"));
    let mut w = csv::Writer::from_path(&path)?;
    w.write_record(&items)?;
    let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    let read = store::source::read(url, table, &refs, None, |values| w.write_record(values.iter().map(|v| v.as_deref().unwrap_or(""))).map_err(std::io::Error::from))
        .await
        .map_err(|e| anyhow::anyhow!("读取源表 / read the table: {e}"))?;
    w.flush()?;
    drop(w);
    println!("已读取 / read {} 行 rows from {table}", read.rows);
    // A table goes back to an earlier state and must still be delivered: its key is this run's, not its bytes'.
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or_default();
    let key = format!("{}-{run}", &batch_key(push, &path)?[..24]);
    Ok(send(client, push, &path, &key).await?.0)
}
