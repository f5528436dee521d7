//! The states of an entry and of its revisions, and the review steps between submission and publication.
//!
//! A resource has at most one published revision (what everyone sees) and at most one working revision (what its
//! provider is editing or has submitted). Editing a published entry makes a new working revision; the published
//! one stays visible until the new one is published (LS-9c). The steps a submitted revision passes follow the
//! regime: everywhere the same-level authority reviews it (SYS-12c, LS-9b, FS-17b); in 双鸭山 the service center
//! checks and consolidates it first (校核汇总), and a district's entry is re-reviewed by the city authority
//! (复核, SYS-12d).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::vocabulary;
use crate::Invalid;

vocabulary! {
    /// The entry as a whole.
    ResourceState {
        /// Never published yet.
        Unpublished = "unpublished", "未发布", "unpublished";
        Published = "published", "已发布", "published";
        /// Taken out of the catalog; a new revision can publish it again.
        Withdrawn = "withdrawn", "已撤回", "withdrawn";
        /// 作废 / 失效: kept for the record, never published again.
        Obsolete = "obsolete", "已废止", "obsolete";
    }
}

vocabulary! {
    /// One revision.
    RevisionState {
        Draft = "draft", "草稿", "draft";
        InReview = "in_review", "审核中", "in review";
        Returned = "returned", "已退回", "returned";
        Published = "published", "已发布", "published";
        /// A published revision a later one replaced.
        Superseded = "superseded", "已被替代", "superseded";
    }
}

vocabulary! {
    /// A review step.
    Step {
        /// The department's own reviewer, not its editor, reviews (审核, FS-17b).
        DepartmentReview = "department_review", "本部门审核", "department review";
        /// The service center checks and consolidates (校核汇总).
        ServiceCheck = "service_check", "服务机构校核汇总", "service center check";
        /// The authority of the provider's level reviews (审核).
        AuthorityReview = "authority_review", "同级主管部门审核", "same-level authority review";
        /// The city authority re-reviews a district's entry (复核).
        CityReview = "city_review", "市级主管部门复核", "city authority re-review";
    }
}

/// How the regime in force reviews entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReviewFlow {
    /// The provider's own reviewer reviews first (FS-17b).
    pub department_review: bool,
    /// The service center checks entries before publication (SYS-12d).
    pub service_check: bool,
    /// A district's entry is re-reviewed by the city authority after its own authority approves (SYS-12d).
    pub city_review_of_district: bool,
}

impl ReviewFlow {
    /// The steps a submitted revision passes, in order. `district` is whether the provider sits in a district
    /// that has an authority of its own.
    pub fn steps(self, district: bool) -> Vec<Step> {
        let mut steps = if self.department_review { vec![Step::DepartmentReview] } else { vec![] };
        steps.extend(self.authority_steps(district));
        steps
    }

    fn authority_steps(self, district: bool) -> Vec<Step> {
        match (district, self.service_check, self.city_review_of_district) {
            (true, check, true) => {
                let mut steps = vec![Step::AuthorityReview];
                if check {
                    steps.push(Step::ServiceCheck);
                }
                steps.push(Step::CityReview);
                steps
            }
            (_, true, _) => vec![Step::ServiceCheck, Step::AuthorityReview],
            (_, false, _) => vec![Step::AuthorityReview],
        }
    }

    /// The step after `step`, or none when passing it publishes the revision.
    pub fn after(self, district: bool, step: Step) -> Option<Step> {
        let steps = self.steps(district);
        let at = steps.iter().position(|s| *s == step)?;
        steps.get(at + 1).copied()
    }
}

vocabulary! {
    /// The providing institution's answer when consulted about a revision someone else wrote (YZ-7c).
    Opinion {
        Agree = "agree", "同意", "agree";
        Disagree = "disagree", "不同意", "disagree";
    }
}

vocabulary! {
    /// How publishing or withdrawing moves an entry in the open catalog, as its public change log says (LS-21a).
    OpenChange {
        Added = "added", "新增", "added";
        Updated = "updated", "更新", "updated";
        Withdrawn = "withdrawn", "撤销", "withdrawn";
    }
}

/// The open catalog's change when an entry that was (or was not) open before becomes open (or not); none when
/// the open catalog does not see it.
pub fn open_change(was_open: bool, is_open: bool) -> Option<OpenChange> {
    match (was_open, is_open) {
        (false, true) => Some(OpenChange::Added),
        (true, true) => Some(OpenChange::Updated),
        (true, false) => Some(OpenChange::Withdrawn),
        (false, false) => None,
    }
}

/// Whether a revision in `state` may be edited by its provider.
pub fn editable(state: RevisionState) -> bool {
    matches!(state, RevisionState::Draft | RevisionState::Returned)
}

/// Refuses an action on a revision in the wrong state, saying what state it is in.
pub fn require(state: RevisionState, allowed: &[RevisionState], action_zh: &str, action_en: &str) -> Result<(), Invalid> {
    if allowed.contains(&state) {
        Ok(())
    } else {
        Err(Invalid::new(
            "invalid_state",
            format!("当前修订为“{}”，不能{action_zh}", state.label()),
            format!("The revision is {}: it cannot be {action_en}", state.label_en()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_12d_district_entries_pass_three_steps_and_city_entries_two() {
        let sys = ReviewFlow { department_review: false, service_check: true, city_review_of_district: true };
        assert_eq!(sys.steps(true), [Step::AuthorityReview, Step::ServiceCheck, Step::CityReview]);
        assert_eq!(sys.steps(false), [Step::ServiceCheck, Step::AuthorityReview]);
        assert_eq!(sys.after(true, Step::ServiceCheck), Some(Step::CityReview));
        assert_eq!(sys.after(false, Step::AuthorityReview), None);
        let others = ReviewFlow { department_review: false, service_check: false, city_review_of_district: false };
        assert_eq!(others.steps(true), [Step::AuthorityReview]);
        assert_eq!(others.steps(false), [Step::AuthorityReview]);
        let foshan = ReviewFlow { department_review: true, ..others };
        assert_eq!(foshan.steps(false), [Step::DepartmentReview, Step::AuthorityReview]);
        assert_eq!(foshan.after(false, Step::DepartmentReview), Some(Step::AuthorityReview));
    }

    #[test]
    fn ls_21a_the_open_catalog_logs_additions_updates_and_withdrawals() {
        assert_eq!(open_change(false, true), Some(OpenChange::Added));
        assert_eq!(open_change(true, true), Some(OpenChange::Updated));
        assert_eq!(open_change(true, false), Some(OpenChange::Withdrawn));
        assert_eq!(open_change(false, false), None, "data never opened is not in the log");
    }

    #[test]
    fn only_drafts_and_returned_revisions_are_edited() {
        assert!(editable(RevisionState::Draft) && editable(RevisionState::Returned));
        assert!(!editable(RevisionState::InReview) && !editable(RevisionState::Published));
        let e = require(RevisionState::Published, &[RevisionState::Draft], "提交", "submitted").unwrap_err();
        assert!(e.message.contains("已发布"));
    }
}
