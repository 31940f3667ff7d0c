//! The simulated disk (`tonio.sim.Disk`, `disk=`): an in-memory tree of files, fresh per run,
//! behind the platform's [`Disk`] contract, with power losses and injected errors.
//!
//! # Model
//! - Every operation takes `latency` plus a seeded share of `jitter` of virtual time
//!   ([`Disk::delay`]: the caller waits, then calls), and is atomic.
//! - Durability: creating, renaming and deleting are durable at once; a file's bytes once
//!   synced (`content.rs`).
//! - A simulated file holds at most 1 GiB (`content::MAX_FILE_SIZE`); a write or a cut past
//!   it fails with `EFBIG` (there are no sparse files: every byte is in memory).
//! - [`SimDisk::crash`] is a power loss: each file keeps its durable bytes plus a seeded prefix
//!   of the rest, and every file open at that moment is broken: any operation on it but
//!   `close` fails with `EIO`.
//! - [`SimDisk::fail`] makes operations under a path fail with an errno until
//!   [`SimDisk::heal`] (`faults.rs`); `seek` and `close` never fail.
//!
//! # Determinism
//! Delays and crash cuts draw from the disk's own seeded stream, in the order the run makes
//! its calls; the tree walks its files in inode order. So a seed (or a schedule string) gives
//! the same delays, the same contents after a crash and the same errors.

mod content;
mod faults;
mod namespace;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

use self::content::MAX_FILE_SIZE;
use self::faults::Faults;
use self::namespace::{errno, Namespace, Place};
use crate::common::base::time::Ticks;
use crate::common::base::util::lock;
use crate::common::io::disk::{Disk, FileId, Metadata, OpenFlags, SeekFrom};

/// The disk a run starts with (`tonio.sim.Disk`).
#[derive(Clone, Copy, Debug)]
pub struct DiskConfig {
    pub latency: Ticks,
    pub jitter: Ticks,
}

struct OpenFile {
    inode: u64,
    position: u64,
    flags: OpenFlags,
    /// The path it was opened by (what injected errors match).
    path: Vec<u8>,
}

struct DiskState {
    tree: Namespace,
    open: BTreeMap<FileId, OpenFile>,
    /// The next file's id: this disk's serial number in the top 32 bits, so that a file of
    /// another disk (a file object kept from an earlier run) is never one of this disk's.
    next_file: FileId,
    /// Files that were open when the disk crashed and are not closed yet.
    broken: BTreeSet<FileId>,
    faults: Faults,
    rng: ChaCha8Rng,
}

/// Disks made so far in this process (the top bits of their files' ids).
static DISKS: AtomicU64 = AtomicU64::new(0);

pub struct SimDisk {
    config: DiskConfig,
    clock: Arc<AtomicU64>,
    state: Mutex<DiskState>,
}

/// `EIO` for a file a crash broke; `EBADF` for one this disk never opened or that was closed.
fn not_open(state: &DiskState, file: FileId) -> io::Error {
    errno(if state.broken.contains(&file) {
        libc::EIO
    } else {
        libc::EBADF
    })
}

/// `EFBIG` unless `end` bytes fit in a simulated file.
fn check_size(end: Option<u64>) -> io::Result<u64> {
    end.filter(|&end| end <= MAX_FILE_SIZE)
        .ok_or_else(|| errno(libc::EFBIG))
}

impl SimDisk {
    pub fn new(config: DiskConfig, rng: ChaCha8Rng, clock: Arc<AtomicU64>) -> SimDisk {
        SimDisk {
            config,
            state: Mutex::new(DiskState {
                tree: Namespace::new(clock.load(Ordering::Acquire)),
                open: BTreeMap::new(),
                next_file: ((DISKS.fetch_add(1, Ordering::Relaxed) + 1) << 32) + 1,
                broken: BTreeSet::new(),
                faults: Faults::default(),
                rng,
            }),
            clock,
        }
    }

