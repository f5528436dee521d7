//! The classification and grading standard (SYS-11a): the city authority sets and versions it, every submission
//! is checked against the version in force, and published entries a new version no longer admits are listed for
//! their departments to reclassify (the list empties as their reclassified revisions are published).

use domain::catalog::entry::SecurityLevel;
use domain::catalog::lifecycle::ResourceState;
use domain::catalog::scheme::ClassificationScheme;
use domain::catalog::view::ProviderRef;
use domain::roles::Role;
use domain::{FieldIssue, Invalid};
use schemars::JsonSchema;
use serde::Serialize;

use crate::{Actor, Error, Platform, Result};

const SETTING: &str = "classification_scheme";

/// The standard in force (version 0, admitting anything, until the authority sets one).
pub async fn scheme(p: &Platform) -> Result<ClassificationScheme> {
    let mut conn = p.store.read().await?;
    scheme_in(&mut conn).await
}

async fn scheme_in(conn: &mut store::Conn) -> Result<ClassificationScheme> {
    match store::settings::get(conn, SETTING).await? {
        Some(text) => serde_json::from_str(&text).map_err(|e| Error::Internal(store::Error::Corrupt(format!("{SETTING}: {e}")))),
        None => Ok(ClassificationScheme::default()),
    }
}

/// Refuses content the standard in force does not admit.
pub(crate) fn check(scheme: &ClassificationScheme, content: &domain::catalog::entry::ResourceContent) -> Result<()> {
    let issues = scheme.issues(content);
    if issues.is_empty() {
        Ok(())
    } else {
        Err(Invalid::fields("not_in_classification_scheme", "分类分级不符合现行标准", "The classification does not fit the standard in force", issues).into())
    }
}

/// The city's authority activates a new version of the standard.
pub async fn set_scheme(p: &Platform, actor: &Actor, categories: Vec<String>, levels: Vec<SecurityLevel>) -> Result<ClassificationScheme> {
    crate::orgs::require_authority(actor)?;
    let mut conn = p.store.read().await?;
    let in_district = match crate::catalog::actor_department(&mut conn, actor).await? {
        Some(d) => store::orgs::region_by_id(&mut conn, d.region_id).await?.is_some_and(|r| r.parent_id.is_some()),
        None => false,
    };
    drop(conn);
    if in_district {
        return Err(Error::forbidden("分类分级标准由市级数据主管部门制定", "The city's data authority sets the classification standard"));
    }
    let mut categories: Vec<String> = categories.into_iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    categories.dedup();
    if categories.iter().any(|c| c.chars().count() > 50) {
        return Err(Error::invalid("invalid_category", "分类名称不能超过50个字符", "A category has at most 50 characters"));
    }
    let mut levels = levels;
    levels.sort();
    levels.dedup();
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let version = scheme_in(&mut tx).await?.version + 1;
    let scheme = ClassificationScheme { version, categories, levels };
    let text = serde_json::to_string(&scheme).map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?;
    store::settings::set(&mut tx, SETTING, &text).await?;
    let mut event = actor.event("catalog.classification_scheme.set", "classification_scheme", format!("v{version}"));
    event.detail = text;
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(scheme)
}

/// A published entry the standard in force no longer admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Reclassification {
    pub code: String,
    pub name: String,
    pub provider: ProviderRef,
    /// The version it must be reclassified under.
    pub scheme_version: i64,
    pub issues: Vec<FieldIssue>,
}

/// The entries to reclassify: a department's own for its data officers, every one for the authority and
/// supervisors.
pub async fn reclassifications(p: &Platform, actor: &Actor) -> Result<Vec<Reclassification>> {
    let all = actor.oversees();
    if !all && !actor.has(Role::DeptDataOfficer) {
        return Err(Error::forbidden("无权查看待重新分类分级的资源", "You may not see the entries to reclassify"));
    }
    let mut conn = p.store.read().await?;
    let scheme = scheme_in(&mut conn).await?;
    let rows = store::catalog::all_with_contents(&mut conn).await?;
    let (departments, _) = store::orgs::list_departments(&mut conn, 10_000, 0).await?;
    drop(conn);
    let mut out = Vec::new();
    for (row, published, _) in rows {
        let (ResourceState::Published, Some(content)) = (row.state, published) else { continue };
        if !all && actor.department_id != Some(row.provider_department_id) {
            continue;
        }
        let issues = scheme.issues(&content);
        if issues.is_empty() {
            continue;
        }
        let Some(d) = departments.iter().find(|d| d.id == row.provider_department_id) else { continue };
        out.push(Reclassification {
            code: row.code,
            name: content.name,
            provider: ProviderRef { id: d.id, name: d.name.clone(), uscc: d.uscc.clone() },
            scheme_version: scheme.version,
            issues,
        });
    }
    Ok(out)
}
