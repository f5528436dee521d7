//! Sectors (系统, LS-8a): the city's data authority designates, for each sector (named by its 行业分类), the
//! municipal department responsible for it; that department then keeps the sector's published entries with their
//! providers (edits and submits them), while other departments cannot.

use domain::clock::{format_rfc3339_local, from_micros};
use schemars::JsonSchema;
use serde::Serialize;
use store::catalog::sectors::SectorRow;

use crate::{Actor, Error, Platform, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Sector {
    /// The sector, as entries name it in 行业分类.
    pub name: String,
    pub responsible_department_id: i64,
    pub responsible_department: String,
    pub designated_by: String,
    pub designated_at: String,
}

fn require_enabled(p: &Platform) -> Result<()> {
    if p.profile.catalog.sectors {
        Ok(())
    } else {
        Err(Error::invalid("no_sectors", "适用办法未规定行业（系统）责任部门", "The regulation in force designates no sector departments"))
    }
}

pub async fn list(p: &Platform) -> Result<Vec<Sector>> {
    require_enabled(p)?;
    let mut conn = p.store.read().await?;
    let rows = store::catalog::sectors::list(&mut conn).await?;
    let mut out = Vec::new();
    for r in rows {
        let name = store::orgs::department_by_id(&mut conn, r.responsible_department_id).await?.map(|d| d.name).unwrap_or_default();
        out.push(Sector {
            name: r.name,
            responsible_department_id: r.responsible_department_id,
            responsible_department: name,
            designated_by: r.designated_by,
            designated_at: format_rfc3339_local(from_micros(r.designated_at_us)),
        });
    }
    Ok(out)
}

/// The city's authority designates the department responsible for a sector (only it: a department cannot
/// designate itself).
pub async fn designate(p: &Platform, actor: &Actor, name: &str, department_id: i64) -> Result<Sector> {
    require_enabled(p)?;
    crate::orgs::require_authority(actor)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(Error::invalid("invalid_sector", "行业（系统）名称须为1至50个字符", "A sector's name has 1 to 50 characters"));
    }
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if let Some(d) = crate::catalog::actor_department(&mut tx, actor).await? {
        if store::orgs::region_by_id(&mut tx, d.region_id).await?.is_some_and(|r| r.parent_id.is_some()) {
            return Err(Error::forbidden("行业责任部门由市级数据主管部门明确", "The city's data authority designates sector departments"));
        }
    }
    let department = store::orgs::department_by_id(&mut tx, department_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("部门{department_id}不存在"), format!("Department {department_id} does not exist")))?;
    if store::orgs::region_by_id(&mut tx, department.region_id).await?.is_some_and(|r| r.parent_id.is_some()) {
        return Err(Error::invalid("not_municipal", format!("{}不是市级部门", department.name), format!("{} is not a municipal department", department.name)));
    }
    let row = SectorRow { name: name.into(), responsible_department_id: department.id, designated_by: actor.name.clone(), designated_at_us: now };
    store::catalog::sectors::put(&mut tx, &row).await?;
    let mut event = actor.event("catalog.sector.designate", "sector", name);
    event.detail = department.name.clone();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(Sector {
        name: row.name,
        responsible_department_id: department.id,
        responsible_department: department.name,
        designated_by: row.designated_by,
        designated_at: format_rfc3339_local(from_micros(now)),
    })
}
