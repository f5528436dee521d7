//! Exchange channels outside the platform (LS-17a, CS-22e, FS-25b): the platform is the one channel for sharing,
//! so departments register the point-to-point channels and platforms of their own, which are integrated into the
//! platform or shut down as the regime says; one kept or newly built is an exception that the authority — or, in
//! 佛山, the city government, whose approval the authority records — approves. Pure rules; the service applies them.

use serde::{Deserialize, Serialize};

use crate::catalog::vocabulary;
use crate::Invalid;

vocabulary! {
    /// What a department registers.
    ChannelKind {
        Channel = "channel", "共享交换通道", "exchange channel";
        /// A department's own data platform (FS-25b: 原则上不单独建设政务大数据平台).
        Platform = "platform", "部门数据平台", "department data platform";
    }
}

vocabulary! {
    /// Where a registered channel stands.
    ChannelState {
        /// In use: to be integrated into the platform or shut down, as the regime says.
        InUse = "in_use", "在用，待整合或关停", "in use, to be integrated or shut down";
        /// Kept or newly built as an exception, awaiting approval (LS-17a: a new channel starts here).
        ExceptionRequested = "exception_requested", "例外申请待批准", "exception awaiting approval";
        ExceptionApproved = "exception_approved", "例外已批准", "exception approved";
        /// Integrated into the platform, or shut down.
        Retired = "retired", "已整合或关停", "integrated or shut down";
    }
}

impl ChannelState {
    /// Whether the channel is as the regulation wants it: gone into the platform, or an approved exception.
    pub fn compliant(self) -> bool {
        matches!(self, ChannelState::ExceptionApproved | ChannelState::Retired)
    }

    /// The label, naming what the regime does with channels still in use.
    pub fn label_for(self, fate: ChannelFate) -> (&'static str, &'static str) {
        match (self, fate) {
            (ChannelState::InUse, ChannelFate::Integrate) => ("在用，待整合", "in use, to be integrated"),
            (ChannelState::InUse, ChannelFate::Close) => ("在用，待关停", "in use, to be shut down"),
            (ChannelState::Retired, ChannelFate::Integrate) => ("已整合", "integrated"),
            (ChannelState::Retired, ChannelFate::Close) => ("已关停", "shut down"),
            (s, _) => (s.label(), s.label_en()),
        }
    }
}

/// What becomes of the channels already built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelFate {
    /// 已经建成的，应当进行整合 (LS-17a), 纳入全市一体化统一管理 (FS-25b), 归并至平台 (双鸭山 第七条).
    Integrate,
    /// 已建共享交换通道的，应当逐步关停 (CS-22e).
    Close,
}

/// Who approves a channel kept or built outside the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionApprover {
    /// The data authority (LS-17a: 原则上; CS-22e: 应报市数据资源局批准).
    Authority,
    /// The city government; the authority records its approval document (FS-25b: 应报市人民政府批准).
    Government,
    /// The regulation allows no exception: every channel goes into the platform.
    None,
}

/// The regime's rule for channels outside the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelProfile {
    pub existing: ChannelFate,
    pub exception_approver: ExceptionApprover,
}

/// The state a channel is registered in. One already built is in use until it is integrated or shut down; a new one
/// is an exception awaiting approval where the regime allows exceptions (LS-17a), which needs its reason.
pub fn registered(new: bool, exception_reason: &str, profile: &ChannelProfile) -> Result<ChannelState, Invalid> {
    if !new {
        return Ok(ChannelState::InUse);
    }
    check_exception(ChannelState::InUse, exception_reason, profile)?;
    Ok(ChannelState::ExceptionRequested)
}

/// Checks a request to keep (or build) a channel as an exception.
pub fn check_exception(state: ChannelState, reason: &str, profile: &ChannelProfile) -> Result<(), Invalid> {
    if profile.exception_approver == ExceptionApprover::None {
        return Err(Invalid::new(
            "no_channel_exception",
            "适用办法不允许在平台之外新建或保留共享交换通道：请通过平台共享，已建通道归并至平台",
            "The regulation in force allows no channel outside the platform: share through the platform and merge existing channels into it",
        ));
    }
    if state != ChannelState::InUse {
        return Err(state_error(state));
    }
    if reason.trim().is_empty() || reason.chars().count() > 1000 {
        return Err(Invalid::new(
            "channel_exception_reason",
            "请说明确需在平台之外新建或保留通道的特殊情况（1至1000字）",
            "State the special circumstances that need a channel outside the platform (1 to 1000 characters)",
        ));
    }
    Ok(())
}

