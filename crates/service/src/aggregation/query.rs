//! SQL over the delivered data (DataFusion, in `lake::query`): a department queries its own resources' versions,
//! the authority every resource's; other departments reach data through sharing, not here. Read-only, bounded in
//! rows, memory and time, and every query is in the audit log.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// Rows a query answers at most.
pub const MAX_ROWS: usize = 10_000;
/// Memory a query may use.
pub const MEMORY_MIB: usize = 512;
/// Time a query may take.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// A SELECT (or WITH … SELECT). Tables are resource codes, quoted (`"230500-003-00001"`), or the same as plain
    /// identifiers (`r230500_003_00001`); each is the resource's newest version unless `versions` pins another.
    pub sql: String,
    /// Rows to answer, 1 to 10,000 (default 1,000).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Resource code → version to read instead of the newest (time travel).
    #[serde(default)]
    pub versions: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QueryColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QueryTable {
    pub code: String,
    pub name: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct QueryAnswer {
    pub columns: Vec<QueryColumn>,
    /// Values as text, none for null.
    pub rows: Vec<Vec<Option<String>>>,
    /// More rows matched than the limit.
    pub truncated: bool,
    /// The tables the query names that the caller may read, and which version of each.
    pub tables: Vec<QueryTable>,
}

/// Runs a read-only query over the versions the caller may read.
pub async fn query(p: &Platform, actor: &Actor, req: QueryRequest) -> Result<QueryAnswer> {
    let all = actor.kind == ActorKind::Cli || actor.has(domain::roles::Role::AuthorityAdmin);
    if !all && !actor.has(domain::roles::Role::DeptDataOfficer) {
        return Err(Error::forbidden("只有数据专员和数据主管部门可以查询数据", "Only data officers and the authority query data"));
    }
    let limit = req.limit.unwrap_or(1000);
    if limit == 0 || limit > MAX_ROWS {
        return Err(Error::invalid("invalid_limit", format!("limit须在1至{MAX_ROWS}之间"), format!("limit is 1 to {MAX_ROWS}")));
    }
    let sql = req.sql.trim();
    if sql.is_empty() || sql.len() > 100_000 {
        return Err(Error::invalid("invalid_sql", "SQL不能为空，且不超过100000个字符", "The SQL is 1 to 100,000 characters"));
    }
    let mut conn = p.store.read().await?;
    let entries = store::catalog::all_with_contents(&mut conn).await?;
    let mut tables = Vec::new();
    let mut paths = Vec::new();
    let mut shown = Vec::new();
    // Only the tables the text names can be read: the others are not registered at all (each registration reads
    // its file's footer).
    let lowered = sql.to_lowercase();
    for (row, published, _) in entries {
        if !all && actor.department_id != Some(row.provider_department_id) {
            continue;
        }
        if !sql.contains(&row.code) && !lowered.contains(&lake::query::plain_name(&row.code)) && !req.versions.contains_key(&row.code) {
            continue;
        }
        let versions = store::lake::versions(&mut conn, row.id).await?;
        let chosen = match req.versions.get(&row.code) {
            Some(v) => Some(versions.iter().find(|x| x.version == *v).ok_or_else(|| {
                Error::not_found(format!("资源{}没有版本{v}", row.code), format!("Resource {} has no version {v}", row.code))
            })?),
            None => versions.first(),
        };
        let Some(version) = chosen else { continue };
        tables.push(vec![row.code.clone(), lake::query::plain_name(&row.code)]);
        paths.push(version.path.clone());
        shown.push(QueryTable { code: row.code.clone(), name: published.map(|c| c.name).unwrap_or(row.name), version: version.version });
    }
    drop(conn);
    for code in req.versions.keys() {
        if !shown.iter().any(|t| &t.code == code) {
            return Err(Error::not_found(format!("没有可查询的资源{code}"), format!("No resource {code} to query")));
        }
    }
    let tables: Vec<lake::query::Table> =
        tables.into_iter().zip(super::local_files(p, paths).await?).map(|(names, path)| lake::query::Table { names, path }).collect();
    let answer = tokio::time::timeout(TIMEOUT, lake::query::sql(&tables, sql, limit, MEMORY_MIB)).await;
    let mut event = actor.event("aggregation.query", "sql", "");
    event.detail = sql.chars().take(500).collect();
    let answer = match answer {
        Err(_) => {
            event.result = "refused".into();
            p.audit_writer.append(event).await?;
            return Err(Error::invalid("query_timeout", format!("查询超过{}秒未完成：请缩小范围或先聚合", TIMEOUT.as_secs()), format!("The query ran over {} s: narrow it or aggregate first", TIMEOUT.as_secs())));
        }
        Ok(Err(lake::query::QueryError::Sql(why))) => {
            event.result = "refused".into();
            p.audit_writer.append(event).await?;
            return Err(Error::invalid("invalid_sql", format!("SQL有误或不是只读查询：{why}"), format!("The SQL is wrong or not a read-only query: {why}")));
        }
        Ok(Err(lake::query::QueryError::Memory(mib))) => {
            event.result = "refused".into();
            p.audit_writer.append(event).await?;
            return Err(Error::invalid("query_too_large", format!("查询需要超过{mib}MiB内存：请增加筛选条件或先聚合"), format!("The query needs more than {mib} MiB of memory: filter or aggregate more")));
        }
        Ok(Err(lake::query::QueryError::Internal(why))) => {
            event.result = "failed".into();
            p.audit_writer.append(event).await?;
            return Err(Error::Internal(store::Error::Corrupt(format!("query: {why}"))));
        }
        Ok(Ok(a)) => a,
    };
    event.detail = format!("{} → {} rows", event.detail, answer.rows.len());
    p.audit_writer.append(event).await?;
    Ok(QueryAnswer {
        columns: answer.columns.into_iter().map(|(name, data_type)| QueryColumn { name, data_type }).collect(),
        rows: answer.rows,
        truncated: answer.truncated,
        tables: shown,
    })
}