    fn now(&self) -> Ticks {
        self.clock.load(Ordering::Acquire)
    }

    /// A power loss (see the module docs). Returns how many open files it broke.
    pub fn crash(&self) -> usize {
        let mut state = lock(&self.state);
        let state = &mut *state;
        for file in state.tree.files_mut() {
            file.content.crash(&mut state.rng);
        }
        let broken = std::mem::take(&mut state.open);
        for (id, file) in &broken {
            state.tree.closed(file.inode);
            state.broken.insert(*id);
        }
        broken.len()
    }

    /// Operations on paths under `prefix` fail with `code` until healed.
    pub fn fail(&self, prefix: &[u8], code: i32) {
        lock(&self.state).faults.fail(prefix, code);
    }

    /// Ends the injected errors under `prefix`, or every one; how many rules ended.
    pub fn heal(&self, prefix: Option<&[u8]>) -> usize {
        lock(&self.state).faults.heal(prefix)
    }

    /// Runs `op` on open file `file` after the injected-error check on its path.
    fn with_file<R>(
        &self,
        file: FileId,
        check_faults: bool,
        op: impl FnOnce(&mut Namespace, &mut OpenFile) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut state = lock(&self.state);
        let state = &mut *state;
        let Some(open) = state.open.get_mut(&file) else {
            return Err(not_open(state, file));
        };
        if check_faults {
            state.faults.check(&open.path)?;
        }
        op(&mut state.tree, open)
    }

    /// Runs `op` on the tree after the injected-error check on `paths`.
    fn with_tree<R>(
        &self,
        paths: &[&[u8]],
        op: impl FnOnce(&mut Namespace, Ticks) -> io::Result<R>,
    ) -> io::Result<R> {
        let now = self.now();
        let mut state = lock(&self.state);
        for path in paths {
            state.faults.check(path)?;
        }
        op(&mut state.tree, now)
    }
}

/// The file node behind an open file (an open file keeps its node in the tree).
fn node<'a>(tree: &'a mut Namespace, open: &OpenFile) -> io::Result<&'a mut namespace::FileNode> {
    tree.file_mut(open.inode).ok_or_else(|| errno(libc::EBADF))
}

impl Disk for SimDisk {
    fn delay(&self) -> Ticks {
        let jitter = self.config.jitter;
        let extra = if jitter == 0 {
            0
        } else {
            lock(&self.state).rng.next_u64() % (jitter + 1)
        };
        self.config.latency + extra
    }

    fn open(&self, path: &[u8], flags: OpenFlags) -> io::Result<FileId> {
        let now = self.now();
        let mut state = lock(&self.state);
        let state = &mut *state;
        state.faults.check(path)?;
        let Place::In {
            dir,
            name,
            dir_only,
        } = state.tree.place(path)?
        else {
            return Err(errno(libc::EISDIR)); // `/`, or a path ending in `.` or `..`
        };
        let inode = match state.tree.entry(dir, &name) {
            Some(_) if flags.create && flags.exclusive => return Err(errno(libc::EEXIST)),
            Some(id) if state.tree.file(id).is_none() => return Err(errno(libc::EISDIR)),
            Some(_) if dir_only => return Err(errno(libc::ENOTDIR)),
            Some(id) => id,
            None if !flags.create => return Err(errno(libc::ENOENT)),
            None if dir_only => return Err(errno(libc::EISDIR)),
            None => state.tree.create_file(dir, name, now)?,
        };
        let file = state
            .tree
            .file_mut(inode)
            .ok_or_else(|| errno(libc::EISDIR))?;
        if flags.truncate && flags.write {
            file.content.set_len(0);
            file.modified = now;
        }
        file.open += 1;
        let id = state.next_file;
        state.next_file += 1;
        let path = faults::normal(path);
        state.open.insert(
            id,
            OpenFile {
                inode,
                position: 0,
                flags,
                path,
            },
        );
        Ok(id)
    }

