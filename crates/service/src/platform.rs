//! The running platform: the store, the policy profile in force, the loaded calendar, the clock and the
//! group-commit audit writer. Web and CLI hold one `Platform` and call use cases on it.

use std::sync::{Arc, RwLock};

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
    calendar: RwLock<Calendar>,
    pub audit_writer: AuditWriter,
}

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
        let mut calendar = Calendar::default();
        for year in store::calendar::years(&mut conn).await? {
            calendar.load(year);
        }
        drop(conn);
        let audit_writer = AuditWriter::start(store.clone(), clock.clone());
        Ok(Arc::new(Platform { store, profile, clock, calendar: RwLock::new(calendar), audit_writer }))
    }

    pub fn now_us(&self) -> i64 {
        domain::clock::to_micros(self.clock.now())
    }

    pub fn calendar(&self) -> std::sync::RwLockReadGuard<'_, Calendar> {
        self.calendar.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn calendar_mut(&self) -> std::sync::RwLockWriteGuard<'_, Calendar> {
        self.calendar.write().unwrap_or_else(|p| p.into_inner())
    }
}
