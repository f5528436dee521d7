//! Sharing (共享): what an application must say, where it goes by the entry's share attribute and the profile,
//! what a grant lets a call do, and how values leave the platform masked. Pure rules; the service applies them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::catalog::attrs::{Attr, ShareCondition, ShareOp};
use crate::catalog::entry::{IdentifierKind, Item, ResourceContent, SecurityLevel};
use crate::catalog::vocabulary;
use crate::{FieldIssue, Invalid};

vocabulary! {
    /// Where an application stands.
    ApplicationState {
        /// The provider answers (有条件共享).
        ProviderReview = "provider_review", "待提供部门审核", "awaiting the provider";
        /// The authority checks it (无条件共享 under SYS-27b, YZ-15a).
        AuthorityReview = "authority_review", "待主管部门审核", "awaiting the authority";
        /// With the consumer's own district authority, which passes a cross-level application on (FS-27).
        Forwarding = "forwarding", "待本级主管部门汇总报送", "with the consumer's authority, to be forwarded";
        /// With the city authority after forwarding (FS-27); then the usual route.
        CityReview = "city_review", "待市级主管部门审核", "with the city authority";
        /// Approved, but copying data out waits for the authority's consent (LS-17c).
        Consent = "consent", "待主管部门同意批量交换", "awaiting the authority's consent to batch delivery";
        Approved = "approved", "已授权", "approved";
        Refused = "refused", "不予同意", "refused";
    }
}

vocabulary! {
    /// How granted data reaches the consumer (LS-17b: request-response by default).
    DeliveryMode {
        Api = "api", "接口调用（请求响应）", "API calls (request-response)";
        Batch = "batch", "批量交换", "batch delivery";
        /// Each new version's changes posted to the consumer's endpoint (数据推送, CS-21c).
        Push = "push", "数据推送", "data push";
    }
}

vocabulary! {
    /// The kind of instrument a refusal rests on (FS-08a: statutory grounds only, where the regime says so).
    RefusalGround {
        Law = "law", "法律", "law";
        AdministrativeRegulation = "administrative_regulation", "行政法规", "administrative regulation";
        LocalRegulation = "local_regulation", "地方性法规", "local regulation";
        Rule = "rule", "规章", "rule";
        /// 部门内部管理办法: named so that a refusal resting on it is answered with why it cannot.
        InternalRule = "internal_rule", "部门内部管理办法", "internal departmental rule";
    }
}

vocabulary! {
    GrantState {
        Active = "active", "有效", "active";
        /// Ordered to rectify (督促整改, SYS-31b): still in force until it is suspended or restored.
        Rectification = "rectification", "整改中", "under rectification";
        Suspended = "suspended", "已暂停", "suspended";
        Terminated = "terminated", "已终止", "terminated";
    }
}

vocabulary! {
    /// Why a call was refused (SYS-31a: 超范围、超用途).
    Denial {
        NoGrant = "no_grant", "无有效授权", "no grant";
        OverScope = "over_scope", "超出授权范围", "outside the grant's items or operations";
        OverPurpose = "over_purpose", "超出授权用途", "outside the grant's scenario";
        /// A call by another way than the grant's delivery mode: records under a batch grant, a batch under an API
        /// grant (YZ-15b: the grant names its mode, and nothing more).
        ModeNotGranted = "mode_not_granted", "授权的共享方式不含此调用", "the grant's delivery mode does not cover this call";
        Expired = "expired", "授权已过期或未生效", "the grant is expired or not yet in force";
        Suspended = "suspended", "授权已暂停或终止", "the grant is suspended or terminated";
        /// The entry changed since the grant (not shared any more, conditions or items narrowed).
        Withdrawn = "withdrawn", "目录已调整，授权不再适用", "the entry changed and the grant no longer applies";
        /// A consent-based grant, and the subject has not consented (or revoked) its use here (FS-31a).
        NoConsent = "no_consent", "数据主体未授权同意该用途", "the subject has not consented to this use";
    }
}

impl DeliveryMode {
    /// Whether the consumer ends up holding a copy of the data (batch files, pushed rows) rather than answers to
    /// calls: it must obtain, and where the regime says so the authority consents (LS-17c).
    pub fn copies_out(self) -> bool {
        matches!(self, DeliveryMode::Batch | DeliveryMode::Push)
    }
}

/// How a regime routes applications and answers them; regulations differ, so each profile says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingProfile {
    /// An application for unconditional data: granted at once (FS-26a, LS-18b, CS-22b) or checked by the
    /// authority first (SYS-27b, YZ-15a).
    pub unconditional: UnconditionalRoute,
    /// A refusal cites a basis as well as its reasons (CS-22c, FS-08a).
    pub refusal_needs_basis: bool,
    /// That basis is a law, administrative regulation, local regulation or rule, named by its kind; a department's
    /// internal rule is no ground (FS-08a).
    pub refusal_grounds_statutory: bool,
    /// Batch delivery (copying data out) waits for the authority's consent (LS-17c).
    pub batch_needs_consent: bool,
    /// An application states its use logic (FS-08b: 数据使用场景和逻辑).
    pub application_use_logic: bool,
    /// An application carries the applicant's undertaking to use the data only as stated and pass it to no third
    /// party (LS-19b, YZ-16).
    pub application_undertaking: bool,
    /// Every sharing-API call names the grant it is made under (LS-19b, YZ-16); elsewhere a token holding one grant on
    /// the resource may leave it out.
    pub calls_name_grant: bool,
    /// Who reviews a data demand: the provider (SYS-32b) or the authority, which negotiates with the departments
    /// (YZ-15c, FS 第四十七条).
    pub demand_reviewer: DemandReviewer,
    /// An application from a department of another region or level goes through the consumer's own authority,
    /// then the city's, before the usual route (FS-27).
    pub cross_level_via_authority: bool,
    /// Who decides a dispute the authority could not settle (SYS-29b: 本级政府; FS-26c: the 决策委员会); empty where
    /// the regime has no dispute procedure.
    pub dispute_decider: String,
    pub dispute_decider_en: String,
    /// When a system's use of the sharing API is anomalous (SYS-31a, YZ-27d).
    pub anomaly: crate::anomaly::Thresholds,
    /// Exchange channels outside the platform: what becomes of those built, who approves an exception (LS-17a,
    /// CS-22e, FS-25b).
    pub channels: crate::channels::ChannelProfile,
    /// Whether data obtained through sharing may be shared on or opened by its consumer, and on whose say.
    pub onward: OnwardRule,
    /// A record served carries the granted items that fail the entry's rules as published now, so the consumer
    /// checks data as it uses it (FS-30a: 使用时校验).
    pub records_carry_validation: bool,
    /// An application from a department outside a restricted entry's named departments goes to the provider to
    /// decide (LS-18c), rather than being refused at once.
    pub out_of_scope_to_provider: bool,
    /// An application's scenario is one of the applying department's registered core business items, or a
    /// published pre-approved scenario (LS-19a: 先进行核心业务梳理).
    pub scenario_from_business_items: bool,
}

