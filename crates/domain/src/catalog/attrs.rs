//! Share and open attributes: the three grades, the conditions a conditional grade must state (FS-14), the legal
//! basis a restrictive grade cites (SYS-25c, FS-5, YZ-14c), the reasons data is not opened (SYS-37a, FS-15d), the
//! data operations a grade allows (FS-13, FS-15), and which way a change goes (SYS-26, SYS-37b).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::vocabulary;

/// A share or open attribute. The words shown follow the profile (受限共享 in 丽水, 有条件共享 elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attr {
    /// 无条件共享 / 无条件开放.
    Unconditional,
    /// 有条件共享 / 受限共享 / 有条件开放.
    Conditional,
    /// 不予共享 / 非共享 / 不共享 / 不予开放 / 不开放.
    None,
}

impl Attr {
    pub const ALL: [Attr; 3] = [Attr::Unconditional, Attr::Conditional, Attr::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Attr::Unconditional => "unconditional",
            Attr::Conditional => "conditional",
            Attr::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Attr> {
        Attr::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// How open the grade is: unconditional 2, conditional 1, none 0.
    pub fn openness(self) -> u8 {
        match self {
            Attr::Unconditional => 2,
            Attr::Conditional => 1,
            Attr::None => 0,
        }
    }
}

/// Which way an attribute moves between two revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    /// Towards unconditional: applies without the authority (SYS-25d).
    Upgrade,
    /// Towards none: the same-level authority reviews it first (SYS-26, SYS-37b).
    Downgrade,
}

/// How `to` relates to `from`; an unset attribute counts as unconditional (SYS-25c: 未明确的视为无条件共享类).
pub fn change(from: Option<Attr>, to: Option<Attr>) -> Change {
    let (a, b) = (from.unwrap_or(Attr::Unconditional).openness(), to.unwrap_or(Attr::Unconditional).openness());
    match b.cmp(&a) {
        std::cmp::Ordering::Equal => Change::Same,
        std::cmp::Ordering::Greater => Change::Upgrade,
        std::cmp::Ordering::Less => Change::Downgrade,
    }
}

/// A condition of conditional sharing, in FS-14's kinds (the list is open: `other`). Each names its use purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShareCondition {
    /// 仅可提供给特定部门 (FS-14(一)): only these departments may apply.
    SpecificDepartments { department_ids: Vec<i64>, use_purpose: String },
    /// 仅可查阅 (FS-14(二)): shown in the platform, never handed out.
    ViewOnly { view_method: String, use_purpose: String },
    /// 仅可比对 (FS-14(三)): match / no-match answers, never values.
    CompareOnly { compare_method: String, use_purpose: String },
    /// 仅提供统计结果 (FS-14(四)).
    StatisticsOnly { data_status_description: String, use_purpose: String },
    /// 部分数据项 (LS-18c 仅能部分供给): only these items (by name) are shareable.
    PartialItems { items: Vec<String>, use_purpose: String },
    /// Any other condition, in words; enforced by people, not the platform (FS-14f).
    Other { description: String },
}

