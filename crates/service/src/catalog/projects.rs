//! IT projects: a department registers a project, links the catalog entries it must deliver, and moves it through
//! planning → approved → construction → completed → accepted. Approval and acceptance are gated on the entries
//! (`domain::catalog::gates`); the report says which entries are missing or unpublished. Where the regime asks
//! (CS-13c), a new system is completed (goes online) only with its docking document and reserved interfaces.

use domain::catalog::gates::{self, GateReport, LinkedEntry};
use domain::catalog::ResourceCode;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use schemars::JsonSchema;
use serde::Serialize;
use store::catalog::projects::{NewProject, ProjectRow};

use crate::actor::ActorKind;
use crate::{Actor, Error, Platform, Result};

const FUNDINGS: [&str; 2] = ["fiscal", "purchased_service"];
const KINDS: [&str; 4] = ["new", "rebuild", "expansion", "upgrade"];
const STAGES: [&str; 5] = ["planning", "approved", "construction", "completed", "accepted"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub department_id: i64,
    /// `fiscal` (财政资金) or `purchased_service` (政府购买服务, SYS-14c).
    pub funding: String,
    /// `new` 新建, `rebuild` 改建, `expansion` 扩建, `upgrade` 升级.
    pub kind: String,
    /// `planning`, `approved`, `construction`, `completed` or `accepted`.
    pub stage: String,
    /// Why the authority approved it without its catalog (LS-29a 原则上), if it did.
    pub exception_reason: String,
    /// The codes of the entries it must deliver.
    pub resources: Vec<String>,
    /// The system's 数据对接说明文档 (title and where it is kept) and the share and open interfaces it reserves
    /// (CS-13c).
    pub docking_document: String,
    pub share_interface: String,
    pub open_interface: String,
    pub created_at: String,
}

/// A new system's docking with the platform (CS-13c).
pub struct DockingInput {
    pub document: String,
    pub share_interface: String,
    pub open_interface: String,
}

pub struct ProjectInput {
    pub name: String,
    pub department_id: Option<i64>,
    pub funding: String,
    pub kind: String,
}

fn may_manage(actor: &Actor, department_id: i64) -> bool {
    actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin) || (actor.has(Role::DeptDataOfficer) && actor.department_id == Some(department_id))
}

fn one_of(value: &str, allowed: &[&str], field: &str) -> Result<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(
            "invalid_value",
            format!("{field}须为以下之一：{}", allowed.join("、")),
            format!("{field} must be one of: {}", allowed.join(", ")),
        ))
    }
}