/// Data a department obtained through sharing, offered on by it (in an entry of its own that is shared or open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnwardRule {
    /// With the providing department's consent (SYS-33b: 经数据提供部门同意).
    ProviderConsent,
    /// With the authority's approval (CS-22f: 未经批准…不得提供).
    AuthorityApproval,
    /// Never (FS-32, LS-19b: 不得以任何形式提供给第三方).
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandReviewer {
    Provider,
    Authority,
}

vocabulary! {
    /// Where a data demand stands (SYS-32).
    DemandState {
        ProviderReview = "provider_review", "待审核", "awaiting review";
        /// The data is cataloged already: apply for it.
        Accepted = "accepted", "已同意（请申请共享）", "accepted (apply for it)";
        /// Reasonable, not yet cataloged: the provider publishes and mounts it within the regime's days.
        Cataloging = "cataloging", "已同意，待编目挂接", "accepted, to be cataloged and mounted";
        Rejected = "rejected", "已驳回", "rejected";
        Fulfilled = "fulfilled", "已编目挂接", "cataloged and mounted";
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnconditionalRoute {
    Grant,
    Authority,
}

/// What a consumer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub consumer_department_id: i64,
    pub provider_department_id: i64,
    pub scenario: &'a str,
    pub basis: &'a str,
    pub purpose: &'a str,
    pub items: &'a [String],
    pub ops: &'a [ShareOp],
    pub mode: DeliveryMode,
    /// Days the grant would run from its start.
    pub days: i64,
    /// The use logic, where the regime asks for it (FS-08b); `None` where it does not.
    pub use_logic: Option<&'a str>,
    /// The applicant's undertaking, where the regime asks for it (LS-19b); `None` where it does not.
    pub undertaking: Option<bool>,
    /// The provider decides on a department outside the entry's named departments (LS-18c): that condition is
    /// not checked, every other one is.
    pub beyond_scope: bool,
}

fn issue(field: &str, zh: impl Into<String>, en: impl Into<String>) -> FieldIssue {
    FieldIssue { field: field.into(), message: zh.into(), message_en: en.into() }
}

/// Checks an application against the published entry: data not shared cannot be applied for (LS-18d, FS-13d,
/// YZ-14e); the scenario, the basis and the purpose are stated (SYS-27a, LS-16c, CS-21d, FS-08b); items and
/// operations are the entry's and within its conditions (CS-21b, FS-13b, FS-14b–e).
pub fn check_request(content: &ResourceContent, req: &Request<'_>) -> Result<(), Invalid> {
    let attr = content.effective_share_attr();
    if attr == Attr::None {
        return Err(Invalid::new(
            "non_share_entry",
            "该资源为不予共享，不能申请；如确有需要，请提出数据需求或与提供部门协商",
            "This resource is not shared and cannot be applied for: file a data demand or negotiate with the provider",
        ));
    }
    if req.consumer_department_id == req.provider_department_id {
        return Err(Invalid::new("share_own_data", "本部门的数据无需申请共享", "A department does not apply for its own data"));
    }
    let mut issues = Vec::new();
    for (field, value, zh, en) in [
        ("scenario", req.scenario, "请填写应用场景", "State the application scenario"),
        ("basis", req.basis, "请填写申请依据（法律法规依据或履职需要）", "State the legal or duty basis"),
        ("purpose", req.purpose, "请填写使用用途", "State what the data is used for"),
    ] {
        if value.trim().is_empty() {
            issues.push(issue(field, zh, en));
        } else if value.chars().count() > 500 {
            issues.push(issue(field, "不超过500个字", "At most 500 characters"));
        }
    }
    if let Some(logic) = req.use_logic {
        if logic.trim().is_empty() {
            issues.push(issue("use_logic", "请说明数据使用逻辑（如何使用所需数据完成业务）", "State the use logic: how the data serves the business"));
        } else if logic.chars().count() > 2000 {
            issues.push(issue("use_logic", "不超过2000个字", "At most 2000 characters"));
        }
    }
    if req.undertaking == Some(false) {
        issues.push(issue(
            "undertaking",
            "请承诺所获数据仅用于本部门履职和所述用途，不直接或以改变数据形式等方式提供给第三方",
            "Undertake to use the data only for your duties and the stated purpose, and to pass it to no third party in any form",
        ));
    }
    if req.items.is_empty() {
        issues.push(issue("items", "请选择所需的数据项（最小必要）", "Choose the items needed (no more than necessary)"));
    }
    let mut seen = BTreeSet::new();
    for (i, name) in req.items.iter().enumerate() {
        if !content.items.iter().any(|it| &it.name == name) {
            issues.push(issue(&format!("items[{i}]"), format!("目录没有数据项“{name}”"), format!("The entry has no item '{name}'")));
        } else if !seen.insert(name) {
            issues.push(issue(&format!("items[{i}]"), format!("数据项“{name}”重复"), format!("Item '{name}' is listed twice")));
        }
    }
    if req.ops.is_empty() {
        issues.push(issue("ops", "请选择数据操作（查阅、比对、获取或统计）", "Choose the operations (view, compare, obtain or stats)"));
    }
    for (i, op) in req.ops.iter().enumerate() {
        if !content.sharing.ops.is_empty() && !content.sharing.ops.contains(op) {
            issues.push(issue(&format!("ops[{i}]"), format!("该资源不提供“{}”操作", op.label()), format!("The resource does not offer '{}'", op.as_str())));
        }
    }
    if req.mode.copies_out() && !req.ops.contains(&ShareOp::Obtain) {
        issues.push(issue("mode", "批量交换和数据推送须申请“获取”操作", "Batch delivery and data push need the obtain operation"));
    }
    // A batch file is traced by the order of its keys, and pushed changes are rows by key: both carry the key.
    if req.mode.copies_out() && !content.items.iter().any(|i| i.is_key && req.items.contains(&i.name)) {
        issues.push(issue("items", "批量交换和数据推送须包含主键数据项", "Batch delivery and data push include the key item"));
    }
    if req.days < 1 || req.days > 3660 {
        issues.push(issue("expires_on", "授权期限须在1天至10年之间", "A grant runs from 1 day to 10 years"));
    }
    if let Some(months) = content.sharing.period_months {
        if req.days > i64::from(months) * 31 {
            issues.push(issue("expires_on", format!("超过目录规定的共享期限{months}个月"), format!("Longer than the entry's sharing period of {months} months")));
        }
    }
    if attr == Attr::Conditional {
        for condition in &content.sharing.conditions {
            condition_issues(condition, req, &mut issues);
        }
        // 仅可查阅 / 仅可比对 / 仅提供统计 each allow one operation; stated together, any of them.
        let allowed: Vec<ShareOp> = content
            .sharing
            .conditions
            .iter()
            .filter_map(|c| match c {
                ShareCondition::ViewOnly { .. } => Some(ShareOp::View),
                ShareCondition::CompareOnly { .. } => Some(ShareOp::Compare),
                ShareCondition::StatisticsOnly { .. } => Some(ShareOp::Stats),
                _ => None,
            })
            .collect();
        if !allowed.is_empty() && req.ops.iter().any(|o| !allowed.contains(o)) {
            let names: Vec<&str> = allowed.iter().map(|o| o.label()).collect();
            let names_en: Vec<&str> = allowed.iter().map(|o| o.as_str()).collect();
            issues.push(issue("ops", format!("该资源的共享条件只允许：{}", names.join("、")), format!("The resource's conditions allow only: {}", names_en.join(", "))));
        }
    }
    if issues.is_empty() {
        return Ok(());
    }
    let mut invalid = Invalid::new("invalid_application", "申请有误，请按提示修改", "The application has problems: fix each one listed");
    invalid.fields = issues;
    Err(invalid)
}

fn condition_issues(condition: &ShareCondition, req: &Request<'_>, issues: &mut Vec<FieldIssue>) {
    match condition {
        ShareCondition::SpecificDepartments { department_ids, .. } if !req.beyond_scope && !department_ids.contains(&req.consumer_department_id) => {
            issues.push(issue("consumer", "该资源仅向指定部门共享，本部门不在其列", "The resource is shared with named departments only, and yours is not one"));
        }
        ShareCondition::PartialItems { items, .. } => {
            for name in req.items {
                if !items.contains(name) {
                    issues.push(issue("items", format!("数据项“{name}”不在可共享的部分数据项之内"), format!("Item '{name}' is not among the items shared")));
                }
            }
        }
        _ => {}
    }
}

/// Whether a grant of `items` and `ops` to `consumer` still fits the entry as published now: it is still shared,
/// its items are still the entry's, and its conditions still allow them (a provider may narrow an entry later).
/// `beyond_scope`: the grant was made on the provider's decision for a department outside the named ones (LS-18c).
pub fn grant_still_fits(content: &ResourceContent, consumer: i64, provider: i64, items: &[String], ops: &[ShareOp], mode: DeliveryMode, beyond_scope: bool) -> bool {
    let req = Request { consumer_department_id: consumer, provider_department_id: provider, scenario: "-", basis: "-", purpose: "-", items, ops, mode, days: 1, use_logic: None, undertaking: None, beyond_scope };
    check_request(content, &req).is_ok()
}

/// The items a statistic may group by: enumerated items (the catalog lists their values) and yes/no items, never
/// keys or identifiers. Every grant's statistics come from one table over all of them, so two grants with
/// different items cannot be differenced against each other.
pub fn stats_dimensions(content: &ResourceContent) -> Vec<&Item> {
    use crate::catalog::entry::ItemType;
    content
        .items
        .iter()
        .filter(|i| !i.is_key && i.identifier == IdentifierKind::None && (!i.values.is_empty() || i.data_type == ItemType::Boolean))
        .collect()
}

/// The numeric items a statistic may sum.
pub fn stats_measures(content: &ResourceContent) -> Vec<&Item> {
    use crate::catalog::entry::ItemType;
    content.items.iter().filter(|i| !i.is_key && matches!(i.data_type, ItemType::Integer | ItemType::Decimal)).collect()
}

/// A pre-approved scenario (LS-19c, FS-28) as an application is matched against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub department_ids: Vec<i64>,
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
}

