//! The working-day clock. Every deadline in the five regulations is counted in working days (工作日): Monday to
//! Friday, minus public holidays, plus the weekends worked in their place (调休), as the State Council's yearly
//! notice sets them. A deadline that reaches a year whose notice is not loaded is marked provisional.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::Invalid;

/// One year of the State Council's notice: the weekdays off and the weekend days worked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct YearCalendar {
    pub year: i32,
    /// Links to the notice (国务院办公厅关于…部分节假日安排的通知).
    pub papers: Vec<String>,
    pub days: Vec<SpecialDay>,
}

/// A day that differs from the Monday–Friday rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: NaiveDate,
    /// The holiday it belongs to (春节, 国庆节 …).
    pub name: String,
    /// `true`: a holiday (a weekday off). `false`: an adjusted working day (a weekend day worked).
    pub off: bool,
}

impl YearCalendar {
    /// Reads a year in the holiday-cn JSON format the project ships (`data/holidays/YYYY.json`).
    pub fn from_holiday_cn_json(text: &str) -> Result<YearCalendar, Invalid> {
        #[derive(Deserialize)]
        struct File {
            year: i32,
            #[serde(default)]
            papers: Vec<String>,
            days: Vec<Day>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Day {
            name: String,
            date: NaiveDate,
            is_off_day: bool,
        }
        let file: File = serde_json::from_str(text).map_err(|e| {
            Invalid::new(
                "invalid_calendar",
                format!("节假日文件格式错误：{e}。应为 {{\"year\", \"papers\", \"days\": [{{\"name\", \"date\", \"isOffDay\"}}]}}"),
                format!("Malformed holiday file: {e}. Expected {{\"year\", \"papers\", \"days\": [{{\"name\", \"date\", \"isOffDay\"}}]}}"),
            )
        })?;
        let cal = YearCalendar {
            year: file.year,
            papers: file.papers,
            days: file.days.into_iter().map(|d| SpecialDay { date: d.date, name: d.name, off: d.is_off_day }).collect(),
        };
        cal.check()?;
        Ok(cal)
    }

    /// A year's days must lie in that year and appear once. (A weekday listed as worked is allowed: the 2020
    /// notice lists 3 February, the first day back after the extended Spring Festival.)
    pub fn check(&self) -> Result<(), Invalid> {
        if !(2000..=2100).contains(&self.year) {
            return Err(Invalid::new(
                "invalid_calendar",
                format!("年份{}超出范围（2000–2100）", self.year),
                format!("Year {} is out of range (2000–2100)", self.year),
            ));
        }
        let mut seen = BTreeSet::new();
        for d in &self.days {
            // A notice may reach into the neighbouring year (2023's 元旦 holiday began on 2022-12-31).
            if (d.date.year() - self.year).abs() > 1 {
                return Err(Invalid::new(
                    "invalid_calendar",
                    format!("{}不属于{}年的节假日安排", d.date, self.year),
                    format!("{} is not in the {} holiday notice's range", d.date, self.year),
                ));
            }
            if !seen.insert(d.date) {
                return Err(Invalid::new(
                    "invalid_calendar",
                    format!("{}重复出现", d.date),
                    format!("{} appears twice", d.date),
                ));
            }
        }
        Ok(())
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// How the day that starts a deadline is counted; a profile parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CountingRule {
    /// When `false` (the default of every profile), the day of receipt does not count: a 1-working-day
    /// deadline for something received on a Monday falls on Tuesday.
    pub count_day_of_receipt: bool,
}

/// When something is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Due {
    pub due: NaiveDate,
    /// The count crossed a year whose holiday notice is not loaded: the date may move when it is.
    pub provisional: bool,
}

/// The loaded years of holidays and adjusted working days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Every special day of every loaded notice: `true` off, `false` worked.
    days: BTreeMap<NaiveDate, bool>,
    notices: BTreeMap<i32, YearCalendar>,
}

