//! The sharing API (`/api/v1/share/{code}/…`, system tokens only): each call is checked against the caller's grants
//! (deny by default), answers only what the grant gives — a record, a verification, statistics, a batch file —
//! and is one audit event naming the grant and its scenario.

use std::collections::BTreeMap;

use domain::catalog::attrs::ShareOp;
use domain::catalog::entry::ResourceContent;
use domain::clock::{format_rfc3339_local, from_micros};
use domain::roles::Role;
use domain::sharing::{self as rules, Call, DeliveryMode, Denial, Grant, GrantState};
use domain::Invalid;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::sharing::GrantRow;

use crate::actor::{Actor, ActorKind};
use crate::error::{Error, Result};
use crate::platform::Platform;
use super::*;

/// Which grant a call names and what it claims to be for.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallOptions {
    /// The grant the call is made under; may be left out when the token holds one grant on the resource.
    #[serde(default)]
    pub grant: Option<i64>,
    /// The scenario the call serves; a scenario other than the grant's is refused as over-purpose.
    #[serde(default)]
    pub scenario: Option<String>,
}

/// What the sharing API needs to know about a resource for one consumer department; kept briefly by the node
/// (`serving::Caches`).
pub struct ShareState {
    resource_id: i64,
    content: ResourceContent,
    grants: Vec<KeptGrant>,
    version: Option<store::lake::VersionRow>,
    /// Keys of records under an open correction, with its id: served flagged, never refused (LS-13d).
    under_verification: std::collections::HashMap<String, i64>,
    /// The subjects' consents in force for this consumer, by (key, scenario): read only when a grant is
    /// consent-based (FS-31a), so other grants pay nothing for them.
    consents: std::collections::HashSet<(String, String)>,
}

/// A grant as the hot path checks it, parsed once when the state is read.
struct KeptGrant {
    id: i64,
    grant: Grant,
    token_ids: Vec<i64>,
    last_used_at_us: Option<i64>,
    /// Whether the entry as published now still allows what the grant gives (it may have been narrowed since).
    still_fits: bool,
    /// Serves a subject's record only with its consent (FS-31a).
    consent_required: bool,
}

impl KeptGrant {
    fn of(g: GrantRow, content: &ResourceContent, department: i64, provider: i64) -> KeptGrant {
        let grant = Grant {
            items: parse_list(&g.items),
            ops: parse_list(&g.ops),
            mode: DeliveryMode::parse(&g.mode).unwrap_or(DeliveryMode::Api),
            scenario: g.scenario,
            state: GrantState::parse(&g.state).unwrap_or(GrantState::Terminated),
            starts_at_us: g.starts_at_us,
            expires_at_us: g.expires_at_us,
        };
        // A decision that settled a dispute stands over the entry's attribute (FS-26c); the items must still exist.
        let still_fits = match g.dispute_id {
            Some(_) => grant.items.iter().all(|i| content.items.iter().any(|it| &it.name == i)),
            None => rules::grant_still_fits(content, department, provider, &grant.items, &grant.ops, grant.mode, g.beyond_scope),
        };
        KeptGrant { id: g.id, grant, token_ids: parse_list(&g.token_ids), last_used_at_us: g.last_used_at_us, still_fits, consent_required: g.consent_required }
    }
}

async fn share_state(p: &Platform, code: &str, department: i64) -> Result<std::sync::Arc<ShareState>> {
    let now = p.now_us();
    if let Some(s) = p.caches.share(code, department, now) {
        return Ok(s);
    }
    let gen = p.caches.generation();
    let mut conn = p.store.read().await?;
    let entry = crate::catalog::load(p, &mut conn, code).await?;
    let content = crate::aggregation::published_content(&mut conn, &entry).await?;
    let grants: Vec<KeptGrant> = store::sharing::grants_for(&mut conn, entry.row.id, department)
        .await?
        .into_iter()
        .map(|g| KeptGrant::of(g, &content, department, entry.provider.id))
        .collect();
    let version = store::lake::versions(&mut conn, entry.row.id).await?.into_iter().next();
    let under_verification = store::corrections::open_keys(&mut conn, entry.row.id).await?.into_iter().collect();
    let consents = if grants.iter().any(|g: &KeptGrant| g.consent_required) {
        store::sharing::consents_in_force(&mut conn, entry.row.id, department).await?.into_iter().collect()
    } else {
        Default::default()
    };
    drop(conn);
    let state = std::sync::Arc::new(ShareState { resource_id: entry.row.id, content, grants, version, under_verification, consents });
    p.caches.keep_share(code, department, state.clone(), gen, now);
    Ok(state)
}

