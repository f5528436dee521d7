//! Search of the published catalog. Each node keeps its own index (`search::CatalogIndex`, a folder under the
//! data directory) and keeps it in step with the store: a change made on this node is applied right after its
//! transaction commits; changes made on other nodes are picked up by a sync every `SYNC_EVERY`. On start the
//! index is rebuilt when it is missing, of another schema, or ahead of the store (a restored database).

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;

use domain::catalog::attrs::Attr;
use domain::catalog::entry::{DataFormat, ResourceContent, SecurityLevel};
use domain::catalog::lifecycle::ResourceState;
use domain::catalog::view::ResourceSummary;
use schemars::JsonSchema;
use search::{CatalogIndex, Doc, SearchQuery};
use serde::Serialize;
use store::catalog::ResourceRow;

use crate::{Actor, Error, Platform, Result};

/// How often a node applies changes made elsewhere.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);
const BATCH: i64 = 500;

/// Opens (or builds) the node's index in `dir`, brings it up to date, and keeps it so until the platform is
/// dropped.
pub async fn attach(p: &Arc<Platform>, dir: &Path) -> Result<()> {
    let index = CatalogIndex::open(dir).map_err(internal)?;
    if p.index.set(Arc::new(index)).is_err() {
        return Err(Error::invalid("index_attached", "检索索引已加载", "The search index is already attached"));
    }
    sync(p).await?;
    tokio::spawn(sync_periodically(Arc::downgrade(p)));
    Ok(())
}

async fn sync_periodically(platform: Weak<Platform>) {
    let mut tick = tokio::time::interval(SYNC_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(p) = platform.upgrade() else { return };
        if let Err(e) = sync(&p).await {
            tracing::warn!(error = %e, "catalog index sync failed; retrying");
        }
    }
}

/// Applies every change since the index's last; returns how many entries it touched.
pub async fn sync(p: &Platform) -> Result<usize> {
    let Some(index) = p.index.get() else { return Ok(0) };
    // One sync at a time, so changes are applied in order.
    let _guard = p.index_sync.lock().await;
    let mut conn = p.store.read().await?;
    let head = store::catalog::change_seq(&mut conn).await?;
    let mut from = match index.applied_seq().map_err(internal)? {
        Some(seq) if seq <= head => seq,
        _ => {
            index.clear().map_err(internal)?;
            0
        }
    };
    let mut touched = 0;
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    let mut regions: BTreeMap<i64, String> = BTreeMap::new();
    loop {
        let changed = store::catalog::changed_since(&mut conn, from, BATCH).await?;
        let Some(last) = changed.last().map(|(row, _)| row.change_seq) else { break };
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for (row, content) in changed {
            match content.filter(|_| row.state == ResourceState::Published) {
                Some(content) => {
                    if let Entry::Vacant(slot) = names.entry(row.provider_department_id) {
                        slot.insert(store::orgs::department_by_id(&mut conn, row.provider_department_id).await?.map(|d| d.name).unwrap_or_default());
                    }
                    if let Entry::Vacant(slot) = regions.entry(row.region_id) {
                        slot.insert(store::orgs::region_by_id(&mut conn, row.region_id).await?.map(|r| r.code).unwrap_or_default());
                    }
                    upserts.push(doc(p, &row, &content, &names[&row.provider_department_id], &regions[&row.region_id]));
                }
                None => removals.push(row.code),
            }
        }
        touched += upserts.len() + removals.len();
        let index = index.clone();
        tokio::task::spawn_blocking(move || index.apply(&upserts, &removals, last))
            .await
            .map_err(|e| Error::Internal(store::Error::Corrupt(format!("index task: {e}"))))?
            .map_err(internal)?;
        from = last;
    }
    if touched == 0 && index.applied_seq().map_err(internal)? != Some(head) {
        // Nothing to apply, but record that the index is current (a fresh index on an empty catalog).
        let index = index.clone();
        tokio::task::spawn_blocking(move || index.apply(&[], &[], head)).await.map_err(|e| Error::Internal(store::Error::Corrupt(e.to_string())))?.map_err(internal)?;
    }
    Ok(touched)
}

/// After this node's own change commits: applies it now, so the caller's next search sees it. A failure is only
/// logged: the change is committed, and the periodic sync applies it.
pub(crate) async fn after_change(p: &Platform) {
    if let Err(e) = sync(p).await {
        tracing::warn!(error = %e, "catalog index update failed; the periodic sync will retry");
    }
}

