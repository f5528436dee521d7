//! The demo city's catalog: about 150 entries across the departments, in every state — most published, some in
//! review, some returned, some drafts, a few with a pending downgrade — and update obligations, some overdue.
//! Deterministic: the same entries every time.

use domain::catalog::attrs::{Attr, Instrument, LegalBasis, NotOpenReason, OpenConditions, OpenOp, SecurityReview, ShareCondition, ShareOp};
use domain::catalog::entry::{
    AuthorizedOperation, CatalogKind, DataFormat, IdentifierKind, Item, ItemType, Opening, OperationStatus, ProvisionMethod, ResourceContent,
    SecurityLevel, Sharing, UpdateFrequency,
};
use domain::orgs::Department;

use crate::catalog::entries::{self, AttributeInput, NewEntry};
use crate::{Actor, Platform, Result};

/// What an entry is about, which decides its items and attributes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    /// Natural persons: keyed by citizen ID, shared on conditions, not opened.
    Person,
    /// Legal persons: keyed by credit code, shared and opened freely.
    Enterprise,
    /// Places and facilities: opened.
    Facility,
    /// Licences and approvals.
    Licence,
    /// Aggregate statistics: opened.
    Statistics,
    /// Police and security matters: not shared.
    Restricted,
}

/// A resource's name, what it is about, and its industry.
type Entry = (&'static str, Subject, &'static str);

