//! The gates an IT project passes on its catalog entries: at approval (立项) its entries must exist, or be
//! submitted, or be published, as the regime says (LS-29a, SYS-14a, YZ-8b, CS-13a), with an open-catalog plan
//! where required (SYS-69c); going online (建成), a new system states its docking document and interfaces where
//! the regime asks (CS-13c); at acceptance (验收) every entry must be published (LS-29b, SYS-14b, YZ-8c, CS-13b).

use schemars::JsonSchema;
use serde::Serialize;

use super::entry::CatalogKind;
use super::lifecycle::{ResourceState, RevisionState};
use crate::error::FieldIssue;
use crate::profile::{CatalogProfile, ProjectApproval};

/// What a gate needs to know of a linked entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedEntry {
    pub code: String,
    pub name: String,
    pub catalog_kind: CatalogKind,
    pub state: ResourceState,
    pub working: Option<RevisionState>,
    /// The entry (its latest content) says whether and how it is opened.
    pub open_decided: bool,
    /// Data has been delivered for it (a dataset version exists: 挂接).
    pub delivered: bool,
}

impl LinkedEntry {
    fn submitted(&self) -> bool {
        self.state == ResourceState::Published || self.working == Some(RevisionState::InReview)
    }
}

/// A gate's answer: passed, or the problems to fix, each naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GateReport {
    pub passed: bool,
    pub problems: Vec<FieldIssue>,
}

impl GateReport {
    fn of(problems: Vec<FieldIssue>) -> GateReport {
        GateReport { passed: problems.is_empty(), problems }
    }
}

/// The approval gate.
pub fn approval(entries: &[LinkedEntry], rules: &CatalogProfile) -> GateReport {
    let mut problems = Vec::new();
    let (wanted_zh, wanted_en) = match rules.project_approval {
        ProjectApproval::Drafted => ("预编（起草）", "drafted"),
        ProjectApproval::Submitted => ("提交同级主管部门审核", "submitted to the same-level authority"),
        ProjectApproval::Published => ("编制发布", "published"),
    };
    let qualifies = |e: &&LinkedEntry| match rules.project_approval {
        ProjectApproval::Drafted => e.state != ResourceState::Obsolete,
        ProjectApproval::Submitted => e.submitted(),
        ProjectApproval::Published => e.state == ResourceState::Published,
    };
    let qualifying: Vec<&LinkedEntry> = entries.iter().filter(qualifies).collect();
    if qualifying.is_empty() {
        problems.push(FieldIssue::new(
            "resources",
            format!("未提交公共数据资源目录：项目须关联至少一条已{wanted_zh}的目录"),
            format!("No catalog: the project needs at least one linked entry that is {wanted_en}"),
        ));
    }
    if rules.project_needs_information_catalog && !qualifying.iter().any(|e| e.catalog_kind == CatalogKind::Information) {
        problems.push(FieldIssue::new(
            "resources",
            "项目须规划并编制发布政务信息资源目录（信息资源目录缺失）",
            "The project must plan and publish an information-resource catalog entry (none is linked)",
        ));
    }
    if rules.project_needs_open_plan {
        for e in entries.iter().filter(|e| !e.open_decided) {
            problems.push(FieldIssue::new(
                format!("resources[{}]", e.code),
                format!("未同步规划编制开放目录：{}（{}）未明确开放属性", e.name, e.code),
                format!("No open-catalog plan: {} ({}) does not state its open attribute", e.name, e.code),
            ));
        }
    }
    GateReport::of(problems)
}

/// What a new business system states of its docking with the platform (CS-13c).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Docking {
    pub document: String,
    pub share_interface: String,
    pub open_interface: String,
}

/// The gate to go online (建成上线): the system comes with its docking description and reserves standard share and
/// open interfaces (CS-13c: 预留通用标准的数据共享和开放接口，编制数据对接说明文档).
pub fn online(docking: &Docking) -> GateReport {
    let mut problems = Vec::new();
    for (field, value, zh, en) in [
        ("docking_document", &docking.document, "缺少数据对接说明文档", "The docking description document is missing"),
        ("share_interface", &docking.share_interface, "未登记预留的数据共享接口", "No reserved data-sharing interface is registered"),
        ("open_interface", &docking.open_interface, "未登记预留的数据开放接口", "No reserved open-data interface is registered"),
    ] {
        if value.trim().is_empty() {
            problems.push(FieldIssue::new(field, zh, en));
        }
    }
    GateReport::of(problems)
}

