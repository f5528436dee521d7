//! Disputes between departments over shared data (争议, SYS-29, FS-26c): the parties negotiate; a party takes a
//! failed negotiation to the authority, which coordinates; coordination that fails goes, with the authority's
//! opinion, to the body the regime names for a decision (本级政府 in 双鸭山, 佛山市大数据统筹发展决策委员会 in 佛山).
//! Also the requests for data from outside the city (SYS-34, FS-27), which only pass upward through authorities.
//! Pure rules: who may take which step from which state, and which authority coordinates.

use crate::catalog::vocabulary;
use crate::Invalid;

vocabulary! {
    /// Where a dispute stands (SYS-29a).
    DisputeState {
        Negotiating = "negotiating", "协商中", "negotiating";
        /// A party took the failed negotiation to the authority.
        Coordinating = "coordinating", "主管部门协调中", "coordinated by the authority";
        /// Coordination failed; the authority's opinion is before the deciding body (SYS-29b).
        Referred = "referred", "已报请决定", "referred for decision";
        Resolved = "resolved", "已解决", "resolved";
    }
}

vocabulary! {
    /// How a dispute ended.
    DisputeOutcome {
        Agreed = "agreed", "协商一致", "agreed by the parties";
        Coordinated = "coordinated", "经协调解决", "settled by the authority's coordination";
        Decided = "decided", "已作出决定", "decided";
        Withdrawn = "withdrawn", "已撤回", "withdrawn";
    }
}

vocabulary! {
    /// A step in a dispute.
    DisputeStep {
        /// The parties agree (either party records the agreement).
        Settle = "settle", "协商一致", "record the agreement";
        /// Negotiation failed: a party asks the authority to coordinate.
        Escalate = "escalate", "提请协调", "ask the authority to coordinate";
        /// The filer withdraws.
        Withdraw = "withdraw", "撤回", "withdraw";
        /// The coordinating authority records a settlement.
        Coordinate = "coordinate", "协调解决", "record the coordinated settlement";
        /// Coordination failed: the authority refers its opinion for decision.
        Refer = "refer", "提出处理意见报请决定", "refer with an opinion for decision";
        /// The decision is recorded, with its reference.
        Decide = "decide", "登记决定", "record the decision";
    }
}

/// Who takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taker {
    /// The department that opened the dispute.
    Filer,
    /// The other party.
    Respondent,
    /// The authority that coordinates this dispute.
    Coordinator,
    /// Anyone else.
    Other,
}

/// The state a step leads to, and the outcome when it ends the dispute; or why the step cannot be taken now, by
/// this taker.
pub fn next(state: DisputeState, step: DisputeStep, taker: Taker) -> Result<(DisputeState, Option<DisputeOutcome>), Invalid> {
    use DisputeState as S;
    use DisputeStep as T;
    let party = matches!(taker, Taker::Filer | Taker::Respondent);
    let allowed = match (state, step) {
        (S::Negotiating, T::Settle | T::Escalate) => party,
        (S::Negotiating | S::Coordinating, T::Withdraw) => taker == Taker::Filer,
        (S::Coordinating, T::Coordinate | T::Refer) => taker == Taker::Coordinator,
        (S::Referred, T::Decide) => taker == Taker::Coordinator,
        _ => {
            return Err(Invalid::new(
                "dispute_step",
                format!("争议处于“{}”，不能“{}”", state.label(), step.label()),
                format!("The dispute is {}: it cannot take the step '{}'", state.label_en(), step.as_str()),
            ))
        }
    };
    if !allowed {
        let (zh, en) = match step {
            T::Settle | T::Escalate => ("只有争议双方可以记录协商结果或提请协调", "Only the parties record an agreement or ask for coordination"),
            T::Withdraw => ("只有提出争议的部门可以撤回", "Only the department that opened the dispute withdraws it"),
            T::Coordinate | T::Refer | T::Decide => ("该步骤由负责协调的数据主管部门办理", "The coordinating authority takes this step"),
        };
        return Err(Invalid::new("dispute_not_yours", zh, en));
    }
    Ok(match step {
        T::Settle => (S::Resolved, Some(DisputeOutcome::Agreed)),
        T::Escalate => (S::Coordinating, None),
        T::Withdraw => (S::Resolved, Some(DisputeOutcome::Withdrawn)),
        T::Coordinate => (S::Resolved, Some(DisputeOutcome::Coordinated)),
        T::Refer => (S::Referred, None),
        T::Decide => (S::Resolved, Some(DisputeOutcome::Decided)),
    })
}