/// (department name contains, its entries).
const CATALOG: &[(&str, &[Entry])] = &[
    ("市公安局", &[
        ("户籍人口基本信息", Subject::Person, "公共安全"),
        ("居民身份证信息", Subject::Person, "公共安全"),
        ("流动人口信息", Subject::Person, "公共安全"),
        ("户籍迁移信息", Subject::Person, "公共安全"),
        ("出入境证件信息", Subject::Person, "公共安全"),
        ("机动车登记信息", Subject::Person, "交通运输"),
        ("机动车驾驶人信息", Subject::Person, "交通运输"),
        ("道路交通违法信息", Subject::Person, "交通运输"),
        ("旅馆业治安管理信息", Subject::Facility, "公共安全"),
        ("犬类登记信息", Subject::Person, "公共安全"),
        ("保安服务公司信息", Subject::Enterprise, "公共安全"),
        ("刑事案件信息", Subject::Restricted, "公共安全"),
        ("重点人员管控信息", Subject::Restricted, "公共安全"),
    ]),
    ("市民政局", &[
        ("婚姻登记信息", Subject::Person, "社会保障"),
        ("最低生活保障对象信息", Subject::Person, "社会保障"),
        ("特困人员供养信息", Subject::Person, "社会保障"),
        ("残疾人两项补贴发放信息", Subject::Person, "社会保障"),
        ("社会组织登记信息", Subject::Enterprise, "社会保障"),
        ("养老机构信息", Subject::Facility, "社会保障"),
        ("殡葬服务机构信息", Subject::Facility, "社会保障"),
        ("地名信息", Subject::Facility, "公共管理"),
        ("慈善组织信息", Subject::Enterprise, "社会保障"),
        ("收养登记信息", Subject::Person, "社会保障"),
        ("社会救助统计信息", Subject::Statistics, "社会保障"),
    ]),
    ("市人力资源和社会保障局", &[
        ("社会保险参保信息", Subject::Person, "社会保障"),
        ("养老保险待遇发放信息", Subject::Person, "社会保障"),
        ("失业登记信息", Subject::Person, "劳动就业"),
        ("就业创业补贴信息", Subject::Person, "劳动就业"),
        ("职业技能等级证书信息", Subject::Licence, "劳动就业"),
        ("工伤认定信息", Subject::Person, "劳动就业"),
        ("劳务派遣经营许可信息", Subject::Licence, "劳动就业"),
        ("人力资源服务机构信息", Subject::Enterprise, "劳动就业"),
        ("劳动保障监察处罚信息", Subject::Enterprise, "劳动就业"),
        ("就业失业统计信息", Subject::Statistics, "劳动就业"),
    ]),
    ("市卫生健康委员会", &[
        ("医疗机构信息", Subject::Facility, "医疗卫生"),
        ("公共场所卫生许可信息", Subject::Licence, "医疗卫生"),
        ("家庭医生签约信息", Subject::Person, "医疗卫生"),
        ("执业医师注册信息", Subject::Licence, "医疗卫生"),
        ("护士执业注册信息", Subject::Licence, "医疗卫生"),
        ("出生医学证明信息", Subject::Person, "医疗卫生"),
        ("死亡医学证明信息", Subject::Person, "医疗卫生"),
        ("预防接种信息", Subject::Person, "医疗卫生"),
        ("卫生监督行政处罚信息", Subject::Enterprise, "医疗卫生"),
        ("卫生健康统计信息", Subject::Statistics, "医疗卫生"),
    ]),
    ("市市场监督管理局", &[
        ("企业登记信息", Subject::Enterprise, "市场监管"),
        ("农民专业合作社登记信息", Subject::Enterprise, "市场监管"),
        ("计量器具检定信息", Subject::Licence, "市场监管"),
        ("个体工商户登记信息", Subject::Enterprise, "市场监管"),
        ("企业年度报告信息", Subject::Enterprise, "市场监管"),
        ("市场监管行政处罚信息", Subject::Enterprise, "市场监管"),
        ("经营异常名录信息", Subject::Enterprise, "市场监管"),
        ("食品经营许可信息", Subject::Licence, "市场监管"),
        ("特种设备使用登记信息", Subject::Licence, "市场监管"),
        ("工业产品生产许可信息", Subject::Licence, "市场监管"),
        ("商标注册信息", Subject::Enterprise, "市场监管"),
        ("市场主体统计信息", Subject::Statistics, "市场监管"),
    ]),
    ("市自然资源和规划局", &[
        ("不动产登记信息", Subject::Person, "自然资源"),
        ("测绘资质信息", Subject::Licence, "自然资源"),
        ("永久基本农田信息", Subject::Facility, "自然资源"),
        ("国有建设用地使用权出让信息", Subject::Enterprise, "自然资源"),
        ("建设工程规划许可信息", Subject::Licence, "自然资源"),
        ("建设用地规划许可信息", Subject::Licence, "自然资源"),
        ("地质灾害隐患点信息", Subject::Facility, "自然资源"),
        ("矿业权登记信息", Subject::Licence, "自然资源"),
        ("土地利用现状统计信息", Subject::Statistics, "自然资源"),
    ]),
    ("市住房和城乡建设局", &[
        ("建筑工程施工许可信息", Subject::Licence, "城乡建设"),
        ("房屋安全鉴定信息", Subject::Facility, "城乡建设"),
        ("建设工程竣工验收备案信息", Subject::Licence, "城乡建设"),
        ("商品房预售许可信息", Subject::Licence, "城乡建设"),
        ("商品房网签备案信息", Subject::Person, "城乡建设"),
        ("建筑业企业资质信息", Subject::Enterprise, "城乡建设"),
        ("物业服务企业信息", Subject::Enterprise, "城乡建设"),
        ("公共租赁住房保障对象信息", Subject::Person, "城乡建设"),
        ("城市燃气经营许可信息", Subject::Licence, "城乡建设"),
    ]),
    ("市教育局", &[
        ("学校基本信息", Subject::Facility, "教育"),
        ("校外培训机构信息", Subject::Enterprise, "教育"),
        ("学历证书信息", Subject::Person, "教育"),
        ("中小学生学籍信息", Subject::Person, "教育"),
        ("教师资格认定信息", Subject::Licence, "教育"),
        ("民办学校办学许可信息", Subject::Licence, "教育"),
        ("学生资助信息", Subject::Person, "教育"),
        ("教育事业统计信息", Subject::Statistics, "教育"),
    ]),
    ("市医疗保障局", &[
        ("基本医疗保险参保信息", Subject::Person, "社会保障"),
        ("异地就医备案信息", Subject::Person, "社会保障"),
        ("医疗保险结算信息", Subject::Person, "社会保障"),
        ("定点医药机构信息", Subject::Facility, "医疗卫生"),
        ("医保目录药品信息", Subject::Statistics, "医疗卫生"),
        ("医疗救助对象信息", Subject::Person, "社会保障"),
    ]),
    ("市税务局", &[
        ("纳税人登记信息", Subject::Enterprise, "财政税务"),
        ("重大税收违法失信主体信息", Subject::Enterprise, "财政税务"),
        ("社会保险费缴纳信息", Subject::Person, "财政税务"),
        ("纳税信用等级信息", Subject::Enterprise, "财政税务"),
        ("欠税公告信息", Subject::Enterprise, "财政税务"),
        ("个人所得税纳税信息", Subject::Person, "财政税务"),
        ("发票领用信息", Subject::Enterprise, "财政税务"),
        ("税收收入统计信息", Subject::Statistics, "财政税务"),
    ]),
    ("市交通运输局", &[
        ("道路运输经营许可信息", Subject::Licence, "交通运输"),
        ("机动车维修经营备案信息", Subject::Licence, "交通运输"),
        ("网约车运输证信息", Subject::Licence, "交通运输"),
        ("公交线路及站点信息", Subject::Facility, "交通运输"),
        ("出租汽车经营许可信息", Subject::Licence, "交通运输"),
        ("道路运输从业人员资格信息", Subject::Person, "交通运输"),
        ("公路桥梁基础信息", Subject::Facility, "交通运输"),
        ("交通运输行政处罚信息", Subject::Enterprise, "交通运输"),
    ]),
    ("市生态环境局", &[
        ("排污许可信息", Subject::Licence, "生态环境"),
        ("危险废物经营许可信息", Subject::Licence, "生态环境"),
        ("辐射安全许可信息", Subject::Licence, "生态环境"),
        ("建设项目环境影响评价批复信息", Subject::Licence, "生态环境"),
        ("环境空气质量监测信息", Subject::Statistics, "生态环境"),
        ("地表水水质监测信息", Subject::Statistics, "生态环境"),
        ("重点排污单位信息", Subject::Enterprise, "生态环境"),
        ("生态环境行政处罚信息", Subject::Enterprise, "生态环境"),
    ]),
    ("市住房公积金管理中心", &[
        ("住房公积金缴存信息", Subject::Person, "住房保障"),
        ("公积金贷款逾期信息", Subject::Person, "住房保障"),
        ("住房公积金贷款信息", Subject::Person, "住房保障"),
        ("住房公积金提取信息", Subject::Person, "住房保障"),
        ("缴存单位信息", Subject::Enterprise, "住房保障"),
        ("公积金业务统计信息", Subject::Statistics, "住房保障"),
    ]),
    ("市水务集团", &[
        ("用水户信息", Subject::Person, "公用事业"),
        ("二次供水设施信息", Subject::Facility, "公用事业"),
        ("水费缴纳信息", Subject::Person, "公用事业"),
        ("供水管网信息", Subject::Facility, "公用事业"),
        ("停水计划信息", Subject::Statistics, "公用事业"),
    ]),
    ("国网", &[
        ("用电户信息", Subject::Person, "公用事业"),
        ("充电桩信息", Subject::Facility, "公用事业"),
        ("电费缴纳信息", Subject::Person, "公用事业"),
        ("停电计划信息", Subject::Statistics, "公用事业"),
        ("企业用电量信息", Subject::Enterprise, "公用事业"),
    ]),
    ("市燃气", &[
        ("用气户信息", Subject::Person, "公用事业"),
        ("燃气费缴纳信息", Subject::Person, "公用事业"),
        ("燃气设施信息", Subject::Facility, "公用事业"),
    ]),
    ("区公安分局", &[
        ("辖区实有人口信息", Subject::Person, "公共安全"),
        ("辖区出租房屋信息", Subject::Person, "公共安全"),
        ("辖区重点场所信息", Subject::Facility, "公共安全"),
        ("辖区视频监控点位信息", Subject::Restricted, "公共安全"),
    ]),
    ("区民政局", &[
        ("辖区低保对象信息", Subject::Person, "社会保障"),
        ("辖区社区服务设施信息", Subject::Facility, "社会保障"),
        ("辖区社会组织信息", Subject::Enterprise, "社会保障"),
    ]),
    ("区市场监督管理局", &[
        ("辖区市场主体信息", Subject::Enterprise, "市场监管"),
        ("辖区特种设备信息", Subject::Licence, "市场监管"),
        ("辖区食品安全抽检信息", Subject::Statistics, "市场监管"),
        ("辖区小餐饮登记信息", Subject::Licence, "市场监管"),
    ]),
    ("市数据局", &[
        ("政务数据共享交换统计信息", Subject::Statistics, "公共管理"),
        ("公共数据资源目录统计信息", Subject::Statistics, "公共管理"),
    ]),
    ("市大数据中心", &[
        ("人口综合库", Subject::Person, "公共管理"),
        ("法人综合库", Subject::Enterprise, "公共管理"),
        ("电子证照库", Subject::Licence, "公共管理"),
        ("空间地理信息库", Subject::Facility, "公共管理"),
        ("信用信息库", Subject::Enterprise, "公共管理"),
    ]),
];

