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
//! Appending costs no system call: a segment is a file of fixed size, reserved on disk when it is started and mapped
//! into the node's memory, and an event is numbered, encoded and copied into the mapping ([`Journal::append`]).
//! Once copied it is in the kernel's page cache, so a crash of the process loses nothing; a sync of the segment
//! ([`Journal::sync_handle`]) makes it survive a crash of the machine. The unused end of a segment is zeros, which
//! reading stops at. (A `write` per event, or a task that writes for many, cost the sharing API a system call or a
//! hand-off between tasks per call.)
//!
//! One process holds a journal at a time (an exclusive lock on `lock`); the node's identity is kept in `node`. The
//! segments must not be truncated by anyone else while the node runs: a mapped file cut short under a process kills it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::NewEvent;
use crate::{Error, Result};

/// The size of a segment, reserved on disk when it is started; a record longer than that gets a segment its size.
const SEGMENT_BYTES: usize = 8 << 20;
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
    /// The open segment, its first seq, and how many of its bytes hold records.
    segment: mapped::Segment,
    segment_first: u64,
    segment_used: usize,
    /// The size new segments get.
    segment_bytes: usize,
    next_seq: u64,
    /// Closed segments: (first seq, path), oldest first.
    closed: Vec<(u64, PathBuf)>,
    /// The record being appended, encoded before it is copied into the segment.
    encoded: Vec<u8>,
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
        // Appending continues in a fresh segment: the old ones are only ever read and then removed. A segment already
        // named so holds no entry (they all come before `next_seq`) and is started again.
        let path = segment_path(dir, next_seq);
        let segment = mapped::Segment::create(&path, SEGMENT_BYTES).map_err(io_error)?;
        sync_dir(dir)?;
        segments.retain(|(_, p)| *p != path);
        let journal = Journal {
            dir: dir.to_path_buf(),
            node,
            segment,
            segment_first: next_seq,
            segment_used: 0,
            segment_bytes: SEGMENT_BYTES,
            next_seq,
            closed: segments,
            encoded: Vec::with_capacity(1024),
            _lock: lock,
        };
        Ok(Some((journal, entries)))
    }

    /// Numbers, stamps and encodes an event and copies its record into the open segment (a full segment is synced
    /// and closed and a new one started first). Once this returns the entry survives a crash of the process; a sync
    /// through [`Journal::sync_handle`] makes it survive a crash of the machine. On an error nothing is appended.
    pub fn append(&mut self, occurred_at_us: i64, event: NewEvent) -> Result<Entry> {
        let entry = Entry { seq: self.next_seq, occurred_at_us, event };
        self.encoded.clear();
        encode(&entry, &mut self.encoded);
        if self.segment_used + self.encoded.len() > self.segment.capacity() {
            self.rotate_at(entry.seq, self.encoded.len())?;
        }
        self.segment.write_at(self.segment_used, &self.encoded);
        self.segment_used += self.encoded.len();
        self.next_seq += 1;
        Ok(entry)
    }

    /// What syncs the open segment without holding the journal: a segment is synced before the next one is
    /// started, so syncing the newest one makes every entry appended so far durable.
    pub fn sync_handle(&self) -> mapped::SyncHandle {
        self.segment.sync_handle()
    }

    /// This node's identity in `audit_journal_marks`.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Appends the events in order.
    #[cfg(test)]
    pub fn write(&mut self, events: Vec<(i64, NewEvent)>) -> Result<Vec<Entry>> {
        events.into_iter().map(|(at, event)| self.append(at, event)).collect()
    }

    /// Numbers the next entry after `seq` at least: the database already holds this node's entries through `seq`
    /// (segments removed by hand must not make numbers be used twice).
    pub fn continue_after(&mut self, seq: u64) -> Result<()> {
        if self.next_seq > seq {
            return Ok(());
        }
        self.next_seq = seq + 1;
        self.rotate_at(self.next_seq, 0)
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

    /// Syncs and closes the open segment and starts one named `first`, the next record to be appended, with room
    /// for a record of `need` bytes.
    fn rotate_at(&mut self, first: u64, need: usize) -> Result<()> {
        if self.segment_first == first && self.segment.capacity() >= need {
            return Ok(());
        }
        // Synced before any entry after it is appended: a crash of the machine never leaves a hole in a closed
        // segment, which reading would take for damage.
        self.segment.sync_handle().sync().map_err(io_error)?;
        let path = segment_path(&self.dir, first);
        let segment = mapped::Segment::create(&path, self.segment_bytes.max(need)).map_err(io_error)?;
        sync_dir(&self.dir)?;
        if self.segment_first != first {
            self.closed.push((self.segment_first, segment_path(&self.dir, self.segment_first)));
        }
        self.segment = segment;
        self.segment_first = first;
        self.segment_used = 0;
        Ok(())
    }
}

/// The one place the journal needs `unsafe`: copying records into a segment mapped into memory.
#[allow(unsafe_code)]
pub mod mapped {
    use std::fs::{File, OpenOptions};
    use std::io::{self, Write};
    use std::path::Path;
    use std::sync::Arc;

    /// A segment file of fixed size mapped for writing. Only its owner writes to it (`&mut self`); others may only
    /// sync it, through a [`SyncHandle`].
    pub struct Segment {
        map: Arc<memmap2::MmapRaw>,
        _file: File,
    }

    /// Syncs a segment's mapped pages to disk, from any thread, while its owner goes on writing.
    #[derive(Clone)]
    pub struct SyncHandle(Arc<memmap2::MmapRaw>);