/// Whether an application lies within the scenario: the same scenario, a participating department, and no item
/// or operation beyond it, by API (LS-19c: one extra item sends it to the normal review).
pub fn within(scenario: &Scenario, req: &Request<'_>) -> bool {
    scenario.name == req.scenario.trim()
        && scenario.department_ids.contains(&req.consumer_department_id)
        && req.mode == DeliveryMode::Api
        && req.items.iter().all(|i| scenario.items.contains(i))
        && req.ops.iter().all(|o| scenario.ops.contains(o))
}

/// Where a new application goes: to the provider (conditional), to the authority, or granted at once.
pub fn route(attr: Attr, mode: DeliveryMode, profile: &SharingProfile) -> ApplicationState {
    match (attr, profile.unconditional) {
        (Attr::Unconditional, UnconditionalRoute::Grant) => after_approval(mode, profile),
        (Attr::Unconditional, UnconditionalRoute::Authority) => ApplicationState::AuthorityReview,
        _ => ApplicationState::ProviderReview,
    }
}

/// Where an application from another region or level starts where the regime routes those through the authorities
/// (FS-27): with the consumer's own district authority when it has one, else the city's; and the region holding it.
/// `None` when nothing crosses: the same region, or a consumer at the city level.
pub fn cross_level_start(consumer_region: i64, provider_region: i64, city_region: i64, consumer_region_has_authority: bool) -> Option<(ApplicationState, i64)> {
    if consumer_region == provider_region || consumer_region == city_region {
        None
    } else if consumer_region_has_authority {
        Some((ApplicationState::Forwarding, consumer_region))
    } else {
        Some((ApplicationState::CityReview, city_region))
    }
}