/// Years whose notice the project ships, as published (2027 is empty: its notice is not out).
const SHIPPED: [(i32, &str); 8] = [
    (2020, include_str!("../../../data/holidays/2020.json")),
    (2021, include_str!("../../../data/holidays/2021.json")),
    (2022, include_str!("../../../data/holidays/2022.json")),
    (2023, include_str!("../../../data/holidays/2023.json")),
    (2024, include_str!("../../../data/holidays/2024.json")),
    (2025, include_str!("../../../data/holidays/2025.json")),
    (2026, include_str!("../../../data/holidays/2026.json")),
    (2027, include_str!("../../../data/holidays/2027.json")),
];

impl Calendar {
    /// The notices shipped with the project. A year with no days in its file (a notice not yet published) is not
    /// loaded, so deadlines reaching it are provisional.
    pub fn shipped_years() -> Vec<YearCalendar> {
        SHIPPED
            .iter()
            .map(|(year, text)| {
                let cal = YearCalendar::from_holiday_cn_json(text).expect("shipped calendar parses");
                assert_eq!(cal.year, *year);
                cal
            })
            .collect()
    }

    pub fn shipped() -> Calendar {
        let mut cal = Calendar::default();
        for year in Calendar::shipped_years() {
            cal.load(year);
        }
        cal
    }

    /// Loads (or replaces) one year. An empty year is recorded as not published.
    pub fn load(&mut self, year: YearCalendar) {
        if year.days.is_empty() {
            self.notices.remove(&year.year);
        } else {
            self.notices.insert(year.year, year);
        }
        self.days = self.notices.values().flat_map(|n| n.days.iter().map(|d| (d.date, d.off))).collect();
    }

    pub fn is_loaded(&self, year: i32) -> bool {
        self.notices.contains_key(&year)
    }

    pub fn loaded_years(&self) -> Vec<i32> {
        self.notices.keys().copied().collect()
    }

    pub fn notice(&self, year: i32) -> Option<&YearCalendar> {
        self.notices.get(&year)
    }

