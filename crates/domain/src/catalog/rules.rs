//! The rules an entry meets. `check_shape` runs on every save (a draft may be incomplete, never malformed);
//! `check_complete` runs on submission, with the fields the profile (or the authority's schema) requires and the
//! attribute rules every regime shares: a conditional attribute states its conditions, a restrictive one cites
//! its basis, data not opened says why. `check_attribute_change` decides what an attribute change needs.

use std::collections::BTreeSet;

use super::attrs::{change, Attr, Change};
use super::vocabulary;
use super::entry::{OperationStatus, ResourceContent};
use super::Field;
use crate::error::FieldIssue;
use crate::Invalid;

/// What the regime in force asks of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Fields that must be filled before submission.
    pub required: Vec<Field>,
    /// The regime has an open attribute (all but 丽水, which only says whether data is opened).
    pub open_attr: bool,
    /// The regime has authorized operation (双鸭山).
    pub authorized_operation: bool,
    /// Share attributes that must cite a legal basis (SYS-25c, FS-5: conditional and none; YZ-14c: none).
    pub basis_required_for: Vec<Attr>,
    /// Every opened entry records a passed security and confidentiality review (SYS-38b).
    pub open_security_review: bool,
}

const NAME_MAX: usize = 100;
const TEXT_MAX: usize = 4000;

/// Malformed content, refused even in a draft.
pub fn check_shape(c: &ResourceContent) -> Result<(), Invalid> {
    let mut issues = Vec::new();
    let name = c.name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        issues.push(FieldIssue::new("name", "数据资源名称须为1至100个字符", "The resource name must have 1 to 100 characters"));
    }
    for (field, text) in [("summary", &c.summary), ("security_requirements", &c.security_requirements)] {
        if text.chars().count() > TEXT_MAX {
            issues.push(FieldIssue::new(field, format!("{field}不能超过4000个字符"), format!("{field} must have at most 4000 characters")));
        }
    }
    if let (Some(start), Some(end)) = (c.coverage_start, c.coverage_end) {
        if end < start {
            issues.push(FieldIssue::new(
                "coverage_period",
                "数据覆盖时间的结束日期早于开始日期",
                "The end of the time coverage is before its start",
            ));
        }
    }
    for (i, code) in c.coverage_regions.iter().enumerate() {
        if crate::ids::RegionCode::parse(code).is_err() {
            issues.push(FieldIssue::new(
                format!("coverage_regions[{i}]"),
                format!("数据覆盖地域“{code}”不是六位行政区划代码"),
                format!("Region coverage '{code}' is not a six-digit division code"),
            ));
        }
    }
    let mut names = BTreeSet::new();
    for (i, item) in c.items.iter().enumerate() {
        let valid = item.name.len() <= 64
            && item.name.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic())
            && item.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !valid {
            issues.push(FieldIssue::new(
                format!("items[{i}].name"),
                format!("数据项“{}”的字段名“{}”无效：须以字母开头，只含字母、数字和下划线，最长64位", item.label, item.name),
                format!("Item '{}': column name '{}' must start with a letter and hold only letters, digits and '_' (at most 64)", item.label, item.name),
            ));
        } else if !names.insert(item.name.to_ascii_lowercase()) {
            issues.push(FieldIssue::new(
                format!("items[{i}].name"),
                format!("字段名“{}”重复", item.name),
                format!("Column name '{}' appears twice", item.name),
            ));
        }
        if item.label.trim().is_empty() || item.label.chars().count() > NAME_MAX {
            issues.push(FieldIssue::new(
                format!("items[{i}].label"),
                format!("第{}个数据项缺少数据项名称（1至100个字符）", i + 1),
                format!("Item {} needs a name (1 to 100 characters)", i + 1),
            ));
        }
    }
    for (i, condition) in c.sharing.conditions.iter().enumerate() {
        if let super::attrs::ShareCondition::PartialItems { items, .. } = condition {
            for item in items {
                if !c.items.iter().any(|it| &it.name == item) {
                    issues.push(FieldIssue::new(
                        format!("sharing.conditions[{i}].items"),
                        format!("部分共享条件中的数据项“{item}”不是本资源的数据项"),
                        format!("Partial-sharing condition names '{item}', which is not an item of this resource"),
                    ));
                }
            }
        }
    }
    done(issues, "catalog_malformed", "目录内容有误", "The entry is malformed")
}

