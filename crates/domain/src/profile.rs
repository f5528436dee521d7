//! Policy profiles: one per regulation (`profiles/*.toml` at the repository root, compiled in). A profile holds the
//! regime's deadlines with their articles, its vocabulary for attributes and roles, and switches for what the
//! regime has. Code asks a profile by a stable key (`DeadlineKey`) and never hard-codes a regime's number.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CountingRule, Due};
use crate::catalog::attrs::Attr;
use crate::catalog::lifecycle::ReviewFlow;
use crate::catalog::rules::Rules;
use crate::catalog::Field;
use crate::roles::Role;
use crate::Invalid;

pub const DEFAULT_PROFILE: &str = "shuangyashan-2026";

const SHIPPED: [(&str, &str); 5] = [
    ("lishui-2020", include_str!("../../../profiles/lishui-2020.toml")),
    ("shuangyashan-2026", include_str!("../../../profiles/shuangyashan-2026.toml")),
    ("changsha-2021", include_str!("../../../profiles/changsha-2021.toml")),
    ("yinzhou-2023", include_str!("../../../profiles/yinzhou-2023.toml")),
    ("foshan-2020", include_str!("../../../profiles/foshan-2020.toml")),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub issuer: String,
    pub effective: NaiveDate,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    pub city_name: String,
    pub city_name_en: String,
    pub city_code: String,
    #[serde(default)]
    pub districts: Vec<District>,
    pub clock: CountingRule,
    pub features: Features,
    /// How applications are routed and answered (issue 5).
    pub sharing: crate::sharing::SharingProfile,
    pub catalog: CatalogProfile,
    pub labels: Labels,
    pub deadlines: Vec<Deadline>,
    /// Source departments the regulation itself names for base data (第十六条 of 双鸭山), seeded into the
    /// register for the authority to map to its departments.
    #[serde(default)]
    pub sources: Vec<StatutorySource>,
}

/// A class of base data and the kinds of department the regulation makes its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatutorySource {
    /// The class as the regulation names it (户籍登记数据).
    pub class: String,
    pub subject: crate::sources::SourceSubject,
    /// Words naming the departments (公安, 民政…): each is matched against the city's department names.
    pub departments: Vec<String>,
    /// Items the class covers, by label; collecting one of them elsewhere is 重复采集.
    #[serde(default)]
    pub items: Vec<String>,
    /// Where the regulation says so.
    pub basis: String,
}

/// How the regime runs its catalog: what an entry must say before review, which restrictive attributes cite a
/// basis, who reviews, and what fulfils an update obligation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogProfile {
    /// Fields required before submission; the authority may change the list (its 编制要求, LS-9a, FS-18a).
    pub required: Vec<Field>,
    pub basis_required_for: Vec<Attr>,
    /// A reviewer of the providing department, not its editor, reviews an entry first (编制、审核、发布, FS-17b).
    pub department_review: bool,
    /// The service center checks entries before publication (校核汇总, SYS-12d).
    pub service_check: bool,
    /// The city authority re-reviews entries a district authority approved (复核, SYS-12d).
    pub city_review_of_district: bool,
    /// What fulfils an update obligation after a change of law or duties.
    pub update_fulfilled_by: UpdateFulfilledBy,
    /// A fulfilled update is filed with the authority, which acknowledges it (备案, CS-16d).
    pub update_filing: bool,
    /// How far a project's entries must have gone before the project is approved (立项).
    pub project_approval: ProjectApproval,
    /// At approval, at least one linked entry must be an information-resource entry (CS-13a).
    pub project_needs_information_catalog: bool,
    /// At approval, every linked entry must have decided its open attribute (同步规划开放目录, SYS-69c).
    pub project_needs_open_plan: bool,
    /// The authority may approve a project without its catalog, with a reason (原则上, LS-29a).
    pub project_exception: bool,
    /// A new system goes online (completed) only with its docking document and reserved interfaces (CS-13c).
    pub project_needs_docking: bool,
    /// At acceptance, every published entry must have delivered data (汇聚挂接, CS-13b; 开展数据归集, YZ-8c).
    pub project_needs_data: bool,
    /// Opened entries record a passed security and confidentiality review (安全保密审查, SYS-38b).
    pub open_security_review: bool,
    /// Objections to an entry's share or open type are settled by the parties together (FS-16).
    pub classification_objections: bool,
    /// A revision someone other than its provider wrote waits for the provider's opinion before publication
    /// (YZ-7c).
    pub consult_provider: bool,
    /// Sectors (系统) have a designated responsible department that keeps the sector's catalog (LS-8a).
    pub sectors: bool,
    /// A change of classification or grade states its reason (SYS-11e).
    pub reclassification_reason: bool,
    /// The day (MM-DD) by which departments submit a year's lists where the regime has yearly lists (CS-25a sets
    /// none; the authority may set another per year).
    pub annual_list_cutoff: String,
}

