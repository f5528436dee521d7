//! A department's own database, read by a sync job: PostgreSQL or MySQL/MariaDB. Only reads: the table's columns
//! (the connection test) and its rows as text, in the order of the cursor column for incremental jobs. Every value
//! is turned into text by the source database itself (dates and times as `YYYY-MM-DD HH:MM:SS`), so the platform
//! checks a synced row exactly as it checks a delivered file.

use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::{Column, Connection, Executor, Row, TypeInfo};

/// How long a connection may take before the source is reported unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    Mysql,
}

impl Engine {
    /// The engine a connection URL names (`postgres://`, `postgresql://`, `mysql://`, `mariadb://`).
    pub fn of_url(url: &str) -> Option<Engine> {
        let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
        match scheme.as_str() {
            "postgres" | "postgresql" => Some(Engine::Postgres),
            "mysql" | "mariadb" => Some(Engine::Mysql),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }

    pub fn parse(s: &str) -> Option<Engine> {
        match s {
            "postgres" => Some(Engine::Postgres),
            "mysql" => Some(Engine::Mysql),
            _ => None,
        }
    }

    fn quote(self, ident: &str) -> String {
        let q = match self {
            Engine::Postgres => '"',
            Engine::Mysql => '`',
        };
        ident.split('.').map(|part| format!("{q}{part}{q}")).collect::<Vec<_>>().join(".")
    }
}

/// Why a source could not be read: what to tell the person setting up the job.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("unsupported connection URL: use postgres://… or mysql://…")]
    Url,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("'{0}' is not a plain table or column name")]
    Name(String),
    #[error("table {0} does not exist or cannot be read: {1}")]
    Table(String, String),
    #[error("column {0} is not in the table")]
    Column(String),
    #[error("reading rows failed: {0}")]
    Read(String),
    #[error("writing rows failed: {0}")]
    Write(#[from] std::io::Error),
}

/// A column as the source describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceColumn {
    pub name: String,
    /// The source's own type name (`TIMESTAMP`, `VARCHAR`…).
    pub type_name: String,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub columns: Vec<SourceColumn>,
    pub rows: i64,
}

/// A table or column name: letters (any script), digits and `_`, and for a table one `schema.` prefix. Anything
/// else is refused rather than escaped, so no name can change the statement.
pub fn check_name(name: &str, dotted: bool) -> Result<(), SourceError> {
    let parts: Vec<&str> = name.split('.').collect();
    let ok = !name.is_empty()
        && name.chars().count() <= 128
        && parts.len() <= if dotted { 2 } else { 1 }
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_') && !p.starts_with(|c: char| c.is_ascii_digit()));
    if ok {
        Ok(())
    } else {
        Err(SourceError::Name(name.chars().take(60).collect()))
    }
}

enum Source {
    Postgres(sqlx::PgConnection),
    Mysql(sqlx::MySqlConnection),
}

/// A department's database is reached over the network: a URL without a host, or one that names a socket or another
/// host in its parameters, could reach the platform's own database through a local socket instead.
fn check_url(url: &str) -> Result<(), SourceError> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or("");
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let params = url.split_once('?').map(|(_, q)| q.to_ascii_lowercase()).unwrap_or_default();
    let named = params.split('&').any(|kv| kv.starts_with("host=") || kv.starts_with("hostaddr=") || kv.starts_with("socket="));
    if host.is_empty() || host.starts_with('%') || named {
        return Err(SourceError::Url);
    }
    Ok(())
}