/// A call the grant allowed: the grant, the published items, and the newest version to read.
struct Authorized {
    grant_id: i64,
    resource_id: i64,
    /// The grant's place in `state.grants` (read there, not copied per call).
    grant_index: usize,
    state: std::sync::Arc<ShareState>,
    code: String,
    version: i64,
    path: String,
}

impl Authorized {
    /// The entry as published (kept with the share state, not copied per call).
    fn content(&self) -> &ResourceContent {
        &self.state.content
    }

    /// The grant the call is made under.
    fn grant(&self) -> &Grant {
        &self.state.grants[self.grant_index].grant
    }
}

/// Checks a sharing-API call against the caller's grants (LS-16e: deny by default). A refusal is an audit event
/// naming why (SYS-31a: over-scope, over-purpose, expired, suspended) and a 403 with that code.
/// What a sharing-API call asks of a grant.
struct Asked<'a> {
    action: &'a str,
    needs: &'a [ShareOp],
    /// The items it reads; `None`: every item the grant gives (a record, a batch).
    items: Option<&'a [String]>,
    batch: bool,
    /// The key it looks up, counted by the anomaly watch (enumeration).
    key: Option<&'a str>,
}

async fn authorize(p: &Platform, actor: &Actor, code: &str, asked: Asked<'_>, options: &CallOptions) -> Result<Authorized> {
    let Asked { action, needs, items, batch, key } = asked;
    let ActorKind::System { token_id } = actor.kind else {
        return Err(Error::forbidden("共享接口须以需求部门系统的API令牌调用", "The sharing API is called with an API token of the consumer's system"));
    };
    let department = actor.department_id.ok_or_else(|| Error::forbidden("令牌没有所属部门", "The token has no department"))?;
    if p.profile.sharing.calls_name_grant && options.grant.is_none() {
        // Refused like a call outside a grant: logged, and counted by the anomaly watch.
        let mut event = actor.event("share.denied", "resource", code);
        event.result = "refused".into();
        event.purpose = options.scenario.clone().unwrap_or_default();
        event.detail = format!("{action}: grant_required");
        p.audit_writer.append(event).await?;
        super::misuse::observe_denial(p, actor, token_id).await?;
        return Err(Error::invalid(
            "share_grant_required",
            "调用须注明所依据的授权编号（参数 grant），以便按授权的应用场景记录和核查使用",
            "Name the grant the call is made under (parameter grant), so that each use is logged and reviewed against its scenario",
        ));
    }
    let state = share_state(p, code, department).await?;
    let bound: Vec<(usize, &KeptGrant)> = state
        .grants
        .iter()
        .enumerate()
        .filter(|(_, g)| options.grant.is_none_or(|id| id == g.id))
        .filter(|(_, g)| g.token_ids.is_empty() || g.token_ids.contains(&token_id))
        .collect();
    let now = p.now_us();
    let mut denial = Denial::NoGrant;
    let mut chosen = None;
    for &(index, kept) in &bound {
        let grant = &kept.grant;
        // A record or a batch takes every item its grant gives.
        let wanted = items.unwrap_or(&grant.items);
        let call = Call { needs, items: wanted, batch, scenario: options.scenario.as_deref(), now_us: now };
        match rules::allows(grant, &call) {
            // Consent is per subject: a consent-based grant answers a keyed call for a subject who consented to
            // its scenario, and nothing else (no statistics, no batch).
            Ok(()) if kept.still_fits && kept.consent_required && !key.is_some_and(|k| state.consents.contains(&(k.trim().to_ascii_uppercase(), grant.scenario.clone()))) => {
                denial = Denial::NoConsent
            }
            Ok(()) if kept.still_fits => {
                chosen = Some((kept.id, index));
                break;
            }
            Ok(()) => denial = Denial::Withdrawn,
            Err(d) => denial = d,
        }
    }
    let Some((grant_id, grant_index)) = chosen else {
        let mut event = actor.event("share.denied", "resource", code);
        event.result = "refused".into();
        event.purpose = options.scenario.clone().unwrap_or_default();
        event.detail = format!("{action}: {}{}", denial.as_str(), bound.first().map(|(_, g)| format!(" (grant {})", g.id)).unwrap_or_default());
        p.audit_writer.append(event).await?;
        super::misuse::observe_denial(p, actor, token_id).await?;
        return Err(Error::Denied(Invalid::new(
            match denial {
                Denial::NoGrant => "share_no_grant",
                Denial::OverScope => "share_over_scope",
                Denial::OverPurpose => "share_over_purpose",
                Denial::ModeNotGranted => "share_mode_not_granted",
                Denial::Expired => "share_expired",
                Denial::Suspended => "share_suspended",
                Denial::Withdrawn => "share_withdrawn",
                Denial::NoConsent => "share_no_consent",
            },
            format!("{}：请在授权范围内调用，或先提出共享申请", denial.label()),
            format!("Refused, {}: call within a grant, or apply first", denial.label_en()),
        )));
    };
    super::misuse::observe_call(p, actor, token_id, key).await?;
    let Some(version) = &state.version else {
        return Err(Error::not_found(format!("资源{code}尚无数据版本"), format!("Resource {code} has no data yet")));
    };
    // The last use is kept to the hour (idle grants, SYS-31a): one write an hour per grant, not one per call.
    let last = state.grants[grant_index].last_used_at_us;
    if last.is_none_or(|t| now - t >= 3_600_000_000) && p.caches.grant_touch_due(grant_id, now) {
        let mut tx = p.store.begin().await?;
        store::sharing::touch_grant(&mut tx, grant_id, now).await?;
        store::alerts::resolve_other(&mut tx, "grant_idle", &grant_id.to_string(), None, now).await?;
        tx.commit().await?;
    }
    let (version, path) = (version.version, version.path.clone());
    Ok(Authorized { grant_id, resource_id: state.resource_id, grant_index, state, code: code.into(), version, path })
}

