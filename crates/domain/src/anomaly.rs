//! Anomalies in a system's use of shared data (SYS-31a 安全风险异常, YZ-27d 监测预警, CS-38): a sudden rise in a
//! token's call rate, many distinct keys looked up in an hour (enumeration), many refused calls in ten minutes.
//! Pure counting over clock minutes; a node keeps one [`Watch`] per API token and acts on what it answers.

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};

/// When a token's use is anomalous. The regulations name the kinds (volume spikes, bulk pulls, repeated denials)
/// but no numbers, so each profile sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// A minute's calls above this many times the token's average per minute is a rate rise...
    pub rate_factor: u32,
    /// ...when it is also above this many calls (a quiet system's few extra calls are not a rise).
    pub rate_floor: u32,
    /// Distinct keys looked up (records, verifications) in one clock hour above this is enumeration, unless the
    /// token declares a larger volume.
    pub keys_per_hour: u32,
    /// Refused calls in ten minutes above this (YZ-27d: more than 20).
    pub denials_per_10_minutes: u32,
    /// An anomaly suspends the token until the authority resumes it; otherwise it only raises an alert.
    pub suspends_token: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { rate_factor: 10, rate_floor: 600, keys_per_hour: 2000, denials_per_10_minutes: 20, suspends_token: true }
    }
}

/// What was seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Anomaly {
    /// `calls` in one minute against an average of `baseline` per minute.
    RateRise { calls: u64, baseline: f64 },
    /// More than `keys` distinct keys in one hour.
    Enumeration { keys: u32 },
    /// `denials` refused calls in ten minutes.
    Denials { denials: u64 },
}

impl Anomaly {
    pub fn kind(&self) -> &'static str {
        match self {
            Anomaly::RateRise { .. } => "rate_rise",
            Anomaly::Enumeration { .. } => "enumeration",
            Anomaly::Denials { .. } => "denials",
        }
    }

    pub fn describe(&self) -> (String, String) {
        match *self {
            Anomaly::RateRise { calls, baseline } => (
                format!("调用量突增：一分钟{calls}次，此前平均每分钟{baseline:.1}次"),
                format!("sudden rise in calls: {calls} in one minute against {baseline:.1} a minute before"),
            ),
            Anomaly::Enumeration { keys } => {
                (format!("一小时内查询超过{keys}个不同主键（疑似遍历）"), format!("more than {keys} distinct keys looked up in one hour (likely enumeration)"))
            }
            Anomaly::Denials { denials } => (format!("十分钟内{denials}次调用被拒绝"), format!("{denials} calls refused in ten minutes")),
        }
    }
}

/// The minutes a token's average rate is taken over, and how many it needs before a rise can be judged.
const BASELINE_MINUTES: i64 = 60;
const WARM_UP_MINUTES: i64 = 10;

/// One token's recent use. Memory is bounded: 61 minute counters, ten denial counters, and at most the key limit
/// plus one key fingerprints.
#[derive(Debug, Default)]
pub struct Watch {
    /// (minute, calls) for the last hour and the current minute, oldest first.
    minutes: VecDeque<(i64, u64)>,
    first_minute: Option<i64>,
    hour: i64,
    keys: HashSet<u64>,
    /// (minute, refused calls) for the last ten minutes.
    denials: VecDeque<(i64, u64)>,
    /// Each kind is answered once per window (minute for a rise, hour for enumeration, ten minutes for denials).
    raised_rise: Option<i64>,
    raised_enumeration: Option<i64>,
    raised_denials: Option<i64>,
}