    fn read(&self, file: FileId, max: usize) -> io::Result<Vec<u8>> {
        self.with_file(file, true, |tree, open| {
            if !open.flags.read {
                return Err(errno(libc::EBADF));
            }
            let bytes = node(tree, open)?.content.bytes();
            let start = (open.position as usize).min(bytes.len());
            let end = start.saturating_add(max).min(bytes.len());
            let data = bytes[start..end].to_vec();
            open.position += data.len() as u64;
            Ok(data)
        })
    }

    fn write(&self, file: FileId, data: &[u8]) -> io::Result<usize> {
        let now = self.now();
        self.with_file(file, true, |tree, open| {
            if !open.flags.write {
                return Err(errno(libc::EBADF));
            }
            let file = node(tree, open)?;
            if open.flags.append {
                open.position = file.content.len();
            }
            check_size(open.position.checked_add(data.len() as u64))?;
            file.content.write(open.position, data);
            file.modified = now;
            open.position += data.len() as u64;
            Ok(data.len())
        })
    }

    fn seek(&self, file: FileId, to: SeekFrom) -> io::Result<u64> {
        self.with_file(file, false, |tree, open| {
            let at = match to {
                SeekFrom::Start(at) => Some(at),
                SeekFrom::Current(by) => open.position.checked_add_signed(by),
                SeekFrom::End(by) => node(tree, open)?.content.len().checked_add_signed(by),
            };
            // Like `lseek`, a position must fit an `off_t`.
            open.position = at
                .filter(|&at| at <= i64::MAX as u64)
                .ok_or_else(|| errno(libc::EINVAL))?;
            Ok(open.position)
        })
    }

    fn set_len(&self, file: FileId, len: u64) -> io::Result<()> {
        let now = self.now();
        self.with_file(file, true, |tree, open| {
            if !open.flags.write {
                return Err(errno(libc::EINVAL));
            }
            check_size(Some(len))?;
            let file = node(tree, open)?;
            file.content.set_len(len);
            file.modified = now;
            Ok(())
        })
    }

    fn sync(&self, file: FileId) -> io::Result<()> {
        self.with_file(file, true, |tree, open| {
            node(tree, open)?.content.sync();
            Ok(())
        })
    }

    fn close(&self, file: FileId) -> io::Result<()> {
        let mut state = lock(&self.state);
        match state.open.remove(&file) {
            Some(open) => {
                state.tree.closed(open.inode);
                Ok(())
            }
            None if state.broken.remove(&file) => Ok(()), // a crash closed it already
            None => Err(errno(libc::EBADF)),
        }
    }

    fn broken(&self, file: FileId) -> bool {
        lock(&self.state).broken.contains(&file)
    }

    fn metadata(&self, path: &[u8]) -> io::Result<Metadata> {
        self.with_tree(&[path], |tree, _| tree.metadata(tree.resolve(path)?))
    }

    fn create_dir(&self, path: &[u8]) -> io::Result<()> {
        self.with_tree(&[path], |tree, now| tree.create_dir(path, now))
    }

    fn remove_dir(&self, path: &[u8]) -> io::Result<()> {
        self.with_tree(&[path], |tree, now| tree.remove_dir(path, now))
    }

    fn remove_file(&self, path: &[u8]) -> io::Result<()> {
        self.with_tree(&[path], |tree, now| tree.remove_file(path, now))
    }

    fn rename(&self, from: &[u8], to: &[u8]) -> io::Result<()> {
        self.with_tree(&[from, to], |tree, now| tree.rename(from, to, now))
    }

    fn list_dir(&self, path: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        self.with_tree(&[path], |tree, _| tree.list(path))
    }

    fn touch(&self, path: &[u8]) -> io::Result<()> {
        self.with_tree(&[path], |tree, now| tree.touch(path, now))
    }
}
