//! The lake in an S3-compatible object store. Versions and quarantines are written locally first (as for a folder
//! lake) and uploaded whole before the control plane records them: an object appears only when its upload
//! completes, so a reader never meets a partial one. Readers work on a local copy under `cache/`, fetched once —
//! the files are immutable, so a copy never goes stale — which keeps the Parquet reader, the merge and DataFusion
//! on plain files.

use std::fs;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::ObjectStore;
use tokio::io::AsyncWriteExt;

use crate::{Error, Result};

/// Where an S3-compatible lake is and how to reach it. Credentials left out are read from the standard
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreConfig {
    /// `s3://BUCKET` or `s3://BUCKET/PREFIX`.
    pub url: String,
    /// The service's address, for stores other than AWS (MinIO, Ceph, a cloud's OSS): `https://oss.example.gov.cn`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Plain HTTP to the endpoint (a store on the same host or network segment).
    pub allow_http: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

/// Part size of uploads: a version is sent in parts of this size, so its size is not bounded by memory.
const PART_BYTES: usize = 8 << 20;

pub(crate) struct Remote {
    store: Arc<dyn ObjectStore>,
    /// The store's own runtime: the lake's callers are blocking code (Parquet reading and writing), on threads of
    /// their own or of the caller's runtime, and wait on it from a thread outside every runtime.
    runtime: Option<tokio::runtime::Runtime>,
    pub(crate) describe: String,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // Dropping a runtime inside another one's task would panic; nothing is left running at this point.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn store_error(e: object_store::Error) -> Error {
    Error::Io(std::io::Error::other(format!("object store: {e}")))
}

impl Remote {
    pub(crate) fn connect(config: &StoreConfig) -> Result<Remote> {
        let rest = config.url.strip_prefix("s3://").ok_or_else(|| {
            Error::Config(format!("对象存储地址须以 s3:// 开头 / the object store URL must start with s3:// (got '{}')", config.url))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::Config(format!("对象存储地址缺少桶名 / the object store URL names no bucket: '{}'", config.url)));
        }
        // A version of a large population is hundreds of MiB: the default 30 s per request would fail its download.
        let client = object_store::ClientOptions::new()
            .with_allow_http(config.allow_http)
            .with_connect_timeout(std::time::Duration::from_secs(10))
            .with_timeout(std::time::Duration::from_secs(30 * 60));
        let mut builder =
            object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket).with_allow_http(config.allow_http).with_client_options(client);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &config.region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &config.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let s3 = builder.build().map_err(|e| Error::Config(format!("对象存储配置有误 / invalid object store settings: {e}")))?;
        let prefix = prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> =
            if prefix.is_empty() { Arc::new(s3) } else { Arc::new(object_store::prefix::PrefixStore::new(s3, Key::from(prefix))) };
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("lake-store").enable_all().build()?;
        let describe = match &config.endpoint {
            Some(e) => format!("{} at {e}", config.url),
            None => config.url.clone(),
        };
        Ok(Remote { store, runtime: Some(runtime), describe })
    }

    /// Runs `fut` on the store's runtime and waits for it, from whatever thread calls.
    fn run<T: Send>(&self, fut: impl Future<Output = T> + Send) -> T {
        let rt = self.runtime.as_ref().expect("runtime until drop");
        std::thread::scope(|s| s.spawn(|| rt.block_on(fut)).join().expect("the object store task panicked"))
    }

    /// Checks that the bucket answers (a listing of one key), so a wrong address fails at start, not at the
    /// first delivery.
    pub(crate) fn probe(&self) -> Result<()> {
        self.run(async {
            let mut listing = self.store.list(Some(&Key::from("versions")));
            match listing.next().await {
                Some(Err(e)) => Err(store_error(e)),
                _ => Ok(()),
            }
        })
    }

    /// Uploads the file at `from` as `rel`, in parts.
    pub(crate) fn upload(&self, from: &Path, rel: &str) -> Result<()> {
        let key = Key::parse(rel).map_err(|_| Error::Path(rel.into()))?;
        self.run(async {
            let mut file = tokio::fs::File::open(from).await?;
            let mut writer = object_store::buffered::BufWriter::with_capacity(self.store.clone(), key, PART_BYTES);
            let copied = tokio::io::copy(&mut file, &mut writer).await;
            match copied {
                Ok(_) => match writer.shutdown().await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let _ = writer.abort().await;
                        Err(Error::Io(e))
                    }
                },
                Err(e) => {
                    // An unfinished upload is aborted so the store keeps no parts of it.
                    let _ = writer.abort().await;
                    Err(Error::Io(e))
                }
            }
        })
    }

    /// Downloads `rel` to the file `to` (which must not be read before this answers).
    pub(crate) fn download(&self, rel: &str, to: &Path) -> Result<()> {
        let key = Key::parse(rel).map_err(|_| Error::Path(rel.into()))?;
        self.run(async {
            let got = self.store.get(&key).await.map_err(store_error)?;
            let mut out = tokio::fs::File::create(to).await?;
            let mut stream = got.into_stream();
            while let Some(chunk) = stream.next().await {
                out.write_all(&chunk.map_err(store_error)?).await?;
            }
            out.sync_all().await?;
            Ok(())
        })
    }

    pub(crate) fn delete(&self, rel: &str) -> Result<()> {
        let key = Key::parse(rel).map_err(|_| Error::Path(rel.into()))?;
        self.run(async { self.store.delete(&key).await.map_err(store_error) })
    }

    /// The version files in the store older than `older_than`, by relative path.
    pub(crate) fn old_versions(&self, older_than: std::time::Duration) -> Result<Vec<String>> {
        let cutoff = chrono::Duration::from_std(older_than).ok().and_then(|d| chrono::Utc::now().checked_sub_signed(d)).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        self.run(async {
            let mut listing = self.store.list(Some(&Key::from("versions")));
            let mut old = Vec::new();
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(store_error)?;
                if meta.last_modified <= cutoff {
                    old.push(meta.location.to_string());
                }
            }
            Ok(old)
        })
    }
}

/// Moves `from` to `to`, creating `to`'s folder; the move is atomic within the lake's file system.
pub(crate) fn place(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::rename(from, to)?;
    Ok(())
}
