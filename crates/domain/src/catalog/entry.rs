//! What a catalog entry says: the union of the metadata the five regulations name (SYS-12's eighteen fields, YZ-7,
//! CS-16, FS-12/13/15), and its items (fields). A revision of a resource holds one `ResourceContent`; the
//! provider department and the resource code belong to the resource itself, not to a revision.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::attrs::{Attr, LegalBasis, NotOpenReason, OpenConditions, OpenOp, SecurityReview, ShareCondition, ShareOp};
use super::vocabulary;

vocabulary! {
    /// 信息资源目录 or 数据资源目录 (CS-16b).
    CatalogKind {
        Data = "data", "数据资源", "data resource";
        Information = "information", "信息资源", "information resource";
    }
}

// The vocabulary macro derives no Default, so it is written out.
#[allow(clippy::derivable_impls)]
impl Default for CatalogKind {
    fn default() -> Self {
        CatalogKind::Data
    }
}

vocabulary! {
    /// 数据格式 / 存储格式.
    DataFormat {
        Table = "table", "数据库表", "database table";
        Spreadsheet = "spreadsheet", "电子表格", "spreadsheet";
        Csv = "csv", "CSV文件", "CSV file";
        Json = "json", "JSON", "JSON";
        Xml = "xml", "XML", "XML";
        Document = "document", "文档", "document";
        Image = "image", "图像", "image";
        Audio = "audio", "音频", "audio";
        Video = "video", "视频", "video";
        Geospatial = "geospatial", "空间地理数据", "geospatial";
        Api = "api", "接口服务", "API service";
        Other = "other", "其他", "other";
    }
}

vocabulary! {
    /// 更新频率 / 更新周期 / 更新频度.
    UpdateFrequency {
        RealTime = "real_time", "实时", "real time";
        Daily = "daily", "每日", "daily";
        Weekly = "weekly", "每周", "weekly";
        Monthly = "monthly", "每月", "monthly";
        Quarterly = "quarterly", "每季度", "quarterly";
        HalfYearly = "half_yearly", "每半年", "half-yearly";
        Yearly = "yearly", "每年", "yearly";
        Irregular = "irregular", "不定期", "irregular";
    }
}

vocabulary! {
    /// 共享方式 / 提供方式.
    ProvisionMethod {
        Api = "api", "接口", "API";
        File = "file", "文件下载", "file";
        Database = "database", "库表交换", "database exchange";
        Push = "push", "数据推送", "push";
        Verification = "verification", "结果核验", "verification";
        Online = "online", "在线查阅", "online view";
    }
}

vocabulary! {
    /// 分级 (the glossary's `level`): general data in four grades, important data, core data.
    SecurityLevel {
        L1 = "l1", "一般数据（一级）", "general, grade 1";
        L2 = "l2", "一般数据（二级）", "general, grade 2";
        L3 = "l3", "一般数据（三级）", "general, grade 3";
        L4 = "l4", "一般数据（四级）", "general, grade 4";
        Important = "important", "重要数据", "important data";
        Core = "core", "核心数据", "core data";
    }
}

vocabulary! {
    /// The type of an item's values.
    ItemType {
        String = "string", "字符型", "text";
        Integer = "integer", "整数型", "integer";
        Decimal = "decimal", "数值型", "decimal";
        Date = "date", "日期型", "date";
        DateTime = "datetime", "日期时间型", "date and time";
        Boolean = "boolean", "布尔型", "boolean";
    }
}

vocabulary! {
    /// The kind of identifier an item holds, which decides its check and its masking.
    IdentifierKind {
        None = "none", "无", "none";
        CitizenId = "citizen_id", "公民身份号码", "citizen ID number";
        Uscc = "uscc", "统一社会信用代码", "unified social credit code";
        Phone = "phone", "电话号码", "phone number";
    }
}

#[allow(clippy::derivable_impls)]
impl Default for IdentifierKind {
    fn default() -> Self {
        IdentifierKind::None
    }
}

vocabulary! {
    /// 授权运营状态 (SYS-12: 授权运营状态和应用场景).
    OperationStatus {
        NotIncluded = "not_included", "未纳入授权运营", "not in authorized operation";
        Planned = "planned", "拟纳入授权运营", "planned for authorized operation";
        Included = "included", "已纳入授权运营", "in authorized operation";
    }
}

