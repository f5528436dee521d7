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

/// Where a feed stands at a moment (报送逾期预警, FS-44c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedStatus {
    /// Not yet in the warning period.
    OnTime,
    /// Within `lead` working days of its due date: the department is warned.
    DueSoon,
    /// Past its due instant: the department and the authority are alerted.
    Overdue,
    /// 不定期: never due.
    Irregular,
}

/// A feed's status at `now`, warned from the working day `lead` working days before its due date.
pub fn status(due: Option<DateTime<Utc>>, now: DateTime<Utc>, lead: u32, calendar: &crate::calendar::Calendar) -> (FeedStatus, Option<chrono::NaiveDate>) {
    let Some(due) = due else { return (FeedStatus::Irregular, None) };
    let local = |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let warn_on = calendar.working_days_before(local(due), lead);
    let status = if now > due {
        FeedStatus::Overdue
    } else if local(now) >= warn_on {
        FeedStatus::DueSoon
    } else {
        FeedStatus::OnTime
    };
    (status, Some(warn_on))
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

    #[test]
    fn fs_44c_a_feed_is_warned_a_working_day_before_its_due_date_and_overdue_after() {
        let calendar = crate::calendar::Calendar::shipped();
        // Due Monday 2024-03-11 10:00 (a monthly feed delivered 2024-02-11 10:00): warned on Friday 2024-03-08.
        let due = next_due(UpdateFrequency::Monthly, at("2024-02-11 10:00"));
        assert_eq!(due, Some(at("2024-03-11 10:00")));
        let at_day = |s: &str| status(due, at(s), 1, &calendar);
        assert_eq!(at_day("2024-03-07 18:00"), (FeedStatus::OnTime, chrono::NaiveDate::from_ymd_opt(2024, 3, 8)));
        assert_eq!(at_day("2024-03-08 09:00").0, FeedStatus::DueSoon);
        assert_eq!(at_day("2024-03-10 12:00").0, FeedStatus::DueSoon, "the weekend stays in the warning");
        assert_eq!(at_day("2024-03-11 10:01").0, FeedStatus::Overdue);
        assert_eq!(status(None, at("2024-03-11 10:00"), 1, &calendar).0, FeedStatus::Irregular);
        // Over a holiday: due Tuesday 2024-10-08 (after 国庆) with two working days' lead: Monday 2024-09-30 and
        // Sunday 2024-09-29, a 调休 working day.
        let due = Some(at("2024-10-08 10:00"));
        assert_eq!(status(due, at("2024-09-29 09:00"), 2, &calendar), (FeedStatus::DueSoon, chrono::NaiveDate::from_ymd_opt(2024, 9, 29)));
    }
}
