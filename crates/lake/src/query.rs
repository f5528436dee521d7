//! SQL over dataset versions, with Apache DataFusion: the versions a caller may read are registered as tables by
//! resource code, and a query may only read — no DDL, no DML, no `SET` or `COPY`, so SQL can never write a file or
//! change the session. Memory is bounded by a pool (a query that needs more fails instead of taking the node's
//! memory), and at most `max_rows` rows are answered.

use std::path::PathBuf;

use arrow_array::RecordBatch;
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::options::ParquetReadOptions;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SQLOptions, SessionConfig, SessionContext};
use datafusion::sql::TableReference;

/// A table the query may read: its names (the resource code, and the same as a plain identifier) and its file.
#[derive(Debug, Clone)]
pub struct Table {
    pub names: Vec<String>,
    pub path: PathBuf,
}

/// What a query answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Option<String>>>,
    /// More rows matched than were answered.
    pub truncated: bool,
}

/// Why a query was not answered: what the person writing it should fix.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The SQL does not parse, names an unknown table or column, or is not a query.
    #[error("{0}")]
    Sql(String),
    /// The query needed more memory than it may have.
    #[error("the query needs more than {0} MiB of memory: filter or aggregate more")]
    Memory(usize),
    #[error("query engine: {0}")]
    Internal(String),
}

/// The plain identifier a resource code is also registered under: `r230500_003_00001`.
pub fn plain_name(code: &str) -> String {
    format!("r{}", code.replace('-', "_").to_ascii_lowercase())
}

/// Runs `sql` over `tables`, read-only, in at most `memory_mib` MiB, answering at most `max_rows` rows.
pub async fn sql(tables: &[Table], sql: &str, max_rows: usize, memory_mib: usize) -> Result<Answer, QueryError> {
    let ctx = context(tables, memory_mib).await?;
    let options = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
    let frame = ctx.sql_with_options(sql, options).await.map_err(|e| classify(e, memory_mib))?;
    let schema = frame.schema().as_arrow().clone();
    let frame = frame.limit(0, Some(max_rows + 1)).map_err(|e| classify(e, memory_mib))?;
    let batches: Vec<RecordBatch> = frame.collect().await.map_err(|e| classify(e, memory_mib))?;
    let columns = schema.fields().iter().map(|f| (f.name().clone(), f.data_type().to_string())).collect();
    let format = FormatOptions::default().with_null("").with_timestamp_format(Some("%Y-%m-%d %H:%M:%S"));
    let mut rows = Vec::new();
    for batch in &batches {
        let formatters = batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &format)).collect::<Result<Vec<_>, _>>().map_err(|e| QueryError::Internal(e.to_string()))?;
        for r in 0..batch.num_rows() {
            rows.push(batch.columns().iter().zip(&formatters).map(|(c, f)| (!c.is_null(r)).then(|| f.value(r).to_string())).collect());
        }
    }
    let truncated = rows.len() > max_rows;
    rows.truncate(max_rows);
    Ok(Answer { columns, rows, truncated })
}

/// Runs `sql` over `tables` and writes every row it answers as CSV (a header of column names) to `out`, a batch at
/// a time, so the rows never need to fit in memory. Answers the rows written.
pub async fn sql_to_csv(tables: &[Table], sql: &str, out: &std::path::Path, memory_mib: usize) -> Result<u64, QueryError> {
    use futures_util::StreamExt;
    let ctx = context(tables, memory_mib).await?;
    let options = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
    let frame = ctx.sql_with_options(sql, options).await.map_err(|e| classify(e, memory_mib))?;
    let names: Vec<String> = frame.schema().as_arrow().fields().iter().map(|f| f.name().clone()).collect();
    let mut stream = frame.execute_stream().await.map_err(|e| classify(e, memory_mib))?;
    let io = |e: std::io::Error| QueryError::Internal(e.to_string());
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out).map_err(io)?);
    crate::write_csv_record(&mut w, names.iter().map(String::as_str)).map_err(io)?;
    let format = FormatOptions::default().with_null("").with_timestamp_format(Some("%Y-%m-%d %H:%M:%S"));
    let mut rows = 0u64;
    let mut cells: Vec<String> = Vec::with_capacity(names.len());
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| classify(e, memory_mib))?;
        let formatters = batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &format)).collect::<Result<Vec<_>, _>>().map_err(|e| QueryError::Internal(e.to_string()))?;
        for r in 0..batch.num_rows() {
            cells.clear();
            cells.extend(formatters.iter().map(|f| f.value(r).to_string()));
            crate::write_csv_record(&mut w, cells.iter().map(String::as_str)).map_err(io)?;
            rows += 1;
        }
    }
    std::io::Write::flush(&mut w).map_err(io)?;
    Ok(rows)
}