/// The approver's decision on an exception: approved, or refused with a reason (the channel stays in use, to be
/// integrated or shut down). Where the city government approves, the approval document is recorded (FS-25b).
pub fn decide(state: ChannelState, approve: bool, reason: &str, approval_document: &str, profile: &ChannelProfile) -> Result<ChannelState, Invalid> {
    if state != ChannelState::ExceptionRequested {
        return Err(state_error(state));
    }
    if reason.chars().count() > 1000 || approval_document.chars().count() > 200 {
        return Err(Invalid::new("channel_decision_text", "理由不超过1000字，批准文件不超过200字", "At most 1000 characters for the reason and 200 for the approval document"));
    }
    if !approve {
        if reason.trim().is_empty() {
            return Err(Invalid::new("refusal_reason", "不予批准须说明理由", "A refusal states its reason"));
        }
        return Ok(ChannelState::InUse);
    }
    if profile.exception_approver == ExceptionApprover::Government && approval_document.trim().is_empty() {
        return Err(Invalid::new(
            "channel_approval_document",
            "须载明市人民政府的批准文件（名称或文号）后方可批准例外",
            "An exception is approved only with the city government's approval document (its title or number)",
        ));
    }
    Ok(ChannelState::ExceptionApproved)
}

/// A channel integrated into the platform or shut down; any channel not yet gone may be.
pub fn retire(state: ChannelState) -> Result<ChannelState, Invalid> {
    if state == ChannelState::Retired {
        return Err(state_error(state));
    }
    Ok(ChannelState::Retired)
}

fn state_error(state: ChannelState) -> Invalid {
    Invalid::new(
        "channel_state",
        format!("该通道当前状态为“{}”，不能进行此操作", state.label()),
        format!("The channel is {}: this step does not apply", state.label_en()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISHUI: ChannelProfile = ChannelProfile { existing: ChannelFate::Integrate, exception_approver: ExceptionApprover::Authority };
    const FOSHAN: ChannelProfile = ChannelProfile { existing: ChannelFate::Integrate, exception_approver: ExceptionApprover::Government };
    const NONE: ChannelProfile = ChannelProfile { existing: ChannelFate::Integrate, exception_approver: ExceptionApprover::None };

    #[test]
    fn a_new_channel_awaits_an_exception_and_an_old_one_is_in_use_neither_compliant() {
        assert_eq!(registered(false, "", &LISHUI), Ok(ChannelState::InUse));
        assert_eq!(registered(true, "应急指挥专线", &LISHUI), Ok(ChannelState::ExceptionRequested));
        assert_eq!(registered(true, " ", &LISHUI).unwrap_err().code, "channel_exception_reason");
        assert_eq!(registered(true, "应急指挥专线", &NONE).unwrap_err().code, "no_channel_exception");
        assert!(!ChannelState::InUse.compliant() && !ChannelState::ExceptionRequested.compliant());
        assert!(ChannelState::ExceptionApproved.compliant() && ChannelState::Retired.compliant());
    }

    #[test]
    fn an_exception_is_decided_once_and_in_foshan_with_the_governments_document() {
        use ChannelState::*;
        assert_eq!(decide(ExceptionRequested, true, "", "", &LISHUI), Ok(ExceptionApproved));
        assert_eq!(decide(ExceptionRequested, true, "", " ", &FOSHAN).unwrap_err().code, "channel_approval_document");
        assert_eq!(decide(ExceptionRequested, true, "", "佛府函〔2024〕12号", &FOSHAN), Ok(ExceptionApproved));
        assert_eq!(decide(ExceptionRequested, false, "", "", &LISHUI).unwrap_err().code, "refusal_reason");
        assert_eq!(decide(ExceptionRequested, false, "可通过平台接口共享", "", &LISHUI), Ok(InUse));
        assert_eq!(decide(InUse, true, "", "", &LISHUI).unwrap_err().code, "channel_state");
        assert_eq!(check_exception(ExceptionApproved, "理由", &LISHUI).unwrap_err().code, "channel_state");
        assert_eq!(retire(ExceptionApproved), Ok(Retired));
        assert_eq!(retire(Retired).unwrap_err().code, "channel_state");
        assert_eq!(InUse.label_for(ChannelFate::Close).0, "在用，待关停");
    }
}
