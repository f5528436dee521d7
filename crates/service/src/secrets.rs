//! Secrets the platform keeps for departments (a sync job's database password): sealed with SM4-GCM under the
//! node's key, so the control-plane database never holds them in the clear and a copy of it alone reveals
//! nothing. The key comes from `SHUYUAN_SECRET_KEY` (32 hex digits; every node of a deployment sets the same) or,
//! on a single node, from `secret.key` in the data directory, created on first start readable by its owner only.

use std::path::Path;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::AesGcm;

use crate::{Error, Platform, Result};

type Sm4Gcm = AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// Seals and opens secrets under one key.
pub struct Sealer {
    cipher: Sm4Gcm,
}

const PREFIX: &str = "sm4gcm:";

impl Sealer {
    pub fn new(key: [u8; 16]) -> Sealer {
        Sealer { cipher: Sm4Gcm::new(&key.into()) }
    }

    /// `sm4gcm:` then hex of a fresh 12-byte nonce and the ciphertext with its tag.
    pub fn seal(&self, plain: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        let sealed = self.cipher.encrypt(&nonce.into(), plain.as_bytes()).expect("SM4-GCM seals any length a URL has");
        format!("{PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// Opens what [`seal`](Sealer::seal) made under the same key; an error when the key differs or the text was
    /// changed.
    pub fn open(&self, sealed: &str) -> Result<String> {
        let broken = || Error::Internal(store::Error::Corrupt("a sealed secret does not open with this node's key (is SHUYUAN_SECRET_KEY the same on every node?)".into()));
        let bytes = sealed.strip_prefix(PREFIX).and_then(|h| hex::decode(h).ok()).filter(|b| b.len() > 12).ok_or_else(broken)?;
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| broken())?;
        let plain = self.cipher.decrypt(&nonce.into(), body).map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

/// Loads the node's key (see the module's note) and attaches it to the platform.
pub fn attach(p: &Platform, key_file: &Path) -> Result<()> {
    let key = match std::env::var("SHUYUAN_SECRET_KEY") {
        Ok(hex_key) => parse_key(&hex_key).ok_or_else(|| Error::invalid("invalid_secret_key", "SHUYUAN_SECRET_KEY 须为32位十六进制数", "SHUYUAN_SECRET_KEY is 32 hex digits"))?,
        Err(_) => key_from_file(key_file).map_err(|e| Error::Internal(store::Error::Corrupt(format!("secret key {}: {e}", key_file.display()))))?,
    };
    let _ = p.secrets.set(Arc::new(Sealer::new(key)));
    Ok(())
}

fn parse_key(text: &str) -> Option<[u8; 16]> {
    hex::decode(text.trim()).ok()?.try_into().ok()
}

fn key_from_file(path: &Path) -> std::io::Result<[u8; 16]> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_key(&text).ok_or_else(|| std::io::Error::other("not 32 hex digits")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 16] = rand::random();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            use std::io::Write;
            let mut file = options.open(path)?;
            file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

pub(crate) fn sealer(p: &Platform) -> Result<Arc<Sealer>> {
    p.secrets.get().cloned().ok_or_else(|| Error::Internal(store::Error::Corrupt("no secret key attached to this node".into())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only_and_each_seal_differs() {
        let sealer = Sealer::new([7; 16]);
        let url = "postgres://hr:密码@10.0.0.5/hr";
        let (a, b) = (sealer.seal(url), sealer.seal(url));
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("密码") && !a.contains("hr:"));
        assert_eq!(sealer.open(&a).unwrap(), url);
        assert!(Sealer::new([8; 16]).open(&a).is_err(), "another key");
        let mut changed = a.clone();
        changed.replace_range(a.len() - 2.., if a.ends_with("00") { "11" } else { "00" });
        assert!(sealer.open(&changed).is_err(), "tampered");
        assert!(sealer.open("plain").is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = key_from_file(&path).unwrap();
        assert_eq!(key_from_file(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