impl ShareCondition {
    /// Every kind, with its Chinese and English names, in the order forms offer them.
    pub const KINDS: &'static [(&'static str, &'static str, &'static str)] = &[
        ("specific_departments", "仅提供给特定部门", "specific departments only"),
        ("view_only", "仅可查阅", "view only"),
        ("compare_only", "仅可比对", "compare only"),
        ("statistics_only", "仅提供统计结果", "statistics only"),
        ("partial_items", "仅部分数据项", "some items only"),
        ("other", "其他（人工执行）", "other (enforced by people)"),
    ];

    /// The use purpose it names (every kind but `other` names one).
    pub fn use_purpose(&self) -> Option<&str> {
        match self {
            ShareCondition::SpecificDepartments { use_purpose, .. }
            | ShareCondition::ViewOnly { use_purpose, .. }
            | ShareCondition::CompareOnly { use_purpose, .. }
            | ShareCondition::StatisticsOnly { use_purpose, .. }
            | ShareCondition::PartialItems { use_purpose, .. } => Some(use_purpose),
            ShareCondition::Other { .. } => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ShareCondition::SpecificDepartments { .. } => "specific_departments",
            ShareCondition::ViewOnly { .. } => "view_only",
            ShareCondition::CompareOnly { .. } => "compare_only",
            ShareCondition::StatisticsOnly { .. } => "statistics_only",
            ShareCondition::PartialItems { .. } => "partial_items",
            ShareCondition::Other { .. } => "other",
        }
    }

    /// Whether the platform can enforce it by itself (FS-14f: `other` needs people).
    pub fn machine_enforced(&self) -> bool {
        !matches!(self, ShareCondition::Other { .. })
    }

    /// What is missing from it, as (field, 中文, English); empty when complete.
    pub fn gaps(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let blank = |s: &str| s.trim().is_empty();
        let mut gaps = Vec::new();
        let purpose = |p: &str, gaps: &mut Vec<_>| {
            if blank(p) {
                gaps.push(("use_purpose", "使用用途", "use purpose"));
            }
        };
        match self {
            ShareCondition::SpecificDepartments { department_ids, use_purpose } => {
                if department_ids.is_empty() {
                    gaps.push(("department_ids", "可提供的具体部门", "the departments it may go to"));
                }
                purpose(use_purpose, &mut gaps);
            }
            ShareCondition::ViewOnly { view_method, use_purpose } => {
                if blank(view_method) {
                    gaps.push(("view_method", "查阅方式", "how it is viewed"));
                }
                purpose(use_purpose, &mut gaps);
            }
            ShareCondition::CompareOnly { compare_method, use_purpose } => {
                if blank(compare_method) {
                    gaps.push(("compare_method", "比对方式", "how it is compared"));
                }
                purpose(use_purpose, &mut gaps);
            }
            ShareCondition::StatisticsOnly { data_status_description, use_purpose } => {
                if blank(data_status_description) {
                    gaps.push(("data_status_description", "可提供的数据状态描述", "which statistics may be given"));
                }
                purpose(use_purpose, &mut gaps);
            }
            ShareCondition::PartialItems { items, use_purpose } => {
                if items.is_empty() {
                    gaps.push(("items", "可共享的数据项", "the items that may be shared"));
                }
                purpose(use_purpose, &mut gaps);
            }
            ShareCondition::Other { description } => {
                if blank(description) {
                    gaps.push(("description", "条件说明", "a description"));
                }
            }
        }
        gaps
    }
}

vocabulary! {
    /// The kind of instrument a restriction rests on. Internal opinions are not a basis (YZ-14c).
    Instrument {
        Law = "law", "法律", "law";
        AdministrativeRegulation = "administrative_regulation", "行政法规", "administrative regulation";
        LocalRegulation = "local_regulation", "地方性法规", "local regulation";
        Rule = "rule", "规章", "rule";
        NationalProvision = "national_provision", "国家有关规定", "national provision";
        /// LS-18d.
        SuperiorPolicy = "superior_policy", "省级以上政策", "provincial or higher policy";
    }
}

/// A cited legal basis: which instrument, its name, and the article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub instrument: Instrument,
    /// e.g. 《中华人民共和国个人信息保护法》.
    pub name: String,
    /// e.g. 第二十八条.
    #[serde(default)]
    pub article: String,
}