/// What submission requires, all at once, so the department fixes everything in one go.
pub fn check_complete(c: &ResourceContent, rules: &Rules) -> Result<(), Invalid> {
    check_shape(c)?;
    let mut issues = Vec::new();
    let missing = |field: Field, issues: &mut Vec<FieldIssue>| {
        issues.push(FieldIssue::new(
            field.as_str(),
            format!("缺少必填项：{}（{}）", field.label(), field.as_str()),
            format!("{} ({}) is required", field.label_en(), field.as_str()),
        ))
    };
    let blank = |s: &str| s.trim().is_empty();
    for &field in &rules.required {
        let absent = match field {
            Field::Name => blank(&c.name),
            Field::Summary => blank(&c.summary),
            Field::BusinessName => blank(&c.business_name),
            Field::SystemName => blank(&c.system_name),
            Field::Source => blank(&c.source),
            Field::Format => c.format.is_none(),
            Field::Industry => blank(&c.industry),
            Field::Classification => blank(&c.classification),
            Field::CoveragePeriod => c.coverage_start.is_none(),
            Field::CoverageRegions => c.coverage_regions.is_empty(),
            Field::UpdateFrequency => c.update_frequency.is_none(),
            Field::ProvisionMethods => c.provision_methods.is_empty(),
            Field::ShareAttr => c.sharing.attr.is_none(),
            // Operations go with a shareable attribute; 不予共享 has none (FS-13a).
            Field::ShareOps => c.sharing.attr != Some(Attr::None) && c.sharing.ops.is_empty(),
            Field::ShareRestrictionReason => c.sharing.attr == Some(Attr::Conditional) && blank(&c.sharing.restriction_reason),
            Field::SharePeriod => c.sharing.period_months.is_none(),
            Field::OpenAttr => rules.open_attr && c.opening.attr.is_none(),
            Field::OpenToPublic => !rules.open_attr && c.opening.to_public.is_none(),
            Field::OpenOps => c.is_open(rules.open_attr) && c.opening.ops.is_empty(),
            Field::OpenScope => c.is_open(rules.open_attr) && blank(&c.opening.scope),
            Field::AuthorizedOperation => rules.authorized_operation && c.authorized_operation.status.is_none(),
            Field::SecurityLevel => c.security_level.is_none(),
            Field::SecurityRequirements => blank(&c.security_requirements),
            Field::ReferenceStandards => c.reference_standards.is_empty(),
            Field::Items => c.items.is_empty(),
        };
        if absent {
            missing(field, &mut issues);
        }
    }
    share_rules(c, rules, &mut issues);
    open_rules(c, rules, &mut issues);
    review_rules(c, rules, &mut issues);
    if rules.authorized_operation {
        if c.authorized_operation.status == Some(OperationStatus::Included) && c.authorized_operation.scenarios.is_empty() {
            issues.push(FieldIssue::new(
                "authorized_operation.scenarios",
                "已纳入授权运营的资源须列明授权运营应用场景",
                "A resource in authorized operation must list its application scenarios",
            ));
        }
    } else if c.authorized_operation != Default::default() {
        issues.push(FieldIssue::new(
            "authorized_operation",
            "适用办法未规定授权运营，不能填写授权运营状态",
            "The regulation in force has no authorized operation: leave its status empty",
        ));
    }
    done(issues, "catalog_incomplete", "目录尚不能提交审核", "The entry cannot be submitted yet")
}

fn share_rules(c: &ResourceContent, rules: &Rules, issues: &mut Vec<FieldIssue>) {
    let s = &c.sharing;
    if s.attr == Some(Attr::Conditional) {
        if s.conditions.is_empty() {
            issues.push(FieldIssue::new(
                "sharing.conditions",
                "有条件共享须事先列明明确可执行的共享条件（特定部门、仅查阅、仅比对、仅统计结果、部分数据项或其他）",
                "Conditional sharing must state executable conditions (specific departments, view only, compare only, statistics only, partial items, or other)",
            ));
        }
        for (i, condition) in s.conditions.iter().enumerate() {
            for (field, zh, en) in condition.gaps() {
                issues.push(FieldIssue::new(
                    format!("sharing.conditions[{i}].{field}"),
                    format!("第{}项共享条件缺少{zh}", i + 1),
                    format!("Share condition {} needs {en}", i + 1),
                ));
            }
        }
    } else if !s.conditions.is_empty() {
        issues.push(FieldIssue::new(
            "sharing.conditions",
            "只有有条件共享的资源才列共享条件",
            "Only conditionally shared resources carry share conditions",
        ));
    }
    if let Some(attr) = s.attr {
        if rules.basis_required_for.contains(&attr) && s.basis.is_empty() {
            issues.push(FieldIssue::new(
                "sharing.basis",
                "有条件共享、不予共享须提供法律、法规、规章或国家有关规定依据",
                "A restrictive share attribute must cite its basis in a law, regulation, rule or national provision",
            ));
        }
    }
    for (i, basis) in s.basis.iter().enumerate() {
        if basis.name.trim().is_empty() {
            issues.push(FieldIssue::new(format!("sharing.basis[{i}].name"), "依据须写明文件名称", "A basis must name its instrument"));
        }
    }
    if s.attr == Some(Attr::None) && !s.ops.is_empty() {
        issues.push(FieldIssue::new(
            "sharing.ops",
            "不予共享的资源不能设置数据操作权限",
            "A resource that is not shared has no data operations",
        ));
    }
}