/// Where a URL leads: engine, host (loopback names alike), port and database.
pub fn target(url: &str) -> Option<(Engine, String, u16, String)> {
    let engine = Engine::of_url(url)?;
    let rest = url.split_once("://")?.1;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_port = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    let default_port = if engine == Engine::Postgres { 5432 } else { 3306 };
    let (host, port) = match host_port.strip_prefix('[') {
        // [IPv6]:port
        Some(bracketed) => {
            let (h, after) = bracketed.split_once(']')?;
            (h, after.strip_prefix(':').map(|p| p.parse().ok()).unwrap_or(Some(default_port))?)
        }
        None => match host_port.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()?),
            None => (host_port, default_port),
        },
    };
    let host = host.to_ascii_lowercase();
    let host = if ["localhost", "127.0.0.1", "::1", "0.0.0.0"].contains(&host.as_str()) { "127.0.0.1".to_string() } else { host };
    let database = path.split('?').next().unwrap_or("").to_string();
    Some((engine, host, port, database))
}

async fn connect(url: &str) -> Result<(Engine, Source), SourceError> {
    let engine = Engine::of_url(url).ok_or(SourceError::Url)?;
    check_url(url)?;
    let connecting = async {
        Ok::<_, sqlx::Error>(match engine {
            Engine::Postgres => Source::Postgres(sqlx::PgConnection::connect(url).await?),
            Engine::Mysql => Source::Mysql(sqlx::MySqlConnection::connect(&url.replacen("mariadb://", "mysql://", 1)).await?),
        })
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(source)) => Ok((engine, source)),
        Ok(Err(e)) => Err(SourceError::Connect(e.to_string())),
        Err(_) => Err(SourceError::Connect(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))),
    }
}

async fn describe(source: &mut Source, engine: Engine, table: &str) -> Result<Vec<SourceColumn>, SourceError> {
    check_name(table, true)?;
    let sql = format!("SELECT * FROM {}", engine.quote(table));
    let fail = |e: sqlx::Error| SourceError::Table(table.into(), e.to_string());
    Ok(match source {
        Source::Postgres(c) => columns_of(c.describe(&sql).await.map_err(fail)?.columns()),
        Source::Mysql(c) => columns_of(c.describe(&sql).await.map_err(fail)?.columns()),
    })
}

fn columns_of<C: Column>(columns: &[C]) -> Vec<SourceColumn> {
    columns.iter().map(|c| SourceColumn { name: c.name().to_string(), type_name: c.type_info().name().to_string() }).collect()
}

/// The connection test: connects, describes the table and counts its rows.
pub async fn inspect(url: &str, table: &str) -> Result<Inspected, SourceError> {
    let (engine, mut source) = connect(url).await?;
    let columns = describe(&mut source, engine, table).await?;
    let sql = format!("SELECT COUNT(*) FROM {}", engine.quote(table));
    let fail = |e: sqlx::Error| SourceError::Table(table.into(), e.to_string());
    let rows: i64 = match &mut source {
        Source::Postgres(c) => sqlx::query(&sql).fetch_one(&mut *c).await.map_err(fail)?.get(0),
        Source::Mysql(c) => sqlx::query(&sql).fetch_one(&mut *c).await.map_err(fail)?.get(0),
    };
    Ok(Inspected { columns, rows })
}

/// The expression that reads a column as text in the source's own dialect.
fn as_text(engine: Engine, column: &SourceColumn) -> String {
    let q = engine.quote(&column.name);
    let ty = column.type_name.to_ascii_uppercase();
    match engine {
        Engine::Postgres if ty == "TIMESTAMPTZ" => format!("to_char({q} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"),
        Engine::Postgres if ty == "TIMESTAMP" => format!("to_char({q}, 'YYYY-MM-DD HH24:MI:SS')"),
        Engine::Postgres => format!("CAST({q} AS TEXT)"),
        Engine::Mysql if ty == "DATETIME" || ty == "TIMESTAMP" => format!("DATE_FORMAT({q}, '%Y-%m-%d %H:%i:%s')"),
        Engine::Mysql => format!("CAST({q} AS CHAR)"),
    }
}

/// An incremental read: rows whose cursor column is at or past `after` (all rows when none), in cursor order,
/// but for the rows at `after` whose fingerprints are in `seen` (read last time). Reading from `after` itself
/// catches a row written later with the same timestamp as the last one read; a strict `>` would miss it for good.
pub struct Cursor<'a> {
    pub column: &'a str,
    pub after: Option<&'a str>,
    pub seen: &'a std::collections::HashSet<String>,
}

