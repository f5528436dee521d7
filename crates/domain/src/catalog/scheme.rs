//! The classification and grading standard (分类分级标准, SYS-11a) the city's data authority sets: the subject
//! categories and the grades entries may use. Each change is a new version; an entry is checked against the
//! version in force when it is submitted, and published entries the new version no longer admits must be
//! reclassified by their departments.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::entry::{ResourceContent, SecurityLevel};
use crate::FieldIssue;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassificationScheme {
    /// 0 until the authority sets one: then any category and grade are admitted.
    #[serde(default)]
    pub version: i64,
    /// The subject categories (分类), e.g. 人口、法人、电子证照; empty admits any.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The grades (分级) in use; empty admits every grade.
    #[serde(default)]
    pub levels: Vec<SecurityLevel>,
}

impl ClassificationScheme {
    /// What `c` states that this version does not admit; empty when it conforms. Unset fields are left to the
    /// required-field rules.
    pub fn issues(&self, c: &ResourceContent) -> Vec<FieldIssue> {
        let mut out = Vec::new();
        let category = c.classification.trim();
        if !self.categories.is_empty() && !category.is_empty() && !self.categories.iter().any(|k| k == category) {
            out.push(FieldIssue::new(
                "classification",
                format!("资源分类“{category}”不在第{}版分类分级标准中，可选：{}", self.version, self.categories.join("、")),
                format!("Category '{category}' is not in version {} of the classification standard: {}", self.version, self.categories.join(", ")),
            ));
        }
        let admitted = |l: SecurityLevel| self.levels.is_empty() || self.levels.contains(&l);
        if let Some(level) = c.security_level.filter(|l| !admitted(*l)) {
            out.push(FieldIssue::new(
                "security_level",
                format!("安全等级“{}”不在第{}版分类分级标准中", level.label(), self.version),
                format!("Grade '{}' is not in version {} of the classification standard", level.label_en(), self.version),
            ));
        }
        for (i, item) in c.items.iter().enumerate() {
            if let Some(level) = item.level.filter(|l| !admitted(*l)) {
                out.push(FieldIssue::new(
                    format!("items[{i}].level"),
                    format!("数据项“{}”的安全等级“{}”不在第{}版分类分级标准中", item.label, level.label(), self.version),
                    format!("Item '{}': grade '{}' is not in version {} of the classification standard", item.label, level.label_en(), self.version),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::testing::item;

    #[test]
    fn sys_11a_entries_are_checked_against_the_scheme_in_force() {
        let mut c = ResourceContent { name: "户籍人口基本信息".into(), classification: "人口".into(), security_level: Some(SecurityLevel::L3), ..Default::default() };
        c.items = vec![item("zjhm", "公民身份号码")];
        c.items[0].level = Some(SecurityLevel::L4);
        assert!(ClassificationScheme::default().issues(&c).is_empty(), "version 0 admits anything");
        let v2 = ClassificationScheme { version: 2, categories: vec!["自然人".into(), "法人".into()], levels: vec![SecurityLevel::L1, SecurityLevel::L2, SecurityLevel::L3] };
        let fields: Vec<String> = v2.issues(&c).into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["classification", "items[0].level"]);
        c.classification = "自然人".into();
        c.items[0].level = Some(SecurityLevel::L3);
        assert!(v2.issues(&c).is_empty());
    }
}