impl Watch {
    /// Counts an allowed call at `minute` (minutes since the epoch), with the fingerprint of the key it looked up.
    /// `keys_per_hour` is the token's own limit where it declares one. Answers the first anomaly it completes.
    pub fn call(&mut self, minute: i64, key: Option<u64>, t: &Thresholds, keys_per_hour: u32) -> Option<Anomaly> {
        self.first_minute.get_or_insert(minute);
        match self.minutes.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => self.minutes.push_back((minute, 1)),
        }
        while self.minutes.front().is_some_and(|(m, _)| *m < minute - BASELINE_MINUTES) {
            self.minutes.pop_front();
        }
        if let Some(key) = key {
            let hour = minute.div_euclid(60);
            if hour != self.hour {
                self.hour = hour;
                self.keys.clear();
            }
            // Only the count past the limit matters, so the set stops growing there.
            if self.keys.len() <= keys_per_hour as usize {
                self.keys.insert(key);
            }
            if self.keys.len() > keys_per_hour as usize && self.raised_enumeration != Some(hour) {
                self.raised_enumeration = Some(hour);
                return Some(Anomaly::Enumeration { keys: keys_per_hour });
            }
        }
        let first = self.first_minute.unwrap_or(minute);
        let span = (minute - first).min(BASELINE_MINUTES);
        if span >= WARM_UP_MINUTES && self.raised_rise != Some(minute) {
            let now = self.minutes.back().map_or(0, |(_, n)| *n);
            let before: u64 = self.minutes.iter().filter(|(m, _)| *m < minute && *m >= minute - span).map(|(_, n)| n).sum();
            let baseline = before as f64 / span as f64;
            if now > u64::from(t.rate_floor) && now as f64 > baseline * f64::from(t.rate_factor) {
                self.raised_rise = Some(minute);
                return Some(Anomaly::RateRise { calls: now, baseline });
            }
        }
        None
    }

    /// Counts a refused call at `minute`.
    pub fn denied(&mut self, minute: i64, t: &Thresholds) -> Option<Anomaly> {
        match self.denials.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => self.denials.push_back((minute, 1)),
        }
        while self.denials.front().is_some_and(|(m, _)| *m <= minute - 10) {
            self.denials.pop_front();
        }
        let total: u64 = self.denials.iter().map(|(_, n)| n).sum();
        let window = minute.div_euclid(10);
        if total > u64::from(t.denials_per_10_minutes) && self.raised_denials.is_none_or(|w| w < window - 1) {
            self.raised_denials = Some(window);
            return Some(Anomaly::Denials { denials: total });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Thresholds {
        Thresholds { rate_factor: 10, rate_floor: 100, keys_per_hour: 50, denials_per_10_minutes: 20, suspends_token: true }
    }

    #[test]
    fn sys_31a_a_steady_system_raises_nothing_and_a_sudden_rise_is_seen_once() {
        let mut w = Watch::default();
        // Two hours at 30 calls a minute on a few keys.
        for minute in 0..120 {
            for i in 0..30 {
                assert_eq!(w.call(minute, Some(i % 20), &t(), 50), None, "minute {minute}");
            }
        }
        // Then 400 in one minute: above ten times 30 and above the floor.
        let raised: Vec<_> = (0..400).filter_map(|i| w.call(120, Some(i % 20), &t(), 50)).collect();
        assert_eq!(raised.len(), 1, "raised once in the minute: {raised:?}");
        let Anomaly::RateRise { calls, baseline } = raised[0] else { panic!("{raised:?}") };
        assert_eq!(calls, 301);
        assert!((baseline - 30.0).abs() < 1e-9);
    }

    #[test]
    fn sys_31a_a_new_token_is_not_judged_for_a_rise_before_its_warm_up() {
        let mut w = Watch::default();
        for i in 0..5000 {
            assert_eq!(w.call(0, Some(i % 10), &t(), 50), None);
        }
    }

    #[test]
    fn sys_31a_many_distinct_keys_in_an_hour_is_enumeration_once_per_hour() {
        let mut w = Watch::default();
        let mut raised = vec![];
        for key in 0..200 {
            raised.extend(w.call(5, Some(key), &t(), 50));
        }
        assert_eq!(raised, vec![Anomaly::Enumeration { keys: 50 }]);
        // Repeating the same keys is not enumeration.
        let mut w = Watch::default();
        for _ in 0..10 {
            for key in 0..50 {
                assert_eq!(w.call(5, Some(key), &t(), 50), None);
            }
        }
        // A token that declares a larger volume is held to its own limit; a new hour starts afresh.
        let mut w = Watch::default();
        assert!((0..200).all(|k| w.call(5, Some(k), &t(), 1000).is_none()));
        assert!((0..60).filter_map(|k| w.call(65, Some(k), &t(), 50)).count() == 1);
    }

    #[test]
    fn yz_27d_more_than_twenty_refusals_in_ten_minutes_is_an_anomaly() {
        let mut w = Watch::default();
        for i in 0..20 {
            assert_eq!(w.denied(i / 3, &t()), None, "refusal {i}");
        }
        assert_eq!(w.denied(7, &t()), Some(Anomaly::Denials { denials: 21 }));
        assert_eq!(w.denied(7, &t()), None, "answered once in the window");
        // Spread thinly over an hour they are not.
        let mut w = Watch::default();
        for i in 0..60 {
            assert_eq!(w.denied(i, &t()), None);
        }
    }
}