/// The steps `taker` may take in a dispute in `state`: what the console offers them.
pub fn steps(state: DisputeState, taker: Taker) -> Vec<DisputeStep> {
    DisputeStep::ALL.iter().copied().filter(|&step| next(state, step, taker).is_ok()).collect()
}

/// The region whose authority coordinates a dispute between departments of `a` and `b` (SYS-29a): the same-level
/// authority when both are in one region that has one; otherwise — across regions or levels, or where the district
/// has no authority — the city's.
pub fn coordinator_region(a: i64, b: i64, city: i64, region_has_authority: bool) -> i64 {
    if a == b && region_has_authority {
        a
    } else {
        city
    }
}

vocabulary! {
    /// Where a request for data from outside the city stands (SYS-34, FS-27).
    UpstreamState {
        /// With the requester's own authority (a district's, for a district department).
        LocalReview = "local_review", "待本级主管部门审核", "with the requester's authority";
        /// Forwarded by a district authority to the city's.
        CityReview = "city_review", "待市级主管部门审核", "with the city authority";
        /// The city authority applied upward; the higher level's reference is recorded.
        Submitted = "submitted", "已向上级申请", "applied for upward";
        Obtained = "obtained", "已获取", "obtained";
        Refused = "refused", "上级未同意", "refused by the higher level";
        /// Sent back to the requester with reasons (not needed, or obtainable inside the city).
        Returned = "returned", "已退回", "returned";
    }
}

vocabulary! {
    /// Where the data asked for is held.
    UpstreamTarget {
        Province = "province", "省级平台或部门", "a provincial platform or department";
        National = "national", "国家平台或部门", "a national platform or department";
        /// Another city or region at the same level (跨地区).
        OtherRegion = "other_region", "其他地区", "another region";
    }
}

vocabulary! {
    /// A step on an upstream request, each taken by an authority.
    UpstreamStep {
        /// A district authority passes the request to the city's.
        Forward = "forward", "报送市级主管部门", "forward to the city authority";
        /// The city authority applies to the higher level, with its reference.
        Submit = "submit", "向上级申请", "apply to the higher level";
        Obtained = "obtained", "登记已获取", "record that the data was obtained";
        Refused = "refused", "登记上级未同意", "record the higher level's refusal";
        Return = "return", "退回", "send back with reasons";
    }
}

/// Which authority acts on an upstream request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamActor {
    /// The authority of the requester's region, when that is a district.
    DistrictAuthority,
    CityAuthority,
    Other,
}

