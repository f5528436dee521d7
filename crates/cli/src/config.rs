//! The deployment's config: `shuyuan.toml` in the data folder, then `SHUYUAN_` environment variables.
//! Unknown keys are refused so a typo is not silently ignored.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub const FILE: &str = "shuyuan.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The policy profile chosen at init (the database records it too).
    pub profile: String,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Address to listen on.
    pub listen: String,
    /// Mark cookies Secure; default: yes unless listening on loopback.
    #[serde(default)]
    pub secure_cookies: Option<bool>,
    /// Log as JSON lines (for collectors) instead of text.
    #[serde(default)]
    pub log_json: bool,
    /// Where this node keeps its catalog search index (derived data, rebuilt from the database when missing);
    /// default `index/` in the data folder. Nodes of one deployment each need their own.
    #[serde(default)]
    pub index_dir: Option<std::path::PathBuf>,
    /// When an audited access (a sharing call, a search) is answered relative to its audit event reaching the
    /// disk: 0 or absent, after the event is synced (no crash of any kind loses an answered call's event); N,
    /// after the event is written to this node's journal, which is synced every N milliseconds (a crash of the
    /// process loses nothing, a crash of the machine at most the last N ms of events) — for nodes whose disk
    /// cannot sync as often as calls arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_sync_ms: Option<u64>,
    /// The lake in an S3-compatible object store; without it, `lake/` in the data folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lake: Option<LakeConfig>,
}

/// `[lake]`: where dataset versions are kept. Credentials are not written here: they come from
/// `SHUYUAN_LAKE_ACCESS_KEY_ID` and `SHUYUAN_LAKE_SECRET_ACCESS_KEY` (or the standard `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LakeConfig {
    /// `s3://BUCKET` or `s3://BUCKET/PREFIX`.
    pub url: String,
    /// The store's address when it is not AWS: MinIO, Ceph, a government cloud's OSS/OBS/COS.
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Plain HTTP to the endpoint (only within a trusted network).
    #[serde(default)]
    pub allow_http: bool,
}

impl Config {
    pub fn new(data_dir: &Path, profile: &str, database_url: Option<String>, listen: &str) -> Config {
        let database_url = database_url.unwrap_or_else(|| {
            let abs = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
            format!("sqlite://{}", abs.join("shuyuan.db").display())
        });
        Config { profile: profile.into(), database_url, listen: listen.into(), secure_cookies: None, log_json: false, index_dir: None, audit_sync_ms: None, lake: None }
    }

    /// The object store the lake lives in, if the config names one, with credentials from the environment.
    pub fn lake_store(&self) -> Option<service::aggregation::StoreConfig> {
        let lake = self.lake.as_ref()?;
        Some(service::aggregation::StoreConfig {
            url: lake.url.clone(),
            endpoint: lake.endpoint.clone(),
            region: lake.region.clone(),
            allow_http: lake.allow_http,
            access_key_id: std::env::var("SHUYUAN_LAKE_ACCESS_KEY_ID").ok(),
            secret_access_key: std::env::var("SHUYUAN_LAKE_SECRET_ACCESS_KEY").ok(),
        })
    }

    /// The folder of this node's catalog index.
    pub fn index_dir(&self, data_dir: &Path) -> std::path::PathBuf {
        self.index_dir.clone().unwrap_or_else(|| data_dir.join("index").join("catalog"))
    }

    pub fn load(data_dir: &Path) -> Result<Config> {
        let path = data_dir.join(FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("找不到配置 / no config at {}: run `shuyuan init --profile NAME --data-dir {}` first", path.display(), data_dir.display())
        })?;
        let mut config: Config = toml::from_str(&text).with_context(|| format!("配置有误 / invalid config {}", path.display()))?;
        if let Ok(url) = std::env::var("SHUYUAN_DATABASE_URL") {
            config.database_url = url;
        }
        if let Ok(listen) = std::env::var("SHUYUAN_LISTEN") {
            config.listen = listen;
        }
        Ok(config)
    }

    pub fn write(&self, data_dir: &Path) -> Result<()> {
        let text = format!(
            "# 数源 Shuyuan configuration. Environment variables override: SHUYUAN_DATABASE_URL, SHUYUAN_LISTEN.\n{}",
            toml::to_string_pretty(self)?
        );
        std::fs::write(data_dir.join(FILE), text)?;
        Ok(())
    }
}
