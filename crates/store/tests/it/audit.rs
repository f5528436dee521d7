use anyhow::{ensure, Result};
use shuyuan_store::audit::{self, Filter, NewEvent};
use shuyuan_store::orgs::{self, NewRegion};
use shuyuan_store::{Backend, Store};
use sqlx::Executor;

fn ev(i: usize) -> NewEvent {
    NewEvent {
        actor_user_id: Some(1),
        actor_name: "admin".into(),
        actor_department_id: Some(1),
        actor_role: "authority_admin".into(),
        action: if i.is_multiple_of(2) { "department.create".into() } else { "user.create".into() },
        object_kind: "department".into(),
        object_id: i.to_string(),
        purpose: String::new(),
        result: "ok".into(),
        client_addr: "127.0.0.1".into(),
        detail: format!("{{\"n\":{i}}}"),
    }
}

const YEAR_US: i64 = 31_557_600_000_000;

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Verifies with the walk the store picks and with the portable one, and requires the same answer.
async fn verify_both(store: &Store) -> Result<audit::VerifyReport> {
    let picked = audit::verify(store).await?;
    let pooled = audit::verify_pooled(store).await?;
    ensure!(picked == pooled, "the two walks disagree: {picked:?} vs {pooled:?}");
    Ok(picked)
}

async fn append_many(store: &Store, n: usize, at_us: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    let events: Vec<NewEvent> = (0..n).map(ev).collect();
    audit::append_batch(&mut tx, &events, at_us).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn audit_chain_verifies_when_whole(store: Store) -> Result<()> {
    append_many(&store, 1200, now_us()).await?; // more than one INSERT chunk
    let mut tx = store.begin().await?;
    let seq = audit::append(&mut tx, &ev(7), now_us()).await?;
    tx.commit().await?;
    ensure!(seq == 1201);
    let report = verify_both(&store).await?;
    ensure!(report.broken.is_none(), "{report:?}");
    ensure!(report.checked == 1201 && report.head_seq == 1201);
    Ok(())
}

/// Someone with database access bypasses the platform, disables the guard and edits an event: verify names it.
pub async fn audit_chain_detects_an_edited_row(store: Store) -> Result<()> {
    append_many(&store, 50, now_us()).await?;
    let mut conn = store.read().await?;
    match store.backend() {
        Backend::Sqlite => {
            let blocked = conn.execute("UPDATE audit_events SET result = 'denied' WHERE seq = 17").await;
            ensure!(blocked.is_err(), "the trigger refuses edits");
            conn.execute("DROP TRIGGER audit_events_no_update").await?;
        }
        Backend::Postgres => {
            let blocked = conn.execute("UPDATE audit_events SET result = 'denied' WHERE seq = 17").await;
            ensure!(blocked.is_err(), "the trigger refuses edits");
            conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard").await?;
        }
    }
    conn.execute("UPDATE audit_events SET result = 'denied' WHERE seq = 17").await?;
    let report = verify_both(&store).await?;
    let broken = report.broken.expect("the edit is detected");
    ensure!(broken.seq == 17, "first broken link is the edited event: {broken:?}");
    ensure!(broken.reason.contains("altered"));
    Ok(())
}

/// Alterations deep in a long chain, in several hashing batches: the earliest is named, whichever thread finds it.
pub async fn audit_chain_names_the_earliest_of_several_alterations(store: Store) -> Result<()> {
    append_many(&store, 20_000, now_us()).await?;
    let mut conn = store.read().await?;
    match store.backend() {
        Backend::Sqlite => conn.execute("DROP TRIGGER audit_events_no_update").await?,
        Backend::Postgres => conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard").await?,
    };
    conn.execute("UPDATE audit_events SET detail = 'x' WHERE seq = 17000").await?;
    ensure!(verify_both(&store).await?.broken.map(|b| b.seq) == Some(17000));
    conn.execute("UPDATE audit_events SET purpose = 'y' WHERE seq = 9001").await?;
    let report = verify_both(&store).await?;
    ensure!(report.broken.as_ref().map(|b| b.seq) == Some(9001) && report.checked == 9000, "{report:?}");
    // A relinked event (its prev_hash rewritten) before both alterations is named first.
    conn.execute("UPDATE audit_events SET prev_hash = hash WHERE seq = 4100").await?;
    let broken = verify_both(&store).await?.broken.expect("the relink is detected");
    ensure!(broken.seq == 4100 && broken.reason.contains("prev_hash"), "{broken:?}");
    Ok(())
}

/// Verifying a live log: appends keep committing while the walk runs, and no walk reports a break that is not
/// there (each reads the head and the events from one snapshot).
pub async fn audit_verify_during_appends_sees_a_whole_chain(store: Store) -> Result<()> {
    append_many(&store, 5_000, now_us()).await?;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for round in 0..40 {
                let mut tx = store.begin().await?;
                let events: Vec<NewEvent> = (0..50).map(|i| ev(round * 50 + i)).collect();
                audit::append_batch(&mut tx, &events, now_us()).await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        })
    };
    let mut walks = 0;
    while !writer.is_finished() || walks < 2 {
        let picked = audit::verify(&store).await?;
        ensure!(picked.broken.is_none(), "walk {walks}: {picked:?}");
        ensure!(picked.checked == picked.head_seq, "{picked:?}");
        let pooled = audit::verify_pooled(&store).await?;
        ensure!(pooled.broken.is_none(), "pooled walk {walks}: {pooled:?}");
        walks += 1;
    }
    writer.await??;
    ensure!(verify_both(&store).await?.head_seq == 7_000);
    Ok(())
}