/// Where an application goes once the city authority has passed a cross-level one on (FS-27): the usual route, save
/// that an authority check is the one just made.
pub fn after_city_review(attr: Attr, mode: DeliveryMode, profile: &SharingProfile) -> ApplicationState {
    match route(attr, mode, profile) {
        ApplicationState::AuthorityReview => after_approval(mode, profile),
        other => other,
    }
}

/// Where an approved application goes: to the authority's consent for batch delivery where the regime says so.
pub fn after_approval(mode: DeliveryMode, profile: &SharingProfile) -> ApplicationState {
    if mode.copies_out() && profile.batch_needs_consent {
        ApplicationState::Consent
    } else {
        ApplicationState::Approved
    }
}

/// What a grant gives: the elements an approver fixes (FS-29a: 核定应用业务、使用对象、所需数据、共享模式、截止时间).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elements {
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    /// The consumer's calling systems; none: any of its department's tokens.
    pub token_ids: Vec<i64>,
    pub starts_at_us: i64,
    /// The first instant no longer in force.
    pub expires_at_us: i64,
}

/// What an approver narrows; `None` keeps what was applied for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrowing<'a> {
    pub items: Option<&'a [String]>,
    pub ops: Option<&'a [ShareOp]>,
    pub token_ids: Option<&'a [i64]>,
    pub expires_at_us: Option<i64>,
}

/// The elements an approver fixes, on the least authorization (FS-29a): each one given is within what was applied
/// for — fewer items or operations, named systems, an earlier end — and never more; a grant copying data out keeps
/// the obtain operation. Every problem is named.
pub fn narrow(applied: &Elements, mode: DeliveryMode, n: &Narrowing<'_>) -> Result<Elements, Invalid> {
    let mut issues = Vec::new();
    let mut out = applied.clone();
    if let Some(items) = n.items {
        if items.is_empty() {
            issues.push(issue("items", "核定的数据项不能为空", "Fix at least one item"));
        }
        let mut seen = BTreeSet::new();
        for (i, name) in items.iter().enumerate() {
            if !applied.items.contains(name) || !seen.insert(name) {
                issues.push(issue(&format!("items[{i}]"), format!("数据项“{name}”不在申请范围内或重复"), format!("Item '{name}' was not applied for, or is repeated")));
            }
        }
        out.items = items.to_vec();
    }
    if let Some(ops) = n.ops {
        if ops.is_empty() {
            issues.push(issue("ops", "核定的数据操作不能为空", "Fix at least one operation"));
        }
        for (i, op) in ops.iter().enumerate() {
            if !applied.ops.contains(op) {
                issues.push(issue(&format!("ops[{i}]"), format!("未申请“{}”操作", op.label()), format!("'{}' was not applied for", op.as_str())));
            }
        }
        if mode.copies_out() && !ops.contains(&ShareOp::Obtain) {
            issues.push(issue("ops", "批量交换和数据推送须保留“获取”操作", "Batch delivery and data push keep the obtain operation"));
        }
        out.ops = ops.to_vec();
    }
    if let Some(tokens) = n.token_ids {
        // No systems named means any of the department's: wider than an application that named some.
        if !applied.token_ids.is_empty() && (tokens.is_empty() || tokens.iter().any(|t| !applied.token_ids.contains(t))) {
            issues.push(issue("token_ids", "核定的使用对象须在申请的调用系统之内", "The systems fixed are among those applied for"));
        }
        out.token_ids = tokens.to_vec();
    }
    if let Some(end) = n.expires_at_us {
        if end <= applied.starts_at_us || end > applied.expires_at_us {
            issues.push(issue("expires_on", "核定的截止时间须在授权开始之后、申请的期限之内", "The end fixed is after the start and no later than applied for"));
        }
        out.expires_at_us = end;
    }
    if issues.is_empty() {
        return Ok(out);
    }
    let mut invalid = Invalid::new("invalid_approval", "核定的授权要素超出申请范围，请按提示修改", "The grant fixed goes beyond the application: fix each one listed");
    invalid.fields = issues;
    Err(invalid)
}

