//! The resource catalog (目录): what an entry says (`entry`), its share and open attributes (`attrs`), the rules
//! an entry must meet before review (`rules`), the states an entry and its revisions pass through (`lifecycle`),
//! the field-by-field difference between two revisions (`diff`), objections to a classification and how they
//! settle (`objections`), the classification standard entries are graded by (`scheme`), delivered values checked
//! against the items (`validate`), and the shapes the API shows (`view`).

pub mod attrs;
pub mod diff;
pub mod entry;
pub mod gates;
pub mod lifecycle;
pub mod objections;
pub mod rules;
pub mod scheme;
pub mod validate;
pub mod view;

/// Builders the catalog's unit tests share.
#[cfg(test)]
pub(crate) mod testing {
    use super::entry::{Item, ItemType};

    /// A plain text item.
    pub fn item(name: &str, label: &str) -> Item {
        Item {
            name: name.into(),
            label: label.into(),
            data_type: ItemType::String,
            format: String::new(),
            is_key: false,
            required: false,
            identifier: Default::default(),
            level: None,
            values: vec![],
            description: String::new(),
        }
    }
}

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Declares a closed vocabulary: serde names, Chinese and English labels, and parsing by either.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $key:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
            /// By key or by Chinese label (catalogs are kept in Chinese in spreadsheets).
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == s || v.label() == s)
            }
        }
    };
}
pub(crate) use vocabulary;

/// A resource's code (资源代码): unique and stable, used in every API path (`/api/v1/resources/{code}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ResourceCode(String);

impl ResourceCode {
    /// 3 to 40 characters of letters, digits, `-`, `_` and `.`, starting with a letter or digit.
    pub fn parse(input: &str) -> Result<ResourceCode, Invalid> {
        let s = input.trim();
        let ok = (3..=40).contains(&s.len())
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(ResourceCode(s.to_string()))
        } else {
            Err(Invalid::new(
                "invalid_resource_code",
                format!("资源代码“{s}”无效：须为3至40位字母、数字或 - _ .，以字母或数字开头"),
                format!("Resource code '{s}' is invalid: use 3 to 40 letters, digits, '-', '_' or '.', starting with a letter or digit"),
            ))
        }
    }

    /// The code a new entry gets: the provider's division code, the provider, and a number within the provider.
    pub fn assign(region_code: &str, department_id: i64, number: i64) -> ResourceCode {
        ResourceCode(format!("{region_code}-{department_id:03}-{number:05}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ResourceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

vocabulary! {
    /// A field of an entry that a profile (or the authority's catalog schema, LS-9a, FS-18a) can require.
    Field {
        Name = "name", "数据资源名称", "resource name";
        Summary = "summary", "数据资源摘要", "summary";
        BusinessName = "business_name", "业务名称", "business name";
        SystemName = "system_name", "信息系统名称", "information system";
        Source = "source", "来源", "source";
        Format = "format", "数据格式", "data format";
        Industry = "industry", "行业分类", "industry classification";
        Classification = "classification", "资源分类", "classification";
        CoveragePeriod = "coverage_period", "数据覆盖时间", "time coverage";
        CoverageRegions = "coverage_regions", "数据覆盖地域", "region coverage";
        UpdateFrequency = "update_frequency", "更新频率", "update frequency";
        ProvisionMethods = "provision_methods", "共享方式（提供方式）", "share or provision method";
        ShareAttr = "share_attr", "共享属性", "share attribute";
        ShareOps = "share_ops", "共享数据操作权限", "share operations";
        ShareRestrictionReason = "share_restriction_reason", "受限共享理由", "reason for restricted sharing";
        SharePeriod = "share_period", "共享期限", "share period";
        OpenAttr = "open_attr", "开放属性", "open attribute";
        OpenToPublic = "open_to_public", "是否向社会开放", "open to the public";
        OpenOps = "open_ops", "开放数据操作权限", "open operations";
        OpenScope = "open_scope", "开放范围", "open scope";
        AuthorizedOperation = "authorized_operation", "授权运营状态", "authorized-operation status";
        SecurityLevel = "security_level", "安全等级", "security level";
        SecurityRequirements = "security_requirements", "数据安全使用要求", "security requirements for use";
        ReferenceStandards = "reference_standards", "参考标准", "reference standards";
        Items = "items", "数据项", "items";
    }
}
