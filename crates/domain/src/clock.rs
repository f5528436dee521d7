//! Time. Production code asks an injected [`Clock`] for "now"; tests give their own implementation. Dates shown to
//! people are in Asia/Shanghai, where every deadline of the five regulations is counted.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in Asia/Shanghai: the day a deadline starts from.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Shanghai).date_naive()
    }
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Microseconds since the Unix epoch: how the store keeps instants, the same on SQLite and PostgreSQL.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

/// An instant as people in the city read it: `2026-11-22 21:14:05` in Asia/Shanghai.
pub fn format_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Shanghai).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An instant in RFC 3339 with the +08:00 offset, for APIs and exports.
pub fn format_rfc3339_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Shanghai).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The day in Asia/Shanghai of an instant in microseconds: what "received on", "last used on" mean.
pub fn local_day(us: i64) -> NaiveDate {
    from_micros(us).with_timezone(&Shanghai).date_naive()
}

/// The first instant of `day` in Asia/Shanghai, in microseconds: where "since a date" starts.
pub fn start_of_day_us(day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Shanghai.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&Utc)).map(to_micros).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_falls_on_its_day_in_shanghai() {
        let evening_utc = to_micros(Utc.with_ymd_and_hms(2026, 12, 6, 16, 30, 0).unwrap());
        assert_eq!(local_day(evening_utc), NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert_eq!(local_day(start_of_day_us(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())), NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
    }

    #[test]
    fn shanghai_is_eight_hours_ahead() {
        let t = Utc.with_ymd_and_hms(2026, 1, 31, 17, 30, 0).unwrap();
        assert_eq!(format_local(t), "2026-02-01 01:30:00");
        assert_eq!(format_rfc3339_local(t), "2026-02-01T01:30:00+08:00");
        assert_eq!(from_micros(to_micros(t)), t);
        let day = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(start_of_day_us(day), to_micros(Utc.with_ymd_and_hms(2026, 1, 31, 16, 0, 0).unwrap()));
    }
}