/// A record as a grant lets its consumer see it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Record {
    pub resource_code: String,
    pub version: i64,
    pub grant_id: i64,
    /// The granted items' values, masked where the grant does not obtain them.
    pub values: BTreeMap<String, Option<String>>,
    /// The items whose values are masked.
    pub masked: Vec<String>,
    /// `under_verification` while a correction request on this record is open (LS-13d): the data is served as it
    /// stands and a case relying on it is accepted as normal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_status: Option<&'static str>,
    /// The open correction request, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correction_id: Option<i64>,
    /// Where the regime asks (FS-30a): each granted item whose value fails the entry's rules as published now, with
    /// the problem's code (`invalid_phone`…); absent when every item passes.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub validation: BTreeMap<String, String>,
}

/// The first key item of the entry: records are found by it.
fn key_item(content: &ResourceContent) -> Result<&domain::catalog::entry::Item> {
    content.items.iter().find(|i| i.is_key).ok_or_else(|| Error::invalid("share_no_key", "该资源没有主键数据项，不能按主键查询", "The resource has no key item to look records up by"))
}

/// Finds the row with `key` in the authorized version, held in memory by key: the table and the row, or none when
/// no row has it.
async fn row_by_key(p: &Platform, a: &Authorized, key: &str) -> Result<Option<(std::sync::Arc<lake::keyed::KeyedTable>, usize)>> {
    let key_name = &key_item(a.content())?.name;
    let table = match p.caches.cached_table(&a.path, key_name) {
        Some(t) => t,
        None => {
            let path = crate::aggregation::local_files(p, vec![a.path.clone()]).await?.remove(0);
            p.caches.load_table(&a.path, path, key_name).await.map_err(|e| Error::Internal(store::Error::Corrupt(format!("share lookup: {e}"))))?
        }
    };
    Ok(table.row(key).map(|row| (table, row)))
}

