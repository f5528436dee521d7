//! Regions and departments: the authority builds the tree of the city and registers its departments.

use domain::ids::{RegionCode, Uscc};
use domain::orgs::{Department, DepartmentKind, Region, RegionLevel};
use domain::roles::Role;
use store::orgs::{NewDepartment, NewRegion};

use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

pub(crate) fn require_authority(actor: &Actor) -> Result<()> {
    if actor.has(Role::AuthorityAdmin) || actor.kind == ActorKind::Cli {
        Ok(())
    } else {
        Err(Error::forbidden("只有数据主管部门管理员可以执行此操作", "Only the data authority's administrators can do this"))
    }
}

pub struct RegionInput {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub parent_code: Option<String>,
}

/// Adds a region: a city (no parent) or a district inside its city, by division code.
pub async fn create_region(p: &Platform, actor: &Actor, input: RegionInput) -> Result<Region> {
    require_authority(actor)?;
    let code = RegionCode::parse(&input.code)?;
    let name = required_name(&input.name, "区划名称", "region name")?;
    let mut tx = p.store.begin().await?;
    let (level, parent_id) = match &input.parent_code {
        None => (RegionLevel::City, None),
        Some(parent_code) => {
            let parent = store::orgs::region_by_code(&mut tx, parent_code).await?.ok_or_else(|| {
                Error::not_found(format!("上级区划{parent_code}不存在"), format!("Parent region {parent_code} does not exist"))
            })?;
            if !code.is_within(&RegionCode::parse(&parent.code)?) {
                return Err(Error::invalid(
                    "region_not_within_parent",
                    format!("区划{}不属于上级区划{}", code, parent.code),
                    format!("Region {} does not lie within its parent {}", code, parent.code),
                ));
            }
            (RegionLevel::District, Some(parent.id))
        }
    };
    if store::orgs::region_by_code(&mut tx, code.as_str()).await?.is_some() {
        return Err(Error::Conflict { zh: format!("区划{code}已存在"), en: format!("Region {code} already exists") });
    }
    let id = store::orgs::insert_region(
        &mut tx,
        &NewRegion { code: code.as_str(), name: &name, name_en: input.name_en.trim(), level, parent_id },
        p.now_us(),
    )
    .await?;
    store::audit::append(&mut tx, &actor.event("region.create", "region", code.as_str()), p.now_us()).await?;
    let region = store::orgs::region_by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("区划不存在", "Region not found"))?;
    tx.commit().await?;
    Ok(region)
}

pub async fn list_regions(p: &Platform) -> Result<Vec<Region>> {
    Ok(store::orgs::list_regions(&mut *p.store.read().await?).await?)
}

pub struct DepartmentInput {
    pub name: String,
    pub name_en: String,
    pub kind: String,
    pub region_code: String,
    pub uscc: String,
}

/// Registers a department, identified by its unified social credit code (checked by GB 32100).
pub async fn create_department(p: &Platform, actor: &Actor, input: DepartmentInput) -> Result<Department> {
    require_authority(actor)?;
    let name = required_name(&input.name, "部门名称", "department name")?;
    let kind: DepartmentKind = input.kind.parse()?;
    let uscc = Uscc::parse(&input.uscc)?;
    let mut tx = p.store.begin().await?;
    let region = store::orgs::region_by_code(&mut tx, input.region_code.trim()).await?.ok_or_else(|| {
        Error::not_found(format!("区划{}不存在", input.region_code.trim()), format!("Region {} does not exist", input.region_code.trim()))
    })?;
    let id = match store::orgs::insert_department(
        &mut tx,
        &NewDepartment { name: &name, name_en: input.name_en.trim(), kind, region_id: region.id, uscc: uscc.as_str() },
        p.now_us(),
    )
    .await
    {
        Ok(id) => id,
        Err(e) => {
            return Err(Error::from_store_conflict(
                e,
                format!("统一社会信用代码{uscc}已登记"),
                format!("A department with credit code {uscc} is already registered"),
            ))
        }
    };
    let mut event = actor.event("department.create", "department", id.to_string());
    event.detail = format!("{name} {uscc}");
    store::audit::append(&mut tx, &event, p.now_us()).await?;
    let dept = store::orgs::department_by_id(&mut tx, id).await?.ok_or_else(|| Error::not_found("部门不存在", "Department not found"))?;
    tx.commit().await?;
    Ok(dept)
}

pub async fn list_departments(p: &Platform, limit: i64, offset: i64) -> Result<(Vec<Department>, i64)> {
    Ok(store::orgs::list_departments(&mut *p.store.read().await?, limit, offset).await?)
}

pub async fn department(p: &Platform, id: i64) -> Result<Department> {
    store::orgs::department_by_id(&mut *p.store.read().await?, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("部门{id}不存在"), format!("Department {id} does not exist")))
}

pub(crate) fn required_name(value: &str, zh: &str, en: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 100 {
        return Err(Error::invalid("invalid_name", format!("{zh}须为1至100个字符"), format!("The {en} must have 1 to 100 characters")));
    }
    Ok(v.to_string())
}
