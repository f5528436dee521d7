//! One data, one source (一数一源): the register of which department is the source (数源部门) of each class of
//! data and of the items it covers, and the rules on it. A class has one source department, or several with a
//! division of its items among them (采集登记, SYS-15c); a resource of another department that collects one of
//! those items collects it again (重复采集, CS-15b, YZ-9b, SYS-15a), which the authority settles.

use serde::{Deserialize, Serialize};

use crate::catalog::entry::{IdentifierKind, Item};
use crate::Invalid;

crate::catalog::vocabulary! {
    /// Whose base data a class is.
    SourceSubject {
        NaturalPerson = "natural_person", "自然人", "natural persons";
        LegalPerson = "legal_person", "法人和非法人组织", "legal persons and organizations";
        Spatial = "spatial", "自然资源和空间地理", "natural resources and spatial geography";
        Other = "other", "其他", "other";
    }
}

crate::catalog::vocabulary! {
    /// Where a class's designation stands.
    SourceStatus {
        /// One source department, or several with every item divided among them.
        Designated = "designated", "已确定数源", "designated";
        /// Several departments named, their division of the items not yet registered (SYS-16d).
        DivisionPending = "division_pending", "待明确分工", "division pending";
        /// No department mapped yet (SYS-16f: the authority confirms the mapping).
        Unassigned = "unassigned", "未确定数源", "unassigned";
    }
}

/// A source department of a class, with its portion of the items when the class is divided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub department_id: i64,
    /// The items this department is the source of; empty for a sole source (all of them).
    #[serde(default)]
    pub items: Vec<String>,
}

/// A class as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Designation {
    pub class_name: String,
    pub subject: SourceSubject,
    /// The items (names or labels) the class covers.
    pub items: Vec<String>,
    pub parties: Vec<Party>,
    pub status: SourceStatus,
}

/// Where a designation stands without checking it (the statute's own list may name several departments
/// with no division yet).
pub fn status_of(parties: &[Party]) -> SourceStatus {
    match parties.len() {
        0 => SourceStatus::Unassigned,
        1 => SourceStatus::Designated,
        _ if parties.iter().all(|p| !p.items.is_empty()) => SourceStatus::Designated,
        _ => SourceStatus::DivisionPending,
    }
}

fn norm(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase()
}

/// Checks a designation the authority makes: one department, or several with a division that gives every one of
/// them its items, within the class, none given twice (SYS-15b, SYS-15c).
pub fn check_designation(class_items: &[String], parties: &[Party]) -> Result<SourceStatus, Invalid> {
    let mut seen: Vec<(String, i64)> = Vec::new();
    for (i, p) in parties.iter().enumerate() {
        if parties[..i].iter().any(|q| q.department_id == p.department_id) {
            return Err(Invalid::new("duplicate_party", "同一部门在数源中出现两次", "A department appears twice among the sources"));
        }
        if parties.len() > 1 && p.items.is_empty() {
            return Err(Invalid::new(
                "division_required",
                "一数一源：指定多个数源部门时须登记分工，写明每个部门负责的数据项（采集登记）",
                "One data, one source: several source departments need a registered division naming each one's items",
            ));
        }
        for item in &p.items {
            if !class_items.is_empty() && !class_items.iter().any(|c| norm(c) == norm(item)) {
                return Err(Invalid::new("item_outside_class", format!("数据项“{item}”不属于该类数据"), format!("Item '{item}' is not one of the class's items")));
            }
            if let Some((_, other)) = seen.iter().find(|(s, _)| *s == norm(item)) {
                return Err(Invalid::new(
                    "division_overlap",
                    format!("分工重叠：数据项“{item}”同时分给了两个部门（{other}与{}）", p.department_id),
                    format!("The division overlaps: item '{item}' is given to two departments ({other} and {})", p.department_id),
                ));
            }
            seen.push((norm(item), p.department_id));
        }
    }
    Ok(status_of(parties))
}

/// The source departments of an item under a designation: the party whose portion holds it, or all parties while
/// the division is pending (or the sole source). None when the class does not cover the item.
pub fn sources_of(designation: &Designation, item: &Item) -> Option<Vec<i64>> {
    let (name, label) = (norm(&item.name), norm(&item.label));
    let matches = |s: &String| norm(s) == name || norm(s) == label;
    if !designation.items.iter().any(matches) {
        return None;
    }
    if let Some(p) = designation.parties.iter().find(|p| p.items.iter().any(matches)) {
        return Some(vec![p.department_id]);
    }
    Some(designation.parties.iter().filter(|p| p.items.is_empty() || designation.status == SourceStatus::DivisionPending).map(|p| p.department_id).collect())
}

