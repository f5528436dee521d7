//! One data, one source (一数一源): the register of source departments per class of data (SYS-15b, SYS-16d/e,
//! CS-15b, FS-19a), kept by the authority, and the list of items that resources collect although another
//! department is their source (重复采集), which the authority settles: the department obtains the item by sharing
//! instead, or collecting it is justified.

use domain::catalog::lifecycle::ResourceState;
use domain::sources::{check_designation, Designation, Party, SourceStatus, SourceSubject};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::sources::{SettlementRow, SourceRow};

use crate::{Actor, Error, Platform, Result};

/// A class of data in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Source {
    pub id: i64,
    pub region_code: String,
    pub class_name: String,
    pub subject: SourceSubject,
    pub items: Vec<String>,
    /// How the regulation names its departments, for mapping.
    pub hints: Vec<String>,
    pub basis: String,
    pub standard: String,
    pub parties: Vec<PartyView>,
    pub status: SourceStatus,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PartyView {
    pub department_id: i64,
    pub department: String,
    pub items: Vec<String>,
}

/// A class the authority adds to the register.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    pub class_name: String,
    pub subject: SourceSubject,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub standard: String,
    #[serde(default)]
    pub parties: Vec<Party>,
    /// A district's register; the city's by default.
    #[serde(default)]
    pub region_code: Option<String>,
}

/// The authority's designation of a class's source departments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Designate {
    pub parties: Vec<Party>,
    /// The standard the class's data follows (一数一源一标准).
    #[serde(default)]
    pub standard: Option<String>,
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn parse_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn designation(row: &SourceRow) -> Designation {
    Designation {
        class_name: row.class_name.clone(),
        subject: SourceSubject::parse(&row.subject).unwrap_or(SourceSubject::Other),
        items: parse_list(&row.items),
        parties: serde_json::from_str(&row.parties).unwrap_or_default(),
        status: SourceStatus::parse(&row.status).unwrap_or(SourceStatus::Unassigned),
    }
}

async fn department_names(p: &Platform) -> Result<std::collections::HashMap<i64, String>> {
    let (departments, _) = crate::orgs::list_departments(p, 10_000, 0).await?;
    Ok(departments.into_iter().map(|d| (d.id, d.name)).collect())
}

fn view(row: SourceRow, names: &std::collections::HashMap<i64, String>) -> Source {
    let d = designation(&row);
    Source {
        id: row.id,
        region_code: row.region_code,
        class_name: row.class_name,
        subject: d.subject,
        items: d.items,
        hints: parse_list(&row.hints),
        basis: row.basis,
        standard: row.standard,
        parties: d.parties.into_iter().map(|p| PartyView { department: names.get(&p.department_id).cloned().unwrap_or_default(), department_id: p.department_id, items: p.items }).collect(),
        status: d.status,
        updated_by: row.updated_by,
        updated_at: domain::clock::format_rfc3339_local(domain::clock::from_micros(row.updated_at_us)),
    }
}

/// The register, city first.
pub async fn list(p: &Platform) -> Result<Vec<Source>> {
    let names = department_names(p).await?;
    let mut conn = p.store.read().await?;
    Ok(store::sources::list(&mut conn).await?.into_iter().map(|r| view(r, &names)).collect())
}

/// The rows the profile's regulation names (第十六条), unassigned, for a new register.
pub fn statutory_rows(profile: &domain::profile::Profile, by: &str, now_us: i64) -> Vec<SourceRow> {
    profile
        .sources
        .iter()
        .map(|s| SourceRow {
            id: 0,
            region_code: profile.city_code.clone(),
            class_name: s.class.clone(),
            subject: s.subject.as_str().into(),
            items: json(&s.items),
            hints: json(&s.departments),
            basis: s.basis.clone(),
            standard: String::new(),
            parties: "[]".into(),
            status: SourceStatus::Unassigned.as_str().into(),
            updated_by: by.into(),
            updated_at_us: now_us,
        })
        .collect()
}

