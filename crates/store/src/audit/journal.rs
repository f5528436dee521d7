//! The node's audit journal: access events (a sharing call, a search, a refused call — no state change) are written
//! to an append-only local file before the caller is answered, and synced many to one `fdatasync` (before the answer,
//! or every few milliseconds where the node is configured so); the service then moves them into the chain in the
//! database in large batches. A busy sharing API would otherwise answer each call
//! only after a database commit: the commit, not the lookup, would bound it.
//!
//! Entries are numbered by the node (`seq`); the database keeps, per node, the last entry it holds
//! (`audit_journal_marks`), moved in the same transaction as the events, so an entry is replayed after a crash
//! exactly when the database lacks it. Segments (`{first seq}.log`) are removed once every entry in them is in the
//! database. A record is `0xA6`, the payload's length (u32 LE), the payload, and its CRC-32 (as in zip, LE): a write torn
//! by a crash fails the check at the end of the newest segment and is cut off there; a bad record anywhere else is
//! damage, which stops the node rather than losing events silently. (The check guards against torn writes, not
//! tampering — the chain in the database does that — so a CRC, cheap on every call, serves; records a node wrote
//! before, `0xA5` with the first 4 bytes of the payload's SM3, are still read.)
//!
//! Writing is in two steps so that no lock is held across a system call: an event is numbered and encoded
//! ([`Journal::stage`], no IO), then whoever writes takes the staged bytes of many events and writes them with one
//! call on the handle from [`Journal::writer`].
//!
//! One process holds a journal at a time (an exclusive lock on `lock`); the node's identity is kept in `node`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::NewEvent;
use crate::{Error, Result};

/// A segment is closed and a new one started past this size.
const SEGMENT_BYTES: u64 = 8 << 20;
const MAGIC: u8 = 0xA6;
/// Records of earlier releases, checked with SM3: read, no longer written.
const MAGIC_SM3: u8 = 0xA5;
/// The largest payload a record may claim; anything longer is damage, not an event.
const MAX_PAYLOAD: u32 = 4 << 20;

/// An event as journaled: its number on this node and when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub seq: u64,
    pub occurred_at_us: i64,
    pub event: NewEvent,
}

pub struct Journal {
    dir: PathBuf,
    node: String,
    file: Arc<File>,
    /// The first seq of the open segment and how many bytes it holds.
    segment_first: u64,
    segment_bytes: u64,
    next_seq: u64,
    /// Closed segments: (first seq, path), oldest first.
    closed: Vec<(u64, PathBuf)>,
    _lock: File,
}

