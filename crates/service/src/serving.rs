//! The sharing API's hot path. A record lookup must not cost a round of database queries and a Parquet scan, so a
//! node keeps, for a short while, the API tokens it has verified and, per resource and consumer department, the
//! published content, the grants and the newest version; and it keeps the newest versions read in memory with a
//! hash index on their key (`lake::keyed`). A write on this node that changes what a call may do — a token revoked,
//! an application answered, a grant decided, a version committed — clears the kept state at once; another node's
//! write is seen within [`FRESH_FOR_US`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lake::keyed::KeyedTable;

/// How long kept state is used before it is read again (another node's writes are seen within this).
pub const FRESH_FOR_US: i64 = 2_000_000;
/// How often a token's last use is written (not on every call).
const TOUCH_EVERY_US: i64 = 60_000_000;
/// How many rows of versions are kept in memory at most (about 150 MiB per million rows of a population).
const TABLE_ROWS: usize = 4_000_000;
/// How many times a day one key may be verified under one grant, on one node.
pub const VERIFY_PER_KEY_PER_DAY: u32 = 10;

#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub id: i64,
    pub name: String,
    pub department_id: i64,
    /// Why an anomaly suspended it, if it did: calls are refused with this.
    pub suspended: Option<String>,
}

/// One token's use as the anomaly rules watch it, with the bulk volume the token declares (if any).
#[derive(Default)]
pub(crate) struct TokenWatch {
    pub watch: domain::anomaly::Watch,
    pub keys_per_hour: Option<u32>,
}

/// What the token cache is keyed by: a MAC of the token (SipHash-1-3, 128 bits) under a key drawn when the node
/// starts. A verified token is found again without computing its SM3 hash (what the database stores, and what a
/// miss still computes), and the cache holds nothing a caller could present or reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TokenMac(u128);

struct TokenKey([u8; 16]);

impl Default for TokenKey {
    fn default() -> Self {
        TokenKey(rand::random())
    }
}

#[derive(Default)]
pub struct Caches {
    generation: AtomicU64,
    token_key: TokenKey,
    tokens: Mutex<HashMap<TokenMac, (CachedToken, u64, i64)>>,
    touched: Mutex<HashMap<i64, i64>>,
    grants_touched: Mutex<HashMap<i64, i64>>,
    verifications: Mutex<HashMap<(i64, String), (i64, u32)>>,
    shares: Mutex<HashMap<(String, i64), (Arc<crate::sharing::ShareState>, u64, i64)>>,
    tables: Mutex<Vec<(String, Arc<KeyedTable>)>>,
    loading: tokio::sync::Mutex<()>,
    watches: Mutex<HashMap<i64, TokenWatch>>,
}