/// A short fingerprint of a looked-up key for the audit log: repeated and distinct keys can be counted (misuse
/// checks) without the log holding the identifier itself.
pub(crate) fn key_print(key: &str) -> String {
    use sm3::Digest;
    hex::encode(&sm3::Sm3::digest(key.as_bytes())[..6])
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.chars().count() > 200 {
        return Err(Error::invalid("share_key", "主键值须为1至200个字符", "The key is 1 to 200 characters"));
    }
    Ok(())
}

/// A record by key with only the granted items, masked as the grant requires (SYS-27, CS-21b, FS-13c, LS-17b).
pub async fn record(p: &Platform, actor: &Actor, code: &str, key: &str, options: CallOptions) -> Result<Record> {
    check_key(key)?;
    let a = authorize(p, actor, code, Asked { action: "record", needs: &[ShareOp::View, ShareOp::Obtain], items: None, batch: false, key: Some(key) }, &options).await?;
    let state = a.state.clone();
    let grant = &state.grants[a.grant_index].grant;
    let items = &grant.items;
    let found = row_by_key(p, &a, key).await?;
    let mut event = actor.event("share.record", "resource", &a.code);
    event.purpose = grant.scenario.clone();
    event.detail = format!("grant {}, version {}, key {}{}", a.grant_id, a.version, key_print(key), if found.is_some() { "" } else { ", not found" });
    p.audit_writer.append(event).await?;
    let (table, row) = found.ok_or_else(|| Error::not_found("没有该主键的记录", "No record has this key"))?;
    let mut values = BTreeMap::new();
    let mut masked = Vec::new();
    let mut validation = BTreeMap::new();
    let validate = p.profile.sharing.records_carry_validation;
    for (name, value) in items.iter().zip(table.values(row, items)) {
        let item = a.content().items.iter().find(|i| &i.name == name);
        if let (true, Some(item)) = (validate, item) {
            if let Err(problem) = domain::catalog::validate::check(item, value.as_deref().unwrap_or("")) {
                validation.insert(name.clone(), problem.code().to_string());
            }
        }
        let shown = match (item, value) {
            (Some(item), Some(v)) => match rules::masked(item, &v, &grant.ops) {
                std::borrow::Cow::Owned(m) if m != *v => {
                    masked.push(name.clone());
                    Some(m)
                }
                _ => Some(v.into_owned()),
            },
            (_, v) => v.map(std::borrow::Cow::into_owned),
        };
        values.insert(name.clone(), shown);
    }
    let correction_id = a.state.under_verification.get(key).copied();
    let verification_status = correction_id.map(|_| "under_verification");
    Ok(Record { resource_code: a.code, version: a.version, grant_id: a.grant_id, values, masked, verification_status, correction_id, validation })
}

/// A verification request (核验): the key and the values the caller holds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub key: String,
    /// Item name → the value to check.
    pub values: BTreeMap<String, String>,
    #[serde(default)]
    pub grant: Option<i64>,
    #[serde(default)]
    pub scenario: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Match,
    NoMatch,
}

/// A verification's answer: match or no match per item, never a value (CS-21c, FS-14d).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Verification {
    pub resource_code: String,
    pub version: i64,
    pub grant_id: i64,
    /// Whether a record has the key.
    pub found: bool,
    pub items: BTreeMap<String, Verdict>,
}

