//! The running platform: the store, the policy profile in force, the loaded calendar, the clock and the
//! group-commit audit writer. Web and CLI hold one `Platform` and call use cases on it.

use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use domain::calendar::Calendar;
use domain::clock::Clock;
use domain::profile::Profile;
use store::Store;

use crate::audit::AuditWriter;
use crate::{Error, Result};

pub struct Platform {
    pub store: Store,
    pub profile: Profile,
    pub clock: Arc<dyn Clock>,
    /// The loaded calendar and the store's calendar version it was read at.
    calendar: RwLock<(Arc<Calendar>, i64)>,
    pub audit_writer: AuditWriter,
    /// The node's catalog search index, once attached (`catalog::search::attach`).
    pub(crate) index: std::sync::OnceLock<Arc<search::CatalogIndex>>,
    pub(crate) index_sync: tokio::sync::Mutex<()>,
    /// The node's data lake, once attached (`aggregation::attach`).
    pub(crate) lake: std::sync::OnceLock<Arc<lake::Lake>>,
    /// The node's key for sealed secrets, once attached (`secrets::attach`).
    pub(crate) secrets: std::sync::OnceLock<Arc<crate::secrets::Sealer>>,
    /// What the sharing API's hot path keeps (tokens, grants, versions in memory).
    pub caches: crate::serving::Caches,
    /// Wakes the node's worker before its idle wait ends (a version committed, a push subscribed).
    pub(crate) worker_wake: Arc<tokio::sync::Notify>,
}

/// How often a node looks for a calendar another node has loaded.
pub const CALENDAR_REFRESH: Duration = Duration::from_secs(30);

impl Platform {
    /// Opens an initialized deployment: reads the profile chosen at `init` and the loaded calendar.
    pub async fn open(store: Store, clock: Arc<dyn Clock>) -> Result<Arc<Platform>> {
        let mut conn = store.read().await?;
        let profile_id = store::settings::get(&mut conn, store::settings::PROFILE).await?.ok_or_else(|| {
            Error::invalid(
                "not_initialized",
                "数据库尚未初始化：请先运行 shuyuan init --profile NAME 或 shuyuan demo",
                "The database is not initialized: run `shuyuan init --profile NAME` or `shuyuan demo` first",
            )
        })?;
        let profile = Profile::shipped(&profile_id)?;
        let calendar = read_calendar(&mut conn).await?;
        drop(conn);
        let audit_writer = AuditWriter::start(store.clone(), clock.clone());
        let platform = Arc::new(Platform {
            store,
            profile,
            clock,
            calendar: RwLock::new(calendar),
            audit_writer,
            index: Default::default(),
            index_sync: Default::default(),
            lake: Default::default(),
            secrets: Default::default(),
            caches: Default::default(),
            worker_wake: Default::default(),
        });
        tokio::spawn(refresh_calendar_periodically(Arc::downgrade(&platform)));
        Ok(platform)
    }

    /// Rereads the calendar if a load on any node has changed it since this node read it; true if it did.
    pub async fn refresh_calendar(&self) -> Result<bool> {
        let mut conn = self.store.read().await?;
        let version = store::calendar::version(&mut conn).await?;
        if version == self.calendar.read().unwrap_or_else(|p| p.into_inner()).1 {
            return Ok(false);
        }
        let fresh = read_calendar(&mut conn).await?;
        *self.calendar.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(true)
    }

    /// Wakes the worker: there is work it should not wait for.
    pub fn wake_worker(&self) {
        self.worker_wake.notify_one();
    }

    pub fn now_us(&self) -> i64 {
        domain::clock::to_micros(self.clock.now())
    }

    /// The calendar as last read; a load replaces it whole, so holders keep a consistent copy.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.calendar.read().unwrap_or_else(|p| p.into_inner()).0.clone()
    }
}

/// The calendar and the version it was read at, read in that order so a load in between shows as stale later.
async fn read_calendar(conn: &mut store::Conn) -> Result<(Arc<Calendar>, i64)> {
    let version = store::calendar::version(conn).await?;
    let mut calendar = Calendar::default();
    for year in store::calendar::years(conn).await? {
        calendar.load(year);
    }
    Ok((Arc::new(calendar), version))
}

/// Until the platform is dropped.
async fn refresh_calendar_periodically(platform: Weak<Platform>) {
    let mut tick = tokio::time::interval(CALENDAR_REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(p) = platform.upgrade() else { return };
        if let Err(e) = p.refresh_calendar().await {
            tracing::warn!(error = %e, "calendar refresh failed; keeping the loaded calendar");
        }
    }
}
