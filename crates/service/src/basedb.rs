//! Base databases (基础数据库, SYS-19a, CS-19b, LS-14c): the natural-person base keyed by citizen ID and the
//! legal-person base keyed by credit code, assembled from the source departments' own resources as the register
//! of sources designates them (`sources`). Each field is read from its source department's newest delivered
//! version and labelled with its source, resource, version and time, so the lineage of every value is plain; other
//! departments' resources that hold the same field are compared with the source for the same key (多源校核,
//! LS-13a, YZ-11a), and differences listed for checking. The base is a view over the versions, always current:
//! nothing is copied.

use std::collections::HashMap;

use domain::catalog::entry::{IdentifierKind, Item};
use domain::catalog::lifecycle::ResourceState;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::sources::{SourceStatus, SourceSubject};
use schemars::JsonSchema;
use serde::Serialize;

use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

/// A field of a base database and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Field {
    pub label: String,
    pub class_name: String,
    pub source_department_id: i64,
    pub source_department: String,
    /// None while the source department has delivered no resource holding the field.
    pub resource_code: Option<String>,
    pub column: Option<String>,
    pub version: Option<i64>,
    pub delivered_at: Option<String>,
}

/// A resource a base database reads (its lineage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SourceResource {
    pub code: String,
    pub name: String,
    pub department: String,
    pub version: i64,
    pub rows: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BaseDatabase {
    pub kind: SourceSubject,
    pub name: String,
    /// The key every source joins on.
    pub key: String,
    pub fields: Vec<Field>,
    pub sources: Vec<SourceResource>,
}

/// One value of one subject, labelled with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Value {
    pub label: String,
    pub value: Option<String>,
    pub source_department: String,
    pub resource_code: String,
    pub version: i64,
    pub delivered_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Record {
    pub key: String,
    /// Whether any source holds the subject.
    pub found: bool,
    pub values: Vec<Value>,
}

/// A value another department holds that differs from the source's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Conflict {
    pub key: String,
    pub label: String,
    pub source_value: Option<String>,
    pub source_department_id: i64,
    pub source_department: String,
    pub source_resource: String,
    pub other_value: Option<String>,
    pub other_department: String,
    pub other_resource: String,
}

/// A published, delivered resource as the base databases read it.
struct Delivered {
    code: String,
    name: String,
    department_id: i64,
    items: Vec<Item>,
    key_column: String,
    path: String,
    version: i64,
    rows: i64,
    delivered_at_us: i64,
}

fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

fn key_kind(kind: SourceSubject) -> Result<IdentifierKind> {
    match kind {
        SourceSubject::NaturalPerson => Ok(IdentifierKind::CitizenId),
        SourceSubject::LegalPerson => Ok(IdentifierKind::Uscc),
        _ => Err(Error::not_found("只有自然人和法人基础库", "There are natural-person and legal-person base databases only")),
    }
}

/// Parses the base database's name in a path: `natural_person` or `legal_person`.
pub fn parse_kind(s: &str) -> Result<SourceSubject> {
    let kind = SourceSubject::parse(s).ok_or_else(|| Error::not_found(format!("没有基础库“{s}”：可选 natural_person、legal_person"), format!("No base database '{s}': natural_person or legal_person")))?;
    key_kind(kind)?;
    Ok(kind)
}

/// The fields and the resources they are read from.
struct Plan {
    fields: Vec<Field>,
    /// For each field with a resource: the index of its resource in `delivered`.
    field_resource: Vec<Option<usize>>,
    delivered: Vec<Delivered>,
    departments: HashMap<i64, String>,
}

