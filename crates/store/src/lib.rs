//! The control-plane database of Shuyuan: SQLite (a file, WAL) by default, PostgreSQL at scale, through sqlx's
//! `Any` driver so one set of portable queries serves both. Each backend has its own migrations with the same
//! meaning. Instants are stored as microseconds since the epoch (UTC) so comparisons and indexes are identical
//! on both backends.
//!
//! Writes go through [`Store::begin`]: on SQLite a single writer connection (SQLite allows one writer at a time,
//! and a dedicated connection avoids `SQLITE_BUSY` on lock upgrades); readers use their own pool.

pub mod alerts;
pub mod audit;
pub mod business_items;
pub mod calendar;
pub mod channels;
pub mod lake;
pub mod catalog;
pub mod corrections;
pub mod demands;
pub mod disputes;
pub mod orgs;
pub mod pushes;
pub mod settings;
pub mod sharing;
pub mod source;
pub mod sources;
pub mod sync;
pub mod testing;
pub mod tokens;
pub mod users;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Executor};

pub use sqlx::AnyConnection as Conn;
/// The driver's error, for callers that commit a [`Tx`].
pub use sqlx::Error as DbError;

/// A write transaction. The audit event of a state change is appended inside the same one.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// A unique constraint refused the row: the thing already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("stored data is not what this version expects: {0}")]
    Corrupt(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Store {
    writer: AnyPool,
    pub(crate) reader: AnyPool,
    backend: Backend,
    /// The database file, on SQLite: hot read paths open it natively (see `audit::verify`).
    sqlite_path: Option<std::path::PathBuf>,
    /// The control plane's own server and database (PostgreSQL), which no sync job may read.
    target: Option<(source::Engine, String, u16, String)>,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Whether `url` leads to this control plane's own database: a department's sync job must never read it.
    pub fn is_own_database(&self, url: &str) -> bool {
        self.target.is_some() && source::target(url) == self.target
    }

    /// Opens (creating a SQLite file if needed) and migrates.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let (writer, reader) = match backend {
            Backend::Sqlite => {
                let url = if url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") };
                let writer = sqlite_pool(&url, 1, WRITER_CACHE_KIB).await?;
                let reader = sqlite_pool(&url, 4, READER_CACHE_KIB).await?;
                (writer, reader)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let sqlite_path = match backend {
            Backend::Sqlite => sqlite_file(url),
            Backend::Postgres => None,
        };
        let store = Store { writer, reader, backend, sqlite_path, target: source::target(url) };
        match backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&store.writer).await?,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&store.writer).await?,
        }
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        self.sqlite_path.as_deref()
    }

    /// Begins a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(self.writer.begin().await?)
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.reader.acquire().await?)
    }

    /// Whether the database answers: for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.read().await?;
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(Error::UnsupportedUrl(url.to_string()))
    }
}

/// The file a `sqlite:` URL names; none for an in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// The page cache of the one writer connection: the audit drain's multi-row inserts into an indexed, growing table
/// otherwise spend their time evicting pages of the table's right edge and rereading them.
const WRITER_CACHE_KIB: u32 = 32 << 10;
/// Each reader connection's page cache: reads are point lookups and short pages of lists, and there are four.
const READER_CACHE_KIB: u32 = 8 << 10;

async fn sqlite_pool(url: &str, max: u32, cache_kib: u32) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn: &mut AnyConnection, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; FULL makes a commit durable when it returns. Statement
                // journals in memory: the drain's inserts otherwise copy pages to a temporary file.
                conn.execute(
                    format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{cache_kib};"
                    )
                    .as_str(),
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Turns a unique-constraint violation into [`Error::Conflict`] naming `what`.
pub(crate) fn conflict(what: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
    let what = what.into();
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(what),
        _ => Error::Db(e),
    }
}
