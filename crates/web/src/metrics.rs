//! Prometheus metrics: request counts and time by route and status. Kept by hand: a few counters under a
//! mutex serve a console and an API, and need no exporter crate.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Per route: (method, status) → how many requests, and their total seconds.
type ByRoute = BTreeMap<String, Vec<(String, u16, u64, f64)>>;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<ByRoute>,
}

impl Metrics {
    /// Counts a request. Called on every request of a busy sharing API: a request already counted allocates nothing.
    pub fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let counts = match m.get_mut(route) {
            Some(counts) => counts,
            None => m.entry(route.to_string()).or_default(),
        };
        match counts.iter_mut().find(|(m, s, _, _)| m == method && *s == status) {
            Some(entry) => {
                entry.2 += 1;
                entry.3 += seconds;
            }
            None => counts.push((method.to_string(), status, 1, seconds)),
        }
    }

    pub fn render(&self) -> String {
        let m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let mut rows: Vec<(&str, &str, u16, u64, f64)> =
            m.iter().flat_map(|(route, counts)| counts.iter().map(move |(method, status, n, secs)| (method.as_str(), route.as_str(), *status, *n, *secs))).collect();
        rows.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        let mut out = String::from(
            "# HELP shuyuan_http_requests_total HTTP requests by route and status.\n# TYPE shuyuan_http_requests_total counter\n",
        );
        for (method, route, status, count, _) in &rows {
            out.push_str(&format!("shuyuan_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}\n"));
        }
        out.push_str("# HELP shuyuan_http_request_seconds_sum Time spent answering, by route.\n# TYPE shuyuan_http_request_seconds_sum counter\n");
        for (method, route, status, _, secs) in &rows {
            out.push_str(&format!("shuyuan_http_request_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {secs:.6}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn requests_are_counted_by_method_route_and_status() {
        let m = super::Metrics::default();
        m.record("GET", "/a", 200, 0.5);
        m.record("GET", "/a", 200, 0.25);
        m.record("POST", "/a", 403, 0.1);
        m.record("GET", "/b", 200, 1.0);
        let text = m.render();
        assert!(text.contains("shuyuan_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"), "{text}");
        assert!(text.contains("shuyuan_http_requests_total{method=\"POST\",route=\"/a\",status=\"403\"} 1\n"), "{text}");
        assert!(text.contains("shuyuan_http_request_seconds_sum{method=\"GET\",route=\"/a\",status=\"200\"} 0.750000\n"), "{text}");
        let get_a = text.find("method=\"GET\",route=\"/a\"").unwrap();
        assert!(get_a < text.find("method=\"GET\",route=\"/b\"").unwrap() && text.find("method=\"GET\",route=\"/b\"").unwrap() < text.find("method=\"POST\"").unwrap());
    }
}