/// Checks claimed values against the record with the key (结果核验).
pub async fn verify(p: &Platform, actor: &Actor, code: &str, req: VerifyRequest) -> Result<Verification> {
    check_key(&req.key)?;
    if req.values.is_empty() || req.values.len() > 100 {
        return Err(Error::invalid("share_verify_values", "请给出1至100个待核验的数据项", "Give 1 to 100 items to verify"));
    }
    let items: Vec<String> = req.values.keys().cloned().collect();
    let options = CallOptions { grant: req.grant, scenario: req.scenario.clone() };
    let a = authorize(p, actor, code, Asked { action: "verify", needs: &[ShareOp::Compare], items: Some(&items), batch: false, key: Some(&req.key) }, &options).await?;
    let day = p.now_us().div_euclid(86_400_000_000);
    if !p.caches.verification_allowed(a.grant_id, &req.key, day) {
        let mut event = actor.event("share.denied", "resource", &a.code);
        event.result = "refused".into();
        event.purpose = a.grant().scenario.clone();
        event.detail = format!("verify: daily limit for key {} under grant {}", key_print(&req.key), a.grant_id);
        p.audit_writer.append(event).await?;
        return Err(Error::Denied(Invalid::new(
            "share_verify_limit",
            format!("同一主键在同一授权下每天最多核验{}次", crate::serving::VERIFY_PER_KEY_PER_DAY),
            format!("A key is verified at most {} times a day under one grant", crate::serving::VERIFY_PER_KEY_PER_DAY),
        )));
    }
    let found = row_by_key(p, &a, &req.key).await?;
    let row = found.as_ref().map(|(table, row)| table.values(*row, &items));
    let mut verdicts = BTreeMap::new();
    for (i, name) in items.iter().enumerate() {
        let stored = row.as_ref().and_then(|r| r[i].as_deref()).map(str::trim);
        let same = stored.is_some_and(|s| s == req.values[name].trim());
        verdicts.insert(name.clone(), if same { Verdict::Match } else { Verdict::NoMatch });
    }
    let mut event = actor.event("share.verify", "resource", &a.code);
    event.purpose = a.grant().scenario.clone();
    let matched = verdicts.values().filter(|v| **v == Verdict::Match).count();
    event.detail = format!("grant {}, version {}, key {}, {matched}/{} items match", a.grant_id, a.version, key_print(&req.key), verdicts.len());
    p.audit_writer.append(event).await?;
    Ok(Verification { resource_code: a.code, version: a.version, grant_id: a.grant_id, found: row.is_some(), items: verdicts })
}

/// A statistics request (统计): counts, and sums of granted numeric items, grouped by granted items.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatsRequest {
    /// Items to group by (text, date or yes/no items; not identifiers or keys).
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Only records with these values (item → value).
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
    /// Numeric items to sum.
    #[serde(default)]
    pub sums: Vec<String>,
    #[serde(default)]
    pub grant: Option<i64>,
    #[serde(default)]
    pub scenario: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StatsGroup {
    pub values: BTreeMap<String, Option<String>>,
    pub count: u64,
    pub sums: BTreeMap<String, f64>,
}

/// A statistics answer: every group describes at least `k` records.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Stats {
    pub resource_code: String,
    pub version: i64,
    pub grant_id: i64,
    pub k: u64,
    pub groups: Vec<StatsGroup>,
    /// Cells of fewer than k records, left out of every answer (so no two answers differ by them).
    pub withheld_cells: usize,
}

/// The most cells a grant's table may have.
const MAX_CELLS: usize = 200_000;

