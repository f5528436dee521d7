//! Backflow (回流, SYS-30): a city resource's rows that belong to a district — by the region its subjects'
//! identifiers carry (a citizen ID's first six digits, a credit code's third to eighth characters) — go back to that
//! district's departments and authority, completely and with no approval step (SYS-30a). Each delivery is an
//! acquisition in the audit log with the duty it serves (SYS-30b).

use std::path::PathBuf;

use domain::catalog::entry::IdentifierKind;

use super::{lake_of, published_content};
use crate::{Actor, Error, Platform, Result};

/// A district's slice of a resource's newest version, written as CSV.
pub struct Slice {
    pub file: tempfile::NamedTempFile,
    pub rows: u64,
    pub region_code: String,
    pub version: i64,
}

/// The rows of city resource `code` that belong to the caller's district, for the duty `purpose`.
pub async fn district_slice(p: &Platform, actor: &Actor, code: &str, purpose: &str) -> Result<Slice> {
    let purpose = purpose.trim();
    if purpose.is_empty() {
        return Err(Error::invalid("purpose_required", "请写明使用回流数据所履行的职责（purpose）", "State the duty the returned data serves (purpose)"));
    }
    let department_id = actor.department_id.ok_or_else(|| Error::forbidden("回流数据提供给区县部门", "Returned data goes to district departments"))?;
    let regions = crate::orgs::list_regions(p).await?;
    let (departments, _) = crate::orgs::list_departments(p, 10_000, 0).await?;
    let region = departments.iter().find(|d| d.id == department_id).and_then(|d| regions.iter().find(|r| r.id == d.region_id));
    let Some(region) = region.filter(|r| r.parent_id.is_some()) else {
        return Err(Error::forbidden("回流是向区县回流：您的部门属于市级", "Backflow returns city data to districts: your department is the city's"));
    };
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    let provider_region = departments.iter().find(|d| d.id == entry.provider.id).and_then(|d| regions.iter().find(|r| r.id == d.region_id));
    if provider_region.is_none_or(|r| r.parent_id.is_some()) {
        return Err(Error::invalid("not_city_data", "只有市级部门的数据回流至区县", "Only city departments' data flows back to districts"));
    }
    let content = published_content(&mut conn, &entry).await?;
    let (key, digits) = match content.items.iter().find(|i| i.identifier == IdentifierKind::CitizenId) {
        Some(k) => (k.name.clone(), (1, 6)),
        None => match content.items.iter().find(|i| i.identifier == IdentifierKind::Uscc) {
            Some(k) => (k.name.clone(), (3, 6)),
            None => {
                return Err(Error::invalid(
                    "no_territorial_key",
                    "该资源没有公民身份号码或统一社会信用代码数据项，无法按属地回流",
                    "The resource has no citizen ID or credit code item to return its rows by territory",
                ))
            }
        },
    };
    let version = store::lake::versions(&mut conn, entry.row.id).await?.into_iter().next().ok_or_else(|| {
        Error::not_found(format!("资源{code}尚无数据版本"), format!("Resource {code} has no version yet"))
    })?;
    drop(conn);
    let lake = lake_of(p)?;
    let path = super::local_files(p, vec![version.path.clone()]).await?.remove(0);
    let table = lake::query::Table { names: vec!["t".into()], path };
    let sql = format!("SELECT * FROM t WHERE substr({}, {}, {}) = {}", lake::query::ident(&key), digits.0, digits.1, lake::query::literal(&region.code));
    let file = tempfile::Builder::new().suffix(".csv").tempfile_in(lake.root().join("tmp")).map_err(|e| Error::Internal(store::Error::Corrupt(format!("backflow spool: {e}"))))?;
    let out: PathBuf = file.path().to_path_buf();
    let rows = lake::query::sql_to_csv(&[table], &sql, &out, 512).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("backflow: {e}"))))?;
    let mut event = actor.event("aggregation.backflow", "resource", code);
    event.purpose = purpose.chars().take(200).collect();
    event.detail = format!("version {} → {} rows for {}", version.version, rows, region.code);
    p.audit_writer.append(event).await?;
    Ok(Slice { file, rows, region_code: region.code.clone(), version: version.version })
}
