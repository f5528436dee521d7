//! Audit use cases: the group-commit writer for access events, search and export for the auditor, verification.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use domain::clock::Clock;
use domain::orgs::AuditEvent;
use domain::roles::Role;
use store::audit::journal::{Entry, Journal};
pub use store::audit::{BrokenLink, Filter, NewEvent, VerifyReport};
use store::Store;
use tokio::sync::{mpsc, oneshot, watch, Notify};

use crate::{Actor, Error, Platform, Result};

/// The most events one group commit writes.
const GROUP_MAX: usize = 4096;
/// The most journaled events one transaction moves into the chain.
const DRAIN_MAX: usize = 8192;
/// How long the drain gathers journaled events before a transaction, unless a reader of the log is waiting. Each
/// transaction rewrites the last pages of the table and its indexes and syncs them: few large ones cost the disk
/// and the CPU a fraction of many small ones, and the events are safe in the journal meanwhile.
const DRAIN_GATHER: Duration = Duration::from_millis(250);
/// How many times the writer yields to let more appenders in before it commits.
const LINGER_YIELDS: usize = 4;
/// How long a reader of the log waits for journaled events to reach the database before reading anyway.
const SETTLE_WAIT: Duration = Duration::from_secs(10);

type Done = oneshot::Sender<std::result::Result<(), String>>;

/// Appends events that record an access with no state change (a search, an export, a sharing call, a refused
/// call). Appenders wait until their event is durable. With a journal attached (`attach_journal`, on a serving
/// node) that means written to the node's journal and synced, many events to one `fdatasync` (or, with
/// [`JournalSync::Every`], written: the process may crash, the kernel still holds it), and the journal is moved
/// into the chain in the database in large batches behind; without one, events go straight to the database, many
/// to a commit.
#[derive(Clone)]
pub struct AuditWriter {
    inner: Arc<Inner>,
}

struct Inner {
    direct: mpsc::Sender<(NewEvent, Done)>,
    /// The journal; dropping the last writer ends its syncer, then the drain once it has caught up.
    journal: OnceLock<Arc<Journaled>>,
    progress: Arc<Progress>,
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(journaled) = self.journal.get() {
            journaled.close();
        }
    }
}

/// How far the journal has got, shared by the appenders, the syncer and the drain.
struct Progress {
    /// The newest journal entry written (its appender may have been answered).
    written: AtomicU64,
    /// The newest journal entry the database holds.
    drained: watch::Sender<u64>,
    /// The newest entry a reader of the log waits to see in the database: until it is drained, the drain moves
    /// what it has without gathering more.
    wanted: AtomicU64,
    /// Wakes the drain when a reader starts waiting.
    hurry: Notify,
}

impl Progress {
    fn someone_waits(&self) -> bool {
        self.wanted.load(Ordering::SeqCst) > *self.drained.borrow()
    }
}

impl AuditWriter {
    pub fn start(store: Store, clock: Arc<dyn Clock>) -> AuditWriter {
        let (tx, rx) = mpsc::channel(GROUP_MAX * 4);
        tokio::spawn(group_commit(store.clone(), clock.clone(), rx));
        let progress = Arc::new(Progress {
            written: AtomicU64::new(0),
            drained: watch::Sender::new(0),
            wanted: AtomicU64::new(0),
            hurry: Notify::new(),
        });
        let inner = Inner { direct: tx, journal: OnceLock::new(), progress, store, clock };
        AuditWriter { inner: Arc::new(inner) }
    }

