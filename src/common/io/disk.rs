//! The platform's disk contract (`tonio.fs` under a simulated run with `disk=`).
//!
//! A platform that owns a disk of its own (the simulator's in-memory one) implements [`Disk`]:
//! POSIX-like operations on paths (bytes, as the OS takes them: `/`-separated, `.` and `..`
//! resolved, relative paths taken from `/`) and on open files named by a platform-owned
//! [`FileId`], never an OS descriptor. A `FileId` is never reused, and one from another disk
//! (an earlier run's) is `EBADF`. Errors are `io::Error`s carrying the errno Linux gives for the same call
//! (`ENOENT`, `EEXIST`, `EISDIR`, `ENOTDIR`, `ENOTEMPTY`, `EBADF`, ...), so the bindings raise
//! the same `OSError` subclasses as the OS would. The real platform has no such disk
//! (`Platform::disk` is `None`): `tonio.fs` then calls the OS on the blocking pool.
//!
//! # Durability model
//! Creating, renaming and deleting are durable at once; a file's bytes are durable once it is
//! synced. What a platform does with the rest on a crash is its own (the simulator keeps a
//! seeded prefix).
//!
//! # Invariants
//! Each call is atomic: another call sees all of it or nothing. Time does not pass inside a
//! call; `delay` says how long the caller should wait before making the next one.

use std::io;

use crate::common::base::time::Ticks;

/// An open file of a platform's disk.
pub type FileId = u64;

/// How a file is opened (the `O_*` flags that matter to a disk of plain files).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    pub read: bool,
    pub write: bool,
    /// Every write goes to the end (`O_APPEND`).
    pub append: bool,
    /// Create the file if it is missing (`O_CREAT`).
    pub create: bool,
    /// With `create`: fail with `EEXIST` if it exists (`O_EXCL`).
    pub exclusive: bool,
    /// Cut the file to nothing on opening (`O_TRUNC`).
    pub truncate: bool,
}

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
}

/// What `stat` tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub kind: EntryKind,
    /// Bytes (a directory: its number of entries).
    pub size: u64,
    /// Unique per file for the life of the disk.
    pub inode: u64,
    /// When its content (a directory: its entries) last changed.
    pub modified: Ticks,
}

/// Where a `seek` counts from (`SEEK_SET`, `SEEK_CUR`, `SEEK_END`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekFrom {
    Start(u64),
    Current(i64),
    End(i64),
}

pub trait Disk: Send + Sync {
    /// How long the next operation takes, drawn by the platform (virtual time on the
    /// simulator): the caller waits that long, then calls it.
    fn delay(&self) -> Ticks;

    fn open(&self, path: &[u8], flags: OpenFlags) -> io::Result<FileId>;
    /// Up to `max` bytes from the file's position (empty at the end), which moves past them.
    fn read(&self, file: FileId, max: usize) -> io::Result<Vec<u8>>;
    /// Writes all of `data` at the file's position (the end with `append`); zero-fills a gap.
    fn write(&self, file: FileId, data: &[u8]) -> io::Result<usize>;
    fn seek(&self, file: FileId, to: SeekFrom) -> io::Result<u64>;
    /// Cuts or zero-extends the file to `len` bytes; the position stays.
    fn set_len(&self, file: FileId, len: u64) -> io::Result<()>;
    /// Makes the file's bytes durable (`fsync`).
    fn sync(&self, file: FileId) -> io::Result<()>;
    /// Releases the file. Never fails for a file that is open; `EBADF` for one that is not.
    fn close(&self, file: FileId) -> io::Result<()>;
    /// Whether `file` was open when the platform lost power (the simulator's crash): every
    /// operation on it but `close` fails with `EIO`, and whatever a buffer above it still
    /// holds died with the process that wrote it.
    fn broken(&self, file: FileId) -> bool;

    fn metadata(&self, path: &[u8]) -> io::Result<Metadata>;
    fn create_dir(&self, path: &[u8]) -> io::Result<()>;
    fn remove_dir(&self, path: &[u8]) -> io::Result<()>;
    fn remove_file(&self, path: &[u8]) -> io::Result<()>;
    /// Moves `from` to `to`, replacing a file (or an empty directory) there, as `rename(2)`.
    fn rename(&self, from: &[u8], to: &[u8]) -> io::Result<()>;
    /// The names in a directory, sorted.
    fn list_dir(&self, path: &[u8]) -> io::Result<Vec<Vec<u8>>>;
    /// Marks what `path` names as changed now (`utime`).
    fn touch(&self, path: &[u8]) -> io::Result<()>;
}