fn item(name: &str, label: &str, data_type: ItemType, format: &str, identifier: IdentifierKind, key: bool, level: Option<SecurityLevel>) -> Item {
    Item {
        name: name.into(),
        label: label.into(),
        data_type,
        format: format.into(),
        is_key: key,
        required: key,
        identifier,
        level,
        values: vec![],
        description: String::new(),
    }
}

fn items(subject: Subject, name: &str) -> Vec<Item> {
    use IdentifierKind as Id;
    use ItemType::*;
    let mut out = match subject {
        Subject::Person | Subject::Restricted => vec![
            item("gmsfhm", "公民身份号码", String, "18位", Id::CitizenId, true, Some(SecurityLevel::L4)),
            item("xm", "姓名", String, "", Id::None, false, Some(SecurityLevel::L3)),
            item("xb", "性别", String, "GB/T 2261.1", Id::None, false, None),
            item("csrq", "出生日期", Date, "YYYY-MM-DD", Id::None, false, Some(SecurityLevel::L3)),
            item("lxdh", "联系电话", String, "11位", Id::Phone, false, Some(SecurityLevel::L4)),
            item("zz", "住址", String, "", Id::None, false, Some(SecurityLevel::L3)),
        ],
        Subject::Enterprise => vec![
            item("tyshxydm", "统一社会信用代码", String, "18位", Id::Uscc, true, None),
            item("mc", "名称", String, "", Id::None, false, None),
            item("fddbr", "法定代表人", String, "", Id::None, false, Some(SecurityLevel::L2)),
            item("clrq", "成立日期", Date, "YYYY-MM-DD", Id::None, false, None),
            item("zs", "住所", String, "", Id::None, false, None),
        ],
        Subject::Facility => vec![
            item("bm", "编码", String, "", Id::None, true, None),
            item("mc", "名称", String, "", Id::None, false, None),
            item("dz", "地址", String, "", Id::None, false, None),
            item("jd", "经度", Decimal, "WGS84", Id::None, false, None),
            item("wd", "纬度", Decimal, "WGS84", Id::None, false, None),
        ],
        Subject::Licence => vec![
            item("zsbh", "证书编号", String, "", Id::None, true, None),
            item("czrmc", "持证主体名称", String, "", Id::None, false, None),
            item("czrdm", "持证主体代码", String, "统一社会信用代码或公民身份号码", Id::None, false, Some(SecurityLevel::L2)),
            item("fzrq", "发证日期", Date, "YYYY-MM-DD", Id::None, false, None),
            item("yxqz", "有效期至", Date, "YYYY-MM-DD", Id::None, false, None),
            item("fzjg", "发证机关", String, "", Id::None, false, None),
        ],
        Subject::Statistics => vec![
            item("tjqj", "统计期间", String, "YYYY-MM", Id::None, true, None),
            item("xzqh", "行政区划代码", String, "6位", Id::None, true, None),
            item("zb", "指标名称", String, "", Id::None, true, None),
            item("sz", "数值", Decimal, "", Id::None, false, None),
            item("dw", "计量单位", String, "", Id::None, false, None),
        ],
    };
    // A word of the name as one more item, so entries of one subject differ.
    let topic = name.trim_end_matches("信息").chars().take(8).collect::<std::string::String>();
    out.push(item("ywzt", &format!("{topic}状态"), String, "", Id::None, false, None));
    out
}

