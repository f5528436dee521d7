//! Audit use cases: the group-commit writer for access events, search and export for the auditor, verification.

use std::sync::Arc;

use domain::clock::Clock;
use domain::orgs::AuditEvent;
use domain::roles::Role;
pub use store::audit::{BrokenLink, Filter, NewEvent, VerifyReport};
use store::Store;
use tokio::sync::{mpsc, oneshot};

use crate::{Actor, Error, Platform, Result};

/// The most events one group commit writes.
const GROUP_MAX: usize = 4096;
/// How many times the writer yields to let more appenders in before it commits.
const LINGER_YIELDS: usize = 4;

type Pending = (NewEvent, oneshot::Sender<std::result::Result<i64, String>>);

/// Appends events that record an access with no state change (a search, an export, a failed login). Appenders
/// wait until their event is durable; events that arrive while a commit is in flight go together in the next
/// one, so one fsync serves many appenders.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Pending>,
}

impl AuditWriter {
    pub fn start(store: Store, clock: Arc<dyn Clock>) -> AuditWriter {
        let (tx, mut rx) = mpsc::channel::<Pending>(GROUP_MAX * 4);
        tokio::spawn(async move {
            let mut batch: Vec<Pending> = Vec::with_capacity(GROUP_MAX);
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
                let (events, waiting): (Vec<NewEvent>, Vec<_>) = batch.drain(..).unzip();
                let now_us = domain::clock::to_micros(clock.now());
                let result = async {
                    let mut tx = store.begin().await?;
                    let seqs = store::audit::append_batch(&mut tx, &events, now_us).await?;
                    tx.commit().await?;
                    Ok::<_, store::Error>(seqs)
                }
                .await;
                match result {
                    Ok(seqs) => {
                        for (done, seq) in waiting.into_iter().zip(seqs) {
                            let _ = done.send(Ok(seq));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "audit group commit failed");
                        for done in waiting {
                            let _ = done.send(Err(e.to_string()));
                        }
                    }
                }
            }
        });
        AuditWriter { tx }
    }

    /// Appends and waits until the event is committed; returns its sequence number.
    pub async fn append(&self, event: NewEvent) -> Result<i64> {
        let (done, wait) = oneshot::channel();
        let closed = || Error::Internal(store::Error::Corrupt("the audit writer has stopped".into()));
        self.tx.send((event, done)).await.map_err(|_| closed())?;
        match wait.await.map_err(|_| closed())? {
            Ok(seq) => Ok(seq),
            Err(e) => Err(Error::Internal(store::Error::Corrupt(format!("audit append failed: {e}")))),
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
    Ok(store::audit::export_page(&mut *p.store.read().await?, after_seq, limit).await?)
}

pub async fn verify(p: &Platform, actor: &Actor) -> Result<VerifyReport> {
    require_auditor(actor)?;
    let report = store::audit::verify(&p.store).await?;
    let mut event = actor.event("audit.verify", "audit_log", "");
    event.result = if report.broken.is_none() { "ok".into() } else { "broken".into() };
    p.audit_writer.append(event).await?;
    Ok(report)
}