/// An item a resource collects whose source is another department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub item: String,
    pub class_name: String,
    pub source_departments: Vec<i64>,
}

/// The items of `provider`'s resource that other departments are the source of (重复采集). A class of natural-person
/// base data concerns resources about people (with a citizen ID item), one of legal-person data resources about
/// organizations (with a credit code item): a facility's 名称 is not an enterprise's. Identifiers are the keys data
/// is joined by, not collected base data, and are never flagged; nor are classes with no department yet.
pub fn duplicates(provider: i64, items: &[Item], designations: &[Designation]) -> Vec<Duplicate> {
    let has = |kind: IdentifierKind| items.iter().any(|i| i.identifier == kind);
    let applies = |d: &Designation| match d.subject {
        SourceSubject::NaturalPerson => has(IdentifierKind::CitizenId),
        SourceSubject::LegalPerson => has(IdentifierKind::Uscc),
        _ => true,
    };
    let mut out = Vec::new();
    for item in items.iter().filter(|i| !matches!(i.identifier, IdentifierKind::CitizenId | IdentifierKind::Uscc)) {
        for d in designations.iter().filter(|d| applies(d)) {
            let Some(sources) = sources_of(d, item) else { continue };
            if !sources.is_empty() && !sources.contains(&provider) {
                out.push(Duplicate { item: item.name.clone(), class_name: d.class_name.clone(), source_departments: sources });
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog::testing::item;

    fn party(id: i64, items: &[&str]) -> Party {
        Party { department_id: id, items: items.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn sys_15b_sys_15c_several_sources_need_a_division_that_does_not_overlap() {
        let class: Vec<String> = ["出生医学证明编号", "死亡日期", "户籍注销日期"].iter().map(|s| s.to_string()).collect();
        assert_eq!(check_designation(&class, &[party(1, &[])]).unwrap(), SourceStatus::Designated);
        assert_eq!(check_designation(&class, &[]).unwrap(), SourceStatus::Unassigned);
        assert_eq!(check_designation(&class, &[party(1, &[]), party(2, &[])]).unwrap_err().code, "division_required");
        assert_eq!(check_designation(&class, &[party(1, &["死亡日期"]), party(2, &["死亡日期 "])]).unwrap_err().code, "division_overlap");
        assert_eq!(check_designation(&class, &[party(1, &["婚姻状况"])]).unwrap_err().code, "item_outside_class");
        assert_eq!(check_designation(&class, &[party(1, &["死亡日期"]), party(1, &["户籍注销日期"])]).unwrap_err().code, "duplicate_party");
        let divided = [party(1, &["出生医学证明编号"]), party(2, &["死亡日期"]), party(3, &["户籍注销日期"])];
        assert_eq!(check_designation(&class, &divided).unwrap(), SourceStatus::Designated);
        assert_eq!(status_of(&[party(1, &[]), party(2, &[])]), SourceStatus::DivisionPending, "the statute's list, before the division");
    }

    #[test]
    fn cs_15b_an_item_of_another_departments_class_is_a_duplicate_but_identifiers_are_not() {
        let d = Designation {
            class_name: "户籍登记数据".into(),
            subject: SourceSubject::NaturalPerson,
            items: vec!["户籍地址".into(), "民族".into()],
            parties: vec![party(7, &[])],
            status: SourceStatus::Designated,
        };
        let mut id = item("gmsfhm", "户籍地址");
        id.identifier = IdentifierKind::CitizenId;
        let items = [item("hjdz", "户籍地址"), item("mz", "民族"), item("xl", "学历"), id];
        assert!(duplicates(3, &items[..3], std::slice::from_ref(&d)).is_empty(), "not a resource about people");
        let found = duplicates(3, &items, std::slice::from_ref(&d));
        assert_eq!(found.iter().map(|f| f.item.as_str()).collect::<Vec<_>>(), ["hjdz", "mz"]);
        assert_eq!(found[0].source_departments, [7]);
        assert!(duplicates(7, &items, std::slice::from_ref(&d)).is_empty(), "the source itself collects it");
        let pending = Designation { parties: vec![party(7, &[]), party(8, &[])], status: SourceStatus::DivisionPending, ..d.clone() };
        assert!(duplicates(8, &items, std::slice::from_ref(&pending)).is_empty(), "a named party, division pending");
        let unassigned = Designation { parties: vec![], status: SourceStatus::Unassigned, ..d };
        assert!(duplicates(3, &items, &[unassigned]).is_empty(), "nobody to point to yet");
    }
}