vocabulary! {
    /// How two resources relate (CS-16: 关联关系).
    RelationKind {
        Source = "source", "来源于", "derived from";
        Part = "part", "组成部分", "part of";
        Related = "related", "相关", "related to";
        Replaces = "replaces", "替代", "replaces";
    }
}

/// One item (数据项): a column of the resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// The column name data is delivered under: letters, digits and `_`, starting with a letter.
    pub name: String,
    /// 数据项名称 in Chinese, e.g. 公民身份号码.
    pub label: String,
    pub data_type: ItemType,
    /// 数据项格式: length, pattern or unit, e.g. `18位`, `YYYY-MM-DD`, `万元`.
    #[serde(default)]
    pub format: String,
    /// Whether it is (part of) the resource's key.
    #[serde(default)]
    pub is_key: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub identifier: IdentifierKind,
    /// The item's own grade, where it is stricter than the resource's.
    #[serde(default)]
    pub level: Option<SecurityLevel>,
    /// The allowed values, for an enumeration.
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// The sharing side of an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sharing {
    /// 共享属性; unset means unconditional once published (SYS-25c).
    #[serde(default)]
    pub attr: Option<Attr>,
    /// 共享条件, for a conditional attribute (FS-14).
    #[serde(default)]
    pub conditions: Vec<ShareCondition>,
    /// 共享依据, for a restrictive attribute (SYS-25c, FS-5, YZ-14c).
    #[serde(default)]
    pub basis: Vec<LegalBasis>,
    /// 受限理由 (YZ-14b).
    #[serde(default)]
    pub restriction_reason: String,
    /// 数据操作权限 (FS-13a).
    #[serde(default)]
    pub ops: Vec<ShareOp>,
    /// 共享期限 in months (YZ-7); none when the entry states none.
    #[serde(default)]
    pub period_months: Option<u32>,
}

/// The opening side of an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// 开放属性, where the regime has one.
    #[serde(default)]
    pub attr: Option<Attr>,
    /// 是否向社会开放, where the regime has no open attribute (丽水: membership of the open catalog).
    #[serde(default)]
    pub to_public: Option<bool>,
    #[serde(default)]
    pub conditions: OpenConditions,
    #[serde(default)]
    pub not_open_reason: Option<NotOpenReason>,
    #[serde(default)]
    pub basis: Vec<LegalBasis>,
    /// 开放操作 (FS-15a).
    #[serde(default)]
    pub ops: Vec<OpenOp>,
    /// 开放范围 (SYS-36d).
    #[serde(default)]
    pub scope: String,
    /// 民生紧密相关、社会迫切需要: opened first (LS-21b, SYS-36a).
    #[serde(default)]
    pub priority: bool,
    /// The review before opening (SYS-38b, FS-15d).
    #[serde(default)]
    pub security_review: Option<SecurityReview>,
}

/// 授权运营 (双鸭山 only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizedOperation {
    #[serde(default)]
    pub status: Option<OperationStatus>,
    #[serde(default)]
    pub scenarios: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// The other resource's code.
    pub code: String,
    pub kind: RelationKind,
}