/// Statistics only (FS-14e, SYS-27): the grant's table — its dimension items crossed — is built, cells of fewer than
/// k records are withheld, and the answer sums the remaining cells, so no answer nor difference of answers
/// describes fewer than k people.
pub async fn stats(p: &Platform, actor: &Actor, code: &str, req: StatsRequest) -> Result<Stats> {
    if req.group_by.len() > 10 || req.filters.len() > 10 || req.sums.len() > 10 {
        return Err(Error::invalid("stats_request", "分组、筛选和求和的数据项各不超过10个", "At most 10 items each to group by, filter on and sum"));
    }
    let mut named: Vec<String> = req.group_by.iter().chain(req.filters.keys()).chain(&req.sums).cloned().collect();
    named.sort();
    named.dedup();
    let options = CallOptions { grant: req.grant, scenario: req.scenario.clone() };
    let a = authorize(p, actor, code, Asked { action: "stats", needs: &[ShareOp::Stats], items: Some(&named), batch: false, key: None }, &options).await?;
    // One table over every dimension of the resource, whatever the grant: answers to different grants are sums of
    // the same released cells, so they cannot be differenced against each other either.
    let dims: Vec<&str> = rules::stats_dimensions(a.content()).into_iter().map(|i| i.name.as_str()).collect();
    let measures: Vec<&str> = rules::stats_measures(a.content()).into_iter().map(|i| i.name.as_str()).collect();
    let allowed: Vec<&str> = dims.iter().copied().filter(|d| a.grant().items.iter().any(|g| g == d)).collect();
    let index_of = |name: &str| allowed.contains(&name).then(|| dims.iter().position(|d| *d == name)).flatten();
    let mut group_by = Vec::new();
    for name in &req.group_by {
        group_by.push(index_of(name).ok_or_else(|| {
            Error::invalid(
                "stats_dimension",
                format!("不能按“{name}”分组：可分组的是授权内列明取值的数据项（{}）", allowed.join("、")),
                format!("Cannot group by '{name}': groups are the granted items with listed values ({})", allowed.join(", ")),
            )
        })?);
    }
    let mut filters = Vec::new();
    for (name, value) in &req.filters {
        filters.push((index_of(name).ok_or_else(|| Error::invalid("stats_dimension", format!("不能按“{name}”筛选"), format!("Cannot filter on '{name}'")))?, value.clone()));
    }
    let mut sums = Vec::new();
    for name in &req.sums {
        let granted = a.grant().items.iter().any(|g| g == name);
        sums.push(measures.iter().position(|m| m == name).filter(|_| granted).ok_or_else(|| Error::invalid("stats_measure", format!("“{name}”不是授权内可求和的数值型数据项"), format!("'{name}' is not a granted numeric item to sum")))?);
    }
    let path = crate::aggregation::local_files(p, vec![a.path.clone()]).await?.remove(0);
    let tables = [lake::query::Table { names: vec!["t".into()], path }];
    let mut select: Vec<String> = dims.iter().map(|d| format!("CAST({} AS VARCHAR)", lake::query::ident(d))).collect();
    select.push("COUNT(*)".into());
    select.extend(measures.iter().map(|m| format!("CAST(SUM({}) AS DOUBLE)", lake::query::ident(m))));
    let group = if dims.is_empty() { String::new() } else { format!(" GROUP BY {}", (1..=dims.len()).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")) };
    let sql = format!("SELECT {} FROM t{group}", select.join(", "));
    let answer = lake::query::sql(&tables, &sql, MAX_CELLS, 512).await.map_err(|e| match e {
        // A catalog item the newest version does not have yet.
        lake::query::QueryError::Sql(why) => Error::invalid("share_version_lacks_items", format!("当前数据版本缺少目录中的数据项，请提供部门重新归集：{why}"), format!("The newest version lacks an item of the entry: the provider must deliver it again ({why})")),
        other => Error::Internal(store::Error::Corrupt(format!("share stats: {other}"))),
    })?;
    if answer.truncated {
        return Err(Error::invalid("stats_too_fine", "授权的数据项组合过细，无法统计：请申请更少的分组数据项", "The grant's items cross into too many cells: apply for fewer items to group by"));
    }
    let cells: Vec<rules::Cell> = answer
        .rows
        .into_iter()
        .map(|row| {
            let count = row[dims.len()].as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
            let sums = row[dims.len() + 1..].iter().map(|v| v.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0.0)).collect();
            rules::Cell { dims: row[..dims.len()].to_vec(), count, sums }
        })
        .collect();
    let k = u64::from(p.profile.features.min_group_size).max(1);
    let released = rules::release(cells, k);
    let groups: Vec<StatsGroup> = rules::aggregate(&released, &group_by, &filters)
        .into_iter()
        .map(|g| StatsGroup {
            values: req.group_by.iter().cloned().zip(g.dims).collect(),
            count: g.count,
            sums: sums.iter().map(|m| (measures[*m].to_string(), g.sums[*m])).collect(),
        })
        .collect();
    let mut event = actor.event("share.stats", "resource", &a.code);
    event.purpose = a.grant().scenario.clone();
    event.detail = format!("grant {}, version {}, group by [{}], {} groups, {} cells withheld", a.grant_id, a.version, req.group_by.join(","), groups.len(), released.withheld);
    p.audit_writer.append(event).await?;
    Ok(Stats { resource_code: a.code, version: a.version, grant_id: a.grant_id, k, groups, withheld_cells: released.withheld })
}

/// How a batch is delivered.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// `csv` (the default) or `parquet`.
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub grant: Option<i64>,
    #[serde(default)]
    pub scenario: Option<String>,
}