fn content(p: &Platform, d: &Department, region_code: &str, name: &str, subject: Subject, industry: &str, n: usize) -> ResourceContent {
    let region = vec![region_code.to_string()];
    let person = matches!(subject, Subject::Person | Subject::Restricted);
    let basis = |name: &str| vec![LegalBasis { instrument: Instrument::Law, name: name.into(), article: String::new() }];
    let sharing = match subject {
        Subject::Person => Sharing {
            attr: Some(Attr::Conditional),
            conditions: vec![
                ShareCondition::CompareOnly { compare_method: "按公民身份号码和姓名比对".into(), use_purpose: "政务服务身份核验".into() },
                ShareCondition::ViewOnly { view_method: "在平台内查阅，不提供下载".into(), use_purpose: "依法履职核查".into() },
            ],
            basis: basis("《中华人民共和国个人信息保护法》"),
            restriction_reason: "涉及个人信息".into(),
            ops: vec![ShareOp::View, ShareOp::Compare],
            period_months: Some(12),
        },
        Subject::Restricted => Sharing {
            attr: Some(Attr::None),
            basis: basis("《中华人民共和国人民警察法》"),
            period_months: Some(0),
            ..Default::default()
        },
        _ => Sharing { attr: Some(Attr::Unconditional), ops: vec![ShareOp::View, ShareOp::Compare, ShareOp::Obtain], period_months: Some(36), ..Default::default() },
    };
    let has_open_attr = p.profile.features.open_attr;
    let mut opening = match subject {
        Subject::Enterprise | Subject::Facility | Subject::Statistics => Opening {
            attr: has_open_attr.then_some(if n.is_multiple_of(4) { Attr::Conditional } else { Attr::Unconditional }),
            to_public: (!has_open_attr).then_some(true),
            conditions: if n.is_multiple_of(4) {
                OpenConditions { recipients: "实名注册用户".into(), purposes: "科研、商业分析".into(), scope: "不得用于识别个人".into() }
            } else {
                Default::default()
            },
            ops: vec![OpenOp::BulkObtain, OpenOp::Query],
            scope: "全市".into(),
            priority: subject == Subject::Facility,
            ..Default::default()
        },
        Subject::Licence => Opening {
            attr: has_open_attr.then_some(Attr::Unconditional),
            to_public: (!has_open_attr).then_some(true),
            ops: vec![OpenOp::Query],
            scope: "持证主体名称、证书编号、有效期".into(),
            ..Default::default()
        },
        _ => Opening {
            attr: has_open_attr.then_some(Attr::None),
            to_public: (!has_open_attr).then_some(false),
            not_open_reason: has_open_attr.then_some(if subject == Subject::Restricted { NotOpenReason::PublicSecurity } else { NotOpenReason::PersonalPrivacy }),
            ..Default::default()
        },
    };
    // Opened data passed its security review first (SYS-38b), with personal identifiers desensitized (FS-15d).
    if opening.attr.is_some_and(|a| a != Attr::None) || opening.to_public == Some(true) {
        opening.security_review = Some(SecurityReview {
            passed: true,
            reviewer: format!("{}安全管理员", d.name),
            reviewed_on: p.clock.today() - chrono::Days::new(30 + n as u64 % 60),
            desensitization: "联系电话、身份号码等个人信息以*替换中间位后开放".into(),
        });
    }
    let frequency = match subject {
        Subject::Statistics => UpdateFrequency::Monthly,
        Subject::Facility => UpdateFrequency::Quarterly,
        _ if n.is_multiple_of(3) => UpdateFrequency::RealTime,
        _ => UpdateFrequency::Daily,
    };
    ResourceContent {
        name: name.into(),
        summary: format!("{}掌握的{name}，{}更新。", d.name, frequency.label()),
        catalog_kind: if n % 9 == 4 { CatalogKind::Information } else { CatalogKind::Data },
        business_name: name.trim_end_matches("信息").to_string() + "业务",
        system_name: format!("{}业务系统", d.name.trim_start_matches(&p.profile.city_name)),
        source: format!("{}业务系统", d.name.trim_start_matches(&p.profile.city_name)),
        format: Some(if subject == Subject::Statistics && n.is_multiple_of(2) { DataFormat::Spreadsheet } else { DataFormat::Table }),
        industry: industry.into(),
        classification: match subject {
            Subject::Person | Subject::Restricted => "人口",
            Subject::Enterprise => "法人",
            Subject::Facility => "空间地理",
            Subject::Licence => "电子证照",
            Subject::Statistics => "统计",
        }
        .into(),
        coverage_start: chrono::NaiveDate::from_ymd_opt(2010 + (n % 10) as i32, 1, 1),
        coverage_end: None,
        coverage_regions: region,
        update_frequency: Some(frequency),
        provision_methods: if person { vec![ProvisionMethod::Verification, ProvisionMethod::Api] } else { vec![ProvisionMethod::Api, ProvisionMethod::File] },
        sharing,
        opening,
        authorized_operation: if p.profile.features.authorized_operation {
            AuthorizedOperation {
                status: Some(if subject == Subject::Enterprise && n.is_multiple_of(2) { OperationStatus::Included } else { OperationStatus::NotIncluded }),
                scenarios: if subject == Subject::Enterprise && n.is_multiple_of(2) { vec!["企业信用评价".into(), "普惠金融".into()] } else { vec![] },
            }
        } else {
            Default::default()
        },
        security_level: Some(match subject {
            Subject::Restricted => SecurityLevel::Important,
            Subject::Person => SecurityLevel::L4,
            Subject::Licence => SecurityLevel::L2,
            _ => SecurityLevel::L1,
        }),
        security_requirements: if person { "仅限依法履职使用，不得向第三方提供".into() } else { "按数据共享协议使用".into() },
        reference_standards: vec![if person { "GB 11643-1999 公民身份号码" } else { "GB 32100-2015 法人和其他组织统一社会信用代码编码规则" }.into()],
        relations: vec![],
        derived_from: vec![],
        items: items(subject, name),
    }
}