fn open_rules(c: &ResourceContent, rules: &Rules, issues: &mut Vec<FieldIssue>) {
    let o = &c.opening;
    if !rules.open_attr {
        if o.attr.is_some() {
            issues.push(FieldIssue::new(
                "opening.attr",
                "适用办法未规定开放属性，请只填写是否向社会开放",
                "The regulation in force has no open attribute: say only whether the data is opened to the public",
            ));
        }
        return;
    }
    match o.attr {
        Some(Attr::None) if o.not_open_reason.is_none() => issues.push(FieldIssue::new(
            "opening.not_open_reason",
            "不予开放须说明理由（国家秘密、法律禁止、安全、公共利益、商业秘密、个人隐私等）",
            "Data not opened must give the reason (state secret, prohibited by law, security, public interest, trade secret, privacy…)",
        )),
        Some(Attr::Conditional) if o.conditions.is_empty() => issues.push(FieldIssue::new(
            "opening.conditions",
            "有条件开放须列明开放条件（对象、用途、使用范围）",
            "Conditional opening must state its conditions (recipients, purposes, scope)",
        )),
        _ => {}
    }
}

/// Before data opens: the regime's security review (SYS-38b), and in every regime the desensitization of personal
/// identifiers (FS-15d; 个人信息保护法). Runs for any regime, with or without open attributes.
fn review_rules(c: &ResourceContent, rules: &Rules, issues: &mut Vec<FieldIssue>) {
    if !c.is_open(rules.open_attr) {
        return;
    }
    let review = c.opening.security_review.as_ref();
    if rules.open_security_review {
        match review {
            None => issues.push(FieldIssue::new(
                "opening.security_review",
                "开放前须完成安全保密审查，并填写审查结论、审查人和审查日期",
                "Data is opened only after a security and confidentiality review: record its result, reviewer and date",
            )),
            Some(r) if !r.passed => issues.push(FieldIssue::new(
                "opening.security_review.passed",
                "安全保密审查未通过的数据不能开放",
                "Data that did not pass the security review cannot be opened",
            )),
            Some(r) if r.reviewer.trim().is_empty() => issues.push(FieldIssue::new(
                "opening.security_review.reviewer",
                "安全保密审查须写明审查人",
                "The security review must name its reviewer",
            )),
            Some(_) => {}
        }
    }
    let personal: Vec<&str> = c.personal_items().map(|i| i.label.as_str()).collect();
    if !personal.is_empty() && review.is_none_or(|r| r.desensitization.trim().is_empty()) {
        let names = personal.iter().map(|l| format!("“{l}”")).collect::<String>();
        issues.push(FieldIssue::new(
            "opening.security_review.desensitization",
            format!("数据项{names}涉及个人信息，开放前须脱敏处理并写明处理方式"),
            format!("Items {} hold personal information: say how they are desensitized before opening", personal.join(", ")),
        ));
    }
}

fn done(issues: Vec<FieldIssue>, code: &'static str, lead: &str, lead_en: &str) -> Result<(), Invalid> {
    if issues.is_empty() {
        Ok(())
    } else {
        Err(Invalid::fields(code, lead, lead_en, issues))
    }
}

vocabulary! {
    /// Why a department changes how its data is classified or graded (SYS-11e: 内容、范围、时效、应用方向发生变化).
    ReclassificationReason {
        Content = "content", "内容变化", "its content changed";
        Scope = "scope", "范围变化", "its scope changed";
        Timeliness = "timeliness", "时效变化", "its timeliness changed";
        ApplicationDirection = "application_direction", "应用方向变化", "its application direction changed";
    }
}

/// Whether `proposed` classifies or grades the data differently from `published`: the subject category, the
/// resource's security level, or any item's level (items matched by column name).
pub fn reclassifies(published: &ResourceContent, proposed: &ResourceContent) -> bool {
    let item_level = |c: &ResourceContent, name: &str| c.items.iter().find(|i| i.name == name).and_then(|i| i.level);
    published.classification.trim() != proposed.classification.trim()
        || published.security_level != proposed.security_level
        || proposed.items.iter().any(|i| published.items.iter().any(|o| o.name == i.name) && item_level(published, &i.name) != i.level)
}