/// A batch file made for one consumer.
pub struct BatchFile {
    pub file: tempfile::NamedTempFile,
    pub delivery_id: i64,
    pub rows: u64,
    pub parquet: bool,
    pub version: i64,
    pub sm3: String,
}

/// Batch delivery (批量交换, LS-17c): the granted items of the newest version as CSV or Parquet, for a grant that
/// obtains data in batch mode. Each file's rows are ordered by a secret of its own and the delivery is recorded
/// with the file's SM3, so a leaked copy is traced to its consumer ([`trace`]).
pub async fn batch(p: &Platform, actor: &Actor, code: &str, q: BatchQuery) -> Result<BatchFile> {
    let parquet = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "parquet" => true,
        other => return Err(Error::invalid("share_batch_format", format!("不支持的格式“{other}”：可选 csv 或 parquet"), format!("Unknown format '{other}': csv or parquet"))),
    };
    let options = CallOptions { grant: q.grant, scenario: q.scenario.clone() };
    let a = authorize(p, actor, code, Asked { action: "batch", needs: &[ShareOp::Obtain], items: None, batch: true, key: None }, &options).await?;
    let key = key_item(a.content())?.name.clone();
    let path = crate::aggregation::local_files(p, vec![a.path.clone()]).await?.remove(0);
    let secret: [u8; 16] = rand::random();
    let tmp_dir = crate::aggregation::tmp_dir(p)?;
    let file = tempfile::Builder::new().suffix(if parquet { ".parquet" } else { ".csv" }).tempfile_in(tmp_dir).map_err(|e| Error::Internal(store::Error::Corrupt(format!("batch spool: {e}"))))?;
    let (out, items, format) = (file.path().to_path_buf(), a.grant().items.clone(), if parquet { lake::export::ExportFormat::Parquet } else { lake::export::ExportFormat::Csv });
    let note = format!("grant {}", a.grant_id);
    let written = tokio::task::spawn_blocking(move || -> Result<(u64, String), lake::Error> {
        let rows = lake::export::export(&path, &items, &key, &secret, &note, &out, format)?;
        use sm3::Digest;
        let mut h = sm3::Sm3::new();
        let mut f = std::fs::File::open(&out)?;
        std::io::copy(&mut f, &mut h)?;
        Ok((rows, hex::encode(h.finalize())))
    })
    .await
    .map_err(|e| Error::Internal(store::Error::Corrupt(format!("batch task: {e}"))))?
    .map_err(|e| match e {
        lake::Error::Value { column, .. } => Error::invalid(
            "share_version_lacks_items",
            format!("当前数据版本缺少数据项“{column}”，请提供部门重新归集"),
            format!("The newest version lacks item '{column}': the provider must deliver it again"),
        ),
        other => Error::Internal(store::Error::Corrupt(format!("batch: {other}"))),
    })?;
    let (rows, sm3) = written;
    let now = p.now_us();
    let row = store::sharing::DeliveryRow {
        id: 0,
        grant_id: a.grant_id,
        resource_id: a.resource_id,
        consumer_department_id: actor.department_id.unwrap_or_default(),
        version: a.version,
        format: if parquet { "parquet" } else { "csv" }.into(),
        rows: rows as i64,
        sm3: sm3.clone(),
        secret: hex::encode(secret),
        delivered_to: actor.name.clone(),
        delivered_at_us: now,
    };
    let mut tx = p.store.begin().await?;
    let delivery_id = store::sharing::insert_delivery(&mut tx, &row).await?;
    let mut event = actor.event("share.batch", "resource", &a.code);
    event.purpose = a.grant().scenario.clone();
    event.detail = format!("grant {}, version {}, delivery {delivery_id}: {rows} rows as {}, sm3 {sm3}", a.grant_id, a.version, row.format);
    store::audit::append(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(BatchFile { file, delivery_id, rows, parquet, version: a.version, sm3 })
}