impl Journal {
    /// Opens the journal in `dir` (creating it), taking its lock; `None` when another process holds it. Returns the
    /// entries left in it, oldest first — those after `drained` are what the database lacks — and the journal,
    /// ready to append after them.
    pub fn open(dir: &Path) -> Result<Option<(Journal, Vec<Entry>)>> {
        fs::create_dir_all(dir).map_err(io_error)?;
        let lock = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("lock")).map_err(io_error)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Ok(None),
            Err(fs::TryLockError::Error(e)) => return Err(io_error(e)),
        }
        let node = node_id(dir)?;
        let mut segments = segments(dir)?;
        let mut entries = Vec::new();
        let last = segments.len().checked_sub(1);
        for (i, (_, path)) in segments.iter().enumerate() {
            read_segment(path, Some(i) == last, &mut entries)?;
        }
        let next_seq = entries.last().map(|e| e.seq + 1).unwrap_or_else(|| segments.last().map(|(first, _)| *first).unwrap_or(1));
        // Appending continues in a fresh segment: the old ones are only ever read and then removed.
        let path = segment_path(dir, next_seq);
        let file = Arc::new(OpenOptions::new().create(true).append(true).open(&path).map_err(io_error)?);
        sync_dir(dir)?;
        segments.retain(|(_, p)| *p != path);
        let journal =
            Journal { dir: dir.to_path_buf(), node, file, segment_first: next_seq, segment_bytes: 0, next_seq, closed: segments, _lock: lock };
        Ok(Some((journal, entries)))
    }

    /// The open segment, to sync what has been written to it without holding the journal: a segment is synced
    /// before the next one is started, so syncing the newest one makes every entry written so far durable.
    pub fn sync_handle(&self) -> Arc<File> {
        self.file.clone()
    }

    /// The newest entry's number (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// This node's identity in `audit_journal_marks`.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Numbers and stamps an event and encodes its record onto `staged`, to be written later through
    /// [`Journal::writer`] in the order staged. No IO.
    pub fn stage(&mut self, occurred_at_us: i64, event: NewEvent, staged: &mut Vec<u8>) -> Entry {
        let entry = Entry { seq: self.next_seq, occurred_at_us, event };
        self.next_seq += 1;
        encode(&entry, staged);
        entry
    }

    /// The handle to write staged records to, the first of them numbered `first`: a full segment is closed (synced)
    /// and a new one started first. The caller writes with one `write_all` on it, holding no lock, then reports
    /// [`Journal::written`] or [`Journal::write_failed`]; one writer at a time.
    pub fn writer(&mut self, first: u64) -> Result<Arc<File>> {
        if self.segment_bytes >= SEGMENT_BYTES {
            self.rotate_at(first)?;
        }
        Ok(self.file.clone())
    }

    /// `bytes` of staged records were written: once this is reported they survive a crash of the process (the
    /// kernel holds them), and a later sync through [`Journal::sync_handle`] makes them survive a crash of the machine.
    pub fn written(&mut self, bytes: u64) {
        self.segment_bytes += bytes;
    }

    /// A write failed: what it wrote of its records is taken back, so the segment stays whole. Nobody is answered
    /// for them; their numbers are not used again.
    pub fn write_failed(&mut self) {
        if let Err(e) = self.file.set_len(self.segment_bytes) {
            tracing::error!(error = %e, "audit journal: could not take a failed write back");
        }
    }

    /// Stages and writes the events at once (the node writes through its writer task instead).
    #[cfg(test)]
    pub fn write(&mut self, events: Vec<(i64, NewEvent)>) -> Result<Vec<Entry>> {
        let mut buf = Vec::with_capacity(events.len() * 256);
        let entries: Vec<Entry> = events.into_iter().map(|(at, event)| self.stage(at, event, &mut buf)).collect();
        let Some(first) = entries.first().map(|e| e.seq) else { return Ok(entries) };
        let file = self.writer(first)?;
        if let Err(e) = (&*file).write_all(&buf) {
            self.write_failed();
            return Err(io_error(e));
        }
        self.written(buf.len() as u64);
        Ok(entries)
    }

    /// Numbers the next entry after `seq` at least: the database already holds this node's entries through `seq`
    /// (segments removed by hand must not make numbers be used twice).
    pub fn continue_after(&mut self, seq: u64) -> Result<()> {
        if self.next_seq > seq {
            return Ok(());
        }
        self.next_seq = seq + 1;
        self.rotate()
    }

    /// Removes the closed segments whose every entry is at or before `drained` (in the database).
    pub fn forget_through(&mut self, drained: u64) -> Result<()> {
        // A closed segment ends where the next one begins.
        let mut ends: Vec<u64> = self.closed.iter().skip(1).map(|(first, _)| *first).collect();
        ends.push(self.segment_first);
        let mut kept = Vec::new();
        for ((first, path), end) in self.closed.drain(..).zip(ends) {
            if end <= drained + 1 {
                fs::remove_file(&path).map_err(io_error)?;
            } else {
                kept.push((first, path));
            }
        }
        self.closed = kept;
        Ok(())
    }

    fn rotate(&mut self) -> Result<()> {
        self.rotate_at(self.next_seq)
    }

    /// Closes the open segment and starts one named `first`, the next record to be written.
    fn rotate_at(&mut self, first: u64) -> Result<()> {
        if self.segment_first == first {
            return Ok(());
        }
        self.file.sync_data().map_err(io_error)?;
        let path = segment_path(&self.dir, first);
        self.file = Arc::new(OpenOptions::new().create(true).append(true).open(&path).map_err(io_error)?);
        sync_dir(&self.dir)?;
        self.closed.push((self.segment_first, segment_path(&self.dir, self.segment_first)));
        self.segment_first = first;
        self.segment_bytes = 0;
        Ok(())
    }
}

fn io_error(e: io::Error) -> Error {
    Error::Corrupt(format!("audit journal: {e}"))
}

fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.log"))
}

/// A new file's name is durable only once its folder is synced.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error)
}

/// The node's identity: made once, at random, and kept beside the segments.
fn node_id(dir: &Path) -> Result<String> {
    let path = dir.join("node");
    match fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(e)),
    }
    use sm3::Digest;
    let seed = format!("{:?} {} {}", std::time::SystemTime::now(), std::process::id(), dir.display());
    let id = hex::encode(&sm3::Sm3::digest(seed.as_bytes())[..8]);
    let tmp = dir.join("node.tmp");
    let mut f = File::create(&tmp).map_err(io_error)?;
    f.write_all(id.as_bytes()).and_then(|_| f.sync_all()).map_err(io_error)?;
    fs::rename(&tmp, &path).map_err(io_error)?;
    sync_dir(dir)?;
    Ok(id)
}

fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error)? {
        let path = entry.map_err(io_error)?.path();
        let first = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".log")).and_then(|n| n.parse::<u64>().ok());
        if let Some(first) = first {
            found.push((first, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Reads a segment's records into `out`. A bad record at the end of the newest segment is a write torn by a crash
/// (the caller was never answered): the file is cut there. Anywhere else it is damage.
fn read_segment(path: &Path, newest: bool, out: &mut Vec<Entry>) -> Result<()> {
    let mut bytes = Vec::new();
    File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(io_error)?;
    let mut at = 0;
    while at < bytes.len() {
        match decode(&bytes[at..]) {
            Some((entry, used)) => {
                if out.last().is_some_and(|last: &Entry| entry.seq <= last.seq) {
                    return Err(Error::Corrupt(format!("audit journal {}: entry {} is out of order at byte {at}", path.display(), entry.seq)));
                }
                out.push(entry);
                at += used;
            }
            None if newest => {
                tracing::warn!(path = %path.display(), at, dropped = bytes.len() - at, "audit journal: cutting a torn write at its end");
                let f = OpenOptions::new().write(true).open(path).map_err(io_error)?;
                f.set_len(at as u64).and_then(|_| f.sync_all()).map_err(io_error)?;
                return Ok(());
            }
            None => {
                return Err(Error::Corrupt(format!(
                    "audit journal {} is damaged at byte {at}: copy the folder for inspection, then move the segment aside to start",
                    path.display()
                )))
            }
        }
    }
    Ok(())
}

fn checksum(payload: &[u8]) -> [u8; 4] {
    crc32fast::hash(payload).to_le_bytes()
}

fn checksum_sm3(payload: &[u8]) -> [u8; 4] {
    use sm3::Digest;
    let d = sm3::Sm3::digest(payload);
    [d[0], d[1], d[2], d[3]]
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn put_opt(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => {
            buf.push(1);
            buf.extend_from_slice(&v.to_le_bytes());
        }
        None => buf.push(0),
    }
}

fn encode(entry: &Entry, buf: &mut Vec<u8>) {
    encode_as(MAGIC, entry, buf)
}

fn encode_as(magic: u8, entry: &Entry, buf: &mut Vec<u8>) {
    let start = buf.len();
    buf.push(magic);
    buf.extend_from_slice(&[0; 4]);
    let body = buf.len();
    let e = &entry.event;
    buf.extend_from_slice(&entry.seq.to_le_bytes());
    buf.extend_from_slice(&entry.occurred_at_us.to_le_bytes());
    put_opt(buf, e.actor_user_id);
    put_opt(buf, e.actor_department_id);
    for s in [&e.actor_name, &e.actor_role, &e.action, &e.object_kind, &e.object_id, &e.purpose, &e.result, &e.client_addr, &e.detail] {
        put_str(buf, s);
    }
    let len = (buf.len() - body) as u32;
    buf[start + 1..body].copy_from_slice(&len.to_le_bytes());
    let sum = if magic == MAGIC_SM3 { checksum_sm3(&buf[body..]) } else { checksum(&buf[body..]) };
    buf.extend_from_slice(&sum);
}

/// A reader over one payload; every step fails on short or malformed input instead of panicking.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn opt(&mut self) -> Option<Option<i64>> {
        match self.take(1)?[0] {
            0 => Some(None),
            1 => Some(Some(self.i64()?)),
            _ => None,
        }
    }
    fn string(&mut self) -> Option<String> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

/// One record from the start of `bytes`, and its length; `None` when it is short, damaged or not a record.
fn decode(bytes: &[u8]) -> Option<(Entry, usize)> {
    if bytes.len() < 9 || (bytes[0] != MAGIC && bytes[0] != MAGIC_SM3) {
        return None;
    }
    let len = u32::from_le_bytes(bytes[1..5].try_into().ok()?);
    if len > MAX_PAYLOAD || bytes.len() < 9 + len as usize {
        return None;
    }
    let payload = &bytes[5..5 + len as usize];
    let sum = if bytes[0] == MAGIC { checksum(payload) } else { checksum_sm3(payload) };
    if sum != bytes[5 + len as usize..9 + len as usize] {
        return None;
    }
    let mut c = Cursor(payload);
    let seq = c.u64()?;
    let occurred_at_us = c.i64()?;
    let actor_user_id = c.opt()?;
    let actor_department_id = c.opt()?;
    let event = NewEvent {
        actor_user_id,
        actor_department_id,
        actor_name: c.string()?,
        actor_role: c.string()?,
        action: c.string()?,
        object_kind: c.string()?,
        object_id: c.string()?,
        purpose: c.string()?,
        result: c.string()?,
        client_addr: c.string()?,
        detail: c.string()?,
    };
    if !c.0.is_empty() {
        return None;
    }
    Some((Entry { seq, occurred_at_us, event }, 9 + len as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: usize) -> NewEvent {
        NewEvent {
            actor_user_id: if i % 2 == 0 { Some(i as i64) } else { None },
            actor_name: format!("token:系统{i}"),
            actor_department_id: Some(7),
            actor_role: String::new(),
            action: "share.record".into(),
            object_kind: "resource".into(),
            object_id: "230500-003-00001".into(),
            purpose: "最低生活保障资格审核".into(),
            result: "ok".into(),
            client_addr: "127.0.0.1".into(),
            detail: format!("grant 1, version 1, key {i:012x}"),
        }
    }

    #[test]
    fn entries_survive_a_reopen_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, left) = Journal::open(dir.path()).unwrap().unwrap();
        assert!(left.is_empty());
        let node = j.node().to_string();
        assert!(Journal::open(dir.path()).unwrap().is_none(), "one process at a time");
        let written = j.write((0..10).map(|i| (1_000 + i as i64, event(i))).collect()).unwrap();
        assert_eq!(written.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
        drop(j);

        // A crash in the middle of the next write leaves half a record at the end.
        let segment = segments(dir.path()).unwrap().last().unwrap().1.clone();
        let mut half = Vec::new();
        encode(&Entry { seq: 11, occurred_at_us: 2_000, event: event(11) }, &mut half);
        OpenOptions::new().append(true).open(&segment).unwrap().write_all(&half[..half.len() / 2]).unwrap();

        let (mut j, left) = Journal::open(dir.path()).unwrap().unwrap();
        assert_eq!(j.node(), node, "the node keeps its identity");
        assert_eq!(left, written, "every durable entry, and not the torn one");
        let more = j.write(vec![(3_000, event(12))]).unwrap();
        assert_eq!(more[0].seq, 11, "numbering goes on after the last whole entry");
        j.forget_through(10).unwrap();
        drop(j);
        let (_, left) = Journal::open(dir.path()).unwrap().unwrap();
        assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), [11], "the drained segment is gone");
    }

    #[test]
    fn damage_before_the_end_stops_the_node_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path()).unwrap().unwrap();
        j.write((0..5).map(|i| (i as i64, event(i))).collect()).unwrap();
        j.rotate().unwrap();
        j.write((5..8).map(|i| (i as i64, event(i))).collect()).unwrap();
        drop(j);
        let first = segments(dir.path()).unwrap()[0].1.clone();
        let mut bytes = fs::read(&first).unwrap();
        bytes[40] ^= 0xff;
        fs::write(&first, bytes).unwrap();
        let err = Journal::open(dir.path()).err().expect("damage is an error");
        assert!(err.to_string().contains("damaged") && err.to_string().contains("move the segment aside"), "{err}");
    }

    #[test]
    fn no_input_decodes_to_a_panic() {
        for magic in [MAGIC, MAGIC_SM3] {
            let mut buf = Vec::new();
            encode_as(magic, &Entry { seq: 1, occurred_at_us: 5, event: event(1) }, &mut buf);
            for cut in 0..buf.len() {
                assert!(decode(&buf[..cut]).is_none());
            }
            for i in 0..buf.len() {
                let mut bad = buf.clone();
                bad[i] ^= 0x40;
                assert!(decode(&bad).is_none(), "a flipped byte at {i} is caught");
            }
            assert_eq!(decode(&buf).unwrap().1, buf.len());
        }
    }

    #[test]
    fn a_journal_an_earlier_release_left_is_read_and_continued() {
        let dir = tempfile::tempdir().unwrap();
        let (j, _) = Journal::open(dir.path()).unwrap().unwrap();
        drop(j);
        let segment = segments(dir.path()).unwrap().last().unwrap().1.clone();
        let mut old = Vec::new();
        for i in 1..=3 {
            encode_as(MAGIC_SM3, &Entry { seq: i, occurred_at_us: i as i64, event: event(i as usize) }, &mut old);
        }
        fs::write(&segment, old).unwrap();
        let (mut j, left) = Journal::open(dir.path()).unwrap().unwrap();
        assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(j.write(vec![(9, event(4))]).unwrap()[0].seq, 4);
        drop(j);
        let (_, left) = Journal::open(dir.path()).unwrap().unwrap();
        assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4], "old and new records side by side");
    }

    #[test]
    fn records_staged_before_a_rotation_are_written_after_it_and_read_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path()).unwrap().unwrap();
        j.write((0..3).map(|i| (i as i64, event(i))).collect()).unwrap();
        // Staged, then the segment fills up before they are written: the new segment is named by them.
        let mut staged = Vec::new();
        let entries: Vec<Entry> = (3..6).map(|i| j.stage(i as i64, event(i), &mut staged)).collect();
        j.segment_bytes = SEGMENT_BYTES;
        let file = j.writer(entries[0].seq).unwrap();
        (&*file).write_all(&staged).unwrap();
        j.written(staged.len() as u64);
        assert_eq!(segments(dir.path()).unwrap().last().unwrap().0, 4);
        drop(j);
        let (_, left) = Journal::open(dir.path()).unwrap().unwrap();
        assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
    }
}