    /// Appends and waits until the event is durable.
    pub async fn append(&self, event: NewEvent) -> Result<()> {
        let closed = || Error::Internal(store::Error::Corrupt("the audit writer has stopped".into()));
        let outcome = match self.inner.journal.get() {
            Some(journaled) => {
                let now_us = domain::clock::to_micros(self.inner.clock.now());
                match journaled.append(&self.inner.progress, now_us, event) {
                    Ok(synced) if journaled.sync == JournalSync::EachAnswer => synced.wait().await,
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            None => {
                let (done, wait) = oneshot::channel();
                self.inner.direct.send((event, done)).await.map_err(|_| closed())?;
                wait.await.map_err(|_| closed())?
            }
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(e) => Err(Error::Internal(store::Error::Corrupt(format!("audit append failed: {e}")))),
        }
    }

    /// Waits until every event answered so far is in the database, so a reader of the log sees them; gives up
    /// after [`SETTLE_WAIT`] (the database is not taking them) and lets the reader read what is there.
    pub async fn settle(&self) {
        if self.inner.journal.get().is_none() {
            return;
        }
        let progress = &self.inner.progress;
        let target = progress.written.load(Ordering::SeqCst);
        let mut drained = progress.drained.subscribe();
        if *drained.borrow() < target {
            progress.wanted.fetch_max(target, Ordering::SeqCst);
            progress.hurry.notify_one();
        }
        if tokio::time::timeout(SETTLE_WAIT, drained.wait_for(|d| *d >= target)).await.is_err() {
            tracing::warn!(target, drained = *drained.borrow(), "audit journal: the database is behind; reading the log as it is");
        }
    }
}

/// When a journaled access event is made durable, relative to the call's answer (the node's `audit_sync_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JournalSync {
    /// A call is answered once its event is synced to disk: not even a crash of the machine loses an event of an
    /// answered call.
    #[default]
    EachAnswer,
    /// A call is answered once its event is written to the journal, which is synced this often: a crash of the
    /// process loses nothing, a crash of the machine at most the events of this last interval. A busy node then
    /// syncs a bounded number of times a second instead of once per round of calls.
    Every(Duration),
}

impl JournalSync {
    /// From the node's configuration: 0 or none is [`JournalSync::EachAnswer`].
    pub fn from_millis(ms: Option<u64>) -> JournalSync {
        match ms {
            None | Some(0) => JournalSync::EachAnswer,
            Some(ms) => JournalSync::Every(Duration::from_millis(ms)),
        }
    }
}

/// Journals this node's access events in `dir` from now on: first moves into the database what a previous run left
/// there (after a crash), then starts the journal's syncer and the task that drains it. False when another
/// process holds the journal; events then go straight to the database.
pub async fn attach_journal(p: &Platform, dir: &Path, sync: JournalSync) -> Result<bool> {
    let inner = &p.audit_writer.inner;
    let dir = dir.to_path_buf();
    let opened = off_thread(move || Journal::open(&dir)).await?;
    let Some((mut journal, left)) = opened else {
        tracing::warn!("audit journal held by another process; this one appends to the database directly");
        return Ok(false);
    };
    let node = journal.node().to_string();
    let mark = store::audit::journal_mark(&mut *inner.store.read().await?, &node).await?;
    let replay: Vec<Entry> = left.into_iter().filter(|e| e.seq > mark).collect();
    let mut drained = mark;
    for chunk in replay.chunks(DRAIN_MAX) {
        drain(&inner.store, &node, chunk).await?;
        drained = chunk.last().map(|e| e.seq).unwrap_or(drained);
    }
    if !replay.is_empty() {
        tracing::info!(events = replay.len(), "audit journal: replayed events a previous run had not moved into the database");
    }
    let journal = off_thread(move || {
        journal.continue_after(drained)?;
        journal.forget_through(drained)?;
        Ok(journal)
    })
    .await?;
    inner.progress.written.store(drained, Ordering::SeqCst);
    inner.progress.drained.send_replace(drained);
    let journaled = Arc::new(Journaled {
        open: std::sync::Mutex::new(Open { journal, unsynced: Vec::new(), synced: Arc::default(), closing: false }),
        wake_syncer: Notify::new(),
        sync,
    });
    if inner.journal.set(journaled.clone()).is_err() {
        return Err(Error::Internal(store::Error::Corrupt("an audit journal is attached already".into())));
    }
    let (to_drain, from_journal) = mpsc::unbounded_channel();
    tokio::spawn(journal_syncer(journaled, inner.progress.clone(), to_drain));
    tokio::spawn(drain_task(inner.store.clone(), inner.progress.clone(), node, from_journal));
    Ok(true)
}

/// Runs file work on a blocking thread.
async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> store::Result<T> + Send + 'static) -> Result<T> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("audit journal task: {e}"))))??)
}