/// A leaked copy to trace: its resource and its keys in the order the copy holds them (at least 20).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceRequest {
    pub resource_code: String,
    pub keys: Vec<String>,
}

/// A batch delivery a copy was traced to.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Traced {
    pub delivery_id: i64,
    pub grant_id: i64,
    pub consumer: Party,
    pub delivered_to: String,
    pub delivered_at: String,
    pub version: i64,
    /// Share of neighbouring keys in the delivery's order (1 for its own file; about 0.5 by chance).
    pub match_share: f64,
}

/// Traces a leaked copy to the batch deliveries whose row order it follows (SYS-33: data obtained by sharing is
/// not passed on). The authority only.
pub async fn trace(p: &Platform, actor: &Actor, req: TraceRequest) -> Result<Vec<Traced>> {
    if !(actor.kind == ActorKind::Cli || actor.has_any(&[Role::AuthorityAdmin, Role::ServiceOperator, Role::Auditor])) {
        return Err(Error::forbidden("溯源由数据主管部门、数据服务中心或审计员进行", "The authority, the service center or an auditor traces copies"));
    }
    if req.keys.len() < 20 || req.keys.len() > 100_000 {
        return Err(Error::invalid("trace_keys", "请按副本中的顺序给出20至100000个主键值", "Give 20 to 100,000 keys in the order the copy holds them"));
    }
    let mut conn = p.store.read().await?;
    let resource = store::catalog::by_code(&mut conn, &req.resource_code).await?.ok_or_else(|| crate::catalog::not_found(&req.resource_code))?;
    let deliveries = store::sharing::deliveries(&mut conn, resource.id).await?;
    let mut out = Vec::new();
    for d in deliveries {
        let secret = hex::decode(&d.secret).unwrap_or_default();
        let share = lake::export::order_match(&req.keys, &secret);
        if share >= 0.95 {
            let consumer = store::orgs::department_by_id(&mut conn, d.consumer_department_id).await?.map(|x| x.name).unwrap_or_default();
            out.push(Traced {
                delivery_id: d.id,
                grant_id: d.grant_id,
                consumer: Party { id: d.consumer_department_id, name: consumer },
                delivered_to: d.delivered_to,
                delivered_at: format_rfc3339_local(from_micros(d.delivered_at_us)),
                version: d.version,
                match_share: share,
            });
        }
    }
    drop(conn);
    let mut event = actor.event("share.trace", "resource", &req.resource_code);
    event.detail = format!("{} keys → deliveries {:?}", req.keys.len(), out.iter().map(|t| t.delivery_id).collect::<Vec<_>>());
    p.audit_writer.append(event).await?;
    Ok(out)
}

