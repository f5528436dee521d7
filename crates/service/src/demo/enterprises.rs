//! The demo city's enterprises, generated deterministically: valid unified social credit codes (GB 32100, with a
//! valid organization code inside, GB 11714) registered in the city's districts, names, legal representatives,
//! founding dates, addresses and status, as the columns of the demo's 企业登记信息 (tyshxydm, mc, fddbr, clrq, zs,
//! ywzt). The same seed gives the same file, byte for byte.

use std::io::Write;

use domain::ids::{organization_code_complete, Uscc};

use super::people::{GIVEN, ROADS, STREETS, SURNAMES};
use super::rng::Rng;

const WORDS: &[&str] = &["恒远", "华信", "鑫源", "龙腾", "宏达", "金石", "北辰", "瑞丰", "长青", "天合", "兴业", "嘉禾", "博远", "汇通", "安泰", "广盛"];
const TRADES: &[&str] = &["煤业", "农业科技", "商贸", "建筑工程", "物流", "食品", "机械制造", "软件", "餐饮管理", "新能源", "医药", "文化传媒"];
const FORMS: &[&str] = &["有限公司", "有限责任公司", "股份有限公司"];
const STATUS: &[&str] = &["存续", "存续", "存续", "在业", "在业", "迁出", "注销"];

/// What to generate.
pub struct Enterprises<'a> {
    pub rows: u64,
    pub seed: u64,
    /// The districts enterprises are registered in: six-digit code and name.
    pub districts: &'a [(String, String)],
    pub city_name: &'a str,
}

/// The header the generated file starts with.
pub const HEADER: &str = "tyshxydm,mc,fddbr,clrq,zs,ywzt";

/// The credit code of enterprise `n` registered in `district`: 9 (市场监管) 1 (enterprise), the district, an
/// organization code from the row number, and the check character; unique for distinct `n`.
pub fn credit_code(district: &str, n: u64) -> Uscc {
    let org = organization_code_complete(&format!("{:08}", 10_000_000 + n % 90_000_000));
    Uscc::complete(&format!("91{district}{org}"))
}

/// Writes the CSV (UTF-8, a header line, `rows` lines); `progress` is told the rows written every 65,536.
pub fn write_csv(out: &mut impl Write, spec: &Enterprises<'_>, mut progress: impl FnMut(u64)) -> std::io::Result<()> {
    let mut rng = Rng::seeded(spec.seed);
    writeln!(out, "{HEADER}")?;
    let districts: Vec<(&str, &str)> =
        if spec.districts.is_empty() { vec![("110101", "东城区")] } else { spec.districts.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect() };
    let city = spec.city_name.trim_end_matches('市');
    let mut line = String::with_capacity(192);
    for n in 0..spec.rows {
        let (district, district_name) = districts[(n % districts.len() as u64) as usize];
        let code = credit_code(district, n);
        let name = format!("{city}{}{}{}{}", rng.pick(WORDS), rng.pick(WORDS), rng.pick(TRADES), rng.pick(FORMS));
        let person = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        let founded = chrono::NaiveDate::from_ymd_opt(1992, 1, 1).unwrap_or_default() + chrono::Days::new(rng.below(12_400));
        let address = format!("{}{district_name}{}{}{}号", spec.city_name, rng.pick(STREETS), rng.pick(ROADS), 1 + rng.below(500));
        line.clear();
        use std::fmt::Write as _;
        let _ = writeln!(line, "{},{name},{person},{founded},{address},{}", code.as_str(), rng.pick(STATUS));
        out.write_all(line.as_bytes())?;
        if n % 65_536 == 0 {
            progress(n);
        }
    }
    progress(spec.rows);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_valid_unique_enterprises() {
        let districts = vec![("230502".to_string(), "尖山区".to_string()), ("230503".to_string(), "岭东区".to_string())];
        let spec = Enterprises { rows: 3000, seed: 3, districts: &districts, city_name: "双鸭山市" };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_csv(&mut a, &spec, |_| {}).unwrap();
        write_csv(&mut b, &spec, |_| {}).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        let codes: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        assert!(codes.iter().all(|c| Uscc::parse(c).is_ok()), "every credit code is valid");
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 3000, "and unique");
        assert!(codes[0].starts_with("91230502") && codes[1].starts_with("91230503"), "registered in the districts");
    }
}
