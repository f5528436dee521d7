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
use tokio::sync::{mpsc, oneshot, watch};

use crate::{Actor, Error, Platform, Result};

/// The most events one group commit writes.
const GROUP_MAX: usize = 4096;
/// The most journaled events one transaction moves into the chain.
const DRAIN_MAX: usize = 1024;
/// How many times the writer yields to let more appenders in before it commits.
const LINGER_YIELDS: usize = 4;
/// How long the journal waits for more appenders before a sync when it is busy.
const JOURNAL_LINGER: Duration = Duration::from_micros(300);
/// How long a reader of the log waits for journaled events to reach the database before reading anyway.
const SETTLE_WAIT: Duration = Duration::from_secs(10);

type Done = oneshot::Sender<std::result::Result<(), String>>;

/// Appends events that record an access with no state change (a search, an export, a sharing call, a refused
/// call). Appenders wait until their event is durable. With a journal attached (`attach_journal`, on a serving
/// node) that means written to the node's journal, many events to one `fdatasync`, and the journal is moved into
/// the chain in the database in large batches behind; without one, events go straight to the database, many to a
/// commit.
#[derive(Clone)]
pub struct AuditWriter {
    inner: Arc<Inner>,
}

struct Inner {
    direct: mpsc::Sender<(NewEvent, Done)>,
    /// To the journal's thread; dropping the last writer ends the thread, then the drain once it has caught up.
    journal: OnceLock<std::sync::mpsc::Sender<(NewEvent, Done)>>,
    progress: Arc<Progress>,
    store: Store,
    clock: Arc<dyn Clock>,
}

/// How far the journal has got, shared by the writer, the journal's thread and the drain.
struct Progress {
    /// The newest journal entry whose appender was answered.
    acked: AtomicU64,
    /// The newest journal entry the database holds.
    drained: watch::Sender<u64>,
}

impl AuditWriter {
    pub fn start(store: Store, clock: Arc<dyn Clock>) -> AuditWriter {
        let (tx, rx) = mpsc::channel(GROUP_MAX * 4);
        tokio::spawn(group_commit(store.clone(), clock.clone(), rx));
        let progress = Arc::new(Progress { acked: AtomicU64::new(0), drained: watch::Sender::new(0) });
        let inner = Inner { direct: tx, journal: OnceLock::new(), progress, store, clock };
        AuditWriter { inner: Arc::new(inner) }
    }

    /// Appends and waits until the event is durable.
    pub async fn append(&self, event: NewEvent) -> Result<()> {
        let (done, wait) = oneshot::channel();
        let closed = || Error::Internal(store::Error::Corrupt("the audit writer has stopped".into()));
        match self.inner.journal.get() {
            Some(journal) => journal.send((event, done)).map_err(|_| closed())?,
            None => self.inner.direct.send((event, done)).await.map_err(|_| closed())?,
        }
        match wait.await.map_err(|_| closed())? {
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
        let target = self.inner.progress.acked.load(Ordering::SeqCst);
        let mut drained = self.inner.progress.drained.subscribe();
        if tokio::time::timeout(SETTLE_WAIT, drained.wait_for(|d| *d >= target)).await.is_err() {
            tracing::warn!(target, drained = *drained.borrow(), "audit journal: the database is behind; reading the log as it is");
        }
    }
}

/// Journals this node's access events in `dir` from now on: first moves into the database what a previous run left
/// there (after a crash), then starts the journal's writer thread and the task that drains it. False when another
/// process holds the journal; events then go straight to the database.
pub async fn attach_journal(p: &Platform, dir: &Path) -> Result<bool> {
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
    inner.progress.acked.store(drained, Ordering::SeqCst);
    inner.progress.drained.send_replace(drained);
    let (to_journal, from_appenders) = std::sync::mpsc::channel();
    let (to_drain, from_journal) = mpsc::unbounded_channel();
    let (progress, clock) = (inner.progress.clone(), inner.clock.clone());
    std::thread::Builder::new()
        .name("audit-journal".into())
        .spawn(move || journal_thread(journal, clock, progress, from_appenders, to_drain))
        .map_err(|e| Error::Internal(store::Error::Corrupt(format!("audit journal thread: {e}"))))?;
    tokio::spawn(drain_task(inner.store.clone(), inner.progress.clone(), node, from_journal));
    if inner.journal.set(to_journal).is_err() {
        return Err(Error::Internal(store::Error::Corrupt("an audit journal is attached already".into())));
    }
    Ok(true)
}

/// Runs file work on a blocking thread.
async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> store::Result<T> + Send + 'static) -> Result<T> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("audit journal task: {e}"))))??)
}

/// Writes what appenders send, as many as are waiting to one `fdatasync`, answers them, and hands the entries to
/// the drain. Runs on a thread of its own: a sync blocks it, not the async workers.
fn journal_thread(
    mut journal: Journal,
    clock: Arc<dyn Clock>,
    progress: Arc<Progress>,
    from_appenders: std::sync::mpsc::Receiver<(NewEvent, Done)>,
    to_drain: mpsc::UnboundedSender<Vec<Entry>>,
) {
    let mut forgotten = 0;
    let mut last_group = 0;
    while let Ok(first) = from_appenders.recv() {
        // Under load (the last group was not alone) a moment's wait gathers more appenders to one sync: a sync
        // costs the kernel as much CPU as a few dozen lookups, and the CPU is what a busy node runs out of.
        if last_group > 1 {
            std::thread::sleep(JOURNAL_LINGER);
        }
        let mut batch = vec![first];
        while batch.len() < GROUP_MAX {
            match from_appenders.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        last_group = batch.len();
        let now_us = domain::clock::to_micros(clock.now());
        let (events, waiting): (Vec<(i64, NewEvent)>, Vec<Done>) = batch.into_iter().map(|(e, done)| ((now_us, e), done)).unzip();
        match journal.append(events) {
            Ok(entries) => {
                let last = entries.last().map(|e| e.seq).unwrap_or_default();
                if to_drain.send(entries).is_err() {
                    return;
                }
                progress.acked.store(last, Ordering::SeqCst);
                for done in waiting {
                    let _ = done.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "audit journal write failed");
                for done in waiting {
                    let _ = done.send(Err(e.to_string()));
                }
            }
        }
        let drained = *progress.drained.borrow();
        if drained > forgotten {
            if let Err(e) = journal.forget_through(drained) {
                tracing::warn!(error = %e, "audit journal: could not remove drained segments");
            }
            forgotten = drained;
        }
    }
}

/// Moves journaled entries into the chain, as many as have arrived to one transaction; a failed transaction is
/// retried until the database takes it (the entries are safe in the journal meanwhile).
async fn drain_task(store: Store, progress: Arc<Progress>, node: String, mut from_journal: mpsc::UnboundedReceiver<Vec<Entry>>) {
    let mut groups = Vec::new();
    let mut pending: Vec<Entry> = Vec::new();
    loop {
        if pending.is_empty() {
            if from_journal.recv_many(&mut groups, 64).await == 0 {
                return;
            }
            pending.extend(groups.drain(..).flatten());
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
        // Whatever arrived meanwhile goes in the next transaction.
        while let Ok(group) = from_journal.try_recv() {
            pending.extend(group);
        }
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