/// A refusal gives its reasons (SYS-27c), and its basis where the regime says so (CS-22c, FS-08a).
pub fn check_refusal(reason: &str, basis: &str, ground: Option<RefusalGround>, profile: &SharingProfile) -> Result<(), Invalid> {
    if reason.trim().is_empty() {
        return Err(Invalid::new("refusal_reason", "不同意共享的，应当说明具体原因", "A refusal states its reasons"));
    }
    if profile.refusal_needs_basis && basis.trim().is_empty() {
        return Err(Invalid::new("refusal_basis", "不同意共享的，应当说明法律法规依据", "A refusal cites its legal basis"));
    }
    if ground == Some(RefusalGround::InternalRule) {
        return Err(Invalid::new(
            "refusal_basis_internal",
            "部门内部管理办法不能作为不予共享的依据：须依据法律、行政法规、地方性法规或规章",
            "An internal departmental rule is no ground for refusing: cite a law, administrative regulation, local regulation or rule",
        ));
    }
    if profile.refusal_grounds_statutory && ground.is_none() {
        return Err(Invalid::new(
            "refusal_ground",
            "请选择不予共享所依据的法律、行政法规、地方性法规或规章",
            "Choose the kind of law, regulation or rule the refusal rests on",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod cross_level {
    use super::*;

    #[test]
    fn fs_27_a_district_consumer_goes_through_its_authority_then_the_city() {
        let (city, district, other) = (1, 2, 3);
        assert_eq!(cross_level_start(district, city, city, true), Some((ApplicationState::Forwarding, district)));
        assert_eq!(cross_level_start(district, other, city, false), Some((ApplicationState::CityReview, city)), "no district authority");
        assert_eq!(cross_level_start(district, district, city, true), None, "same region");
        assert_eq!(cross_level_start(city, district, city, true), None, "the city level asks directly");
    }
}

/// What an approved application allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub items: Vec<String>,
    pub ops: Vec<ShareOp>,
    pub mode: DeliveryMode,
    pub scenario: String,
    pub state: GrantState,
    pub starts_at_us: i64,
    pub expires_at_us: i64,
}

/// One call of the sharing API, as the grant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call<'a> {
    /// The operations any one of which the call needs.
    pub needs: &'a [ShareOp],
    pub items: &'a [String],
    pub batch: bool,
    /// The scenario the caller names, if any.
    pub scenario: Option<&'a str>,
    pub now_us: i64,
}

/// Whether `grant` allows `call`, and if not, why (SYS-31a; FS-08c, FS-29b).
pub fn allows(grant: &Grant, call: &Call<'_>) -> Result<(), Denial> {
    if !matches!(grant.state, GrantState::Active | GrantState::Rectification) {
        return Err(Denial::Suspended);
    }
    if call.now_us < grant.starts_at_us || call.now_us >= grant.expires_at_us {
        return Err(Denial::Expired);
    }
    if call.scenario.is_some_and(|s| s != grant.scenario) {
        return Err(Denial::OverPurpose);
    }
    // A batch grant copies files out, a push grant receives changes, an API grant answers calls: each only its own.
    if call.batch != (grant.mode == DeliveryMode::Batch) || grant.mode == DeliveryMode::Push {
        return Err(Denial::ModeNotGranted);
    }
    if !call.needs.iter().any(|op| grant.ops.contains(op)) || call.items.iter().any(|i| !grant.items.contains(i)) {
        return Err(Denial::OverScope);
    }
    Ok(())
}

/// The day a grant last used on `last_used` (or made then) becomes idle: `months` calendar months on (SYS-31a:
/// last call 01-10, idle on 04-10).
pub fn idle_on(last_used: chrono::NaiveDate, months: u32) -> chrono::NaiveDate {
    last_used.checked_add_months(chrono::Months::new(months)).unwrap_or(chrono::NaiveDate::MAX)
}

/// An item whose values are masked unless the grant obtains them: identifying numbers, and items graded three
/// or higher.
pub fn sensitive(item: &Item) -> bool {
    matches!(item.identifier, IdentifierKind::CitizenId | IdentifierKind::Phone)
        || matches!(item.level, Some(SecurityLevel::L3 | SecurityLevel::L4 | SecurityLevel::Important | SecurityLevel::Core))
}

/// A value as a grant with `ops` may see it: in full where the grant obtains data, else masked if the item is
/// sensitive — citizen IDs keep the first 6 and last 4 characters, phones the first 3 and last 4, other values
/// their first character.
pub fn masked<'a>(item: &Item, value: &'a str, ops: &[ShareOp]) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    if ops.contains(&ShareOp::Obtain) || !sensitive(item) {
        return Cow::Borrowed(value);
    }
    let (head, tail) = match item.identifier {
        IdentifierKind::CitizenId => (6, 4),
        IdentifierKind::Phone => (3, 4),
        _ => (1, 0),
    };
    let chars = value.chars().count();
    if chars <= head + tail {
        return Cow::Owned("*".repeat(chars));
    }
    // Byte offsets of the kept head's end and the kept tail's start (values may be Chinese text).
    let at = |n: usize| value.char_indices().nth(n).map_or(value.len(), |(i, _)| i);
    let mut out = String::with_capacity(value.len());
    out.push_str(&value[..at(head)]);
    out.extend(std::iter::repeat_n('*', chars - head - tail));
    out.push_str(&value[at(chars - tail)..]);
    Cow::Owned(out)
}

/// One cell of the table a statistics grant describes: a value for each of its dimensions, how many records have
/// them, and the sums of its measures over those records.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub dims: Vec<Option<String>>,
    pub count: u64,
    pub sums: Vec<f64>,
}

