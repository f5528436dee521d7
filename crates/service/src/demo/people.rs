//! The demo city's people, generated deterministically: valid citizen ID numbers (GB 11643) of the city's
//! districts, names, sex, birth dates, mobile numbers and addresses, as the columns of the demo's population
//! resource (gmsfhm, xm, xb, csrq, lxdh, zz). The same seed gives the same file, byte for byte, so benchmarks and
//! demos compare like with like. A share of rows can be made invalid on purpose (a wrong check character).

use std::io::Write;

use domain::ids::CitizenId;

use super::rng::Rng;

pub(super) const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"];
pub(super) const GIVEN: &[&str] = &["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "玉兰"];
pub(super) const STREETS: &[&str] = &["中心街道", "东平街道", "七星街道", "安邦街道", "新兴街道", "长胜街道", "二马路街道", "南翼街道"];
const COMMUNITIES: &[&str] = &["友谊社区", "和平社区", "光明社区", "幸福社区", "新华社区", "民主社区", "胜利社区", "建设社区"];
pub(super) const ROADS: &[&str] = &["建设路", "团结路", "文化路", "新兴大街", "中山路", "人民路", "北山路", "向阳路"];

/// Birth dates span 66 years from 1940.
const DAYS: u64 = 24_090;

/// What to generate.
pub struct People<'a> {
    pub rows: u64,
    pub seed: u64,
    /// The districts people live in: six-digit code and name.
    pub districts: &'a [(String, String)],
    pub city_name: &'a str,
    /// Percent of rows (0–100) given a wrong check character.
    pub invalid_percent: f64,
}

/// The header the generated file starts with.
pub const HEADER: &str = "gmsfhm,xm,xb,csrq,lxdh,zz";

/// Writes the CSV (UTF-8, a header line, `rows` lines); `progress` is told the rows written so far every 65,536.
pub fn write_csv(out: &mut impl Write, spec: &People<'_>, mut progress: impl FnMut(u64)) -> std::io::Result<()> {
    let mut rng = Rng::seeded(spec.seed);
    writeln!(out, "{HEADER}")?;
    let districts: Vec<(&str, &str)> =
        if spec.districts.is_empty() { vec![("110101", "东城区")] } else { spec.districts.iter().map(|(c, n)| (c.as_str(), n.as_str())).collect() };
    let invalid_per_million = (spec.invalid_percent.clamp(0.0, 100.0) * 10_000.0) as u64;
    let mut line = String::with_capacity(256);
    for n in 0..spec.rows {
        // District, birth date and sequence number follow from the row number, so every ID is unique (up to
        // districts × 24,090 days × 1,000 rows); the birth dates are spread by a multiplier coprime to 24,090.
        let d = districts.len() as u64;
        let ((district, district_name), m) = (districts[(n % d) as usize], n / d);
        let birth = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default() + chrono::Days::new((m % DAYS) * 7919 % DAYS);
        // The sequence number's last digit is the sex.
        let sequence = ((m / DAYS) % 1000) as u32;
        let sex = if sequence % 2 == 1 { "男" } else { "女" };
        let first17 = format!("{district}{}{sequence:03}", birth.format("%Y%m%d"));
        let mut id = CitizenId::complete(&first17).as_str().to_string();
        if rng.below(1_000_000) < invalid_per_million {
            let last = id.pop().unwrap_or('0');
            id.push(if last == '0' { '1' } else { '0' });
        }
        let name = format!("{}{}", SURNAMES[rng.below(SURNAMES.len() as u64) as usize], GIVEN[rng.below(GIVEN.len() as u64) as usize]);
        let phone = format!("1{}{:09}", 3 + rng.below(7), rng.below(1_000_000_000));
        let address = format!(
            "{}{district_name}{}{}{}{}号{}号楼{}单元{}室",
            spec.city_name,
            STREETS[rng.below(STREETS.len() as u64) as usize],
            COMMUNITIES[rng.below(COMMUNITIES.len() as u64) as usize],
            ROADS[rng.below(ROADS.len() as u64) as usize],
            1 + rng.below(300),
            1 + rng.below(40),
            1 + rng.below(6),
            101 + rng.below(18) * 100 + rng.below(4)
        );
        line.clear();
        use std::fmt::Write as _;
        let _ = write!(line, "{id},{name},{sex},{birth},{phone},{address}");
        line.push('\n');
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
    fn the_same_seed_gives_the_same_valid_people() {
        let districts = vec![("230502".to_string(), "尖山区".to_string()), ("230503".to_string(), "岭东区".to_string())];
        let spec = People { rows: 2000, seed: 7, districts: &districts, city_name: "双鸭山市", invalid_percent: 0.0 };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_csv(&mut a, &spec, |_| {}).unwrap();
        write_csv(&mut b, &spec, |_| {}).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        let ids: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        assert_eq!(ids.len(), 2000);
        assert!(ids.iter().all(|id| CitizenId::parse(id).is_ok()), "every ID is valid");
        let unique: std::collections::HashSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), 2000, "and unique");
        let bytes = text.len() as f64 / 2000.0;
        assert!((120.0..170.0).contains(&bytes), "about 145 bytes a row: {bytes}");
        let mut bad = Vec::new();
        write_csv(&mut bad, &People { invalid_percent: 10.0, ..spec }, |_| {}).unwrap();
        let invalid = String::from_utf8(bad).unwrap().lines().skip(1).filter(|l| CitizenId::parse(l.split(',').next().unwrap()).is_err()).count();
        assert!((140..260).contains(&invalid), "about a tenth invalid: {invalid}");
    }
}
