//! Departments' core business items (核心业务梳理, LS-19a): before using other departments' data, a department maps
//! its core business; where the regime asks, an application's scenario is one of its items (or a published
//! pre-approved scenario), so every share traces back to a duty the department has stated.

use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::business_items::BusinessItemRow;

use crate::{Actor, Error, Platform, Result};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBusinessItem {
    /// The business, as applications name their scenario (最低生活保障资格审核).
    pub name: String,
    /// What it is and the duty it serves.
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BusinessItem {
    pub id: i64,
    pub department_id: i64,
    pub name: String,
    pub description: String,
    pub registered_by: String,
    pub registered_at: String,
}

/// A department's data officer registers an item of its own department; the registration is audited.
pub async fn register(p: &Platform, actor: &Actor, input: NewBusinessItem) -> Result<BusinessItem> {
    let Some(department_id) = actor.department_id.filter(|_| actor.has(Role::DeptDataOfficer)) else {
        return Err(Error::forbidden("核心业务由本部门的数据专员梳理登记", "A department's data officer registers its core business"));
    };
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 || input.description.chars().count() > 2000 {
        return Err(Error::invalid("invalid_business_item", "业务事项名称为1至200字，说明不超过2000字", "A business item's name has 1 to 200 characters, its description at most 2,000"));
    }
    let now = p.now_us();
    let row = BusinessItemRow { id: 0, department_id, name: name.into(), description: input.description.trim().into(), registered_by: actor.name.clone(), registered_at_us: now };
    let mut tx = p.store.begin().await?;
    let id = store::business_items::insert(&mut tx, &row)
        .await
        .map_err(|e| Error::from_store_conflict(e, format!("本部门已登记业务事项“{name}”"), format!("Your department has registered '{name}' already")))?;
    let mut event = actor.event("business_item.register", "department", department_id.to_string());
    event.detail = name.into();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(view(BusinessItemRow { id, ..row }))
}

/// A department's items; every department's for those who oversee.
pub async fn list(p: &Platform, actor: &Actor) -> Result<Vec<BusinessItem>> {
    let scope = if actor.oversees() { None } else { Some(actor.department_id.ok_or_else(|| Error::forbidden("没有所属部门", "No department"))?) };
    let mut conn = p.store.read().await?;
    Ok(store::business_items::list(&mut conn, scope).await?.into_iter().map(view).collect())
}

fn view(r: BusinessItemRow) -> BusinessItem {
    BusinessItem {
        id: r.id,
        department_id: r.department_id,
        name: r.name,
        description: r.description,
        registered_by: r.registered_by,
        registered_at: format_rfc3339_local(from_micros(r.registered_at_us)),
    }
}
