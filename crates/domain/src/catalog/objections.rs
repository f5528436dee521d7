//! Objections to how an entry is classified (FS-16): a disagreement about its share type is settled by the
//! source department (数源部门) and the same-level data authority together; about its open type, also with the
//! government-disclosure authority (政务公开主管部门). The case closes when every party has recorded the same
//! position, keeping the type or changing it to the one proposed; until then it stays under negotiation.

use super::attrs::Attr;
use super::vocabulary;

vocabulary! {
    /// Which classification the objection is about.
    ObjectionKind {
        /// 共享类型 (FS-16a).
        Share = "share", "共享类型", "share type";
        /// 开放类型 (FS-16b).
        Open = "open", "开放类型", "open type";
    }
}

vocabulary! {
    /// Who decides an objection together.
    Party {
        Source = "source", "数源部门", "source department";
        Authority = "authority", "同级政务数据主管部门", "same-level data authority";
        Disclosure = "disclosure", "政务公开主管部门", "government-disclosure authority";
    }
}

vocabulary! {
    /// A party's position, and the outcome once all agree.
    Outcome {
        Keep = "keep", "维持原类型", "keep the type";
        Change = "change", "调整为拟议类型", "change to the proposed type";
    }
}

vocabulary! {
    ObjectionState {
        Negotiating = "negotiating", "协商中", "under negotiation";
        Kept = "kept", "维持原类型", "type kept";
        Changed = "changed", "已调整类型", "type changed";
    }
}

/// The parties who settle an objection of `kind` (FS-16a: two; FS-16b: three).
pub fn parties(kind: ObjectionKind) -> &'static [Party] {
    match kind {
        ObjectionKind::Share => &[Party::Source, Party::Authority],
        ObjectionKind::Open => &[Party::Source, Party::Authority, Party::Disclosure],
    }
}

/// The state after the positions recorded so far: settled only when every party of `kind` has recorded the same
/// outcome.
pub fn settle(kind: ObjectionKind, positions: &[(Party, Outcome)]) -> ObjectionState {
    let of = |party: Party| positions.iter().rev().find(|(p, _)| *p == party).map(|(_, o)| *o);
    let recorded: Option<Vec<Outcome>> = parties(kind).iter().map(|p| of(*p)).collect();
    match recorded.as_deref() {
        Some([first, rest @ ..]) if rest.iter().all(|o| o == first) => match first {
            Outcome::Keep => ObjectionState::Kept,
            Outcome::Change => ObjectionState::Changed,
        },
        _ => ObjectionState::Negotiating,
    }
}

/// Whether an objection can propose `proposed` against the attribute in force: it must ask for another type.
pub fn proposes_a_change(current: Attr, proposed: Attr) -> bool {
    current != proposed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fs_16a_a_share_objection_closes_when_source_and_authority_agree() {
        use Outcome::*;
        use Party::*;
        assert_eq!(settle(ObjectionKind::Share, &[]), ObjectionState::Negotiating);
        assert_eq!(settle(ObjectionKind::Share, &[(Source, Change)]), ObjectionState::Negotiating);
        assert_eq!(settle(ObjectionKind::Share, &[(Source, Change), (Authority, Keep)]), ObjectionState::Negotiating, "they disagree");
        assert_eq!(settle(ObjectionKind::Share, &[(Source, Change), (Authority, Keep), (Authority, Change)]), ObjectionState::Changed, "the latest position counts");
        assert_eq!(settle(ObjectionKind::Share, &[(Source, Keep), (Authority, Keep)]), ObjectionState::Kept);
    }

    #[test]
    fn fs_16b_an_open_objection_waits_for_the_disclosure_authority() {
        use Outcome::*;
        use Party::*;
        assert_eq!(settle(ObjectionKind::Open, &[(Source, Change), (Authority, Change)]), ObjectionState::Negotiating);
        assert_eq!(settle(ObjectionKind::Open, &[(Source, Change), (Authority, Change), (Disclosure, Change)]), ObjectionState::Changed);
        assert_eq!(parties(ObjectionKind::Open).len(), 3);
        assert!(!proposes_a_change(Attr::None, Attr::None));
    }
}