/// The table's cells that may be released: those describing at least k records. Every answer is a sum of these
/// cells, so no answer — and no difference of answers — depends on a withheld cell (FS-14e; k: min_group_size).
#[derive(Debug, Clone, PartialEq)]
pub struct Released {
    pub cells: Vec<Cell>,
    /// How many cells were withheld (their sizes are not told).
    pub withheld: usize,
}

pub fn release(cells: Vec<Cell>, k: u64) -> Released {
    let before = cells.len();
    let cells: Vec<Cell> = cells.into_iter().filter(|c| c.count >= k.max(1)).collect();
    Released { withheld: before - cells.len(), cells }
}

/// The released cells matching `filters` (dimension index, value), summed by the dimensions `group_by` (indices),
/// ordered by their values.
pub fn aggregate(released: &Released, group_by: &[usize], filters: &[(usize, String)]) -> Vec<Cell> {
    let mut groups: std::collections::BTreeMap<Vec<Option<String>>, Cell> = std::collections::BTreeMap::new();
    for cell in &released.cells {
        if filters.iter().any(|(d, v)| cell.dims[*d].as_deref() != Some(v.as_str())) {
            continue;
        }
        let key: Vec<Option<String>> = group_by.iter().map(|d| cell.dims[*d].clone()).collect();
        let g = groups.entry(key.clone()).or_insert_with(|| Cell { dims: key, count: 0, sums: vec![0.0; cell.sums.len()] });
        g.count += cell.count;
        for (s, v) in g.sums.iter_mut().zip(&cell.sums) {
            *s += v;
        }
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(attr: Attr) -> ResourceContent {
        let mut c: ResourceContent = serde_json::from_value(serde_json::json!({
            "name": "户籍人口", "items": [
                {"name": "zjhm", "label": "公民身份号码", "data_type": "string", "is_key": true, "identifier": "citizen_id"},
                {"name": "xm", "label": "姓名", "data_type": "string", "level": "l3"},
                {"name": "xb", "label": "性别", "data_type": "string"},
                {"name": "lxdh", "label": "联系电话", "data_type": "string", "identifier": "phone"}
            ],
            "sharing": {"ops": ["view", "compare", "obtain", "stats"]}
        }))
        .unwrap();
        c.sharing.attr = Some(attr);
        c
    }

    /// A profile granting unconditional data at once and asking nothing more of applications or refusals.
    fn profile() -> SharingProfile {
        SharingProfile {
            unconditional: UnconditionalRoute::Grant,
            refusal_needs_basis: false,
            refusal_grounds_statutory: false,
            batch_needs_consent: true,
            application_use_logic: false,
            application_undertaking: false,
            calls_name_grant: false,
            demand_reviewer: DemandReviewer::Provider,
            cross_level_via_authority: false,
            dispute_decider: String::new(),
            dispute_decider_en: String::new(),
            anomaly: Default::default(),
            channels: crate::channels::ChannelProfile { existing: crate::channels::ChannelFate::Integrate, exception_approver: crate::channels::ExceptionApprover::Authority },
            onward: OnwardRule::ProviderConsent,
            records_carry_validation: false,
            out_of_scope_to_provider: false,
            scenario_from_business_items: false,
        }
    }

    fn request<'a>(items: &'a [String], ops: &'a [ShareOp]) -> Request<'a> {
        Request {
            consumer_department_id: 2,
            provider_department_id: 1,
            scenario: "低保资格审核",
            basis: "《社会救助暂行办法》第十一条",
            purpose: "核对申请人户籍",
            items,
            ops,
            mode: DeliveryMode::Api,
            days: 365,
            use_logic: None,
            undertaking: None,
            beyond_scope: false,
        }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ls_18d_fs_13d_yz_14e_data_not_shared_cannot_be_applied_for() {
        let items = names(&["zjhm"]);
        let err = check_request(&content(Attr::None), &request(&items, &[ShareOp::View])).unwrap_err();
        assert_eq!(err.code, "non_share_entry");
        assert!(check_request(&content(Attr::Conditional), &request(&items, &[ShareOp::View])).is_ok());
    }

    #[test]
    fn sys_27a_ls_16c_an_application_states_scenario_basis_purpose_and_known_items() {
        let items = names(&["zjhm", "nope", "zjhm"]);
        let mut r = request(&items, &[]);
        r.basis = " ";
        let err = check_request(&content(Attr::Conditional), &r).unwrap_err();
        let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["basis", "items[1]", "items[2]", "ops"], "{err:?}");
    }

    #[test]
    fn fs_14b_fs_14c_conditions_limit_who_applies_and_what_for() {
        let items = names(&["zjhm", "xm"]);
        let mut c = content(Attr::Conditional);
        c.sharing.conditions = vec![ShareCondition::SpecificDepartments { department_ids: vec![7], use_purpose: String::new() }];
        assert_eq!(check_request(&c, &request(&items, &[ShareOp::View])).unwrap_err().fields[0].field, "consumer");
        c.sharing.conditions = vec![ShareCondition::CompareOnly { compare_method: "核验".into(), use_purpose: String::new() }];
        assert!(check_request(&c, &request(&items, &[ShareOp::Compare])).is_ok());
        assert_eq!(check_request(&c, &request(&items, &[ShareOp::Obtain])).unwrap_err().fields[0].field, "ops");
        c.sharing.conditions.push(ShareCondition::ViewOnly { view_method: "平台内查阅".into(), use_purpose: String::new() });
        assert!(check_request(&c, &request(&items, &[ShareOp::View, ShareOp::Compare])).is_ok(), "either of two stated operations");
        assert_eq!(check_request(&c, &request(&items, &[ShareOp::Stats])).unwrap_err().fields[0].field, "ops");
        assert!(grant_still_fits(&c, 2, 1, &items, &[ShareOp::View], DeliveryMode::Api, false));
        c.sharing.attr = Some(Attr::None);
        assert!(!grant_still_fits(&c, 2, 1, &items, &[ShareOp::View], DeliveryMode::Api, false), "not shared any more");
        c.sharing.attr = Some(Attr::Conditional);
        let only_name = names(&["xm"]);
        let mut batch = request(&only_name, &[ShareOp::Obtain]);
        batch.mode = DeliveryMode::Batch;
        c.sharing.conditions.clear();
        assert_eq!(check_request(&c, &batch).unwrap_err().fields[0].field, "items", "a batch carries the key");
        c.sharing.conditions = vec![ShareCondition::PartialItems { items: names(&["zjhm"]), use_purpose: String::new() }];
        assert_eq!(check_request(&c, &request(&items, &[ShareOp::View])).unwrap_err().fields[0].field, "items");
    }

    #[test]
    fn routing_follows_the_attribute_and_the_profile() {
        let grant = profile();
        let authority = SharingProfile { unconditional: UnconditionalRoute::Authority, ..grant.clone() };
        assert_eq!(route(Attr::Unconditional, DeliveryMode::Api, &grant), ApplicationState::Approved);
        assert_eq!(route(Attr::Unconditional, DeliveryMode::Batch, &grant), ApplicationState::Consent, "LS-17c");
        assert_eq!(route(Attr::Unconditional, DeliveryMode::Api, &authority), ApplicationState::AuthorityReview);
        assert_eq!(route(Attr::Conditional, DeliveryMode::Api, &grant), ApplicationState::ProviderReview);
        assert_eq!(after_city_review(Attr::Unconditional, DeliveryMode::Api, &authority), ApplicationState::Approved, "the city authority has just checked it");
        assert_eq!(after_city_review(Attr::Conditional, DeliveryMode::Api, &authority), ApplicationState::ProviderReview);
        assert_eq!(check_refusal("", "", None, &grant).unwrap_err().code, "refusal_reason");
        let cs = SharingProfile { refusal_needs_basis: true, ..grant };
        assert_eq!(check_refusal("涉及个人隐私", "", None, &cs).unwrap_err().code, "refusal_basis");
        assert!(check_refusal("涉及个人隐私", "《个人信息保护法》第三十四条", None, &cs).is_ok());
    }

    #[test]
    fn ls_19c_an_application_within_a_scenario_matches_and_one_extra_item_does_not() {
        let sc = Scenario { name: "低保资格审核".into(), department_ids: vec![2], items: names(&["zjhm", "xm"]), ops: vec![ShareOp::View] };
        let items = names(&["zjhm"]);
        assert!(within(&sc, &request(&items, &[ShareOp::View])));
        let more = names(&["zjhm", "lxdh"]);
        assert!(!within(&sc, &request(&more, &[ShareOp::View])), "an extra item");
        assert!(!within(&sc, &request(&items, &[ShareOp::Obtain])), "another operation");
        let mut other = request(&items, &[ShareOp::View]);
        other.consumer_department_id = 3;
        assert!(!within(&sc, &other), "not a participant");
    }

    #[test]
    fn sys_31a_a_call_outside_its_grant_is_refused_with_why() {
        let g = Grant {
            items: names(&["zjhm", "xm"]),
            ops: vec![ShareOp::View],
            mode: DeliveryMode::Api,
            scenario: "低保资格审核".into(),
            state: GrantState::Active,
            starts_at_us: 100,
            expires_at_us: 200,
        };
        let items = names(&["zjhm"]);
        let call = Call { needs: &[ShareOp::View, ShareOp::Obtain], items: &items, batch: false, scenario: None, now_us: 150 };
        assert_eq!(allows(&g, &call), Ok(()));
        assert_eq!(allows(&g, &Call { needs: &[ShareOp::Compare], ..call.clone() }), Err(Denial::OverScope));
        let other = names(&["lxdh"]);
        assert_eq!(allows(&g, &Call { items: &other, ..call.clone() }), Err(Denial::OverScope));
        assert_eq!(allows(&g, &Call { scenario: Some("招商引资"), ..call.clone() }), Err(Denial::OverPurpose));
        assert_eq!(allows(&g, &Call { now_us: 200, ..call.clone() }), Err(Denial::Expired));
        assert_eq!(allows(&Grant { state: GrantState::Suspended, ..g.clone() }, &call), Err(Denial::Suspended));
    }

    #[test]
    fn fs_08a_a_refusal_rests_on_a_statutory_ground_never_an_internal_rule() {
        let fs = SharingProfile { refusal_needs_basis: true, refusal_grounds_statutory: true, ..profile() };
        let basis = "《佛山市公安局数据管理办法》第五条";
        assert_eq!(check_refusal("涉及个人隐私", basis, Some(RefusalGround::InternalRule), &fs).unwrap_err().code, "refusal_basis_internal");
        assert_eq!(check_refusal("涉及个人隐私", basis, None, &fs).unwrap_err().code, "refusal_ground");
        assert!(check_refusal("涉及个人隐私", "《中华人民共和国个人信息保护法》第三十四条", Some(RefusalGround::Law), &fs).is_ok());
        let lenient = SharingProfile { refusal_grounds_statutory: false, ..fs };
        assert!(check_refusal("涉及个人隐私", basis, None, &lenient).is_ok());
        assert_eq!(check_refusal("涉及个人隐私", basis, Some(RefusalGround::InternalRule), &lenient).unwrap_err().code, "refusal_basis_internal", "never a ground");
    }

    #[test]
    fn fs_29a_an_approver_narrows_the_grant_within_the_application_and_never_widens_it() {
        let applied = Elements { items: names(&["zjhm", "xm", "csrq"]), ops: vec![ShareOp::View, ShareOp::Obtain], token_ids: vec![], starts_at_us: 100, expires_at_us: 1000 };
        let fewer = names(&["zjhm", "xm"]);
        let view = [ShareOp::View];
        let n = Narrowing { items: Some(&fewer), ops: Some(&view), token_ids: Some(&[7]), expires_at_us: Some(500) };
        let fixed = narrow(&applied, DeliveryMode::Api, &n).unwrap();
        assert_eq!((fixed.items, fixed.ops, fixed.token_ids, fixed.expires_at_us), (fewer.clone(), view.to_vec(), vec![7], 500));
        assert_eq!(narrow(&applied, DeliveryMode::Api, &Narrowing::default()).unwrap(), applied, "nothing narrowed: as applied");
        let more = names(&["zjhm", "lxdh"]);
        let wider = Narrowing { items: Some(&more), ops: Some(&[ShareOp::Compare]), expires_at_us: Some(1001), ..Default::default() };
        let fields: Vec<String> = narrow(&applied, DeliveryMode::Api, &wider).unwrap_err().fields.into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["items[1]", "ops[0]", "expires_on"]);
        assert_eq!(narrow(&applied, DeliveryMode::Batch, &Narrowing { ops: Some(&view), ..Default::default() }).unwrap_err().fields[0].field, "ops");
        let named = Elements { token_ids: vec![7], ..applied };
        assert_eq!(narrow(&named, DeliveryMode::Api, &Narrowing { token_ids: Some(&[8]), ..Default::default() }).unwrap_err().fields[0].field, "token_ids");
        assert_eq!(narrow(&named, DeliveryMode::Api, &Narrowing { token_ids: Some(&[]), ..Default::default() }).unwrap_err().fields[0].field, "token_ids", "no systems: any, wider");
    }

    #[test]
    fn yz_15b_a_call_by_another_way_than_the_grants_mode_is_refused() {
        let api = Grant {
            items: names(&["zjhm", "xm"]),
            ops: vec![ShareOp::View, ShareOp::Obtain],
            mode: DeliveryMode::Api,
            scenario: "低保资格审核".into(),
            state: GrantState::Active,
            starts_at_us: 100,
            expires_at_us: 200,
        };
        let items = names(&["zjhm"]);
        let record = Call { needs: &[ShareOp::View, ShareOp::Obtain], items: &items, batch: false, scenario: None, now_us: 150 };
        let batch = Call { batch: true, ..record.clone() };
        assert_eq!(allows(&api, &record), Ok(()));
        assert_eq!(allows(&api, &batch), Err(Denial::ModeNotGranted));
        let batch_grant = Grant { mode: DeliveryMode::Batch, ..api.clone() };
        assert_eq!(allows(&batch_grant, &batch), Ok(()));
        assert_eq!(allows(&batch_grant, &record), Err(Denial::ModeNotGranted), "an interface call under a batch grant");
        let push_grant = Grant { mode: DeliveryMode::Push, ..api };
        assert_eq!(allows(&push_grant, &record), Err(Denial::ModeNotGranted));
        assert_eq!(allows(&push_grant, &batch), Err(Denial::ModeNotGranted));
    }

    #[test]
    fn fs_14e_statistics_are_sums_of_cells_of_k_or_more_so_differencing_finds_nobody() {
        let cell = |d: &[&str], n: u64| Cell { dims: d.iter().map(|s| Some(s.to_string())).collect(), count: n, sums: vec![n as f64 * 2.0] };
        // One woman of the Hui nationality in street A: alone in her cell.
        let table = vec![cell(&["女", "汉族", "A"], 20), cell(&["女", "回族", "A"], 1), cell(&["男", "汉族", "A"], 15), cell(&["男", "汉族", "B"], 12), cell(&["女", "汉族", "B"], 9)];
        let r = release(table, 10);
        assert_eq!(r.withheld, 2);
        let by_sex = aggregate(&r, &[0], &[]);
        let by_sex_nation = aggregate(&r, &[0, 1], &[]);
        let total = aggregate(&r, &[], &[]);
        assert_eq!(by_sex.iter().map(|c| c.count).collect::<Vec<_>>(), [20, 27]);
        for g in &by_sex {
            let finer: u64 = by_sex_nation.iter().filter(|c| c.dims[0] == g.dims[0]).map(|c| c.count).sum();
            assert_eq!(g.count, finer, "the difference of two queries is zero, not one person");
        }
        assert_eq!(total[0].count, by_sex.iter().map(|c| c.count).sum::<u64>());
        assert!(aggregate(&r, &[0], &[(1, "回族".into())]).is_empty(), "a filter isolating her finds nothing");
        assert!(by_sex_nation.iter().all(|c| c.count >= 10));
        assert_eq!(total[0].sums, [94.0]);
    }

    #[test]
    fn sys_31a_a_grant_is_idle_three_calendar_months_after_its_last_call() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(idle_on(d("2026-01-10"), 3), d("2026-04-10"));
        assert_eq!(idle_on(d("2026-11-30"), 3), d("2027-02-28"), "the end of a shorter month");
    }

    #[test]
    fn values_leave_masked_unless_the_grant_obtains_them() {
        let c = content(Attr::Conditional);
        let (id, name, sex, phone) = (&c.items[0], &c.items[1], &c.items[2], &c.items[3]);
        assert_eq!(masked(id, "23050219800101001X", &[ShareOp::View]), "230502********001X");
        assert_eq!(masked(phone, "13800001234", &[ShareOp::View]), "138****1234");
        assert_eq!(masked(name, "张三丰", &[ShareOp::View]), "张**");
        assert_eq!(masked(sex, "男", &[ShareOp::View]), "男", "not sensitive");
        assert_eq!(masked(id, "23050219800101001X", &[ShareOp::View, ShareOp::Obtain]), "23050219800101001X");
        assert_eq!(masked(name, "张", &[ShareOp::View]), "*");
    }
}