async fn plan(p: &Platform, kind: SourceSubject) -> Result<Plan> {
    let identifier = key_kind(kind)?;
    let (departments, _) = crate::orgs::list_departments(p, 10_000, 0).await?;
    let departments: HashMap<i64, String> = departments.into_iter().map(|d| (d.id, d.name)).collect();
    let mut conn = p.store.read().await?;
    let register = store::sources::list(&mut conn).await?;
    let entries = store::catalog::all_with_contents(&mut conn).await?;
    let mut delivered = Vec::new();
    for (row, published, _) in entries {
        let (ResourceState::Published, Some(content)) = (row.state, published) else { continue };
        let Some(key) = content.items.iter().find(|i| i.identifier == identifier) else { continue };
        let Some(v) = store::lake::versions(&mut conn, row.id).await?.into_iter().next() else { continue };
        delivered.push(Delivered {
            code: row.code,
            name: content.name.clone(),
            department_id: row.provider_department_id,
            key_column: key.name.clone(),
            items: content.items,
            path: v.path,
            version: v.version,
            rows: v.rows,
            delivered_at_us: v.created_at_us,
        });
    }
    drop(conn);
    let mut fields = Vec::new();
    let mut field_resource = Vec::new();
    for source in register.iter().filter(|s| s.subject == kind.as_str() && s.status != SourceStatus::Unassigned.as_str()) {
        let items: Vec<String> = serde_json::from_str(&source.items).unwrap_or_default();
        let parties: Vec<domain::sources::Party> = serde_json::from_str(&source.parties).unwrap_or_default();
        for label in items {
            // The party whose portion holds the item, or the sole (or first named) source.
            let party = parties.iter().find(|p| p.items.iter().any(|i| norm(i) == norm(&label))).or_else(|| parties.first());
            let Some(party) = party else { continue };
            let holds = |d: &Delivered| d.department_id == party.department_id && d.items.iter().any(|i| norm(&i.label) == norm(&label) && i.identifier == IdentifierKind::None);
            // The newest delivery of the source department that holds the field.
            let found = delivered.iter().enumerate().filter(|(_, d)| holds(d)).max_by_key(|(_, d)| d.delivered_at_us).map(|(i, _)| i);
            let column = found.and_then(|i| delivered[i].items.iter().find(|it| norm(&it.label) == norm(&label)).map(|it| it.name.clone()));
            fields.push(Field {
                label: label.clone(),
                class_name: source.class_name.clone(),
                source_department_id: party.department_id,
                source_department: departments.get(&party.department_id).cloned().unwrap_or_default(),
                resource_code: found.map(|i| delivered[i].code.clone()),
                column,
                version: found.map(|i| delivered[i].version),
                delivered_at: found.map(|i| format_rfc3339_local(from_micros(delivered[i].delivered_at_us))),
            });
            field_resource.push(found);
        }
    }
    Ok(Plan { fields, field_resource, delivered, departments })
}

async fn lake_tables(p: &Platform, plan: &Plan) -> Result<Vec<lake::query::Table>> {
    let paths = crate::aggregation::local_files(p, plan.delivered.iter().map(|d| d.path.clone()).collect()).await?;
    Ok(paths.into_iter().enumerate().map(|(i, path)| lake::query::Table { names: vec![format!("t{i}")], path }).collect())
}

fn may_read_base(actor: &Actor) -> bool {
    actor.kind == ActorKind::Cli || actor.has(domain::roles::Role::AuthorityAdmin)
}

/// A base database's fields, their sources and the resources it reads (lineage), for those who oversee and data
/// officers.
pub async fn describe(p: &Platform, actor: &Actor, kind: SourceSubject) -> Result<BaseDatabase> {
    if !(actor.oversees() || actor.has(domain::roles::Role::DeptDataOfficer)) {
        return Err(Error::forbidden("无权查看基础库", "You may not see the base databases"));
    }
    let plan = plan(p, kind).await?;
    let mut used: Vec<usize> = plan.field_resource.iter().flatten().copied().collect();
    used.sort();
    used.dedup();
    let sources = used
        .into_iter()
        .map(|i| {
            let d = &plan.delivered[i];
            SourceResource { code: d.code.clone(), name: d.name.clone(), department: plan.departments.get(&d.department_id).cloned().unwrap_or_default(), version: d.version, rows: d.rows }
        })
        .collect();
    let (name, key) = match kind {
        SourceSubject::NaturalPerson => ("人口基础库", "公民身份号码"),
        _ => ("法人基础库", "统一社会信用代码"),
    };
    Ok(BaseDatabase { kind, name: name.into(), key: key.into(), fields: plan.fields, sources })
}

fn checked_key(kind: SourceSubject, key: &str) -> Result<String> {
    match kind {
        SourceSubject::NaturalPerson => domain::ids::CitizenId::parse(key).map(|k| k.as_str().to_string()).map_err(|problem| {
            let (zh, en) = problem.messages();
            Error::invalid("invalid_citizen_id", format!("不是有效的公民身份号码：{zh}"), format!("Not a valid citizen ID number: {en}"))
        }),
        _ => Ok(domain::ids::Uscc::parse(key)?.as_str().to_string()),
    }
}

