//! Prometheus metrics: request counts and time by route and status. Kept by hand: a few atomics under a
//! mutex serve a console and an API, and need no exporter crate.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Method, route and status.
type RequestKey = (String, String, u16);

#[derive(Default)]
pub struct Metrics {
    /// How many requests, and their total seconds.
    requests: Mutex<BTreeMap<RequestKey, (u64, f64)>>,
}

impl Metrics {
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let entry = m.entry((method.to_string(), route.to_string(), status)).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += seconds;
    }

    pub fn render(&self) -> String {
        let m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::from(
            "# HELP shuyuan_http_requests_total HTTP requests by route and status.\n# TYPE shuyuan_http_requests_total counter\n",
        );
        for ((method, route, status), (count, _)) in m.iter() {
            out.push_str(&format!("shuyuan_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}\n"));
        }
        out.push_str("# HELP shuyuan_http_request_seconds_sum Time spent answering, by route.\n# TYPE shuyuan_http_request_seconds_sum counter\n");
        for ((method, route, status), (_, secs)) in m.iter() {
            out.push_str(&format!("shuyuan_http_request_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {secs:.6}\n"));
        }
        out
    }
}