async fn context(tables: &[Table], memory_mib: usize) -> Result<SessionContext, QueryError> {
    let runtime = RuntimeEnvBuilder::new().with_memory_limit(memory_mib << 20, 1.0).build_arc().map_err(|e| QueryError::Internal(e.to_string()))?;
    let config = SessionConfig::new().with_target_partitions(2).with_batch_size(8192).with_information_schema(false);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    for table in tables {
        let path = table.path.to_string_lossy().into_owned();
        for name in &table.names {
            ctx.register_parquet(TableReference::bare(name.as_str()), &path, ParquetReadOptions::default()).await.map_err(|e| QueryError::Internal(e.to_string()))?;
        }
    }
    Ok(ctx)
}

/// A SQL string literal of `value` (quotes doubled), for values the platform itself puts into a query.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A quoted SQL identifier (quotes doubled).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn classify(e: datafusion::error::DataFusionError, memory_mib: usize) -> QueryError {
    use datafusion::error::DataFusionError as E;
    match e.find_root() {
        E::ResourcesExhausted(_) => QueryError::Memory(memory_mib),
        E::SQL(..) | E::Plan(_) | E::SchemaError(..) | E::NotImplemented(_) => QueryError::Sql(e.strip_backtrace()),
        E::Execution(m) if m.contains("not supported") => QueryError::Sql(e.strip_backtrace()),
        _ => QueryError::Internal(e.strip_backtrace()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, ColumnType, Lake};

    #[tokio::test]
    async fn sql_reads_versions_by_code_and_refuses_to_write() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let columns = [Column { name: "zjhm".into(), ty: ColumnType::Utf8 }, Column { name: "nl".into(), ty: ColumnType::Int64 }];
        let mut w = lake.stage_keyed(&columns, &["zjhm"]).unwrap();
        for n in 0..1000 {
            w.push(&[Some(&format!("ID{n:04}")), Some(&(n % 90).to_string())]).unwrap();
        }
        let rel = lake.commit(w.finish().unwrap(), "230500-003-00001", 1).unwrap();
        let tables = [Table { names: vec!["230500-003-00001".into(), plain_name("230500-003-00001")], path: dir.path().join(rel) }];
        let a = sql(&tables, "SELECT COUNT(*) AS n, MAX(nl) AS oldest FROM \"230500-003-00001\" WHERE nl >= 18", 100, 64).await.unwrap();
        assert_eq!(a.columns[0].0, "n");
        assert_eq!(a.rows, [[Some("792".to_string()), Some("89".to_string())]], "72 of every 90 ages are 18 or more");
        let a = sql(&tables, "SELECT zjhm FROM r230500_003_00001 ORDER BY zjhm", 10, 64).await.unwrap();
        assert_eq!((a.rows.len(), a.truncated, a.rows[0][0].as_deref()), (10, true, Some("ID0000")));
        for bad in [
            "COPY (SELECT 1) TO '/tmp/x.csv'",
            "CREATE TABLE t AS SELECT 1",
            "INSERT INTO r230500_003_00001 VALUES ('x', 1)",
            "SET datafusion.execution.batch_size = 1",
            "SELECT * FROM nowhere",
            "SELEC 1",
            "CREATE EXTERNAL TABLE e STORED AS CSV LOCATION '/etc/passwd'",
        ] {
            assert!(matches!(sql(&tables, bad, 10, 64).await, Err(QueryError::Sql(_))), "{bad}");
        }
    }
}
