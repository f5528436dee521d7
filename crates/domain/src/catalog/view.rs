//! The catalog as the API and the console show it: an entry with its published and working revisions, a line of
//! a list, a revision's history with its changes and review decisions.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Serialize;

use super::attrs::Attr;
use super::diff::FieldChange;
use super::entry::ResourceContent;
use super::lifecycle::{ResourceState, RevisionState, Step};
use super::rules::ReclassificationReason;

/// Who provides an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ProviderRef {
    pub id: i64,
    /// 数据资源提供方名称.
    pub name: String,
    /// 数据资源提供方代码: the provider's unified social credit code.
    pub uscc: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
}

/// One revision of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RevisionView {
    pub rev: i64,
    pub state: RevisionState,
    /// `edit`, or `attribute_change` for a change of attributes only.
    pub kind: String,
    /// The review step it waits for, while in review.
    pub step: Option<Step>,
    pub content: ResourceContent,
    /// The share attribute in force: unset or unstated conditions count as unconditional (SYS-25c).
    pub effective_share_attr: Attr,
    /// The editor's note on what changed and why.
    pub note: String,
    /// It lowers a share or open attribute (SYS-26, SYS-37b).
    pub downgrade: bool,
    /// Why it classifies or grades the data differently (SYS-11e).
    pub reclassification: Option<ReclassificationReason>,
    pub updated_at: String,
    pub submitted_at: Option<String>,
    pub published_at: Option<String>,
    /// The day the authority must have published it by (SYS-13b: 2 working days), where the regime sets one.
    pub review_due: Option<NaiveDate>,
    /// The due day falls in a year whose holiday notice is not loaded yet.
    pub due_provisional: bool,
    pub overdue: bool,
}

/// An entry.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ResourceView {
    /// 资源代码: unique and stable.
    pub code: String,
    pub state: ResourceState,
    pub provider: ProviderRef,
    pub region: RegionRef,
    /// A district's entry, part of that district's supplementary catalog (LS-9d, SYS-12b).
    pub supplementary: bool,
    /// What everyone sees.
    pub published: Option<RevisionView>,
    /// What its provider is editing or has submitted; shown to the provider, the service center and the authority.
    pub working: Option<RevisionView>,
}

/// A line of a list.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ResourceSummary {
    pub code: String,
    pub name: String,
    pub state: ResourceState,
    pub provider_id: i64,
    pub provider_name: String,
    pub region_code: String,
    pub supplementary: bool,
    pub catalog_kind: String,
    pub share_attr: Option<Attr>,
    pub open_attr: Option<Attr>,
    pub format: Option<String>,
    pub industry: String,
    pub security_level: Option<String>,
    pub update_frequency: Option<String>,
    pub published_rev: Option<i64>,
    pub published_at: Option<String>,
    pub working: Option<WorkingSummary>,
}

/// Where an entry's working revision stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct WorkingSummary {
    pub rev: i64,
    pub state: RevisionState,
    pub kind: String,
    pub step: Option<Step>,
    pub submitted_at: Option<String>,
    pub review_due: Option<NaiveDate>,
    pub overdue: bool,
    pub downgrade: bool,
}

/// A review decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ReviewView {
    pub rev: i64,
    pub step: Step,
    /// `pass` or `return`.
    pub decision: String,
    pub actor: String,
    pub reason: String,
    pub decided_at: String,
}

/// One revision in an entry's history, with what changed from the revision before it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HistoryEntry {
    pub rev: i64,
    pub state: RevisionState,
    pub kind: String,
    pub note: String,
    /// Why it reclassified the data (SYS-11e).
    pub reclassification: Option<ReclassificationReason>,
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub published_at: Option<String>,
    pub changes: Vec<FieldChange>,
    pub reviews: Vec<ReviewView>,
}