/// The state a step on an upstream request leads to; or why it cannot be taken (SYS-34a: a district department's
/// request passes its own authority first; SYS-34b: only the city authority applies upward).
pub fn upstream_next(state: UpstreamState, step: UpstreamStep, actor: UpstreamActor) -> Result<UpstreamState, Invalid> {
    use UpstreamActor as A;
    use UpstreamState as S;
    use UpstreamStep as T;
    let (allowed, to) = match (state, step) {
        (S::LocalReview, T::Forward) => (actor == A::DistrictAuthority, S::CityReview),
        (S::LocalReview, T::Return) => (actor == A::DistrictAuthority, S::Returned),
        (S::CityReview, T::Submit) => (actor == A::CityAuthority, S::Submitted),
        (S::CityReview, T::Return) => (actor == A::CityAuthority, S::Returned),
        (S::Submitted, T::Obtained) => (actor == A::CityAuthority, S::Obtained),
        (S::Submitted, T::Refused) => (actor == A::CityAuthority, S::Refused),
        _ => {
            return Err(Invalid::new(
                "upstream_step",
                format!("申请处于“{}”，不能“{}”", state.label(), step.label()),
                format!("The request is {}: it cannot take the step '{}'", state.label_en(), step.as_str()),
            ))
        }
    };
    if !allowed {
        return Err(Invalid::new(
            "upstream_not_yours",
            if state == S::LocalReview { "该申请由申请部门所在县（区）的数据主管部门先行审核" } else { "只有市级数据主管部门向上级申请" },
            if state == S::LocalReview {
                "The requester's district authority reviews this request first"
            } else {
                "Only the city authority applies to the higher level"
            },
        ));
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DisputeState as S;
    use DisputeStep as T;

    #[test]
    fn a_dispute_goes_from_negotiation_to_coordination_to_decision() {
        assert_eq!(next(S::Negotiating, T::Escalate, Taker::Respondent).unwrap(), (S::Coordinating, None));
        assert_eq!(next(S::Negotiating, T::Settle, Taker::Filer).unwrap(), (S::Resolved, Some(DisputeOutcome::Agreed)));
        assert_eq!(next(S::Coordinating, T::Refer, Taker::Coordinator).unwrap(), (S::Referred, None));
        assert_eq!(next(S::Coordinating, T::Coordinate, Taker::Coordinator).unwrap(), (S::Resolved, Some(DisputeOutcome::Coordinated)));
        assert_eq!(next(S::Referred, T::Decide, Taker::Coordinator).unwrap(), (S::Resolved, Some(DisputeOutcome::Decided)));
        assert_eq!(next(S::Coordinating, T::Withdraw, Taker::Filer).unwrap(), (S::Resolved, Some(DisputeOutcome::Withdrawn)));
    }

    #[test]
    fn steps_out_of_turn_or_by_the_wrong_taker_are_refused() {
        assert_eq!(next(S::Negotiating, T::Refer, Taker::Coordinator).unwrap_err().code, "dispute_step", "no referral before coordination");
        assert_eq!(next(S::Negotiating, T::Escalate, Taker::Other).unwrap_err().code, "dispute_not_yours");
        assert_eq!(next(S::Coordinating, T::Coordinate, Taker::Filer).unwrap_err().code, "dispute_not_yours");
        assert_eq!(next(S::Negotiating, T::Withdraw, Taker::Respondent).unwrap_err().code, "dispute_not_yours");
        assert_eq!(next(S::Resolved, T::Decide, Taker::Coordinator).unwrap_err().code, "dispute_step");
        assert_eq!(next(S::Referred, T::Withdraw, Taker::Filer).unwrap_err().code, "dispute_step", "a referred dispute awaits its decision");
    }

    #[test]
    fn each_party_is_offered_only_the_steps_it_may_take_now() {
        assert_eq!(steps(S::Negotiating, Taker::Filer), [T::Settle, T::Escalate, T::Withdraw]);
        assert_eq!(steps(S::Negotiating, Taker::Respondent), [T::Settle, T::Escalate]);
        assert_eq!(steps(S::Negotiating, Taker::Coordinator), []);
        assert_eq!(steps(S::Coordinating, Taker::Coordinator), [T::Coordinate, T::Refer]);
        assert_eq!(steps(S::Coordinating, Taker::Filer), [T::Withdraw]);
        assert_eq!(steps(S::Referred, Taker::Coordinator), [T::Decide]);
        assert_eq!(steps(S::Resolved, Taker::Filer), []);
        assert_eq!(steps(S::Coordinating, Taker::Other), []);
    }

    #[test]
    fn sys_29a_the_same_level_authority_coordinates_else_the_city() {
        let (city, county) = (1, 4);
        assert_eq!(coordinator_region(county, county, city, true), county);
        assert_eq!(coordinator_region(county, county, city, false), city, "a county without its own authority");
        assert_eq!(coordinator_region(county, city, city, true), city, "across levels");
        assert_eq!(coordinator_region(county, 5, city, true), city, "across regions");
    }

    #[test]
    fn sys_34a_sys_34b_upstream_requests_pass_the_district_then_the_city() {
        use UpstreamActor as A;
        use UpstreamState as U;
        use UpstreamStep as P;
        assert_eq!(upstream_next(U::LocalReview, P::Forward, A::DistrictAuthority).unwrap(), U::CityReview);
        assert_eq!(upstream_next(U::LocalReview, P::Submit, A::CityAuthority).unwrap_err().code, "upstream_step", "no skipping the district");
        assert_eq!(upstream_next(U::CityReview, P::Submit, A::DistrictAuthority).unwrap_err().code, "upstream_not_yours");
        assert_eq!(upstream_next(U::CityReview, P::Submit, A::CityAuthority).unwrap(), U::Submitted);
        assert_eq!(upstream_next(U::Submitted, P::Obtained, A::CityAuthority).unwrap(), U::Obtained);
        assert_eq!(upstream_next(U::Submitted, P::Return, A::CityAuthority).unwrap_err().code, "upstream_step");
    }
}