pub async fn audit_chain_detects_a_deleted_row(store: Store) -> Result<()> {
    append_many(&store, 30, now_us()).await?;
    let mut conn = store.read().await?;
    ensure!(conn.execute("DELETE FROM audit_events WHERE seq = 12").await.is_err(), "young events cannot be deleted");
    match store.backend() {
        Backend::Sqlite => conn.execute("DROP TRIGGER audit_events_retention").await?,
        Backend::Postgres => conn.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard").await?,
    };
    conn.execute("DELETE FROM audit_events WHERE seq = 12").await?;
    let broken = verify_both(&store).await?.broken.expect("the gap is detected");
    ensure!(broken.seq == 12 && broken.reason.contains("missing"), "{broken:?}");
    // Truncating the tail is detected against the head too.
    conn.execute("DELETE FROM audit_events WHERE seq >= 12").await?;
    let broken = verify_both(&store).await?.broken.expect("the truncation is detected");
    ensure!(broken.seq == 12, "{broken:?}");
    Ok(())
}

pub async fn audit_event_and_state_change_commit_together(store: Store) -> Result<()> {
    let mut tx = store.begin().await?;
    orgs::insert_region(
        &mut tx,
        &NewRegion { code: "230500", name: "双鸭山市", name_en: "", level: domain::orgs::RegionLevel::City, parent_id: None },
        1,
    )
    .await?;
    audit::append(&mut tx, &ev(0), now_us()).await?;
    tx.rollback().await?;
    let mut conn = store.read().await?;
    ensure!(orgs::list_regions(&mut conn).await?.is_empty());
    let report = verify_both(&store).await?;
    ensure!(report.head_seq == 0 && report.broken.is_none(), "a rolled-back event leaves no trace: {report:?}");
    Ok(())
}

/// SYS-20: logs are kept not less than three years. Younger events cannot be deleted, even by a direct DELETE;
/// older ones can be purged, and the chain still verifies from the new anchor.
pub async fn sys_20c_audit_events_kept_at_least_three_years(store: Store) -> Result<()> {
    let now = now_us();
    append_many(&store, 10, now - 4 * YEAR_US).await?; // seq 1..=10, four years old
    append_many(&store, 10, now - 2 * YEAR_US).await?; // seq 11..=20, two years old
    let mut conn = store.read().await?;
    ensure!(conn.execute("DELETE FROM audit_events WHERE seq = 15").await.is_err(), "a two-year-old event is kept");
    drop(conn);

    let mut tx = store.begin().await?;
    let refused = audit::purge_before(&mut tx, now - YEAR_US).await;
    ensure!(refused.is_err(), "a purge reaching into the retention period is refused by the database");
    drop(tx);

    let mut tx = store.begin().await?;
    let removed = audit::purge_before(&mut tx, now - 3 * YEAR_US).await?;
    tx.commit().await?;
    ensure!(removed == 10, "removed {removed}");
    let report = verify_both(&store).await?;
    ensure!(report.broken.is_none() && report.anchor_seq == 10 && report.checked == 10, "{report:?}");
    Ok(())
}

pub async fn audit_search_filters(store: Store) -> Result<()> {
    append_many(&store, 20, now_us()).await?;
    let mut conn = store.read().await?;
    let (items, total) =
        audit::search(&mut conn, &Filter { action_prefix: Some("user.".into()), ..Default::default() }, 5, 0).await?;
    ensure!(total == 10 && items.len() == 5 && items.iter().all(|e| e.action == "user.create"));
    ensure!(items[0].seq > items[1].seq, "newest first");
    let (items, total) = audit::search(&mut conn, &Filter { object_id: Some("4".into()), ..Default::default() }, 50, 0).await?;
    ensure!(total == 1 && items[0].object_id == "4" && items[0].occurred_at.ends_with("+08:00"));
    let (_, total) = audit::search(&mut conn, &Filter { action_prefix: Some("%".into()), ..Default::default() }, 50, 0).await?;
    ensure!(total == 20, "a wildcard in the prefix is taken literally, stripped: {total}");
    Ok(())
}