/// The metadata of one revision of a catalog entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceContent {
    /// 数据资源名称, e.g. 户籍人口基本信息.
    pub name: String,
    /// 数据资源摘要.
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub catalog_kind: CatalogKind,
    /// 业务名称 (YZ-7).
    #[serde(default)]
    pub business_name: String,
    /// 信息系统名称 (YZ-7).
    #[serde(default)]
    pub system_name: String,
    /// 来源: the system or channel the data comes from (CS-16).
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub format: Option<DataFormat>,
    /// 行业分类.
    #[serde(default)]
    pub industry: String,
    /// 分类: the subject category (CS-16, FS-12).
    #[serde(default)]
    pub classification: String,
    /// 数据覆盖时间.
    #[serde(default)]
    pub coverage_start: Option<NaiveDate>,
    #[serde(default)]
    pub coverage_end: Option<NaiveDate>,
    /// 数据覆盖地域: division codes.
    #[serde(default)]
    pub coverage_regions: Vec<String>,
    #[serde(default)]
    pub update_frequency: Option<UpdateFrequency>,
    /// 共享方式 / 提供方式.
    #[serde(default)]
    pub provision_methods: Vec<ProvisionMethod>,
    #[serde(default)]
    pub sharing: Sharing,
    #[serde(default)]
    pub opening: Opening,
    #[serde(default)]
    pub authorized_operation: AuthorizedOperation,
    /// 安全等级.
    #[serde(default)]
    pub security_level: Option<SecurityLevel>,
    /// 数据安全使用要求 (SYS-11d).
    #[serde(default)]
    pub security_requirements: String,
    /// 参考标准 (CS-16).
    #[serde(default)]
    pub reference_standards: Vec<String>,
    /// 关联关系 (CS-16).
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// The resources of other departments, obtained through sharing, that this entry's data comes from: such data is
    /// shared on or opened only as the regime allows (SYS-33, CS-22f, FS-32).
    #[serde(default)]
    pub derived_from: Vec<String>,
    #[serde(default)]
    pub items: Vec<Item>,
}

impl ResourceContent {
    /// The share attribute in force: unset, or conditional with no condition stated, counts as unconditional
    /// (SYS-25c: 未明确的视为无条件共享类).
    pub fn effective_share_attr(&self) -> Attr {
        match self.sharing.attr {
            None => Attr::Unconditional,
            Some(Attr::Conditional) if self.sharing.conditions.is_empty() => Attr::Unconditional,
            Some(a) => a,
        }
    }

    /// Whether the entry belongs in the open catalog: by its open attribute where the regime has one, else by
    /// 是否向社会开放.
    pub fn is_open(&self, regime_has_open_attr: bool) -> bool {
        if regime_has_open_attr {
            matches!(self.opening.attr, Some(Attr::Unconditional) | Some(Attr::Conditional))
        } else {
            self.opening.to_public == Some(true)
        }
    }

    /// The open attribute as the open catalog shows it: where the regime has none, an entry opened to the
    /// public is unconditionally open.
    pub fn effective_open_attr(&self, regime_has_open_attr: bool) -> Attr {
        if regime_has_open_attr {
            self.opening.attr.unwrap_or(Attr::None)
        } else if self.opening.to_public == Some(true) {
            Attr::Unconditional
        } else {
            Attr::None
        }
    }

    /// The items holding personal identifiers (citizen ID numbers, phone numbers): opened only desensitized
    /// (FS-15d, SYS-38b).
    pub fn personal_items(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| matches!(i.identifier, IdentifierKind::CitizenId | IdentifierKind::Phone))
    }

    /// The strictest grade of the resource and its items.
    pub fn highest_level(&self) -> Option<SecurityLevel> {
        self.items.iter().filter_map(|i| i.level).chain(self.security_level).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_parse_keys_and_chinese_labels() {
        assert_eq!(UpdateFrequency::parse("每日"), Some(UpdateFrequency::Daily));
        assert_eq!(UpdateFrequency::parse("daily"), Some(UpdateFrequency::Daily));
        assert_eq!(SecurityLevel::parse("重要数据"), Some(SecurityLevel::Important));
        assert_eq!(DataFormat::parse("数据库"), None);
        assert!(SecurityLevel::Core > SecurityLevel::Important && SecurityLevel::Important > SecurityLevel::L4);
    }

    #[test]
    fn sys_25c_unstated_conditions_count_as_unconditional() {
        let mut c = ResourceContent { name: "婚姻登记信息".into(), ..Default::default() };
        assert_eq!(c.effective_share_attr(), Attr::Unconditional, "unset");
        c.sharing.attr = Some(Attr::Conditional);
        assert_eq!(c.effective_share_attr(), Attr::Unconditional, "conditional with no condition");
        c.sharing.conditions.push(ShareCondition::Other { description: "仅限民政业务".into() });
        assert_eq!(c.effective_share_attr(), Attr::Conditional);
        c.sharing.attr = Some(Attr::None);
        assert_eq!(c.effective_share_attr(), Attr::None);
    }
}
