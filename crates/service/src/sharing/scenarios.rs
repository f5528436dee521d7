//! Pre-approved application scenarios (LS-19c, FS-28): the authority publishes them; an application within one is
//! granted at once.

use domain::catalog::attrs::ShareOp;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use domain::sharing::{self as rules, DeliveryMode, Request};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;
use super::*;

/// A pre-approved scenario as the authority states it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScenario {
    pub name: String,
    pub resource_code: String,
    /// The departments taking part.
    pub department_ids: Vec<i64>,
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    /// The law or decision the scenario rests on.
    pub basis: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScenarioView {
    pub id: i64,
    pub name: String,
    pub resource_code: String,
    pub department_ids: Vec<i64>,
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    pub basis: String,
    pub created_by: String,
    pub created_at: String,
}

fn scenario_view(s: store::sharing::ScenarioRow, code: String) -> ScenarioView {
    ScenarioView {
        id: s.id,
        name: s.name,
        resource_code: code,
        department_ids: parse_list(&s.department_ids),
        items: parse_list(&s.items),
        ops: parse_list(&s.ops),
        basis: s.basis,
        created_by: s.created_by,
        created_at: format_rfc3339_local(from_micros(s.created_at_us)),
    }
}

/// The authority publishes a pre-approved scenario (FS-28a: only the authority); its items and operations must be
/// ones the entry shares with every participant.
pub async fn create_scenario(p: &Platform, actor: &Actor, input: NewScenario) -> Result<ScenarioView> {
    if !p.profile.features.pre_approved_scenarios {
        return Err(Error::invalid("no_scenarios", "本地规定未设预先审定的应用场景：请按共享申请办理", "This regime has no pre-approved scenarios: apply as usual"));
    }
    if !(actor.kind == ActorKind::Cli || actor.has(Role::AuthorityAdmin)) {
        return Err(Error::forbidden("应用场景由数据主管部门审定发布", "The authority publishes application scenarios"));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || input.basis.trim().is_empty() || input.department_ids.is_empty() {
        return Err(Error::invalid("invalid_scenario", "请填写场景名称、依据和参与部门", "State the scenario's name, basis and participating departments"));
    }
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, &input.resource_code).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    drop(conn);
    for d in &input.department_ids {
        let req = Request {
            consumer_department_id: *d,
            provider_department_id: entry.provider.id,
            scenario: &name,
            basis: &input.basis,
            purpose: &name,
            items: &input.items,
            ops: &input.ops,
            mode: DeliveryMode::Api,
            days: 1,
            use_logic: None,
            undertaking: None,
            beyond_scope: false,
        };
        rules::check_request(&content, &req)?;
    }
    let now = p.now_us();
    let row = store::sharing::ScenarioRow {
        id: 0,
        name,
        resource_id: entry.row.id,
        department_ids: json_list(&input.department_ids),
        items: json_list(&input.items),
        ops: json_list(&input.ops),
        basis: input.basis.trim().into(),
        created_by: actor.name.clone(),
        created_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let id = store::sharing::insert_scenario(&mut tx, &row)
        .await
        .map_err(|e| Error::from_store_conflict(e, "该资源已有同名场景", "The resource already has a scenario of this name"))?;
    let mut event = actor.event("share.scenario", "resource", &entry.row.code);
    event.purpose = row.name.clone();
    event.detail = format!("scenario {id}: departments {}, items {}, ops {}", row.department_ids, row.items, row.ops);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(scenario_view(store::sharing::ScenarioRow { id, ..row }, entry.row.code.clone()))
}

pub async fn scenarios(p: &Platform) -> Result<Vec<ScenarioView>> {
    let mut conn = p.store.read().await?;
    let rows = store::sharing::scenarios(&mut conn, None).await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let code = store::catalog::by_id(&mut conn, s.resource_id).await?.map(|r| r.code).unwrap_or_default();
        out.push(scenario_view(s, code));
    }
    Ok(out)
}