fn doc(p: &Platform, row: &ResourceRow, c: &ResourceContent, provider_name: &str, region_code: &str) -> Doc {
    let items = c.items.iter().map(|i| format!("{} {} {}", i.label, i.name, i.description)).collect::<Vec<_>>().join(" ");
    Doc {
        code: row.code.clone(),
        name: c.name.clone(),
        summary: c.summary.clone(),
        items,
        other: format!("{} {} {} {} {} {}", c.business_name, c.system_name, provider_name, c.industry, c.classification, c.source),
        provider_id: row.provider_department_id,
        region_code: region_code.to_string(),
        industry: c.industry.clone(),
        share_attr: c.effective_share_attr().as_str().into(),
        open_attr: c.effective_open_attr(p.profile.features.open_attr).as_str().into(),
        format: c.format.map(|f| f.as_str().to_string()).unwrap_or_default(),
        security_level: c.security_level.map(|l| l.as_str().to_string()).unwrap_or_default(),
        published_at_us: row.published_at_us.unwrap_or(row.updated_at_us),
        priority: c.opening.priority,
    }
}

fn internal(e: search::Error) -> Error {
    Error::Internal(store::Error::Corrupt(e.to_string()))
}

/// One value of a facet with its count, labelled for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
}

/// What to find in the published catalog.
#[derive(Debug, Clone, Default)]
pub struct CatalogQuery {
    pub text: String,
    /// Facet dimension (`provider`, `region`, `industry`, `share_attr`, `open_attr`, `format`, `security_level`) →
    /// the value it must have.
    pub filters: Vec<(String, String)>,
    /// The open catalog only.
    pub open_only: bool,
}

/// The published catalog, searched: a page of entries, how many match, and the facet counts of the matches.
pub async fn search(
    p: &Platform,
    _actor: &Actor,
    q: &CatalogQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ResourceSummary>, i64, BTreeMap<String, Vec<FacetValue>>)> {
    let index = p.index.get().cloned().ok_or_else(|| {
        Error::invalid("search_unavailable", "检索索引尚未加载，请稍后重试", "The search index is not loaded yet: try again shortly")
    })?;
    for (dimension, _) in &q.filters {
        if !search::FACETS.contains(&dimension.as_str()) {
            return Err(Error::invalid(
                "invalid_filter",
                format!("未知筛选项“{dimension}”，可用：{}", search::FACETS.join("、")),
                format!("Unknown filter '{dimension}'; use one of: {}", search::FACETS.join(", ")),
            ));
        }
    }
    let query = SearchQuery {
        text: q.text.chars().take(200).collect(),
        filters: q.filters.clone(),
        open_only: q.open_only,
        limit: limit.clamp(1, 1000) as usize,
        offset: offset.max(0) as usize,
    };
    let hits = tokio::task::spawn_blocking(move || index.search(&query))
        .await
        .map_err(|e| Error::Internal(store::Error::Corrupt(format!("search task: {e}"))))?
        .map_err(internal)?;
    let mut conn = p.store.read().await?;
    let rows = store::catalog::by_codes(&mut conn, &hits.codes).await?;
    let summaries = super::read::summaries(p, &mut conn, rows).await?;
    let mut facets = BTreeMap::new();
    for (dimension, values) in hits.facets {
        let mut labelled = Vec::with_capacity(values.len());
        for (value, count) in values {
            let label = facet_label(p, &mut conn, &dimension, &value).await?;
            labelled.push(FacetValue { value, label, count });
        }
        facets.insert(dimension, labelled);
    }
    Ok((summaries, hits.total as i64, facets))
}

async fn facet_label(p: &Platform, conn: &mut store::Conn, dimension: &str, value: &str) -> Result<String> {
    Ok(match dimension {
        "provider" => match value.parse::<i64>() {
            Ok(id) => store::orgs::department_by_id(conn, id).await?.map(|d| d.name).unwrap_or_else(|| value.into()),
            Err(_) => value.into(),
        },
        "region" => store::orgs::region_by_code(conn, value).await?.map(|r| r.name).unwrap_or_else(|| value.into()),
        "share_attr" => Attr::parse(value).map(|a| p.profile.share_label(a).to_string()).unwrap_or_else(|| value.into()),
        "open_attr" => Attr::parse(value).map(|a| p.profile.open_label(a).to_string()).unwrap_or_else(|| value.into()),
        "format" => DataFormat::parse(value).map(|f| f.label().to_string()).unwrap_or_else(|| value.into()),
        "security_level" => SecurityLevel::parse(value).map(|l| l.label().to_string()).unwrap_or_else(|| value.into()),
        _ => value.into(),
    })
}