/// One subject's values from every source, each labelled with it (the authority; departments reach the base
/// databases through sharing). Audited as an acquisition.
pub async fn lookup(p: &Platform, actor: &Actor, kind: SourceSubject, key: &str, purpose: &str) -> Result<Record> {
    if !may_read_base(actor) {
        return Err(Error::forbidden("基础库的记录由数据主管部门查询；部门请通过共享申请使用", "The authority looks up base records; departments use them through sharing"));
    }
    let key = checked_key(kind, key)?;
    let plan = plan(p, kind).await?;
    let tables = lake_tables(p, &plan).await?;
    let mut values = Vec::new();
    let mut found = false;
    // One query per source resource, reading the fields it supplies.
    let mut by_resource: Vec<(usize, Vec<usize>)> = Vec::new();
    for (f, r) in plan.field_resource.iter().enumerate() {
        let Some(r) = r else { continue };
        match by_resource.iter_mut().find(|(x, _)| x == r) {
            Some((_, fs)) => fs.push(f),
            None => by_resource.push((*r, vec![f])),
        }
    }
    for (r, fs) in by_resource {
        let d = &plan.delivered[r];
        let columns: Vec<String> = fs.iter().map(|f| format!("CAST({} AS VARCHAR)", lake::query::ident(plan.fields[*f].column.as_deref().unwrap_or("")))).collect();
        let sql = format!("SELECT {} FROM t{r} WHERE {} = {} LIMIT 1", columns.join(", "), lake::query::ident(&d.key_column), lake::query::literal(&key));
        let answer = lake::query::sql(&tables, &sql, 1, 256).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("base lookup: {e}"))))?;
        let Some(row) = answer.rows.into_iter().next() else { continue };
        found = true;
        for (f, value) in fs.iter().zip(row) {
            let field = &plan.fields[*f];
            values.push(Value {
                label: field.label.clone(),
                value,
                source_department: field.source_department.clone(),
                resource_code: d.code.clone(),
                version: d.version,
                delivered_at: format_rfc3339_local(from_micros(d.delivered_at_us)),
            });
        }
    }
    let mut event = actor.event("basedb.lookup", kind.as_str(), &key);
    event.purpose = purpose.chars().take(200).collect();
    event.detail = format!("{} values", values.len());
    p.audit_writer.append(event).await?;
    Ok(Record { key, found, values })
}