    /// Whether people work on `date`. For a year not loaded, the plain Monday–Friday rule.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date) {
            Some(off) => !off,
            None => !is_weekend(date),
        }
    }

    /// The date by which something received on `start` must be done within `n` working days.
    ///
    /// With the default rule the day of receipt does not count, and the due date is the n-th working day
    /// after it. When the rule counts the day of receipt, a receipt on a working day is day one. `n = 0`
    /// (立即, immediately) is due on the day of receipt.
    pub fn deadline(&self, start: NaiveDate, n: u32, rule: CountingRule) -> Due {
        let mut provisional = !self.is_loaded(start.year());
        if n == 0 {
            return Due { due: start, provisional };
        }
        let mut remaining = n;
        let mut day = start;
        if rule.count_day_of_receipt && self.is_working_day(start) {
            remaining -= 1;
        }
        while remaining > 0 {
            day += Duration::days(1);
            provisional |= !self.is_loaded(day.year());
            if self.is_working_day(day) {
                remaining -= 1;
            }
        }
        Due { due: day, provisional }
    }

    /// The `n`-th working day before `date`: when to warn that something due on `date` is coming (FS-44c: due
    /// Monday 2024-03-11, one working day's lead, warned Friday 2024-03-08).
    pub fn working_days_before(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut remaining = n;
        while remaining > 0 {
            day -= Duration::days(1);
            if self.is_working_day(day) {
                remaining -= 1;
            }
        }
        day
    }

    /// Working days from `start` (exclusive) to `end` (inclusive): how late something is.
    pub fn working_days_between(&self, start: NaiveDate, end: NaiveDate) -> i64 {
        if end <= start {
            return 0;
        }
        let mut n = 0;
        let mut day = start;
        while day < end {
            day += Duration::days(1);
            if self.is_working_day(day) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    const DEFAULT: CountingRule = CountingRule { count_day_of_receipt: false };

    #[test]
    fn shipped_years_load_and_2027_is_not_published() {
        let cal = Calendar::shipped();
        assert_eq!(cal.loaded_years(), vec![2020, 2021, 2022, 2023, 2024, 2025, 2026]);
        assert!(!cal.is_loaded(2027));
    }

    #[test]
    fn spring_festival_2026_and_its_adjusted_saturday() {
        let cal = Calendar::shipped();
        // 2026: 春节 holidays 15–23 February; Saturday 14 February and Saturday 28 February are worked.
        assert!(cal.is_working_day(d("2026-02-14")), "调休 Saturday is a working day");
        assert!(cal.is_working_day(d("2026-02-28")), "调休 Saturday is a working day");
        assert!(!cal.is_working_day(d("2026-02-16")), "Monday in the holiday is off");
        assert!(!cal.is_working_day(d("2026-02-21")));
        // Received Friday 13 Feb: day one is the adjusted Saturday 14 Feb, then nothing until Tuesday 24 Feb.
        assert_eq!(cal.deadline(d("2026-02-13"), 1, DEFAULT).due, d("2026-02-14"));
        assert_eq!(cal.deadline(d("2026-02-13"), 2, DEFAULT).due, d("2026-02-24"));
        // Received on the adjusted Saturday with the day of receipt counted: it is day one.
        let counting = CountingRule { count_day_of_receipt: true };
        assert_eq!(cal.deadline(d("2026-02-14"), 1, counting).due, d("2026-02-14"));
        assert_eq!(cal.deadline(d("2026-02-14"), 1, DEFAULT).due, d("2026-02-24"));
    }

    #[test]
    fn national_day_2025_with_mid_autumn() {
        let cal = Calendar::shipped();
        // 2025: 1–8 October off; Sunday 28 September and Saturday 11 October worked.
        assert!(cal.is_working_day(d("2025-09-28")));
        assert!(cal.is_working_day(d("2025-10-11")));
        assert!(!cal.is_working_day(d("2025-10-08")));
        // Received Tuesday 30 Sept: 1 WD → Thursday 9 Oct; 5 WD → 9,10,11(Sat, worked),13,14 → 14 Oct.
        assert_eq!(cal.deadline(d("2025-09-30"), 1, DEFAULT).due, d("2025-10-09"));
        assert_eq!(cal.deadline(d("2025-09-30"), 5, DEFAULT).due, d("2025-10-14"));
        assert!(!cal.deadline(d("2025-09-30"), 5, DEFAULT).provisional);
    }

    #[test]
    fn deadline_into_an_unpublished_year_is_provisional() {
        let cal = Calendar::shipped();
        let due = cal.deadline(d("2026-12-28"), 10, DEFAULT);
        assert!(due.provisional, "crosses into 2027, whose notice is not loaded");
        assert!(!cal.deadline(d("2026-12-01"), 5, DEFAULT).provisional);
    }

    #[test]
    fn loading_a_year_replaces_it() {
        let mut cal = Calendar::shipped();
        let y2027 = YearCalendar {
            year: 2027,
            papers: vec![],
            days: vec![SpecialDay { date: d("2027-01-01"), name: "元旦".into(), off: true }],
        };
        y2027.check().unwrap();
        cal.load(y2027);
        assert!(cal.is_loaded(2027));
        assert!(!cal.is_working_day(d("2027-01-01")));
        assert!(!cal.deadline(d("2026-12-28"), 10, DEFAULT).provisional);
    }

    #[test]
    fn a_malformed_year_is_refused_with_a_reason() {
        let twice = YearCalendar {
            year: 2027,
            papers: vec![],
            days: vec![
                SpecialDay { date: d("2027-01-01"), name: "x".into(), off: true },
                SpecialDay { date: d("2027-01-01"), name: "x".into(), off: true },
            ],
        };
        assert!(twice.check().unwrap_err().message_en.contains("twice"));
        let wrong_year = YearCalendar {
            year: 2027,
            papers: vec![],
            days: vec![SpecialDay { date: d("2025-01-01"), name: "x".into(), off: true }],
        };
        assert!(wrong_year.check().is_err());
        assert!(YearCalendar::from_holiday_cn_json("{\"year\": 2027}").is_err());
    }

    #[test]
    fn working_days_between_counts_lateness() {
        let cal = Calendar::shipped();
        assert_eq!(cal.working_days_between(d("2026-02-13"), d("2026-02-24")), 2);
        assert_eq!(cal.working_days_between(d("2026-02-24"), d("2026-02-13")), 0);
    }
}