/// The node's journal as appenders share it. An appender numbers its event and copies it into the journal's mapped
/// segment under a lock (no system call: from then on a crash of the process loses nothing) and, where each answer
/// waits for the disk, waits for the sync round that covers it; the syncer syncs whatever has been appended since
/// its last round with one `msync`, holding no lock.
struct Journaled {
    open: std::sync::Mutex<Open>,
    /// Wakes the syncer after the first append of a round, or when the last writer handle is dropped.
    wake_syncer: Notify,
    sync: JournalSync,
}

struct Open {
    journal: Journal,
    /// Entries appended since the syncer's last round, for the drain once synced.
    unsynced: Vec<Entry>,
    /// What the appenders since the syncer's last round wait on.
    synced: Arc<Round>,
    /// No writer handle is left: sync what is appended, then stop.
    closing: bool,
}

/// A sync's outcome, which all its appenders wait for: one wake-up call for them all, from a task on the runtime,
/// instead of a channel per event.
struct Round {
    outcome: OnceLock<std::result::Result<(), String>>,
    done: Notify,
}

impl Default for Round {
    fn default() -> Self {
        Round { outcome: OnceLock::new(), done: Notify::new() }
    }
}

impl Round {
    fn finish(&self, outcome: std::result::Result<(), String>) {
        let _ = self.outcome.set(outcome);
        self.done.notify_waiters();
    }

    async fn wait(&self) -> std::result::Result<(), String> {
        let done = self.done.notified();
        tokio::pin!(done);
        // Registered before looking, so a finish between the look and the wait is not missed.
        done.as_mut().enable();
        if let Some(outcome) = self.outcome.get() {
            return outcome.clone();
        }
        done.await;
        self.outcome.get().cloned().unwrap_or_else(|| Err("the audit journal stopped".into()))
    }
}

impl Journaled {
    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends the event to the journal and returns the sync round that will cover it.
    fn append(&self, progress: &Progress, occurred_at_us: i64, event: NewEvent) -> std::result::Result<Arc<Round>, String> {
        let mut open = self.lock();
        let entry = open.journal.append(occurred_at_us, event).map_err(|e| {
            tracing::error!(error = %e, "audit journal append failed");
            e.to_string()
        })?;
        progress.written.fetch_max(entry.seq, Ordering::SeqCst);
        let first_of_round = open.unsynced.is_empty();
        open.unsynced.push(entry);
        let round = open.synced.clone();
        drop(open);
        // The syncer only needs waking once a round: later appends find it awake or about to look.
        if first_of_round {
            self.wake_syncer.notify_one();
        }
        Ok(round)
    }

    fn close(&self) {
        self.lock().closing = true;
        self.wake_syncer.notify_one();
    }
}

/// Syncs what has been appended, round after round (at most one round per interval with
/// [`JournalSync::Every`]), answers each round's appenders, and hands its entries to the drain; removes journal
/// segments the database has caught up with.
async fn journal_syncer(journaled: Arc<Journaled>, progress: Arc<Progress>, to_drain: mpsc::UnboundedSender<Vec<Entry>>) {
    let mut forgotten = 0;
    loop {
        if let JournalSync::Every(interval) = journaled.sync {
            tokio::time::sleep(interval).await;
        }
        let taken = loop {
            let written = journaled.wake_syncer.notified();
            {
                let mut open = journaled.lock();
                if !open.unsynced.is_empty() {
                    let drained = *progress.drained.borrow();
                    if drained > forgotten {
                        // Only closed segments go, once every entry in them is in the database: rare and quick.
                        if let Err(e) = open.journal.forget_through(drained) {
                            tracing::warn!(error = %e, "audit journal: could not remove drained segments");
                        }
                        forgotten = drained;
                    }
                    let entries = std::mem::take(&mut open.unsynced);
                    break Some((entries, std::mem::take(&mut open.synced), open.journal.sync_handle()));
                }
                if open.closing {
                    break None;
                }
            }
            written.await;
        };
        let Some((entries, round, file)) = taken else { return };
        let outcome = match tokio::task::spawn_blocking(move || file.sync()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "audit journal sync failed");
        }
        // The drain only ends when the last writer handle is gone; what it would have taken is in the journal.
        let _ = to_drain.send(entries);
        round.finish(outcome);
    }
}

