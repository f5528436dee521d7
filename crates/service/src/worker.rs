//! The node's background worker: runs due sync jobs one after another, delivers data pushes, and every few minutes scans for delivery
//! warnings and applies the version retention rule. Every node may run one; the work it does is claimed in the database, so nodes never do the same
//! job twice. It ends when the platform is dropped.

use std::sync::Arc;
use std::time::Duration;

use crate::Platform;

/// How long the worker waits when nothing was due.
pub const IDLE: Duration = Duration::from_secs(30);

pub fn start(p: &Arc<Platform>) {
    let weak = Arc::downgrade(p);
    tokio::spawn(async move {
        let mut last_scan = None;
        loop {
            let Some(p) = weak.upgrade() else { return };
            let idle = match crate::aggregation::sync::run_due(&p).await {
                Ok(Some(run)) => {
                    tracing::info!(job = run.job_id, rows = run.rows_read, error = run.job.last_error.as_deref().unwrap_or(""), "sync job ran");
                    false
                }
                Ok(None) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "sync job failed");
                    true
                }
            };
            match crate::sharing::run_pushes(&p).await {
                Ok(n) if n > 0 => tracing::info!(attempted = n, "data pushes attempted"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "data push round failed"),
            }
            let now = p.clock.now();
            if crate::alerts::due_for_scan(last_scan, now) {
                last_scan = Some(now);
                match crate::alerts::scan(&p).await {
                    Ok(s) if s.raised > 0 || s.resolved > 0 => tracing::info!(raised = s.raised, resolved = s.resolved, "alerts scanned"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "alert scan failed"),
                }
                match crate::aggregation::retention::apply(&p).await {
                    Ok(n) if n > 0 => tracing::info!(removed = n, "old versions removed under the retention rule"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "retention failed"),
                }
            }
            if idle {
                let wake = p.worker_wake.clone();
                drop(p);
                tokio::select! {
                    _ = tokio::time::sleep(IDLE) => {}
                    _ = wake.notified() => {}
                }
            }
        }
    });
}
