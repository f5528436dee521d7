//! A real S3-compatible server for tests: moto's (`pip install 'moto[server]'`), started on a free loopback port
//! and stopped when dropped. Each test makes its own bucket.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::StoreConfig;

pub struct S3Server {
    child: Child,
    pub endpoint: String,
    port: u16,
}

impl S3Server {
    /// Starts the server; panics with what to install when `moto_server` is missing.
    pub fn start() -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start moto_server (pip install 'moto[server]'; .ci/run installs it): {e}"));
        let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}"), port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "moto_server did not listen on {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Creates `bucket` and answers a lake config for `s3://bucket/prefix` on this server.
    pub fn bucket(&self, bucket: &str, prefix: &str) -> StoreConfig {
        let status = self.request("PUT", &format!("/{bucket}"));
        assert!(status.starts_with("HTTP/1.1 200"), "create bucket {bucket}: {status}");
        StoreConfig {
            url: format!("s3://{bucket}/{prefix}"),
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            allow_http: true,
            access_key_id: Some("test".into()),
            secret_access_key: Some("test".into()),
        }
    }

    /// The keys in `bucket` (a plain listing; moto does not check signatures).
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let body = self.request("GET", &format!("/{bucket}?list-type=2&max-keys=1000"));
        body.split("<Key>").skip(1).filter_map(|s| s.split("</Key>").next()).map(str::to_string).collect()
    }

    fn request(&self, method: &str, target: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto_server");
        write!(stream, "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", self.port).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read the answer");
        answer
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