/// What a read delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub rows: u64,
    /// The last row's cursor value (the source's own text for it), for the next incremental read.
    pub last_cursor: Option<String>,
    /// Fingerprints of the rows read at `last_cursor` (up to [`MAX_SEEN`]; beyond that a few are read again next
    /// time, which merging by key makes harmless).
    pub seen: Vec<String>,
}

/// How many rows at one cursor value are remembered.
pub const MAX_SEEN: usize = 10_000;

/// A row's fingerprint: the first 8 bytes of SM3 over its length-prefixed values, as hex.
pub fn fingerprint(values: &[Option<String>]) -> String {
    use sm3::Digest;
    let mut h = sm3::Sm3::new();
    for v in values {
        match v {
            Some(v) => {
                h.update((v.len() as u64).to_be_bytes());
                h.update(v.as_bytes());
            }
            None => h.update(u64::MAX.to_be_bytes()),
        }
    }
    hex::encode(&h.finalize()[..8])
}

/// Reads `columns` of every row (or every row past the cursor) as text, handing each to `row`, streaming: memory
/// does not grow with the table.
pub async fn read(
    url: &str,
    table: &str,
    columns: &[&str],
    cursor: Option<Cursor<'_>>,
    mut row: impl FnMut(&[Option<String>]) -> std::io::Result<()>,
) -> Result<Read, SourceError> {
    let (engine, mut source) = connect(url).await?;
    let described = describe(&mut source, engine, table).await?;
    let find = |name: &str| -> Result<&SourceColumn, SourceError> {
        check_name(name, false)?;
        described.iter().find(|c| c.name == name).ok_or_else(|| SourceError::Column(name.into()))
    };
    let mut select: Vec<String> = Vec::with_capacity(columns.len() + 1);
    for name in columns {
        select.push(as_text(engine, find(name)?));
    }
    let mut sql = String::new();
    if let Some(c) = &cursor {
        let column = find(c.column)?;
        let q = engine.quote(&column.name);
        // The cursor is kept in the source's own text for the type, which the source reads back exactly.
        select.push(match engine {
            Engine::Postgres => format!("CAST({q} AS TEXT)"),
            Engine::Mysql => format!("CAST({q} AS CHAR)"),
        });
        sql = format!("SELECT {} FROM {} WHERE {q} IS NOT NULL", select.join(", "), engine.quote(table));
        if c.after.is_some() {
            sql.push_str(&match engine {
                Engine::Postgres => format!(" AND {q} >= CAST($1 AS {})", pg_cast_type(&column.type_name)),
                Engine::Mysql => format!(" AND {q} >= {}", mysql_cast_param(&column.type_name)),
            });
        }
        sql.push_str(&format!(" ORDER BY {q}"));
    }
    if sql.is_empty() {
        sql = format!("SELECT {} FROM {}", select.join(", "), engine.quote(table));
    }
    let width = columns.len();
    let mut read = Read { rows: 0, last_cursor: None, seen: Vec::new() };
    let after = cursor.as_ref().and_then(|c| c.after);
    let mut values: Vec<Option<String>> = Vec::with_capacity(width + 1);
    let failed = |e: sqlx::Error| SourceError::Read(e.to_string());
    macro_rules! each_row {
        ($conn:expr) => {{
            let mut q = sqlx::query(&sql);
            if let Some(after) = cursor.as_ref().and_then(|c| c.after) {
                q = q.bind(after);
            }
            let mut rows = q.fetch(&mut *$conn);
            while let Some(r) = rows.try_next().await.map_err(failed)? {
                values.clear();
                for i in 0..width {
                    values.push(r.try_get::<Option<String>, _>(i).map_err(failed)?);
                }
                if let Some(c) = &cursor {
                    let at: Option<String> = r.try_get::<Option<String>, _>(width).map_err(failed)?;
                    let print = fingerprint(&values);
                    if at != read.last_cursor {
                        read.seen.clear();
                        read.last_cursor = at;
                    }
                    if read.seen.len() < MAX_SEEN {
                        read.seen.push(print.clone());
                    }
                    if after.is_some() && read.last_cursor.as_deref() == after && c.seen.contains(&print) {
                        continue;
                    }
                }
                row(&values)?;
                read.rows += 1;
            }
        }};
    }
    match &mut source {
        Source::Postgres(c) => each_row!(c),
        Source::Mysql(c) => each_row!(c),
    }
    Ok(read)
}

