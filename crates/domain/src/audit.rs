//! The audit chain's hashing. Each event is hashed with SM3 over the previous event's hash and the event's own
//! fields in a fixed, length-prefixed encoding, so editing, inserting or removing any event breaks every later
//! link. The store keeps the events; this module only says what a link is.

use sm3::{Digest, Sm3};

/// The `prev_hash` of the very first event.
pub const GENESIS: [u8; 32] = [0u8; 32];

/// The fields an event's hash covers, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFields<'a> {
    pub seq: i64,
    pub occurred_at_us: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: &'a str,
    pub actor_department_id: Option<i64>,
    pub actor_role: &'a str,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: &'a str,
    pub purpose: &'a str,
    pub result: &'a str,
    pub client_addr: &'a str,
    pub detail: &'a str,
}

/// SM3(prev_hash ‖ encode(fields)).
pub fn chain_hash(prev: &[u8; 32], f: &EventFields<'_>) -> [u8; 32] {
    chain_hash_raw(prev, &f.raw())
}

/// An event's fields as stored bytes: what a verifier hashes without first checking that stored text is UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawEventFields<'a> {
    pub seq: i64,
    pub occurred_at_us: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: &'a [u8],
    pub actor_department_id: Option<i64>,
    /// actor_role, action, object_kind, object_id, purpose, result, client_addr, detail, in that order.
    pub texts: [&'a [u8]; 8],
}

impl<'a> EventFields<'a> {
    pub fn raw(&self) -> RawEventFields<'a> {
        RawEventFields {
            seq: self.seq,
            occurred_at_us: self.occurred_at_us,
            actor_user_id: self.actor_user_id,
            actor_name: self.actor_name.as_bytes(),
            actor_department_id: self.actor_department_id,
            texts: [
                self.actor_role,
                self.action,
                self.object_kind,
                self.object_id,
                self.purpose,
                self.result,
                self.client_addr,
                self.detail,
            ]
            .map(str::as_bytes),
        }
    }
}

/// The chain hash over stored bytes; `chain_hash` is this over the text's bytes.
pub fn chain_hash_raw(prev: &[u8; 32], f: &RawEventFields<'_>) -> [u8; 32] {
    // The encoding is laid out once and hashed with one update: some twenty-five small updates, each through the
    // hasher's block buffer, cost more than copying the fields (the drain hashes every access event).
    let texts: usize = f.actor_name.len() + f.texts.iter().map(|t| t.len()).sum::<usize>();
    let mut buf = Vec::with_capacity(32 + 16 + 2 * 9 + 9 * 4 + texts);
    buf.extend_from_slice(prev);
    buf.extend_from_slice(&f.seq.to_be_bytes());
    buf.extend_from_slice(&f.occurred_at_us.to_be_bytes());
    put_opt(&mut buf, f.actor_user_id);
    put_bytes(&mut buf, f.actor_name);
    put_opt(&mut buf, f.actor_department_id);
    for s in f.texts {
        put_bytes(&mut buf, s);
    }
    Sm3::digest(&buf).into()
}

/// An optional number: a 0 byte, or a 1 byte and the number (big-endian).
fn put_opt(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            buf.push(1);
            buf.extend_from_slice(&v.to_be_bytes());
        }
        None => buf.push(0),
    }
}

/// Bytes with their length (u32, big-endian) first.
fn put_bytes(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
    buf.extend_from_slice(s);
}

/// SM3 of a secret, hex-encoded: how tokens are stored.
pub fn sm3_hex(data: &[u8]) -> String {
    hex::encode(Sm3::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_vector() {
        // GM/T 0004-2012 example 1: SM3("abc").
        assert_eq!(sm3_hex(b"abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }

    /// The encoding as the chain has always hashed it, field by field into the hasher: stored chains verify only
    /// while `chain_hash_raw` hashes exactly these bytes.
    fn hashed_field_by_field(prev: &[u8; 32], f: &RawEventFields<'_>) -> [u8; 32] {
        let mut h = Sm3::new();
        h.update(prev);
        h.update(f.seq.to_be_bytes());
        h.update(f.occurred_at_us.to_be_bytes());
        let opt = |h: &mut Sm3, v: Option<i64>| match v {
            Some(v) => {
                h.update([1u8]);
                h.update(v.to_be_bytes());
            }
            None => h.update([0u8]),
        };
        opt(&mut h, f.actor_user_id);
        h.update((f.actor_name.len() as u32).to_be_bytes());
        h.update(f.actor_name);
        opt(&mut h, f.actor_department_id);
        for s in f.texts {
            h.update((s.len() as u32).to_be_bytes());
            h.update(s);
        }
        h.finalize().into()
    }

    /// Case 1's link after the genesis hash, as `bench/audit_peer.py` (Python's own SM3) computes it.
    const FIXED_LINK: &str = "d27950c0daf1085750b543cba3966ddd404dae31417f90217067609ed13b8259";

    #[test]
    fn the_chain_encoding_is_unchanged() {
        let long = "长".repeat(100);
        let cases = [
            EventFields::default(),
            EventFields { seq: 9, actor_name: "张三", detail: "{\"k\":1}", actor_department_id: Some(3), ..Default::default() },
            EventFields {
                seq: i64::MAX,
                occurred_at_us: -5,
                actor_user_id: Some(-1),
                actor_name: "token:系统",
                actor_department_id: None,
                actor_role: "dept_data_officer",
                action: "share.record",
                object_kind: "resource",
                object_id: "230500-003-00001",
                purpose: "最低生活保障资格审核",
                result: "ok",
                client_addr: "127.0.0.1",
                detail: &long,
            },
        ];
        for (i, f) in cases.iter().enumerate() {
            let prev = [i as u8 * 37; 32];
            assert_eq!(chain_hash(&prev, f), hashed_field_by_field(&prev, &f.raw()), "case {i}");
        }
        // And one fixed link, so a change to both at once is caught too.
        assert_eq!(hex::encode(chain_hash(&GENESIS, &cases[1])), FIXED_LINK);
    }

    #[test]
    fn the_raw_hash_is_the_hash_of_the_text() {
        let f = EventFields { seq: 9, actor_name: "张三", detail: "{\"k\":1}", actor_department_id: Some(3), ..Default::default() };
        assert_eq!(chain_hash(&[7u8; 32], &f), chain_hash_raw(&[7u8; 32], &f.raw()));
    }

    #[test]
    fn every_field_is_covered_and_boundaries_matter() {
        let base = EventFields { seq: 1, action: "user.create", object_id: "7", ..Default::default() };
        let h = chain_hash(&GENESIS, &base);
        assert_ne!(h, chain_hash(&[1u8; 32], &base), "previous hash");
        assert_ne!(h, chain_hash(&GENESIS, &EventFields { seq: 2, ..base.clone() }));
        assert_ne!(h, chain_hash(&GENESIS, &EventFields { actor_user_id: Some(0), ..base.clone() }));
        assert_ne!(h, chain_hash(&GENESIS, &EventFields { result: "denied", ..base.clone() }));
        // Moving a character from one field to the next changes the hash (length prefixes).
        let a = EventFields { action: "user.create7", object_id: "", ..base.clone() };
        let b = EventFields { action: "user.create", object_id: "7", ..base.clone() };
        assert_ne!(chain_hash(&GENESIS, &a), chain_hash(&GENESIS, &b));
    }
}