    impl Segment {
        /// Starts the segment at `path` (emptying a file there), `capacity` bytes reserved on disk, so writing into
        /// the mapping never needs space the disk no longer has (a full disk shows as an error here, not as a signal
        /// killing the process on a later write).
        pub fn create(path: &Path, capacity: usize) -> io::Result<Segment> {
            let file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(path)?;
            reserve(&file, capacity as u64)?;
            let map = memmap2::MmapOptions::new().len(capacity).map_raw(&file)?;
            Ok(Segment { map: Arc::new(map), _file: file })
        }

        pub fn capacity(&self) -> usize {
            self.map.len()
        }

        /// Copies `bytes` into the segment at `offset`.
        ///
        /// # Panics
        /// If they do not fit: the journal checks before writing.
        pub fn write_at(&mut self, offset: usize, bytes: &[u8]) {
            assert!(offset.checked_add(bytes.len()).is_some_and(|end| end <= self.map.len()), "a record past the end of its segment");
            // SAFETY: the range lies inside the mapping (checked above), which lives as long as `self.map`. Only the
            // owner of the `Segment` writes, through `&mut self`, so no two writes race; sync handles never read or
            // write the memory themselves (the kernel writes the pages back). The file is the node's, under the
            // journal's lock, and was reserved at its full length, so the pages exist.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.as_mut_ptr().add(offset), bytes.len()) }
        }

        pub fn sync_handle(&self) -> SyncHandle {
            SyncHandle(self.map.clone())
        }
    }

    impl SyncHandle {
        /// Writes the segment's changed pages to disk and waits for them (`msync`, as `fdatasync` for the range).
        pub fn sync(&self) -> io::Result<()> {
            self.0.flush()
        }
    }

    /// Reserves `len` bytes for the file, zeros, without writing them where the file system can (`fallocate`).
    fn reserve(file: &File, len: u64) -> io::Result<()> {
        use rustix::fs::{fallocate, FallocateFlags};
        match fallocate(file, FallocateFlags::empty(), 0, len) {
            Ok(()) => Ok(()),
            Err(e) if e == rustix::io::Errno::OPNOTSUPP || e == rustix::io::Errno::NOSYS => {
                let zeros = vec![0u8; 1 << 20];
                let mut left = len;
                let mut f = file;
                while left > 0 {
                    let n = left.min(zeros.len() as u64) as usize;
                    f.write_all(&zeros[..n])?;
                    left -= n as u64;
                }
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
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

/// Reads a segment's records into `out`, up to its unused end (zeros). A bad record at the end of the newest segment
/// is a write torn by a crash (the caller was never answered): the file is cut there. Anywhere else it is damage.
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
            // The unused end of a segment.
            None if bytes[at..].iter().all(|&b| b == 0) => return Ok(()),
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

        // A crash in the middle of the next copy leaves half a record after the last whole one, zeros after it.
        let segment = segments(dir.path()).unwrap().last().unwrap().1.clone();
        let mut whole = Vec::new();
        for e in &written {
            encode(e, &mut whole);
        }
        let mut half = Vec::new();
        encode(&Entry { seq: 11, occurred_at_us: 2_000, event: event(11) }, &mut half);
        let mut bytes = fs::read(&segment).unwrap();
        assert_eq!(bytes[..whole.len()], whole[..], "the records, as encoded, at the start of the segment");
        bytes[whole.len()..whole.len() + half.len() / 2].copy_from_slice(&half[..half.len() / 2]);
        fs::write(&segment, bytes).unwrap();

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
        j.rotate_at(j.next_seq, 0).unwrap();
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
    fn a_full_segment_is_closed_and_the_next_is_named_by_its_first_record() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(dir.path()).unwrap().unwrap();
        let mut one = Vec::new();
        encode(&Entry { seq: 1, occurred_at_us: 0, event: event(0) }, &mut one);
        j.segment_bytes = one.len() * 3 + 8;
        j.write(vec![(0, event(0))]).unwrap();
        j.rotate_at(j.next_seq, 0).unwrap();
        j.write((1..10).map(|i| (i as i64, event(i))).collect()).unwrap();
        // A record longer than a segment gets a segment of its own size.
        let mut long = event(10);
        long.detail = "长".repeat(j.segment_bytes);
        j.write(vec![(10, long.clone()), (11, event(11))]).unwrap();
        let firsts: Vec<u64> = segments(dir.path()).unwrap().iter().map(|(first, _)| *first).collect();
        assert_eq!(firsts, [1, 2, 5, 8, 11, 12]);
        drop(j);
        let (_, left) = Journal::open(dir.path()).unwrap().unwrap();
        assert_eq!(left.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=12).collect::<Vec<_>>());
        assert_eq!(left[10].event, long);
    }

    #[test]
    fn the_unused_end_of_a_closed_segment_is_not_damage() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..3u64 {
            let (mut j, left) = Journal::open(dir.path()).unwrap().unwrap();
            assert_eq!(left.len() as u64, round * 2, "what every earlier run appended");
            j.write(vec![(0, event(0)), (1, event(1))]).unwrap();
            // Dropped without closing anything, as a crash of the process would leave it.
        }
        let sizes: Vec<u64> = segments(dir.path()).unwrap().iter().map(|(_, p)| fs::metadata(p).unwrap().len()).collect();
        assert!(sizes.iter().all(|&n| n == SEGMENT_BYTES as u64), "segments keep their reserved size: {sizes:?}");
    }
}