/// Whether `every` microseconds have passed since `id` was last due (or the clock went back); notes it if so.
fn due_every(map: &Mutex<HashMap<i64, i64>>, id: i64, now_us: i64, every: i64) -> bool {
    let mut map = lock(map);
    let due = map.get(&id).is_none_or(|t| now_us - t >= every || now_us < *t);
    if due {
        map.insert(id, now_us);
    }
    due
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Caches {
    /// Forgets every kept token and share state: something they depend on changed on this node.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The current generation: read it before reading what is to be kept, so a bump meanwhile discards it.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn fresh(&self, gen: u64, at_us: i64, now_us: i64) -> bool {
        gen == self.generation.load(Ordering::SeqCst) && now_us >= at_us && now_us - at_us < FRESH_FOR_US
    }

    /// The cache's key for a presented token.
    pub(crate) fn token_mac(&self, token: &str) -> TokenMac {
        TokenMac(siphasher::sip128::SipHasher13::new_with_key(&self.token_key.0).hash(token.as_bytes()).into())
    }

    pub(crate) fn token(&self, mac: TokenMac, now_us: i64) -> Option<CachedToken> {
        let map = lock(&self.tokens);
        map.get(&mac).filter(|(_, gen, at)| self.fresh(*gen, *at, now_us)).map(|(t, _, _)| t.clone())
    }

    pub(crate) fn keep_token(&self, mac: TokenMac, t: CachedToken, gen: u64, now_us: i64) {
        let mut map = lock(&self.tokens);
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(mac, (t, gen, now_us));
    }

    /// Whether a token's last use is due to be written now (and notes that it is being written).
    pub(crate) fn touch_due(&self, token_id: i64, now_us: i64) -> bool {
        due_every(&self.touched, token_id, now_us, TOUCH_EVERY_US)
    }

    /// Whether a grant's last use is due to be written now: once an hour per grant and node.
    pub(crate) fn grant_touch_due(&self, grant_id: i64, now_us: i64) -> bool {
        due_every(&self.grants_touched, grant_id, now_us, 3_600_000_000)
    }

    /// Counts a verification of `key` under a grant on `day` (days since the epoch); false once the day's budget
    /// is spent. Claimed values could otherwise be guessed a digit at a time against masked ones.
    pub(crate) fn verification_allowed(&self, grant_id: i64, key: &str, day: i64) -> bool {
        let mut map = lock(&self.verifications);
        if map.len() > 100_000 {
            map.retain(|_, (d, _)| *d == day);
        }
        let entry = map.entry((grant_id, key.to_string())).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        entry.1 += 1;
        entry.1 <= VERIFY_PER_KEY_PER_DAY
    }

    /// Works on a token's watch (anomaly counting is per node: a restart starts the windows afresh).
    pub(crate) fn watch<R>(&self, token_id: i64, f: impl FnOnce(&mut TokenWatch) -> R) -> R {
        let mut map = lock(&self.watches);
        if map.len() > 100_000 && !map.contains_key(&token_id) {
            map.clear();
        }
        f(map.entry(token_id).or_default())
    }

    pub(crate) fn share(&self, code: &str, department: i64, now_us: i64) -> Option<Arc<crate::sharing::ShareState>> {
        let map = lock(&self.shares);
        map.get(&(code.to_string(), department)).filter(|(_, gen, at)| self.fresh(*gen, *at, now_us)).map(|(s, _, _)| s.clone())
    }

    pub(crate) fn keep_share(&self, code: &str, department: i64, state: Arc<crate::sharing::ShareState>, gen: u64, now_us: i64) {
        let mut map = lock(&self.shares);
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert((code.to_string(), department), (state, gen, now_us));
    }

    /// The version file `rel` in memory, indexed by `key`, if it is loaded.
    pub(crate) fn cached_table(&self, rel: &str, key: &str) -> Option<Arc<KeyedTable>> {
        let id = format!("{rel}#{key}");
        lock(&self.tables).iter().find(|(k, _)| *k == id).map(|(_, t)| t.clone())
    }

    /// Loads the version file `rel` (at the local `path`) into memory, indexed by `key`; one load at a time.
    pub(crate) async fn load_table(&self, rel: &str, path: std::path::PathBuf, key: &str) -> Result<Arc<KeyedTable>, lake::Error> {
        let id = format!("{rel}#{key}");
        let _one = self.loading.lock().await;
        if let Some(t) = lock(&self.tables).iter().find(|(k, _)| *k == id).map(|(_, t)| t.clone()) {
            return Ok(t);
        }
        let key = key.to_string();
        let table = tokio::task::spawn_blocking(move || KeyedTable::load(&path, &key))
            .await
            .map_err(|e| lake::Error::Io(std::io::Error::other(format!("load task: {e}"))))??;
        let table = Arc::new(table);
        let mut tables = lock(&self.tables);
        tables.push((id, table.clone()));
        while tables.len() > 1 && tables.iter().map(|(_, t)| t.rows()).sum::<usize>() > TABLE_ROWS {
            tables.remove(0);
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(id: i64) -> CachedToken {
        CachedToken { id, name: format!("系统{id}"), department_id: 3, suspended: None }
    }

    #[test]
    fn a_kept_token_is_found_by_the_same_token_only_and_not_once_stale_or_bumped() {
        let caches = Caches::default();
        let token = "syt_0123456789abcdef0123456789abcdef";
        let mac = caches.token_mac(token);
        assert_eq!(mac, caches.token_mac(token), "the same token, the same key");
        assert_ne!(mac, caches.token_mac("syt_0123456789abcdef0123456789abcdeF"));
        caches.keep_token(mac, cached(7), caches.generation(), 1_000);
        assert_eq!(caches.token(mac, 1_500).map(|t| t.id), Some(7));
        assert!(caches.token(caches.token_mac("syt_other"), 1_500).is_none());
        assert!(caches.token(mac, 1_000 + FRESH_FOR_US).is_none(), "read again once stale");
        caches.bump();
        assert!(caches.token(mac, 1_500).is_none(), "a change on this node clears it");
        // Another node (another key) never finds this node's entries, and the keys differ run to run.
        assert_ne!(Caches::default().token_mac(token), mac);
    }
}