vocabulary! {
    /// Why data is not opened (SYS-37a, FS-15d, YZ-18a).
    NotOpenReason {
        StateSecret = "state_secret", "涉及国家秘密", "state secret";
        ProhibitedByLaw = "prohibited_by_law", "法律法规禁止公开", "disclosure prohibited by law";
        NationalSecurity = "national_security", "可能危及国家安全", "may endanger national security";
        PublicSecurity = "public_security", "可能危及公共安全、经济安全或社会稳定", "may endanger public, economic or social security";
        PublicInterest = "public_interest", "可能损害公共利益", "may harm the public interest";
        TradeSecret = "trade_secret", "涉及商业秘密", "trade secret";
        PersonalPrivacy = "personal_privacy", "涉及个人隐私", "personal privacy";
        /// YZ-18a.
        AcquisitionAgreement = "acquisition_agreement", "数据获取协议约定不得开放", "the acquisition agreement forbids opening";
    }
}

/// What a conditional opening limits (SYS-37a: 对象、用途、使用范围; FS-15c: 开放条件或使用约束).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenConditions {
    /// Who may receive it (对象).
    #[serde(default)]
    pub recipients: String,
    /// For what (用途).
    #[serde(default)]
    pub purposes: String,
    /// Within what scope (使用范围 / 使用约束).
    #[serde(default)]
    pub scope: String,
}

/// The security and confidentiality review (安全保密审查) a department puts data through before opening it
/// (SYS-38b), with what it declassified or desensitized (脱密、脱敏): FS-15d forbids opening personal data as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityReview {
    /// Whether the data passed; only a passed review lets it open.
    pub passed: bool,
    /// Who reviewed it (person or body).
    pub reviewer: String,
    pub reviewed_on: chrono::NaiveDate,
    /// What was declassified or desensitized, item by item (e.g. 公民身份号码保留前6位).
    #[serde(default)]
    pub desensitization: String,
}

impl OpenConditions {
    pub fn is_empty(&self) -> bool {
        self.recipients.trim().is_empty() && self.purposes.trim().is_empty() && self.scope.trim().is_empty()
    }
}

vocabulary! {
    /// A data operation of sharing (FS-13; glossary `op`).
    ShareOp {
        View = "view", "查阅", "view";
        Compare = "compare", "比对", "compare";
        Obtain = "obtain", "获取", "obtain";
        Stats = "stats", "统计结果", "statistics";
    }
}

vocabulary! {
    /// A data operation of opening (FS-15).
    OpenOp {
        BulkObtain = "bulk_obtain", "批量获取", "bulk download";
        StoreReuse = "store_reuse", "多次存储复用", "store and reuse";
        Query = "query", "接口查询", "query by API";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downgrades_and_upgrades_follow_openness_and_unset_is_unconditional() {
        use Attr::*;
        assert_eq!(change(Some(Unconditional), Some(Conditional)), Change::Downgrade);
        assert_eq!(change(Some(Conditional), Some(None)), Change::Downgrade);
        assert_eq!(change(Some(Unconditional), Some(None)), Change::Downgrade);
        assert_eq!(change(Some(None), Some(Conditional)), Change::Upgrade);
        assert_eq!(change(Some(Conditional), Some(Unconditional)), Change::Upgrade);
        assert_eq!(change(Option::None, Some(Conditional)), Change::Downgrade, "unset counts as unconditional");
        assert_eq!(change(Some(Unconditional), Option::None), Change::Same);
    }

    #[test]
    fn conditions_name_what_they_miss() {
        let c = ShareCondition::ViewOnly { view_method: " ".into(), use_purpose: "核验婚姻状况".into() };
        assert_eq!(c.gaps().iter().map(|g| g.0).collect::<Vec<_>>(), ["view_method"]);
        let c = ShareCondition::SpecificDepartments { department_ids: vec![], use_purpose: String::new() };
        assert_eq!(c.gaps().len(), 2);
        assert!(!ShareCondition::Other { description: "x".into() }.machine_enforced());
        let json = serde_json::json!({"kind": "compare_only", "compare_method": "按统一社会信用代码比对", "use_purpose": "招投标资格审查"});
        let parsed: ShareCondition = serde_json::from_value(json).unwrap();
        assert!(parsed.gaps().is_empty() && parsed.kind() == "compare_only");
    }
}