impl CatalogProfile {
    /// The cut-off day of `year`'s lists, from `annual_list_cutoff`.
    pub fn annual_list_cutoff(&self, year: i32) -> Option<chrono::NaiveDate> {
        let (month, day) = self.annual_list_cutoff.split_once('-')?;
        chrono::NaiveDate::from_ymd_opt(year, month.parse().ok()?, day.parse().ok()?)
    }
}

/// LS-29a 预编 and YZ-8b 初步数据目录: drafted; SYS-14a 提交…同级公共数据主管部门: submitted; CS-13a
/// 编制发布: published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectApproval {
    Drafted,
    Submitted,
    Published,
}

/// SYS-13a: the department 完成更新，并报送 (submitting fulfils); CS-16c: the updated catalog is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateFulfilledBy {
    Submission,
    Publication,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct District {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// What a regime has. A switched-off feature is absent from the console and refused by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    pub open_attr: bool,
    pub authorized_operation: bool,
    pub open_application: bool,
    pub objection: bool,
    pub correction: bool,
    pub data_demand: bool,
    pub dispute: bool,
    pub pre_approved_scenarios: bool,
    pub three_lists: bool,
    pub negative_list: bool,
    pub district_catalogs: bool,
    pub separation_of_duties: bool,
    /// The smallest group a statistics-only answer may describe (k).
    pub min_group_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub share_attr: AttrLabels,
    pub open_attr: AttrLabels,
    pub roles: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttrLabels {
    pub unconditional: String,
    pub conditional: String,
    pub none: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    WorkingDays,
    CalendarDays,
    Months,
    Years,
    Immediately,
    Unspecified,
}

/// One deadline or period of a regulation, with the article and words it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub key: String,
    pub value: u32,
    pub unit: Unit,
    pub article: String,
    pub quote: String,
    pub label: String,
    pub label_en: String,
    /// The text leaves the value open (及时, 限期, 定期): `value` is our stated default and may be changed.
    pub configurable: bool,
    #[serde(default)]
    pub default_note: Option<String>,
}

/// Keys of deadlines the code asks for. Profiles may hold more (documented in `profiles/README.md`).
pub mod keys {
    pub const CATALOG_UPDATE_AFTER_CHANGE: &str = "catalog_update_after_change";
    pub const CATALOG_REVIEW: &str = "catalog_review";
    pub const SHARE_CONDITIONAL_REVIEW: &str = "share_conditional_review";
    pub const CORRECTION: &str = "correction";
    pub const DEMAND_REVIEW: &str = "demand_review";
    pub const DEMAND_CATALOG_AND_MOUNT: &str = "demand_catalog_and_mount";
    pub const OPEN_APPLICATION_REPLY: &str = "open_application_reply";
    pub const AUDIT_RETENTION: &str = "audit_retention";
    pub const IDLE_GRANT: &str = "idle_grant";
}

impl Profile {
    pub fn parse(text: &str) -> Result<Profile, Invalid> {
        let profile: Profile = toml::from_str(text).map_err(|e| {
            Invalid::new("invalid_profile", format!("策略配置文件格式错误：{e}"), format!("Malformed policy profile: {e}"))
        })?;
        profile.check()?;
        Ok(profile)
    }

    /// A profile shipped with the project, by id.
    pub fn shipped(id: &str) -> Result<Profile, Invalid> {
        let text = SHIPPED.iter().find(|(name, _)| *name == id).map(|(_, text)| *text).ok_or_else(|| {
            let ids = Profile::shipped_ids().join(", ");
            Invalid::new(
                "unknown_profile",
                format!("未知策略配置“{id}”，可选：{ids}"),
                format!("Unknown policy profile '{id}'; one of: {ids}"),
            )
        })?;
        Profile::parse(text)
    }

