//! Freshness (SYS-17b, LS-8c): a resource is due for its next delivery one update interval, as its catalog entry
//! declares, after the last one; past that instant it is late. 不定期 (irregular) data is never late.

use chrono::{DateTime, Months, Utc};

use crate::catalog::entry::UpdateFrequency;

/// When the delivery after one at `last` is due.
pub fn next_due(frequency: UpdateFrequency, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use UpdateFrequency::*;
    match frequency {
        // Real-time feeds are expected at least hourly.
        RealTime => Some(last + chrono::Duration::hours(1)),
        Daily => Some(last + chrono::Duration::days(1)),
        Weekly => Some(last + chrono::Duration::days(7)),
        Monthly => last.checked_add_months(Months::new(1)),
        Quarterly => last.checked_add_months(Months::new(3)),
        HalfYearly => last.checked_add_months(Months::new(6)),
        Yearly => last.checked_add_months(Months::new(12)),
        Irregular => None,
    }
}

/// Whether a resource last delivered at `last` is late at `now`.
pub fn late(frequency: UpdateFrequency, last: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    next_due(frequency, last).is_some_and(|due| now > due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: &str) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai.from_local_datetime(&chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn ls_8c_sys_17b_a_daily_feed_is_late_a_day_after_its_last_delivery() {
        assert!(late(UpdateFrequency::Daily, at("2023-03-10 08:00"), at("2023-03-12 00:00")), "LS-8c");
        assert!(late(UpdateFrequency::Daily, at("2026-03-01 08:00"), at("2026-03-03 09:00")), "SYS-17b");
        assert!(!late(UpdateFrequency::Daily, at("2026-03-01 08:00"), at("2026-03-02 08:00")), "due, not yet late");
        assert_eq!(next_due(UpdateFrequency::Monthly, at("2026-01-31 10:00")), Some(at("2026-02-28 10:00")), "month ends clamp");
        assert!(!late(UpdateFrequency::Irregular, at("2020-01-01 00:00"), at("2026-01-01 00:00")));
    }
}