/// Seeds the catalog. `officer` writes the entries (the console operator, for every department); `service`,
/// `admin` and `district_admin` (the authority of the first district) review them.
pub async fn seed(p: &Platform, officer: &Actor, service: &Actor, admin: &Actor, district_admin: &Actor) -> Result<usize> {
    let (departments, _) = crate::orgs::list_departments(p, 1000, 0).await?;
    let regions = crate::orgs::list_regions(p).await?;
    let region_of = |d: &Department| regions.iter().find(|r| r.id == d.region_id);
    // Departments that must update their catalog after changes: one recorded before its entries (fulfilled by
    // them, late), two after (still open; one overdue).
    let today = p.clock.today();
    let obligation = |name: &str, cause: &str, what: &str, days_ago: i64| {
        let d = departments.iter().find(|d| d.name.contains(name) && region_of(d).is_some_and(|r| r.parent_id.is_none()));
        d.map(|d| crate::catalog::obligations::ObligationInput {
            department_id: d.id,
            cause: cause.into(),
            description: what.into(),
            occurred_on: today - chrono::Duration::days(days_ago),
        })
    };
    if let Some(o) = obligation("民政局", "law_change", "《社会救助暂行办法》修订，低保认定口径调整", 30) {
        crate::catalog::obligations::create(p, admin, o).await?;
    }
    // Where the regime keeps district catalogs, the district's own authority reviews its departments' entries.
    let district_admin_region = district_admin
        .department_id
        .and_then(|id| departments.iter().find(|d| d.id == id))
        .map(|d| d.region_id)
        .filter(|_| p.profile.features.district_catalogs);
    let mut n = 0;
    for (dept_name, entries) in CATALOG {
        // A key starting with 区 is a district department; the others are the city's.
        let district = dept_name.starts_with('区');
        let Some(d) = departments.iter().find(|d| {
            d.name.contains(dept_name.trim_start_matches('市')) && region_of(d).is_some_and(|r| r.parent_id.is_some() == district)
        }) else {
            continue;
        };
        let region_code = region_of(d).map(|r| r.code.clone()).unwrap_or_else(|| p.profile.city_code.clone());
        for (name, subject, industry) in entries.iter() {
            n += 1;
            let entry = content(p, d, &region_code, name, *subject, industry, n);
            let view = entries::create(p, officer, NewEntry { provider_department_id: Some(d.id), code: None, content: entry.clone(), note: String::new() }).await?;
            let code = view.code;
            // Most entries are published; every 11th stays a draft, every 13th waits for review, every 17th was
            // returned, every 19th has a downgrade waiting.
            if n.is_multiple_of(11) {
                continue;
            }
            let Ok(mut current) = entries::submit(p, officer, &code).await else {
                continue;
            };
            if n.is_multiple_of(13) {
                continue;
            }
            // Who takes each step: the department itself (the console operator), the service center, the district's
            // authority for its own departments, else the city's.
            let reviewer_for = |step: domain::catalog::lifecycle::Step| {
                use domain::catalog::lifecycle::Step;
                match step {
                    Step::DepartmentReview => officer,
                    Step::ServiceCheck => service,
                    Step::AuthorityReview if district_admin_region == Some(d.region_id) => district_admin,
                    _ => admin,
                }
            };
            let mut returned = false;
            for _ in 0..4 {
                let Some(step) = current.working.as_ref().and_then(|w| w.step) else { break };
                if n.is_multiple_of(17) {
                    entries::return_to_provider(p, reviewer_for(step), &code, "数据项说明不完整，请补充各数据项格式后重新提交").await?;
                    returned = true;
                    break;
                }
                current = entries::pass(p, reviewer_for(step), &code, "").await?;
            }
            if returned {
                continue;
            }
            if n.is_multiple_of(19) && entry.sharing.attr == Some(Attr::Unconditional) {
                let mut sharing = entry.sharing.clone();
                sharing.attr = Some(Attr::Conditional);
                sharing.conditions = vec![ShareCondition::SpecificDepartments { department_ids: vec![d.id], use_purpose: "本系统业务协同".into() }];
                sharing.basis = vec![LegalBasis { instrument: Instrument::Rule, name: "《政务信息资源共享管理暂行办法》".into(), article: "第九条".into() }];
                let input = AttributeInput { sharing, opening: entry.opening.clone(), evidence: String::new(), note: "拟调整为有条件共享".into() };
                let _ = entries::change_attributes(p, officer, &code, input).await;
            }
        }
    }
    for o in [
        obligation("公安局", "duty_change", "机构改革后新增出入境管理职能", 2),
        obligation("交通运输局", "law_change", "《道路运输条例》修订，经营许可事项调整", 30),
    ]
    .into_iter()
    .flatten()
    {
        crate::catalog::obligations::create(p, admin, o).await?;
    }
    Ok(n)
}