pub async fn create(p: &Platform, actor: &Actor, input: ProjectInput) -> Result<Project> {
    let department_id = input.department_id.or(actor.department_id).ok_or_else(|| {
        Error::invalid("department_required", "请指定建设单位（department_id）", "Name the department building it (department_id)")
    })?;
    if !may_manage(actor, department_id) {
        return Err(Error::forbidden("只能登记本部门的信息化项目", "You can only register your own department's projects"));
    }
    let name = crate::orgs::required_name(&input.name, "项目名称", "project name")?;
    one_of(&input.funding, &FUNDINGS, "funding")?;
    one_of(&input.kind, &KINDS, "kind")?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    if store::orgs::department_by_id(&mut tx, department_id).await?.is_none() {
        return Err(Error::not_found(format!("部门{department_id}不存在"), format!("Department {department_id} does not exist")));
    }
    let id = store::catalog::projects::insert(&mut tx, &NewProject { name: &name, department_id, funding: &input.funding, kind: &input.kind }, now).await?;
    let mut event = actor.event("project.create", "it_project", id.to_string());
    event.detail = name;
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

pub async fn get(p: &Platform, _actor: &Actor, id: i64) -> Result<Project> {
    let mut conn = p.store.read().await?;
    let row = store::catalog::projects::by_id(&mut conn, id).await?.ok_or_else(|| project_not_found(id))?;
    show(&mut conn, row).await
}

pub async fn list(p: &Platform, _actor: &Actor, department_id: Option<i64>) -> Result<Vec<Project>> {
    let mut conn = p.store.read().await?;
    let rows = store::catalog::projects::list(&mut conn, department_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(show(&mut conn, row).await?);
    }
    Ok(out)
}

/// Links entries (by code) to a project. Only the project's department's own entries can be linked.
pub async fn link(p: &Platform, actor: &Actor, id: i64, codes: &[String]) -> Result<Project> {
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let project = store::catalog::projects::by_id(&mut tx, id).await?.ok_or_else(|| project_not_found(id))?;
    if !may_manage(actor, project.department_id) {
        return Err(Error::forbidden("只能管理本部门的信息化项目", "You can only manage your own department's projects"));
    }
    for code in codes {
        let code = ResourceCode::parse(code)?;
        let resource = store::catalog::by_code(&mut tx, code.as_str()).await?.ok_or_else(|| super::not_found(code.as_str()))?;
        if resource.provider_department_id != project.department_id {
            return Err(Error::invalid(
                "not_own_resource",
                format!("资源{code}不是项目建设单位的目录"),
                format!("Resource {code} is not the project department's entry"),
            ));
        }
        store::catalog::projects::link(&mut tx, id, resource.id).await?;
    }
    let mut event = actor.event("project.link", "it_project", id.to_string());
    event.detail = codes.join(",");
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// Records a system's docking document and the share and open interfaces it reserves.
pub async fn set_docking(p: &Platform, actor: &Actor, id: i64, input: DockingInput) -> Result<Project> {
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let project = store::catalog::projects::by_id(&mut tx, id).await?.ok_or_else(|| project_not_found(id))?;
    if !may_manage(actor, project.department_id) {
        return Err(Error::forbidden("只能管理本部门的信息化项目", "You can only manage your own department's projects"));
    }
    let fields = [input.document.trim(), input.share_interface.trim(), input.open_interface.trim()];
    if fields.iter().any(|f| f.chars().count() > 1000) {
        return Err(Error::invalid("text_too_long", "每项至多1000个字符", "Each field has at most 1000 characters"));
    }
    store::catalog::projects::set_docking(&mut tx, id, fields[0], fields[1], fields[2], now).await?;
    let mut event = actor.event("project.docking", "it_project", id.to_string());
    event.detail = fields[0].to_string();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

/// The gate the regime sets before a new system goes online (CS-13c); passed where it sets none.
fn online_gate(p: &Platform, project: &ProjectRow) -> GateReport {
    if p.profile.catalog.project_needs_docking && project.kind == "new" {
        gates::online(&gates::Docking {
            document: project.docking_document.clone(),
            share_interface: project.share_interface.clone(),
            open_interface: project.open_interface.clone(),
        })
    } else {
        GateReport { passed: true, problems: vec![] }
    }
}

/// The gate for the project's next step: approval while it is planned, online when it is built, acceptance once
/// completed.
pub async fn check(p: &Platform, _actor: &Actor, id: i64, gate: &str) -> Result<GateReport> {
    let mut conn = p.store.read().await?;
    let project = store::catalog::projects::by_id(&mut conn, id).await?.ok_or_else(|| project_not_found(id))?;
    let entries = linked_entries(p, &mut conn, id).await?;
    match gate {
        "approval" => Ok(gates::approval(&entries, &p.profile.catalog)),
        "online" => Ok(online_gate(p, &project)),
        "acceptance" => Ok(gates::acceptance(&entries, &p.profile.catalog)),
        _ => Err(Error::invalid(
            "invalid_gate",
            "检查项须为 approval（立项）、online（建成上线）或 acceptance（验收）",
            "The gate is approval, online or acceptance",
        )),
    }
}

/// Moves a project to a stage. Approval and acceptance must pass their gates; where the regime allows (LS-29a),
/// the authority may approve without the catalog, giving its reason.
pub async fn set_stage(p: &Platform, actor: &Actor, id: i64, stage: &str, exception_reason: Option<&str>) -> Result<Project> {
    one_of(stage, &STAGES, "stage")?;
    let now = p.now_us();
    let mut tx = p.store.begin().await?;
    let project = store::catalog::projects::by_id(&mut tx, id).await?.ok_or_else(|| project_not_found(id))?;
    if !may_manage(actor, project.department_id) {
        return Err(Error::forbidden("只能管理本部门的信息化项目", "You can only manage your own department's projects"));
    }
    let from = STAGES.iter().position(|s| *s == project.stage).unwrap_or(0);
    let to = STAGES.iter().position(|s| *s == stage).unwrap_or(0);
    if to != from + 1 {
        return Err(Error::invalid(
            "invalid_stage",
            format!("项目当前为“{}”，下一阶段只能是“{}”", project.stage, STAGES.get(from + 1).unwrap_or(&"—")),
            format!("The project is {}; its next stage can only be {}", project.stage, STAGES.get(from + 1).unwrap_or(&"none")),
        ));
    }
    let entries = linked_entries(p, &mut tx, id).await?;
    let report = match stage {
        "approved" => Some(gates::approval(&entries, &p.profile.catalog)),
        "completed" => Some(online_gate(p, &project)),
        "accepted" => Some(gates::acceptance(&entries, &p.profile.catalog)),
        _ => None,
    };
    let mut exception = None;
    if let Some(report) = report.filter(|r| !r.passed) {
        let reason = exception_reason.map(str::trim).filter(|r| !r.is_empty());
        let excepted = stage == "approved" && p.profile.catalog.project_exception && actor.has(Role::AuthorityAdmin) && reason.is_some();
        if !excepted {
            let code = match stage {
                "approved" => "project_catalog_missing",
                "completed" => "project_docking_missing",
                _ => "project_catalog_unpublished",
            };
            return Err(domain::Invalid::fields(code, "项目未通过检查", "The project fails its check", report.problems).into());
        }
        exception = reason;
    }
    store::catalog::projects::set_stage(&mut tx, id, stage, exception, now).await?;
    let mut event = actor.event("project.stage", "it_project", id.to_string());
    event.detail = format!("{} → {stage}", project.stage);
    event.purpose = exception.unwrap_or_default().to_string();
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    get(p, actor, id).await
}

async fn linked_entries(p: &Platform, conn: &mut store::Conn, id: i64) -> Result<Vec<LinkedEntry>> {
    let mut entries = Vec::new();
    for resource_id in store::catalog::projects::linked(conn, id).await? {
        let Some(row) = store::catalog::by_id(conn, resource_id).await? else { continue };
        let latest = row.working_rev.or(row.published_rev);
        let revision = match latest {
            Some(rev) => store::catalog::revision_of(conn, row.id, rev).await?,
            None => None,
        };
        let working = match row.working_rev {
            Some(rev) => store::catalog::revision_of(conn, row.id, rev).await?.map(|r| r.state),
            None => None,
        };
        let open_decided = revision.as_ref().is_some_and(|r| {
            if p.profile.features.open_attr {
                r.content.opening.attr.is_some()
            } else {
                r.content.opening.to_public.is_some()
            }
        });
        entries.push(LinkedEntry {
            code: row.code.clone(),
            name: row.name.clone(),
            catalog_kind: revision.map(|r| r.content.catalog_kind).unwrap_or_default(),
            state: row.state,
            working,
            open_decided,
            delivered: !store::lake::versions(conn, row.id).await?.is_empty(),
        });
    }
    Ok(entries)
}

async fn show(conn: &mut store::Conn, row: ProjectRow) -> Result<Project> {
    let mut resources = Vec::new();
    for resource_id in store::catalog::projects::linked(conn, row.id).await? {
        if let Some(r) = store::catalog::by_id(conn, resource_id).await? {
            resources.push(r.code);
        }
    }
    Ok(Project {
        id: row.id,
        name: row.name,
        department_id: row.department_id,
        funding: row.funding,
        kind: row.kind,
        stage: row.stage,
        exception_reason: row.exception_reason,
        resources,
        docking_document: row.docking_document,
        share_interface: row.share_interface,
        open_interface: row.open_interface,
        created_at: format_rfc3339_local(from_micros(row.created_at_us)),
    })
}

fn project_not_found(id: i64) -> Error {
    Error::not_found(format!("信息化项目{id}不存在"), format!("IT project {id} does not exist"))
}