async fn departments_checked(p: &Platform, parties: &[Party]) -> Result<()> {
    let names = department_names(p).await?;
    for party in parties {
        if !names.contains_key(&party.department_id) {
            return Err(Error::invalid("unknown_department", format!("部门{}不存在", party.department_id), format!("Department {} does not exist", party.department_id)));
        }
    }
    Ok(())
}

/// Adds a class to the register (the authority).
pub async fn create(p: &Platform, actor: &Actor, s: NewSource) -> Result<Source> {
    crate::orgs::require_authority(actor)?;
    let class_name = s.class_name.trim().to_string();
    if class_name.is_empty() || class_name.chars().count() > 200 {
        return Err(Error::invalid("invalid_class", "数据类别名称须为1至200个字", "The class name is 1 to 200 characters"));
    }
    let status = check_designation(&s.items, &s.parties)?;
    departments_checked(p, &s.parties).await?;
    let now = p.now_us();
    let row = SourceRow {
        id: 0,
        region_code: s.region_code.unwrap_or_else(|| p.profile.city_code.clone()),
        class_name: class_name.clone(),
        subject: s.subject.as_str().into(),
        items: json(&s.items),
        hints: "[]".into(),
        basis: s.basis,
        standard: s.standard,
        parties: json(&s.parties),
        status: status.as_str().into(),
        updated_by: actor.name.clone(),
        updated_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::sources::insert(&mut tx, &row)
        .await
        .map_err(|e| Error::from_store_conflict(e, format!("数据类别“{class_name}”已在数源目录中"), format!("The class '{class_name}' is already registered")))?;
    let mut event = actor.event("sources.create", "data_source", id.to_string());
    event.detail = format!("{class_name}: {}", row.parties);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, id).await
}

pub async fn get(p: &Platform, id: i64) -> Result<Source> {
    let names = department_names(p).await?;
    let mut conn = p.store.read().await?;
    let row = store::sources::by_id(&mut conn, id).await?.ok_or_else(|| Error::not_found(format!("数源登记{id}不存在"), format!("Source class {id} does not exist")))?;
    Ok(view(row, &names))
}

/// The authority designates a class's source departments: one, or several with a division (SYS-15b, SYS-15c).
pub async fn designate(p: &Platform, actor: &Actor, id: i64, d: Designate) -> Result<Source> {
    crate::orgs::require_authority(actor)?;
    let mut conn = p.store.read().await?;
    let row = store::sources::by_id(&mut conn, id).await?.ok_or_else(|| Error::not_found(format!("数源登记{id}不存在"), format!("Source class {id} does not exist")))?;
    drop(conn);
    let status = check_designation(&parse_list(&row.items), &d.parties)?;
    departments_checked(p, &d.parties).await?;
    let standard = d.standard.unwrap_or(row.standard);
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    store::sources::set_parties(&mut tx, id, &json(&d.parties), status.as_str(), &standard, &actor.name, now).await?;
    let mut event = actor.event("sources.designate", "data_source", id.to_string());
    event.detail = format!("{}: {} ({})", row.class_name, json(&d.parties), status.as_str());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, id).await
}

/// What mapping the regulation's source departments did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Adopted {
    /// Classes added to the register from the regulation.
    pub added: usize,
    /// Classes whose departments were all found by name.
    pub mapped: usize,
    /// Classes left for the authority to map (a word matched no department, or several).
    pub unassigned: Vec<String>,
}

