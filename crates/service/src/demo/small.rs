//! Rows for the demo's other published resources, made from their items: keys unique, citizen IDs and credit codes
//! valid, dates, numbers, enumerations from their values, so every resource of the demo city has a first version
//! and the catalog's pages, freshness and reports have data to show.

use domain::catalog::entry::{IdentifierKind, Item, ItemType};
use domain::ids::CitizenId;

use super::rng::Rng;

/// Writes `rows` rows for `items` as CSV (a header of item names).
pub fn write_csv(out: &mut impl std::io::Write, items: &[Item], rows: u64, seed: u64, district: &str) -> std::io::Result<()> {
    let mut rng = Rng::seeded(seed);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(items.iter().map(|i| i.name.as_str()))?;
    let mut cells: Vec<String> = Vec::with_capacity(items.len());
    for n in 0..rows {
        cells.clear();
        for item in items {
            cells.push(value(item, n, district, &mut rng));
        }
        w.write_record(&cells)?;
    }
    w.flush()
}

fn value(item: &Item, n: u64, district: &str, rng: &mut Rng) -> String {
    if !item.values.is_empty() {
        return rng.pick(&item.values).clone();
    }
    match item.identifier {
        IdentifierKind::CitizenId => {
            let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default() + chrono::Days::new(n % 20_000);
            return CitizenId::complete(&format!("{district}{}{:03}", birth.format("%Y%m%d"), (n / 20_000) % 1000)).as_str().to_string();
        }
        IdentifierKind::Uscc => return super::enterprises::credit_code(district, n).as_str().to_string(),
        IdentifierKind::Phone => return format!("139{:08}", rng.below(100_000_000)),
        _ => {}
    }
    match item.data_type {
        ItemType::String if item.is_key => format!("{}{:06}", item.name.to_ascii_uppercase(), n + 1),
        ItemType::String => format!("{}{}", item.label, 1 + rng.below(50)),
        ItemType::Integer => rng.below(10_000).to_string(),
        ItemType::Decimal => format!("{}.{:02}", rng.below(1000), rng.below(100)),
        ItemType::Date => (chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default() + chrono::Days::new(rng.below(4000))).to_string(),
        ItemType::DateTime => format!("{} {:02}:{:02}:00", chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default() + chrono::Days::new(rng.below(600)), rng.below(24), rng.below(60)),
        ItemType::Boolean => if rng.below(2) == 0 { "是" } else { "否" }.into(),
    }
}