/// Moves journaled entries into the chain, gathering them for up to [`DRAIN_GATHER`] into one transaction; a
/// failed transaction is retried until the database takes it (the entries are safe in the journal meanwhile).
async fn drain_task(store: Store, progress: Arc<Progress>, node: String, mut from_journal: mpsc::UnboundedReceiver<Vec<Entry>>) {
    let mut groups = Vec::new();
    let mut pending: Vec<Entry> = Vec::new();
    let mut open = true;
    while open || !pending.is_empty() {
        if pending.is_empty() {
            if from_journal.recv_many(&mut groups, 64).await == 0 {
                return;
            }
            pending.extend(groups.drain(..).flatten());
            let until = tokio::time::Instant::now() + DRAIN_GATHER;
            while open && pending.len() < DRAIN_MAX && !progress.someone_waits() {
                tokio::select! {
                    received = from_journal.recv_many(&mut groups, 64) => {
                        open = received > 0;
                        pending.extend(groups.drain(..).flatten());
                    }
                    _ = tokio::time::sleep_until(until) => break,
                    _ = progress.hurry.notified() => break,
                }
            }
        }
        let take = pending.len().min(DRAIN_MAX);
        let mut wait = Duration::from_millis(100);
        loop {
            match drain(&store, &node, &pending[..take]).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = %e, "audit journal: moving events into the database failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
        let last = pending[take - 1].seq;
        pending.drain(..take);
        progress.drained.send_replace(last);
    }
}

async fn drain(store: &Store, node: &str, entries: &[Entry]) -> Result<()> {
    let Some(last) = entries.last() else { return Ok(()) };
    let timed: Vec<(i64, &NewEvent)> = entries.iter().map(|e| (e.occurred_at_us, &e.event)).collect();
    let mut tx = store.begin().await?;
    store::audit::append_timed(&mut tx, &timed).await?;
    store::audit::set_journal_mark(&mut tx, node, last.seq).await?;
    tx.commit().await?;
    Ok(())
}

/// Commits what appenders send straight to the database, as many as are waiting to one transaction.
async fn group_commit(store: Store, clock: Arc<dyn Clock>, mut rx: mpsc::Receiver<(NewEvent, Done)>) {
    let mut batch: Vec<(NewEvent, Done)> = Vec::with_capacity(GROUP_MAX);
    while rx.recv_many(&mut batch, GROUP_MAX).await > 0 {
        // Appenders just answered by the last commit are about to send again: letting them run once
        // before committing turns a trickle of small commits into one per round.
        for _ in 0..LINGER_YIELDS {
            if batch.len() >= GROUP_MAX {
                break;
            }
            tokio::task::yield_now().await;
            let before = batch.len();
            while batch.len() < GROUP_MAX {
                match rx.try_recv() {
                    Ok(pending) => batch.push(pending),
                    Err(_) => break,
                }
            }
            if batch.len() == before {
                break;
            }
        }
        let (events, waiting): (Vec<NewEvent>, Vec<Done>) = batch.drain(..).unzip();
        let now_us = domain::clock::to_micros(clock.now());
        let result = async {
            let mut tx = store.begin().await?;
            store::audit::append_batch(&mut tx, &events, now_us).await?;
            tx.commit().await?;
            Ok::<_, store::Error>(())
        }
        .await;
        let result = result.map_err(|e| {
            tracing::error!(error = %e, "audit group commit failed");
            e.to_string()
        });
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}

fn require_auditor(actor: &Actor) -> Result<()> {
    if actor.has(Role::Auditor) || actor.kind == crate::actor::ActorKind::Cli {
        Ok(())
    } else {
        Err(Error::forbidden("只有审计员可以查阅审计日志", "Only auditors can read the audit log"))
    }
}

/// The auditor's search. The search itself is recorded.
pub async fn search(p: &Platform, actor: &Actor, filter: &Filter, limit: i64, offset: i64) -> Result<(Vec<AuditEvent>, i64)> {
    require_auditor(actor)?;
    p.audit_writer.settle().await;
    let found = store::audit::search(&mut *p.store.read().await?, filter, limit, offset).await?;
    let mut event = actor.event("audit.search", "audit_log", "");
    event.detail = format!("{filter:?}");
    p.audit_writer.append(event).await?;
    Ok(found)
}

/// Every event after `after_seq`, a page at a time, for export. The export is recorded once, at its start.
pub async fn export_page(p: &Platform, actor: &Actor, after_seq: i64, limit: i64) -> Result<Vec<AuditEvent>> {
    require_auditor(actor)?;
    if after_seq == 0 {
        p.audit_writer.append(actor.event("audit.export", "audit_log", "")).await?;
    }
    p.audit_writer.settle().await;
    Ok(store::audit::export_page(&mut *p.store.read().await?, after_seq, limit).await?)
}

pub async fn verify(p: &Platform, actor: &Actor) -> Result<VerifyReport> {
    require_auditor(actor)?;
    p.audit_writer.settle().await;
    let report = store::audit::verify(&p.store).await?;
    let mut event = actor.event("audit.verify", "audit_log", "");
    event.result = if report.broken.is_none() { "ok".into() } else { "broken".into() };
    p.audit_writer.append(event).await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::clock::SystemClock;

    fn event(i: usize) -> NewEvent {
        NewEvent {
            actor_name: format!("token:系统{}", i % 7),
            actor_department_id: Some(3),
            action: "share.record".into(),
            object_kind: "resource".into(),
            object_id: "331100-003-00001".into(),
            result: "ok".into(),
            detail: format!("grant 1, version 1, key {i:012x}"),
            ..NewEvent::default()
        }
    }

    /// Many callers append at once through the journal, in each sync mode; once settled, the chain holds every
    /// answered event exactly once and verifies, and the node's drained mark has reached the last one.
    async fn every_answered_event_is_chained_once(sync: JournalSync) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("shuyuan.db").display());
        let store = Store::open(&url).await.unwrap();
        crate::setup::initialize(&store, "lishui-2020", "admin", "an admin's long passphrase", 0).await.unwrap();
        let p = Platform::open(store, Arc::new(SystemClock)).await.unwrap();
        assert!(attach_journal(&p, &dir.path().join("journal"), sync).await.unwrap());
        let (callers, each) = (16, 150);
        let mut tasks = Vec::new();
        for c in 0..callers {
            let writer = p.audit_writer.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..each {
                    writer.append(event(c * each + i)).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        p.audit_writer.settle().await;
        let filter = Filter { action_prefix: Some("share.record".into()), ..Filter::default() };
        let (_, total) = store::audit::search(&mut *p.store.read().await.unwrap(), &filter, 1, 0).await.unwrap();
        assert_eq!(total, (callers * each) as i64, "every event once: {sync:?}");
        let report = store::audit::verify(&p.store).await.unwrap();
        assert!(report.broken.is_none(), "{report:?}");
        assert_eq!(*p.audit_writer.inner.progress.drained.borrow(), (callers * each) as u64, "{sync:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_synced_per_answer_are_all_chained() {
        every_answered_event_is_chained_once(JournalSync::EachAnswer).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_synced_every_few_milliseconds_are_all_chained() {
        every_answered_event_is_chained_once(JournalSync::Every(Duration::from_millis(5))).await;
    }

    #[test]
    fn the_configured_interval_chooses_the_mode() {
        assert_eq!(JournalSync::from_millis(None), JournalSync::EachAnswer);
        assert_eq!(JournalSync::from_millis(Some(0)), JournalSync::EachAnswer);
        assert_eq!(JournalSync::from_millis(Some(5)), JournalSync::Every(Duration::from_millis(5)));
    }
}