/// Differences between the source's value and other departments' for the same key and field (多源校核), at most
/// `limit`: for the authority, and for a source department the fields it is the source of.
pub async fn conflicts(p: &Platform, actor: &Actor, kind: SourceSubject, limit: usize) -> Result<Vec<Conflict>> {
    let all = may_read_base(actor);
    if !all && !actor.has(domain::roles::Role::DeptDataOfficer) {
        return Err(Error::forbidden("无权查看多源校核结果", "You may not see the cross-source checks"));
    }
    let plan = plan(p, kind).await?;
    let tables = lake_tables(p, &plan).await?;
    let mut out = Vec::new();
    for (f, r) in plan.field_resource.iter().enumerate() {
        let (Some(r), field) = (r, &plan.fields[f]) else { continue };
        if !all && actor.department_id != Some(field.source_department_id) {
            continue;
        }
        let source = &plan.delivered[*r];
        let Some(column) = &field.column else { continue };
        for (o, other) in plan.delivered.iter().enumerate().filter(|(_, d)| d.department_id != field.source_department_id) {
            let Some(other_column) = other.items.iter().find(|i| norm(&i.label) == norm(&field.label) && i.identifier == IdentifierKind::None).map(|i| i.name.clone()) else { continue };
            if out.len() >= limit {
                return Ok(out);
            }
            let sql = format!(
                "SELECT CAST(s.{k} AS VARCHAR), CAST(s.{c} AS VARCHAR), CAST(o.{oc} AS VARCHAR) FROM t{r} s JOIN t{o} o ON s.{k} = o.{ok}
                 WHERE o.{oc} IS NOT NULL AND CAST(s.{c} AS VARCHAR) IS DISTINCT FROM CAST(o.{oc} AS VARCHAR) ORDER BY 1 LIMIT {n}",
                k = lake::query::ident(&source.key_column),
                c = lake::query::ident(column),
                oc = lake::query::ident(&other_column),
                ok = lake::query::ident(&other.key_column),
                n = limit - out.len(),
            );
            let answer = lake::query::sql(&tables, &sql, limit, 512).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("cross-source check: {e}"))))?;
            for row in answer.rows {
                let mut row = row.into_iter();
                out.push(Conflict {
                    key: row.next().flatten().unwrap_or_default(),
                    label: field.label.clone(),
                    source_value: row.next().flatten(),
                    source_department_id: field.source_department_id,
                    source_department: field.source_department.clone(),
                    source_resource: source.code.clone(),
                    other_value: row.next().flatten(),
                    other_department: plan.departments.get(&other.department_id).cloned().unwrap_or_default(),
                    other_resource: other.code.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// The discrepancies one run of the cross-check found for one field of one source resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Discrepancy {
    pub source_department_id: i64,
    pub source_department: String,
    pub source_resource: String,
    pub label: String,
    /// Records whose value differs from another department's.
    pub records: usize,
}

/// What a cross-check run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CrossCheck {
    pub kind: SourceSubject,
    /// One notice per field with discrepancies, addressed to the field's source department.
    pub notices: Vec<Discrepancy>,
    /// Notices of earlier runs whose discrepancies are gone, resolved now.
    pub resolved: u64,
}

/// The alert kind of a cross-check notice.
const CROSS_CHECK: &str = "cross_check_discrepancy";

/// The most differing records one run looks at.
const CROSS_CHECK_LIMIT: usize = 100_000;

/// The authority runs the cross-check of a base database (SYS-28c: 交叉比对): every field whose values differ between
/// its source and other departments is notified to the field's source department to verify (a notice per field,
/// with the number of records; the records themselves are in `conflicts`). A notice from an earlier run is replaced
/// by the newest, or resolved when its discrepancies are gone. Notices and the run's audit event commit together.
pub async fn cross_check(p: &Platform, actor: &Actor, kind: SourceSubject) -> Result<CrossCheck> {
    crate::orgs::require_authority(actor)?;
    let found = conflicts(p, actor, kind, CROSS_CHECK_LIMIT).await?;
    let mut notices: Vec<Discrepancy> = Vec::new();
    for c in found {
        match notices.iter_mut().find(|n| n.source_resource == c.source_resource && n.label == c.label) {
            Some(n) => n.records += 1,
            None => notices.push(Discrepancy {
                source_department_id: c.source_department_id,
                source_department: c.source_department,
                source_resource: c.source_resource,
                label: c.label,
                records: 1,
            }),
        }
    }
    let now = p.now_us();
    // Scoped by base database, so a run of one never touches the other's notices.
    let object = |n: &Discrepancy| format!("{}:{}:{}", kind.as_str(), n.source_resource, n.label);
    let prefix = format!("{}:", kind.as_str());
    let mut tx = p.store.begin().await?;
    // Every open notice of earlier runs ends here: replaced by this run's for the same field, or resolved.
    let mut resolved = 0;
    for open in store::alerts::open_of_kind(&mut tx, CROSS_CHECK).await?.into_iter().filter(|a| a.object_id.starts_with(&prefix)) {
        store::alerts::resolve_other(&mut tx, CROSS_CHECK, &open.object_id, None, now).await?;
        resolved += !notices.iter().any(|n| object(n) == open.object_id) as u64;
    }
    for n in &notices {
        let row = store::alerts::AlertRow {
            id: 0,
            kind: CROSS_CHECK.into(),
            object_kind: "base_field".into(),
            object_id: object(n),
            department_id: n.source_department_id,
            to_authority: false,
            due_at_us: now,
            message: format!("多源校核发现{}条记录的“{}”（资源{}）与其他部门的数据不一致，请核查并更正或确认", n.records, n.label, n.source_resource),
            message_en: format!("The cross-source check found {} records whose '{}' (resource {}) differs from other departments' data: verify and correct or confirm them", n.records, n.label, n.source_resource),
            raised_at_us: now,
            resolved_at_us: None,
        };
        crate::alerts::raise_logged(&mut tx, actor, &row, format!("{CROSS_CHECK}: {} records", n.records), now).await?;
    }
    let mut event = actor.event("basedb.cross_check", "base_database", kind.as_str());
    event.detail = format!("{} fields with discrepancies, {} records", notices.len(), notices.iter().map(|n| n.records).sum::<usize>());
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(CrossCheck { kind, notices, resolved })
}
