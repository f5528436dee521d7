//! Catalog search over a synthetic city-scale catalog: indexes N entries with realistic Chinese names, summaries
//! and items, then times searches (with all seven facet counts, as the API answers them). Writes the same entries
//! as JSON lines so `bench/search_peer.py` can measure a peer on identical data.
//!
//! Usage: cargo run --release -p shuyuan-search --example bench -- [ENTRIES] [DIR]

use std::io::Write;
use std::time::Instant;

use shuyuan_search::{CatalogIndex, Doc, SearchQuery};

const TOPICS: [&str; 40] = [
    "户籍人口", "婚姻登记", "社会保险参保", "医疗机构", "企业登记", "不动产登记", "公积金缴存", "学籍", "纳税人登记", "排污许可",
    "道路运输许可", "食品经营许可", "建筑施工许可", "低保对象", "养老机构", "出生医学证明", "死亡医学证明", "机动车登记", "驾驶人",
    "失业登记", "就业补贴", "教师资格", "执业医师", "药品经营许可", "特种设备", "商标注册", "行政处罚", "信用评价", "水费缴纳",
    "电费缴纳", "燃气用户", "公交线路", "地名地址", "地质灾害隐患", "环境质量监测", "水质监测", "殡葬服务", "残疾人补贴", "医保结算",
    "流动人口",
];
const QUALIFIERS: [&str; 25] = [
    "基本", "变更", "注销", "年度", "统计", "明细", "汇总", "历史", "实时", "核验", "台账", "名录", "档案", "申报", "审批", "备案", "监测",
    "评价", "补贴", "服务", "预警", "投诉", "检查", "许可", "证照",
];
const DEPARTMENTS: [&str; 30] = [
    "公安局", "民政局", "人社局", "卫健委", "市场监管局", "自然资源局", "住建局", "教育局", "医保局", "税务局", "交通运输局", "生态环境局",
    "公积金中心", "水务集团", "供电公司", "燃气公司", "司法局", "财政局", "农业农村局", "文旅局", "应急局", "统计局", "商务局", "工信局",
    "退役军人事务局", "林草局", "气象局", "残联", "档案馆", "城管局",
];
const ITEMS: [&str; 24] = [
    "公民身份号码", "姓名", "性别", "出生日期", "联系电话", "住址", "统一社会信用代码", "名称", "法定代表人", "成立日期", "登记机关", "经营范围",
    "证书编号", "发证日期", "有效期至", "行政区划代码", "统计期间", "指标名称", "数值", "经度", "纬度", "状态", "金额", "备注",
];
const ATTRS: [&str; 3] = ["unconditional", "conditional", "none"];
const FORMATS: [&str; 4] = ["table", "spreadsheet", "api", "document"];
const LEVELS: [&str; 4] = ["l1", "l2", "l3", "l4"];
const INDUSTRIES: [&str; 10] = ["公共安全", "社会保障", "医疗卫生", "市场监管", "自然资源", "城乡建设", "教育", "财政税务", "交通运输", "生态环境"];

/// A deterministic pseudo-random sequence (no dependency, same entries every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn docs(n: usize) -> Vec<Doc> {
    let mut r = Lcg(20261201);
    (0..n)
        .map(|i| {
            let topic = TOPICS[r.next(TOPICS.len())];
            let qualifier = QUALIFIERS[r.next(QUALIFIERS.len())];
            let dept = r.next(DEPARTMENTS.len());
            let items: Vec<&str> = (0..6).map(|_| ITEMS[r.next(ITEMS.len())]).collect();
            Doc {
                code: format!("230500-{dept:03}-{i:06}"),
                name: format!("{topic}{qualifier}信息"),
                summary: format!("{}掌握的{topic}{qualifier}信息，按{}更新。", DEPARTMENTS[dept], ["日", "月", "季度"][r.next(3)]),
                items: items.join(" "),
                other: format!("{}业务系统 {}", DEPARTMENTS[dept], INDUSTRIES[r.next(INDUSTRIES.len())]),
                provider_id: dept as i64 + 1,
                region_code: ["230500", "230502", "230503", "230521"][r.next(4)].into(),
                industry: INDUSTRIES[r.next(INDUSTRIES.len())].into(),
                share_attr: ATTRS[r.next(3)].into(),
                open_attr: ATTRS[r.next(3)].into(),
                format: FORMATS[r.next(FORMATS.len())].into(),
                security_level: LEVELS[r.next(LEVELS.len())].into(),
                published_at_us: 1_700_000_000_000_000 + i as i64 * 1_000_000,
                priority: i.is_multiple_of(50),
            }
        })
        .collect()
}

/// The queries timed: single words, two words, a word with a filter, no words with a filter.
pub fn queries() -> Vec<SearchQuery> {
    let q = |text: &str, filters: &[(&str, &str)]| SearchQuery {
        text: text.into(),
        filters: filters.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        open_only: false,
        limit: 20,
        offset: 0,
    };
    vec![
        q("户籍人口", &[]),
        q("婚姻", &[]),
        q("企业 登记", &[]),
        q("公民身份号码", &[]),
        q("许可", &[("share_attr", "unconditional")]),
        q("医疗", &[("provider", "4")]),
        q("统计", &[("region", "230502")]),
        q("", &[("format", "api")]),
        q("信息", &[]),
        q("不动产 变更", &[]),
    ]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "./shuyuan-bench/search".into()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench folder");
    let docs = docs(n);
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("docs.jsonl")).expect("docs file"));
        for d in &docs {
            let line = format!(
                "{{\"code\":{:?},\"name\":{:?},\"summary\":{:?},\"items\":{:?},\"other\":{:?},\"provider\":{},\"region\":{:?},\"industry\":{:?},\"share_attr\":{:?},\"open_attr\":{:?},\"format\":{:?},\"security_level\":{:?},\"published_at\":{}}}",
                d.code, d.name, d.summary, d.items, d.other, d.provider_id, d.region_code, d.industry, d.share_attr, d.open_attr, d.format, d.security_level, d.published_at_us
            );
            writeln!(out, "{line}").expect("write docs");
        }
    }
    let index = CatalogIndex::open(&dir.join("index")).expect("index");
    let started = Instant::now();
    for (i, chunk) in docs.chunks(10_000).enumerate() {
        index.apply(chunk, &[], i as i64 + 1).expect("apply");
    }
    let secs = started.elapsed().as_secs_f64();
    println!("index: {n} entries in {secs:.1}s, {:.0} entries/s", n as f64 / secs);

    const RUNS: usize = 30;
    let mut all = Vec::new();
    for q in queries() {
        let hits = index.search(&q).expect("search");
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let t = Instant::now();
            std::hint::black_box(index.search(&q).expect("search"));
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(|a, b| a.total_cmp(b));
        all.extend_from_slice(&times);
        println!("search {:<12} filters {:<28} hits {:>6}  median {:>6.2} ms  max {:>6.2} ms", format!("{:?}", q.text), format!("{:?}", q.filters), hits.total, times[RUNS / 2], times[RUNS - 1]);
    }
    all.sort_by(|a, b| a.total_cmp(b));
    println!("all searches: median {:.2} ms, p95 {:.2} ms", all[all.len() / 2], all[all.len() * 95 / 100]);
}