/// The acceptance gate: every entry published, and where the regime asks, with its data delivered.
pub fn acceptance(entries: &[LinkedEntry], rules: &CatalogProfile) -> GateReport {
    let mut problems = Vec::new();
    if entries.is_empty() {
        problems.push(FieldIssue::new("resources", "项目未关联公共数据资源目录", "The project has no linked catalog entry"));
    }
    for e in entries.iter().filter(|e| e.state != ResourceState::Published) {
        problems.push(FieldIssue::new(
            format!("resources[{}]", e.code),
            format!("目录未发布：{}（{}）当前为“{}”", e.name, e.code, e.state.label()),
            format!("Not published: {} ({}) is {}", e.name, e.code, e.state.label_en()),
        ));
    }
    if rules.project_needs_data {
        // Data-resource entries hold data; an information-resource entry describes a system's information.
        for e in entries.iter().filter(|e| e.state == ResourceState::Published && e.catalog_kind == CatalogKind::Data && !e.delivered) {
            problems.push(FieldIssue::new(
                format!("resources[{}]", e.code),
                format!("数据未归集挂接：{}（{}）尚无归集入库的数据", e.name, e.code),
                format!("No data aggregated: {} ({}) has no delivered data yet", e.name, e.code),
            ));
        }
    }
    GateReport::of(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Field;
    use crate::profile::UpdateFulfilledBy;

    fn rules(approval: ProjectApproval) -> CatalogProfile {
        CatalogProfile {
            required: vec![Field::Name],
            basis_required_for: vec![],
            department_review: false,
            service_check: false,
            city_review_of_district: false,
            update_fulfilled_by: UpdateFulfilledBy::Submission,
            update_filing: false,
            project_approval: approval,
            project_needs_information_catalog: false,
            project_needs_open_plan: false,
            project_exception: false,
            open_security_review: false,
            classification_objections: false,
            sectors: false,
            consult_provider: false,
            reclassification_reason: false,
            project_needs_docking: false,
            project_needs_data: false,
            annual_list_cutoff: "12-31".into(),
        }
    }

    fn entry(code: &str, state: ResourceState, working: Option<RevisionState>) -> LinkedEntry {
        LinkedEntry { code: code.into(), name: code.into(), catalog_kind: CatalogKind::Data, state, working, open_decided: true, delivered: false }
    }

    #[test]
    fn approval_asks_as_much_as_the_regime() {
        let draft = entry("A", ResourceState::Unpublished, Some(RevisionState::Draft));
        let submitted = entry("B", ResourceState::Unpublished, Some(RevisionState::InReview));
        assert!(!approval(&[], &rules(ProjectApproval::Drafted)).passed);
        assert!(approval(std::slice::from_ref(&draft), &rules(ProjectApproval::Drafted)).passed);
        assert!(!approval(std::slice::from_ref(&draft), &rules(ProjectApproval::Submitted)).passed);
        assert!(approval(&[draft.clone(), submitted.clone()], &rules(ProjectApproval::Submitted)).passed);
        assert!(!approval(&[submitted], &rules(ProjectApproval::Published)).passed);
        let mut open_plan = rules(ProjectApproval::Drafted);
        open_plan.project_needs_open_plan = true;
        let undecided = LinkedEntry { open_decided: false, ..draft };
        let report = approval(&[undecided], &open_plan);
        assert!(!report.passed && report.problems[0].message.contains("未同步规划编制开放目录"));
    }

    #[test]
    fn acceptance_names_every_unpublished_entry() {
        let plain = rules(ProjectApproval::Drafted);
        let report = acceptance(
            &[
                entry("A", ResourceState::Published, None),
                entry("B", ResourceState::Unpublished, Some(RevisionState::InReview)),
                entry("C", ResourceState::Withdrawn, None),
            ],
            &plain,
        );
        assert!(!report.passed);
        assert_eq!(report.problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["resources[B]", "resources[C]"]);
        assert!(acceptance(&[entry("A", ResourceState::Published, None)], &plain).passed);
    }

    #[test]
    fn cs_13b_yz_8c_acceptance_needs_aggregated_data_where_the_regime_says() {
        let needs_data = CatalogProfile { project_needs_data: true, ..rules(ProjectApproval::Drafted) };
        let empty = entry("A", ResourceState::Published, None);
        let delivered = LinkedEntry { delivered: true, ..entry("B", ResourceState::Published, None) };
        let report = acceptance(&[empty.clone(), delivered.clone()], &needs_data);
        assert_eq!(report.problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["resources[A]"]);
        assert!(report.problems[0].message.contains("尚无归集入库的数据"));
        assert!(acceptance(&[delivered], &needs_data).passed);
        assert!(acceptance(&[empty.clone()], &rules(ProjectApproval::Drafted)).passed, "other regimes ask publication only");
        let information = LinkedEntry { catalog_kind: CatalogKind::Information, ..empty };
        assert!(acceptance(&[information], &needs_data).passed, "an information-resource entry holds no data");
    }
}
