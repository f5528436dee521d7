//! Roles of the platform (PRODUCT.md) and the separation of duties of 佛山 第四十二条 (FS-42b): security
//! management, data operation and audit never meet in one person.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Data bureau staff (数据局): review, settings, evaluation.
    AuthorityAdmin,
    /// Big-data center staff (大数据中心): aggregation, desensitization, base databases.
    ServiceOperator,
    /// A department's data officer (数据专员).
    DeptDataOfficer,
    /// A department's security officer.
    DeptSecurityOfficer,
    /// Audit staff (审计核查): read audit trails and reports, nothing else.
    Auditor,
    /// A licensed operator (运营机构).
    Operator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::AuthorityAdmin,
        Role::ServiceOperator,
        Role::DeptDataOfficer,
        Role::DeptSecurityOfficer,
        Role::Auditor,
        Role::Operator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::AuthorityAdmin => "authority_admin",
            Role::ServiceOperator => "service_operator",
            Role::DeptDataOfficer => "dept_data_officer",
            Role::DeptSecurityOfficer => "dept_security_officer",
            Role::Auditor => "auditor",
            Role::Operator => "operator",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::AuthorityAdmin => "Data authority administrator",
            Role::ServiceOperator => "Data service center operator",
            Role::DeptDataOfficer => "Department data officer",
            Role::DeptSecurityOfficer => "Department security officer",
            Role::Auditor => "Auditor",
            Role::Operator => "Licensed operator",
        }
    }

    /// The duty of FS-42b a role belongs to, if any.
    pub fn duty(self) -> Option<Duty> {
        match self {
            Role::DeptSecurityOfficer => Some(Duty::SecurityManagement),
            Role::ServiceOperator | Role::DeptDataOfficer => Some(Duty::DataOperation),
            Role::Auditor => Some(Duty::Audit),
            Role::AuthorityAdmin | Role::Operator => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Role, Invalid> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            Invalid::new(
                "unknown_role",
                format!("未知角色“{s}”，可选：{}", known.join("、")),
                format!("Unknown role '{s}'; one of: {}", known.join(", ")),
            )
        })
    }
}

/// The three duties that 佛山 第四十二条 keeps apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    SecurityManagement,
    DataOperation,
    Audit,
}

impl Duty {
    pub fn label(self) -> &'static str {
        match self {
            Duty::SecurityManagement => "安全管理",
            Duty::DataOperation => "数据操作",
            Duty::Audit => "审计核查",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Duty::SecurityManagement => "security management",
            Duty::DataOperation => "data operation",
            Duty::Audit => "audit",
        }
    }
}

/// Checks that adding `new_role` to a user who holds `held` keeps the duties apart.
pub fn check_separation_of_duties(held: &[Role], new_role: Role) -> Result<(), Invalid> {
    let Some(new_duty) = new_role.duty() else { return Ok(()) };
    for role in held {
        if let Some(duty) = role.duty() {
            if duty != new_duty {
                return Err(Invalid::new(
                    "separation_of_duties",
                    format!(
                        "职责分离：该用户已担任“{}”（{}职责），不能再担任“{}”（{}职责）。安全管理、数据操作、审计核查须由不同人员负责（佛山办法第四十二条）。请为该职责另设账号。",
                        role.as_str(),
                        duty.label(),
                        new_role.as_str(),
                        new_duty.label()
                    ),
                    format!(
                        "Separation of duties: the user already holds '{}' ({}) and cannot also hold '{}' ({}). Security management, data operation and audit must be held by different people (Foshan Art. 42). Create a separate account for this duty.",
                        role.as_str(),
                        duty.label_en(),
                        new_role.as_str(),
                        new_duty.label_en()
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fs_42b_three_duties_never_meet_in_one_user() {
        use Role::*;
        let refused = [
            (DeptSecurityOfficer, DeptDataOfficer),
            (DeptSecurityOfficer, ServiceOperator),
            (DeptSecurityOfficer, Auditor),
            (DeptDataOfficer, Auditor),
            (ServiceOperator, Auditor),
            (Auditor, DeptDataOfficer),
            (Auditor, DeptSecurityOfficer),
            (DeptDataOfficer, DeptSecurityOfficer),
        ];
        for (held, new) in refused {
            let err = check_separation_of_duties(&[held], new).unwrap_err();
            assert_eq!(err.code, "separation_of_duties", "{held} + {new}");
            assert!(err.message.contains("第四十二条"));
        }
        // Roles of the same duty, and roles outside the three duties, combine.
        assert!(check_separation_of_duties(&[DeptDataOfficer], ServiceOperator).is_ok());
        assert!(check_separation_of_duties(&[AuthorityAdmin], Auditor).is_ok());
        assert!(check_separation_of_duties(&[Auditor], AuthorityAdmin).is_ok());
        assert!(check_separation_of_duties(&[], DeptSecurityOfficer).is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().unwrap_err().message_en.contains("auditor"));
    }
}
