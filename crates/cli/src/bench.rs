//! `shuyuan audit bench`: measures durable, chained audit appends (through the group-commit writer, and one
//! transaction per event for comparison) and chain verification, on a fresh database.

use std::path::Path;
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

pub async fn audit(data_dir: &Path, events: usize, appenders: usize, database_url: Option<String>) -> Result<()> {
    let url = match database_url {
        Some(u) => u,
        None => {
            let _ = std::fs::remove_dir_all(data_dir);
            std::fs::create_dir_all(data_dir)?;
            format!("sqlite://{}", std::path::absolute(data_dir)?.join("bench.db").display())
        }
    };
    let store = store::Store::open(&url).await?;
    println!("backend: {:?}", store.backend());

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

    let started = Instant::now();
    let report = store::audit::verify(&mut *store.read().await?).await?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.broken.is_none(), "chain broken: {:?}", report.broken);
    println!("verify: {} events in {secs:.2}s, {:.0} events/s", report.checked, report.checked as f64 / secs);
    store.close().await;
    Ok(())
}
