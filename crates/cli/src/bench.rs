//! `shuyuan audit bench`: measures durable, chained audit appends (through the group-commit writer, and one
//! transaction per event for comparison) and chain verification, on a fresh database.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use domain::clock::SystemClock;
use indicatif::{ProgressBar, ProgressStyle};
use service::audit::{AuditWriter, NewEvent};

fn event(i: usize) -> NewEvent {
    NewEvent {
        actor_user_id: Some((i % 50) as i64),
        actor_name: format!("officer-{}", i % 50),
        actor_department_id: Some((i % 20) as i64),
        actor_role: "dept_data_officer".into(),
        action: "share.record".into(),
        object_kind: "resource".into(),
        object_id: format!("RES-{:06}", i % 1000),
        purpose: "不动产登记业务核验".into(),
        result: "ok".into(),
        client_addr: "10.1.2.3".into(),
        detail: format!("{{\"key\":\"{i}\"}}"),
    }
}

/// What to measure.
pub struct AuditBench {
    pub data_dir: std::path::PathBuf,
    pub events: usize,
    pub appenders: usize,
    /// A PostgreSQL server: the bench creates a fresh database on it.
    pub postgres_server: Option<String>,
    /// Only verify the database a previous run left in `data_dir`.
    pub verify_only: bool,
}

pub async fn audit(b: AuditBench) -> Result<()> {
    let url = match (&b.postgres_server, b.verify_only) {
        (Some(server), false) => store::testing::fresh_postgres_database(server, "bench").await?,
        (Some(_), true) => anyhow::bail!("--verify-only works on the SQLite file a previous run left in --data-dir"),
        (None, verify_only) => {
            let file = std::path::absolute(&b.data_dir)?.join("bench.db");
            if verify_only {
                anyhow::ensure!(file.exists(), "{} does not exist: run the bench without --verify-only first", file.display());
            } else {
                let _ = std::fs::remove_dir_all(&b.data_dir);
                std::fs::create_dir_all(&b.data_dir)?;
            }
            format!("sqlite://{}", file.display())
        }
    };
    let store = store::Store::open(&url).await?;
    println!("backend: {:?} ({url})", store.backend());
    if !b.verify_only {
        append(&store, b.events, b.appenders).await?;
    }
    // Verification reads the whole log; the best of three runs leaves out a cold page cache.
    let mut best = f64::MAX;
    let mut checked = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let report = store::audit::verify(&store).await?;
        best = best.min(started.elapsed().as_secs_f64());
        anyhow::ensure!(report.broken.is_none(), "chain broken: {:?}", report.broken);
        checked = report.checked;
    }
    println!("verify: {checked} events in {best:.3}s, {:.0} events/s", checked as f64 / best);
    store.close().await;
    if let (Some(server), false) = (&b.postgres_server, b.verify_only) {
        store::testing::drop_postgres_database(server, &url).await?;
    }
    Ok(())
}

async fn append(store: &store::Store, events: usize, appenders: usize) -> Result<()> {
    // One transaction (one fsync) per event: the floor without group commit.
    let single = 2_000.min(events);
    let started = Instant::now();
    for i in 0..single {
        let mut tx = store.begin().await?;
        store::audit::append(&mut tx, &event(i), domain::clock::to_micros(chrono::Utc::now())).await?;
        tx.commit().await?;
    }
    let single_rate = single as f64 / started.elapsed().as_secs_f64();
    println!("append, one transaction per event: {single} events, {single_rate:.0} events/s");

    // Group commit: many appenders, each waiting until its event is durable.
    let writer = AuditWriter::start(store.clone(), Arc::new(SystemClock));
    let bar = ProgressBar::new(events as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec}").expect("template"));
    let started = Instant::now();
    let per = events / appenders;
    let mut tasks = Vec::new();
    for a in 0..appenders {
        let writer = writer.clone();
        let bar = bar.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                writer.append(event(a * per + i)).await?;
                bar.inc(1);
            }
            Ok::<_, service::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    bar.finish_and_clear();
    let appended = per * appenders;
    let group_rate = appended as f64 / started.elapsed().as_secs_f64();
    println!("append, group commit with {appenders} appenders: {appended} events, {group_rate:.0} events/s");
    Ok(())
}
