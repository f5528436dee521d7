//! Helpers for tests that run against both backends: a fresh SQLite file, or a fresh PostgreSQL database on the
//! server named by `SHUYUAN_TEST_POSTGRES_URL`. Kept in the library so every crate's tests share them.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor};

pub const POSTGRES_ENV: &str = "SHUYUAN_TEST_POSTGRES_URL";

/// The PostgreSQL server for tests, if configured.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Creates an empty database on the test server and returns its URL.
pub async fn fresh_postgres_database(server_url: &str, label: &str) -> Result<String, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let name = format!(
        "shuyuan_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        label.chars().filter(|c| c.is_ascii_alphanumeric()).take(20).collect::<String>().to_lowercase()
    );
    let mut conn = sqlx::AnyConnection::connect(server_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    conn.close().await?;
    let (base, _) = server_url.rsplit_once('/').unwrap_or((server_url, ""));
    Ok(format!("{base}/{name}"))
}

/// Drops a database `fresh_postgres_database` made, once its pools are closed (`WITH (FORCE)` ends any
/// connection left behind), so test runs do not pile databases up on the server.
pub async fn drop_postgres_database(server_url: &str, database_url: &str) -> Result<(), sqlx::Error> {
    sqlx::any::install_default_drivers();
    let Some((_, name)) = database_url.rsplit_once('/') else { return Ok(()) };
    if !name.starts_with("shuyuan_t_") || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(());
    }
    let mut conn = sqlx::AnyConnection::connect(server_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
    conn.close().await
}

pub const MYSQL_ENV: &str = "SHUYUAN_TEST_MYSQL_URL";

/// The MySQL/MariaDB server for sync tests, if configured (`mysql://root@127.0.0.1:3306/test` here).
pub fn mysql_server() -> Option<String> {
    std::env::var(MYSQL_ENV).ok().filter(|s| !s.is_empty())
}

/// A department's database for sync tests: a fresh database on `server_url` (PostgreSQL or MySQL/MariaDB) with
/// `statements` run in it. Answers its URL; [`drop_source_database`] removes it.
pub async fn source_database(server_url: &str, label: &str, statements: &[&str]) -> Result<String, sqlx::Error> {
    sqlx::any::install_default_drivers();
    let name = format!("shuyuan_t_src_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), label);
    let mut conn = sqlx::AnyConnection::connect(server_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    conn.close().await?;
    let (base, _) = server_url.rsplit_once('/').unwrap_or((server_url, ""));
    let url = format!("{base}/{name}");
    execute(&url, statements).await?;
    Ok(url)
}

/// Runs statements, one by one, on the database at `url`.
pub async fn execute(url: &str, statements: &[&str]) -> Result<(), sqlx::Error> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    for statement in statements {
        conn.execute(*statement).await?;
    }
    conn.close().await
}

/// Drops a database [`source_database`] made.
pub async fn drop_source_database(server_url: &str, url: &str) -> Result<(), sqlx::Error> {
    let Some((_, name)) = url.rsplit_once('/') else { return Ok(()) };
    if !name.starts_with("shuyuan_t_src_") || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(());
    }
    let force = if server_url.starts_with("postgres") { " WITH (FORCE)" } else { "" };
    execute(server_url, &[&format!("DROP DATABASE IF EXISTS {name}{force}")]).await
}

/// The two backends a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

impl TestBackend {
    pub fn name(self) -> &'static str {
        match self {
            TestBackend::Sqlite => "sqlite",
            TestBackend::Postgres => "postgres",
        }
    }

    /// Whether this backend can run here; PostgreSQL tests are reported as ignored when it cannot.
    pub fn available(self) -> bool {
        match self {
            TestBackend::Sqlite => true,
            TestBackend::Postgres => postgres_server().is_some(),
        }
    }

    /// Removes what `fresh_url` made on the server (a SQLite file goes with its temporary folder).
    pub async fn discard(self, url: &str) {
        if let (TestBackend::Postgres, Some(server)) = (self, postgres_server()) {
            if let Err(e) = drop_postgres_database(&server, url).await {
                eprintln!("could not drop test database {url}: {e}");
            }
        }
    }

    /// A URL of a fresh, empty database; for SQLite, a file in `dir`.
    pub async fn fresh_url(self, dir: &std::path::Path, label: &str) -> String {
        match self {
            TestBackend::Sqlite => format!("sqlite://{}", dir.join(format!("{label}.db")).display()),
            TestBackend::Postgres => {
                let server = postgres_server().expect("PostgreSQL tests run only when configured");
                fresh_postgres_database(&server, label).await.expect("create a test database")
            }
        }
    }
}