/// Adds the classes the regulation names that the register lacks, and maps each unassigned one to the city's
/// departments whose names hold the regulation's words — each word must find exactly one city department, else the
/// class stays unassigned for the authority to designate (SYS-16f). Several departments make a class whose
/// division is pending (SYS-16d).
pub async fn adopt_statutory(p: &Platform, actor: &Actor) -> Result<Adopted> {
    crate::orgs::require_authority(actor)?;
    let now = p.now_us();
    let mut conn = p.store.read().await?;
    let existing = store::sources::list(&mut conn).await?;
    drop(conn);
    let (departments, _) = crate::orgs::list_departments(p, 10_000, 0).await?;
    let regions = crate::orgs::list_regions(p).await?;
    let city_id = regions.iter().find(|r| r.parent_id.is_none()).map(|r| r.id);
    let city_departments: Vec<_> = departments.iter().filter(|d| Some(d.region_id) == city_id && d.kind == domain::orgs::DepartmentKind::Department).collect();
    let mut adopted = Adopted { added: 0, mapped: 0, unassigned: vec![] };
    let mut tx = p.store.begin().await?;
    for row in statutory_rows(&p.profile, &actor.name, now) {
        if !existing.iter().any(|e| e.region_code == row.region_code && e.class_name == row.class_name) {
            store::sources::insert(&mut tx, &row).await?;
            adopted.added += 1;
        }
    }
    tx.commit().await?;
    let mut conn = p.store.read().await?;
    let rows = store::sources::list(&mut conn).await?;
    drop(conn);
    let mut tx = p.store.begin().await?;
    for row in rows.into_iter().filter(|r| r.status == SourceStatus::Unassigned.as_str()) {
        let hints = parse_list(&row.hints);
        let found: Vec<Option<i64>> = hints
            .iter()
            .map(|h| {
                let mut matching: Vec<&&domain::orgs::Department> = city_departments.iter().filter(|d| d.name.contains(h.as_str())).collect();
                // 民政 is also in 人民政府: where several names hold the word, keep those where it names the body
                // (followed by 局, 委, 管理, 中心, 办…).
                if matching.len() > 1 {
                    matching.retain(|d| d.name.split(h.as_str()).skip(1).any(|rest| rest.starts_with(['局', '委', '管', '中', '办', '会', '厅'])));
                }
                (matching.len() == 1).then(|| matching[0].id)
            })
            .collect();
        if hints.is_empty() || found.iter().any(Option::is_none) {
            adopted.unassigned.push(row.class_name.clone());
            continue;
        }
        let parties: Vec<Party> = found.into_iter().flatten().map(|department_id| Party { department_id, items: vec![] }).collect();
        let status = domain::sources::status_of(&parties);
        store::sources::set_parties(&mut tx, row.id, &json(&parties), status.as_str(), &row.standard, &actor.name, now).await?;
        let mut event = actor.event("sources.designate", "data_source", row.id.to_string());
        event.detail = format!("{}: {} ({}, by the regulation's names {})", row.class_name, json(&parties), status.as_str(), row.basis);
        store::audit::append(&mut tx, &event, now).await?;
        adopted.mapped += 1;
    }
    tx.commit().await?;
    Ok(adopted)
}

/// An item a published resource collects though another department is its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RepeatedCollection {
    pub resource_code: String,
    pub resource_name: String,
    pub provider_id: i64,
    pub provider: String,
    pub item: String,
    pub item_label: String,
    pub class_name: String,
    pub source_departments: Vec<PartyView>,
    /// How the authority settled it: none while open.
    pub settlement: Option<Settlement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Settlement {
    /// `use_sharing` (obtain it from the source by sharing; the entry drops the item at its next revision) or
    /// `justified` (collecting it is allowed, for the reason given).
    pub decision: String,
    pub reason: String,
    #[serde(default)]
    pub settled_by: String,
    #[serde(default)]
    pub settled_at: String,
}

/// The authority's settlement of one item of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settle {
    pub resource_code: String,
    pub item: String,
    pub decision: String,
    pub reason: String,
}