    pub fn shipped_ids() -> Vec<&'static str> {
        SHIPPED.iter().map(|(id, _)| *id).collect()
    }

    fn check(&self) -> Result<(), Invalid> {
        crate::ids::RegionCode::parse(&self.city_code)?;
        for d in &self.districts {
            crate::ids::RegionCode::parse(&d.code)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in &self.deadlines {
            if !seen.insert(d.key.as_str()) {
                return Err(Invalid::new(
                    "invalid_profile",
                    format!("策略配置{}中期限“{}”重复", self.id, d.key),
                    format!("Deadline '{}' appears twice in profile {}", d.key, self.id),
                ));
            }
        }
        match self.deadline(keys::AUDIT_RETENTION) {
            Some(d) if d.unit == Unit::Years && d.value >= 3 => Ok(()),
            _ => Err(Invalid::new(
                "invalid_profile",
                format!("策略配置{}须设定不少于3年的日志保存期限（audit_retention）", self.id),
                format!("Profile {} must keep audit logs at least 3 years (audit_retention)", self.id),
            )),
        }
    }

    pub fn deadline(&self, key: &str) -> Option<&Deadline> {
        self.deadlines.iter().find(|d| d.key == key)
    }

    /// When something of kind `key` received on `start` is due, if the profile counts it in working days.
    pub fn due(&self, calendar: &Calendar, key: &str, start: NaiveDate) -> Option<Due> {
        let d = self.deadline(key)?;
        match d.unit {
            Unit::WorkingDays => Some(calendar.deadline(start, d.value, self.clock)),
            Unit::Immediately => Some(calendar.deadline(start, 0, self.clock)),
            Unit::CalendarDays => Some(Due {
                due: start + chrono::Duration::days(d.value as i64),
                provisional: false,
            }),
            _ => None,
        }
    }

    /// How many years audit events must be kept (SYS-20: not less than three).
    pub fn audit_retention_years(&self) -> u32 {
        self.deadline(keys::AUDIT_RETENTION).map(|d| d.value).unwrap_or(3).max(3)
    }

    /// What an entry must meet before review, with `required` standing for the profile's list where the
    /// authority has set its own.
    pub fn catalog_rules(&self, required: Option<Vec<Field>>) -> Rules {
        Rules {
            required: required.unwrap_or_else(|| self.catalog.required.clone()),
            open_attr: self.features.open_attr,
            authorized_operation: self.features.authorized_operation,
            basis_required_for: self.catalog.basis_required_for.clone(),
            open_security_review: self.catalog.open_security_review,
        }
    }

    pub fn review_flow(&self) -> ReviewFlow {
        ReviewFlow {
            department_review: self.catalog.department_review,
            service_check: self.catalog.service_check,
            city_review_of_district: self.catalog.city_review_of_district,
        }
    }

    /// The regime's word for a share attribute.
    pub fn share_label(&self, attr: Attr) -> &str {
        attr_label(&self.labels.share_attr, attr)
    }

    /// The regime's word for an open attribute.
    pub fn open_label(&self, attr: Attr) -> &str {
        attr_label(&self.labels.open_attr, attr)
    }

    /// The regime's Chinese label for a role (the English label is fixed).
    pub fn role_label(&self, role: Role) -> String {
        self.labels.roles.get(role.as_str()).cloned().unwrap_or_else(|| role.as_str().to_string())
    }
}

