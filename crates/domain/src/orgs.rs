//! Organizations and the people and systems acting for them: regions, departments, users, API tokens, and the
//! audit event as it is read back. These are the records the store returns and the API shows.

use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::roles::Role;
use crate::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    City,
    /// A district or county (区、县、县级市).
    District,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::City => "city",
            RegionLevel::District => "district",
        }
    }
}

impl FromStr for RegionLevel {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "city" => Ok(RegionLevel::City),
            "district" => Ok(RegionLevel::District),
            _ => Err(Invalid::new("invalid_region_level", format!("未知区划级别“{s}”"), format!("Unknown region level '{s}'"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Region {
    pub id: i64,
    /// Administrative division code (GB/T 2260).
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: RegionLevel,
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    /// The data authority (数据局).
    Authority,
    /// The data service center (大数据中心).
    ServiceCenter,
    /// A government department (政务部门).
    Department,
    /// A public utility (公共企事业单位: water, power, gas, transport).
    PublicUtility,
}

impl DepartmentKind {
    pub const ALL: [DepartmentKind; 4] =
        [DepartmentKind::Authority, DepartmentKind::ServiceCenter, DepartmentKind::Department, DepartmentKind::PublicUtility];

    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Authority => "authority",
            DepartmentKind::ServiceCenter => "service_center",
            DepartmentKind::Department => "department",
            DepartmentKind::PublicUtility => "public_utility",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DepartmentKind::Authority => "数据主管部门",
            DepartmentKind::ServiceCenter => "数据服务机构",
            DepartmentKind::Department => "政务部门",
            DepartmentKind::PublicUtility => "公共企事业单位",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            DepartmentKind::Authority => "Data authority",
            DepartmentKind::ServiceCenter => "Data service center",
            DepartmentKind::Department => "Department",
            DepartmentKind::PublicUtility => "Public utility",
        }
    }
}

impl FromStr for DepartmentKind {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        DepartmentKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            Invalid::new(
                "invalid_department_kind",
                format!("未知部门类型“{s}”，可选：authority、service_center、department、public_utility"),
                format!("Unknown department kind '{s}'; one of: authority, service_center, department, public_utility"),
            )
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Department {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub kind: DepartmentKind,
    pub region_id: i64,
    /// Unified social credit code (统一社会信用代码).
    pub uscc: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub department_id: Option<i64>,
    pub roles: Vec<Role>,
    pub active: bool,
    /// RFC 3339, Asia/Shanghai.
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it; the token itself is never stored.
    pub prefix: String,
    pub department_id: i64,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// When an anomaly in its use suspended it (SYS-31a), and why; refused until the authority resumes it.
    pub suspended_at: Option<String>,
    pub suspended_reason: String,
    /// Distinct keys a bulk system may look up in an hour before it counts as enumeration (none: the profile's).
    pub keys_per_hour: Option<i64>,
}

/// An audit event as stored: who, what, why, result, when, from where, and its link in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditEvent {
    pub seq: i64,
    /// RFC 3339, Asia/Shanghai.
    pub occurred_at: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub actor_department_id: Option<i64>,
    pub actor_role: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    /// The scenario or purpose, where there is one.
    pub purpose: String,
    pub result: String,
    pub client_addr: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Checks a username: 3–32 characters of letters, digits, `.`, `_` and `-`.
pub fn parse_username(input: &str) -> Result<String, Invalid> {
    let name = input.trim();
    let ok = (3..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(Invalid::new(
            "invalid_username",
            format!("用户名须为3至32位字母、数字或 . _ -，收到：{name}"),
            format!("A username is 3 to 32 letters, digits, '.', '_' or '-'; got: {name}"),
        ))
    }
}

/// Passwords must be at least 10 characters; the check is on length because length is what resists guessing.
pub fn check_password(password: &str) -> Result<(), Invalid> {
    if password.chars().count() < 10 {
        return Err(Invalid::new(
            "weak_password",
            "密码至少10个字符",
            "A password has at least 10 characters",
        ));
    }
    if password.len() > 256 {
        return Err(Invalid::new("weak_password", "密码不能超过256字节", "A password has at most 256 bytes"));
    }
    Ok(())
}