/// The repeated collections in published entries, open ones first: a department's own for its officers, all for
/// those who oversee.
pub async fn repeated(p: &Platform, actor: &Actor) -> Result<Vec<RepeatedCollection>> {
    let all = actor.oversees();
    if !all && actor.department_id.is_none() {
        return Err(Error::forbidden("无权查看重复采集清单", "You may not see the repeated-collection list"));
    }
    let names = department_names(p).await?;
    let mut conn = p.store.read().await?;
    let designations: Vec<Designation> = store::sources::list(&mut conn).await?.iter().map(designation).collect();
    let settlements = store::sources::settlements(&mut conn).await?;
    let entries = store::catalog::all_with_contents(&mut conn).await?;
    drop(conn);
    let mut out = Vec::new();
    for (row, published, _) in entries {
        let (ResourceState::Published, Some(content)) = (row.state, published) else { continue };
        if !all && actor.department_id != Some(row.provider_department_id) {
            continue;
        }
        for d in domain::sources::duplicates(row.provider_department_id, &content.items, &designations) {
            let label = content.items.iter().find(|i| i.name == d.item).map(|i| i.label.clone()).unwrap_or_default();
            let settlement = settlements.iter().find(|s| s.resource_id == row.id && s.item_name == d.item).map(|s| Settlement {
                decision: s.decision.clone(),
                reason: s.reason.clone(),
                settled_by: s.settled_by.clone(),
                settled_at: domain::clock::format_rfc3339_local(domain::clock::from_micros(s.settled_at_us)),
            });
            out.push(RepeatedCollection {
                resource_code: row.code.clone(),
                resource_name: content.name.clone(),
                provider_id: row.provider_department_id,
                provider: names.get(&row.provider_department_id).cloned().unwrap_or_default(),
                item: d.item,
                item_label: label,
                class_name: d.class_name,
                source_departments: d.source_departments.iter().map(|id| PartyView { department_id: *id, department: names.get(id).cloned().unwrap_or_default(), items: vec![] }).collect(),
                settlement,
            });
        }
    }
    out.sort_by(|a, b| a.settlement.is_some().cmp(&b.settlement.is_some()).then(a.resource_code.cmp(&b.resource_code)).then(a.item.cmp(&b.item)));
    Ok(out)
}

/// The authority settles a repeated collection, with its reason, audited.
pub async fn settle(p: &Platform, actor: &Actor, s: Settle) -> Result<RepeatedCollection> {
    crate::orgs::require_authority(actor)?;
    if !["use_sharing", "justified"].contains(&s.decision.as_str()) {
        return Err(Error::invalid("invalid_decision", "处理结论须为 use_sharing（改为共享获取）或 justified（确有必要采集）", "The decision is use_sharing or justified"));
    }
    if s.reason.trim().is_empty() {
        return Err(Error::invalid("reason_required", "请写明处理理由", "Give the reason for the decision"));
    }
    let found = repeated(p, actor).await?.into_iter().find(|r| r.resource_code == s.resource_code && r.item == s.item).ok_or_else(|| {
        Error::not_found(format!("资源{}的数据项{}不在重复采集清单中", s.resource_code, s.item), format!("Item {} of {} is not a repeated collection", s.item, s.resource_code))
    })?;
    let mut conn = p.store.read().await?;
    let resource = store::catalog::by_code(&mut conn, &s.resource_code).await?.ok_or_else(|| crate::catalog::not_found(&s.resource_code))?;
    drop(conn);
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let row = SettlementRow { resource_id: resource.id, item_name: s.item.clone(), decision: s.decision.clone(), reason: s.reason.trim().into(), settled_by: actor.name.clone(), settled_at_us: now };
    store::sources::settle(&mut tx, &row).await?;
    let mut event = actor.event("sources.settle", "resource", &s.resource_code);
    event.detail = format!("{} ({}): {} — {}", s.item, found.class_name, s.decision, row.reason);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    let settled = repeated(p, actor).await?.into_iter().find(|r| r.resource_code == s.resource_code && r.item == s.item);
    settled.ok_or_else(|| Error::Internal(store::Error::Corrupt("a settled repeated collection vanished".into())))
}