/// A reclassification states its reason where the regime asks (SYS-11e).
pub fn check_reclassification(published: &ResourceContent, proposed: &ResourceContent, reason: Option<ReclassificationReason>) -> Result<(), Invalid> {
    if reason.is_none() && reclassifies(published, proposed) {
        return Err(Invalid::fields(
            "reclassification_reason_required",
            "分类分级发生变化",
            "The classification changes",
            vec![FieldIssue::new(
                "reclassification_reason",
                "调整分类或分级须说明原因：内容、范围、时效或应用方向发生变化",
                "Say why the classification or grade changes: its content, scope, timeliness or application direction",
            )],
        ));
    }
    Ok(())
}

/// What changing a published entry's attributes needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeChange {
    pub share: Change,
    pub open: Change,
}

impl AttributeChange {
    /// A downgrade of either attribute waits for the same-level authority (SYS-26, SYS-37b).
    pub fn needs_review(self) -> bool {
        self.share == Change::Downgrade || self.open == Change::Downgrade
    }
}

/// Classifies a change of attributes from the published content to the proposed one. Raising data out of
/// 不予共享 or 不予开放 needs evidence of declassification, desensitization or the rights holder's consent
/// (SYS-25e, SYS-37c, YZ-18b).
pub fn check_attribute_change(
    published: &ResourceContent,
    proposed: &ResourceContent,
    open_attr: bool,
    evidence: &str,
) -> Result<AttributeChange, Invalid> {
    let share = change(published.sharing.attr, proposed.sharing.attr);
    let open = if open_attr {
        change(Some(published.effective_open_attr(true)), Some(proposed.effective_open_attr(true)))
    } else {
        change(Some(published.effective_open_attr(false)), Some(proposed.effective_open_attr(false)))
    };
    let out_of_none = (published.sharing.attr == Some(Attr::None) && share == Change::Upgrade)
        || (open_attr && published.opening.attr == Some(Attr::None) && open == Change::Upgrade);
    if out_of_none && evidence.trim().is_empty() {
        return Err(Invalid::new(
            "evidence_required",
            "由不予共享（不予开放）转为可共享（可开放）须附依法脱密、脱敏处理记录或相关权利人同意的证明",
            "Moving data out of 'not shared' or 'not opened' needs evidence: a declassification or desensitization record, or the rights holder's consent",
        ));
    }
    Ok(AttributeChange { share, open })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::attrs::{Instrument, LegalBasis, NotOpenReason, ShareCondition, ShareOp};
    use crate::catalog::entry::{DataFormat, UpdateFrequency};
    use crate::catalog::testing::item;

    fn rules(required: &[Field]) -> Rules {
        Rules {
            required: required.to_vec(),
            open_attr: true,
            authorized_operation: false,
            basis_required_for: vec![Attr::Conditional, Attr::None],
            open_security_review: false,
        }
    }


    fn complete() -> ResourceContent {
        let mut c = ResourceContent { name: "婚姻登记信息".into(), summary: "婚姻登记记录".into(), ..Default::default() };
        c.format = Some(DataFormat::Table);
        c.update_frequency = Some(UpdateFrequency::Daily);
        c.sharing.attr = Some(Attr::Unconditional);
        c.sharing.ops = vec![ShareOp::View];
        c.opening.attr = Some(Attr::None);
        c.opening.not_open_reason = Some(NotOpenReason::PersonalPrivacy);
        c.items = vec![item("zjhm", "公民身份号码")];
        c
    }

    fn fields_of(e: Invalid) -> Vec<String> {
        e.fields.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn required_fields_are_named_all_at_once() {
        let r = rules(&[Field::Name, Field::Summary, Field::CoverageRegions, Field::ShareAttr, Field::Items]);
        assert!(check_complete(&complete(), &rules(&[Field::Name, Field::Items, Field::ShareAttr])).is_ok());
        let mut c = complete();
        c.summary.clear();
        c.items.clear();
        let e = check_complete(&c, &r).unwrap_err();
        assert_eq!(e.code, "catalog_incomplete");
        assert_eq!(fields_of(e), ["summary", "coverage_regions", "items"]);
    }

    #[test]
    fn conditional_sharing_needs_conditions_and_basis() {
        let mut c = complete();
        c.sharing.attr = Some(Attr::Conditional);
        let e = check_complete(&c, &rules(&[])).unwrap_err();
        assert_eq!(fields_of(e), ["sharing.conditions", "sharing.basis"]);
        c.sharing.conditions = vec![ShareCondition::ViewOnly { view_method: "平台内查阅".into(), use_purpose: String::new() }];
        c.sharing.basis = vec![LegalBasis { instrument: Instrument::Law, name: "《中华人民共和国个人信息保护法》".into(), article: "第十三条".into() }];
        assert_eq!(fields_of(check_complete(&c, &rules(&[])).unwrap_err()), ["sharing.conditions[0].use_purpose"]);
        if let ShareCondition::ViewOnly { use_purpose, .. } = &mut c.sharing.conditions[0] {
            *use_purpose = "婚姻状况核查".into();
        }
        assert!(check_complete(&c, &rules(&[])).is_ok());
        // YZ-14c asks a basis only of 不共享.
        let yz = Rules { basis_required_for: vec![Attr::None], ..rules(&[]) };
        c.sharing.basis.clear();
        assert!(check_complete(&c, &yz).is_ok());
    }

    #[test]
    fn data_not_shared_has_no_operations_and_data_not_opened_says_why() {
        let mut c = complete();
        c.sharing.attr = Some(Attr::None);
        c.sharing.basis = vec![LegalBasis { instrument: Instrument::Law, name: "《中华人民共和国保守国家秘密法》".into(), article: String::new() }];
        let r = rules(&[Field::ShareOps]);
        assert_eq!(fields_of(check_complete(&c, &r).unwrap_err()), ["sharing.ops"]);
        c.sharing.ops.clear();
        assert!(check_complete(&c, &r).is_ok(), "no operations are required of data not shared");
        c.opening.not_open_reason = None;
        assert_eq!(fields_of(check_complete(&c, &r).unwrap_err()), ["opening.not_open_reason"]);
    }

    #[test]
    fn a_regime_without_open_attributes_refuses_one() {
        let lishui = Rules { open_attr: false, ..rules(&[Field::OpenToPublic]) };
        let mut c = complete();
        let e = check_complete(&c, &lishui).unwrap_err();
        assert_eq!(fields_of(e), ["open_to_public", "opening.attr"]);
        c.opening = Default::default();
        c.opening.to_public = Some(true);
        assert!(check_complete(&c, &lishui).is_ok());
        assert!(c.is_open(false));
    }

    #[test]
    fn malformed_items_are_refused_even_in_drafts() {
        let mut c = complete();
        c.items = vec![item("zjhm", "公民身份号码"), item("ZJHM", "重复"), item("1x", "坏"), item("xm", "")];
        assert_eq!(fields_of(check_shape(&c).unwrap_err()), ["items[1].name", "items[2].name", "items[3].label"]);
        c.items.truncate(1);
        c.coverage_regions = vec!["2305".into()];
        c.coverage_start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1);
        c.coverage_end = chrono::NaiveDate::from_ymd_opt(2019, 1, 1);
        assert_eq!(fields_of(check_shape(&c).unwrap_err()), ["coverage_period", "coverage_regions[0]"]);
    }

    #[test]
    fn sys_11e_a_change_of_grade_states_why() {
        let published = complete();
        let mut proposed = published.clone();
        proposed.summary = "婚姻登记记录，含补领".into();
        assert!(check_reclassification(&published, &proposed, None).is_ok(), "no grading change");
        proposed.items[0].level = Some(crate::catalog::entry::SecurityLevel::L3);
        assert!(reclassifies(&published, &proposed), "an item's level");
        assert_eq!(check_reclassification(&published, &proposed, None).unwrap_err().code, "reclassification_reason_required");
        assert!(check_reclassification(&published, &proposed, Some(ReclassificationReason::Scope)).is_ok());
        let mut added = published.clone();
        added.items.push(item("xb", "性别"));
        assert!(!reclassifies(&published, &added), "a new item is not a reclassification");
    }

    #[test]
    fn sys_25e_leaving_none_needs_evidence_and_downgrades_need_review() {
        let mut published = complete();
        published.sharing.attr = Some(Attr::None);
        let mut proposed = published.clone();
        proposed.sharing.attr = Some(Attr::Conditional);
        assert_eq!(check_attribute_change(&published, &proposed, true, "").unwrap_err().code, "evidence_required");
        let change = check_attribute_change(&published, &proposed, true, "脱敏处理记录 TM-2026-031").unwrap();
        assert!(!change.needs_review(), "an upgrade applies at once");
        let change = check_attribute_change(&proposed, &published, true, "").unwrap();
        assert!(change.needs_review(), "conditional to none is a downgrade");
    }
}