fn attr_label(labels: &AttrLabels, attr: Attr) -> &str {
    match attr {
        Attr::Unconditional => &labels.unconditional,
        Attr::Conditional => &labels.conditional,
        Attr::None => &labels.none,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_parses() {
        for id in Profile::shipped_ids() {
            let p = Profile::shipped(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(p.id, id);
            assert!(p.audit_retention_years() >= 3);
            for role in Role::ALL {
                assert!(p.labels.roles.contains_key(role.as_str()), "{id} labels role {role}");
            }
            assert!(p.catalog.annual_list_cutoff(2027).is_some(), "{id}: the lists' cut-off is a day (MM-DD)");
        }
        assert_eq!(Profile::shipped("nowhere-2099").unwrap_err().code, "unknown_profile");
    }

    #[test]
    fn regimes_differ_where_the_text_does() {
        let lishui = Profile::shipped("lishui-2020").unwrap();
        let sys = Profile::shipped("shuangyashan-2026").unwrap();
        assert!(!lishui.features.open_attr, "丽水 has no open attribute");
        assert!(sys.features.authorized_operation, "双鸭山 has authorized operation");
        for id in ["lishui-2020", "changsha-2021", "yinzhou-2023", "foshan-2020"] {
            assert!(!Profile::shipped(id).unwrap().features.authorized_operation, "{id}");
        }
    }

    /// Every working-day deadline of every profile, counted from the Friday before Spring Festival 2026 (调休
    /// Saturdays 14 and 28 February worked, 15–23 February off) and from the day before National Day 2026
    /// (1–7 October off, Saturday 10 October worked). The expected dates are counted by hand from the notice.
    #[test]
    fn sys_13c_every_profile_deadline_counts_working_days_across_holidays_and_adjusted_days() {
        let cal = Calendar::shipped();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let spring = [(1, "2026-02-14"), (2, "2026-02-24"), (3, "2026-02-25"), (5, "2026-02-27"), (10, "2026-03-05"), (15, "2026-03-12")];
        let national = [(1, "2026-10-08"), (2, "2026-10-09"), (3, "2026-10-10"), (5, "2026-10-13"), (10, "2026-10-20"), (15, "2026-10-27")];
        let mut checked = 0;
        for id in Profile::shipped_ids() {
            let p = Profile::shipped(id).unwrap();
            for deadline in p.deadlines.iter().filter(|x| x.unit == Unit::WorkingDays) {
                for (start, table) in [("2026-02-13", &spring), ("2026-09-30", &national)] {
                    let expected = table
                        .iter()
                        .find(|(n, _)| *n == deadline.value)
                        .unwrap_or_else(|| panic!("{id} {} = {} working days: add it to the table", deadline.key, deadline.value));
                    let due = p.due(&cal, &deadline.key, d(start)).unwrap();
                    assert_eq!(due.due, d(expected.1), "{id} {} from {start}", deadline.key);
                    assert!(!due.provisional);
                    checked += 1;
                }
            }
        }
        assert!(checked >= 20, "checked {checked}");
        // The regimes' own numbers: 双鸭山 1 working day, 佛山 5, 长沙 10 for a conditional share application.
        let sys = Profile::shipped("shuangyashan-2026").unwrap();
        assert_eq!(sys.due(&cal, keys::SHARE_CONDITIONAL_REVIEW, d("2026-02-13")).unwrap().due, d("2026-02-14"));
        let fs = Profile::shipped("foshan-2020").unwrap();
        assert_eq!(fs.due(&cal, keys::SHARE_CONDITIONAL_REVIEW, d("2026-09-30")).unwrap().due, d("2026-10-13"));
        let cs = Profile::shipped("changsha-2021").unwrap();
        assert_eq!(cs.due(&cal, keys::SHARE_CONDITIONAL_REVIEW, d("2026-09-30")).unwrap().due, d("2026-10-20"));
    }

    #[test]
    fn sys_20c_every_profile_keeps_audit_logs_at_least_three_years() {
        for id in Profile::shipped_ids() {
            assert!(Profile::shipped(id).unwrap().audit_retention_years() >= 3, "{id}");
        }
        let text = SHIPPED.iter().find(|(n, _)| *n == "shuangyashan-2026").unwrap().1;
        let short = text.replacen("key = \"audit_retention\"\nvalue = 3", "key = \"audit_retention\"\nvalue = 2", 1);
        assert_ne!(short, text, "the test edits the retention entry");
        assert_eq!(Profile::parse(&short).unwrap_err().code, "invalid_profile", "a profile keeping logs under three years is refused");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = Profile::shipped_ids()
            .iter()
            .map(|id| SHIPPED.iter().find(|(n, _)| n == id).unwrap().1)
            .next()
            .unwrap();
        let broken = format!("surprise = 1\n{text}");
        assert_eq!(Profile::parse(&broken).unwrap_err().code, "invalid_profile");
    }
}
