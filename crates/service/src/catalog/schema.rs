//! The catalog's compilation norm, as far as the platform checks it: the required fields — the profile's list
//! (version 0), until the authority sets its own (编制要求, LS-9a; 编制规范, FS-12a; 元数据标准, FS-18a). Each
//! change is a new version; a submission is checked against the version in force and records which. Kept in the
//! database so every node applies the same list.

use domain::catalog::Field;
use schemars::JsonSchema;
use serde::Serialize;

use crate::orgs::require_authority;
use crate::{Actor, Error, Platform, Result};

const SETTING: &str = "catalog_required_fields";
const VERSION: &str = "catalog_required_fields_version";

/// The norm in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Schema {
    /// 0 for the profile's own list; each change by the authority adds one.
    pub version: i64,
    /// The fields an entry must fill before it is submitted.
    pub required: Vec<Field>,
}

/// The norm in force, with its version.
pub async fn schema(p: &Platform) -> Result<Schema> {
    let required = required_fields(p).await?;
    let mut conn = p.store.read().await?;
    let version = store::settings::get(&mut conn, VERSION).await?.and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(Schema { version, required })
}

/// The fields an entry must fill before submission.
pub async fn required_fields(p: &Platform) -> Result<Vec<Field>> {
    let mut conn = p.store.read().await?;
    match store::settings::get(&mut conn, SETTING).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| Error::Internal(store::Error::Corrupt(format!("{SETTING}: {e}")))),
        None => Ok(p.profile.catalog.required.clone()),
    }
}

/// The authority sets the required fields. The name and the share attribute cannot be dropped: every regime
/// requires them.
pub async fn set_required_fields(p: &Platform, actor: &Actor, fields: Vec<Field>) -> Result<Schema> {
    require_authority(actor)?;
    let mut fields = fields;
    fields.sort();
    fields.dedup();
    for must in [Field::Name, Field::ShareAttr] {
        if !fields.contains(&must) {
            return Err(Error::invalid(
                "field_cannot_be_optional",
                format!("{}（{}）是各地办法都要求的，不能设为选填", must.label(), must.as_str()),
                format!("{} ({}) is required by every regulation and cannot be made optional", must.label_en(), must.as_str()),
            ));
        }
    }
    let text = serde_json::to_string(&fields).map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?;
    let mut tx = p.store.begin().await?;
    let version = store::settings::get(&mut tx, VERSION).await?.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) + 1;
    store::settings::set(&mut tx, SETTING, &text).await?;
    store::settings::set(&mut tx, VERSION, &version.to_string()).await?;
    let mut event = actor.event("catalog.schema.set", "catalog_schema", format!("v{version}"));
    event.detail = text;
    store::audit::append(&mut tx, &event, p.now_us()).await?;
    tx.commit().await?;
    Ok(Schema { version, required: fields })
}