/// The MySQL parameter a cursor value is compared as: the column's kind, so a BIGINT past 2^53 or a DATETIME(6) is
/// not compared as a double or a string.
fn mysql_cast_param(type_name: &str) -> &'static str {
    let t = type_name.to_ascii_uppercase();
    if t.contains("INT") {
        if t.contains("UNSIGNED") { "CAST(? AS UNSIGNED)" } else { "CAST(? AS SIGNED)" }
    } else if t.contains("DATETIME") || t.contains("TIMESTAMP") {
        "CAST(? AS DATETIME(6))"
    } else if t == "DATE" {
        "CAST(? AS DATE)"
    } else if t.contains("DECIMAL") || t.contains("NUMERIC") {
        "CAST(? AS DECIMAL(65,30))"
    } else {
        "?"
    }
}

/// The type a PostgreSQL cursor value is cast back to: its column's own (names from `describe` are SQL types).
fn pg_cast_type(type_name: &str) -> String {
    let t = type_name.to_ascii_uppercase();
    match t.as_str() {
        "INT2" => "SMALLINT".into(),
        "INT4" => "INTEGER".into(),
        "INT8" => "BIGINT".into(),
        "TIMESTAMPTZ" => "TIMESTAMPTZ".into(),
        // `CHAR` alone would be char(1): the cursor would be cut to its first character.
        "CHAR" | "BPCHAR" | "VARCHAR" | "NAME" => "TEXT".into(),
        t if t.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') => t.into(),
        _ => "TEXT".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_change_the_statement_are_refused() {
        for ok in ["people", "hr.people", "人口_2026", "_x1"] {
            assert!(check_name(ok, true).is_ok(), "{ok}");
        }
        for bad in ["", "a;drop table x", "a\"b", "a`b", "a.b.c", "1abc", "a b", "x--", "a.", "a'b"] {
            assert!(check_name(bad, true).is_err(), "{bad}");
        }
        assert!(check_name("hr.people", false).is_err(), "a column has no schema");
    }

    #[test]
    fn engines_by_url() {
        assert_eq!(Engine::of_url("postgres://u@h/db"), Some(Engine::Postgres));
        assert_eq!(Engine::of_url("MariaDB://u@h/db"), Some(Engine::Mysql));
        assert_eq!(Engine::of_url("sqlite://x"), None);
        assert!(check_url("postgres://hr:pw@10.0.0.5:5432/hr").is_ok());
        assert_eq!(target("postgres://u:p@LocalHost/shuyuan?sslmode=disable"), Some((Engine::Postgres, "127.0.0.1".into(), 5432, "shuyuan".into())));
        assert_eq!(target("mysql://u@10.0.0.5:3307/hr"), Some((Engine::Mysql, "10.0.0.5".into(), 3307, "hr".into())));
        assert_eq!(target("postgres://u@[::1]/db"), Some((Engine::Postgres, "127.0.0.1".into(), 5432, "db".into())));
        assert_eq!(target("postgres://u@[::1]:6432/db"), Some((Engine::Postgres, "127.0.0.1".into(), 6432, "db".into())));
        for bad in ["postgres:///shuyuan", "postgres://u@/db", "postgres://h/db?host=/var/run/postgresql", "mysql://u@h/db?socket=/run/mysqld/mysqld.sock", "postgres://%2Fvar%2Frun/db"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
