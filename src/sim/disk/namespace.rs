//! The simulated disk's tree: directories of names, files of bytes, found by path.
//!
//! Paths are bytes, as the OS takes them, and are resolved by walking the tree as the kernel
//! does (there are no symbolic links): empty components are skipped, `.` stays, `..` goes to
//! the parent (not above `/`), and each must be taken from a directory that exists (so
//! `missing/..` is `ENOENT` and `file/..` is `ENOTDIR`); relative paths start at `/`. A path
//! ending in `/`, `/.` or `/..` must name a directory. Longer than `PATH_MAX` or with a
//! component longer than `NAME_MAX`: `ENAMETOOLONG`.
//!
//! # Invariants
//! - Node 1 is `/`, a directory that always exists.
//! - Every directory entry names a live node; a directory's `parent` is the directory holding
//!   it (`/` holds itself). A directory is never inside itself.
//! - A file leaves the tree when it has no name and no open handle (`FileNode::linked`,
//!   `FileNode::open`).
//! - Nodes are kept in inode order, so whatever walks them (a crash) walks them the same way
//!   in every run.

use std::collections::BTreeMap;
use std::io;

use super::content::FileContent;
use crate::common::base::time::Ticks;
use crate::common::io::disk::{EntryKind, Metadata};

pub const ROOT: u64 = 1;
/// Longest name of one path component (Linux's `NAME_MAX`).
const NAME_MAX: usize = 255;
/// Longest path, with its terminating NUL (Linux's `PATH_MAX`).
const PATH_MAX: usize = 4096;

pub struct FileNode {
    pub content: FileContent,
    pub modified: Ticks,
    /// Whether a directory entry names it.
    pub linked: bool,
    /// Open handles.
    pub open: usize,
}

struct DirNode {
    entries: BTreeMap<Vec<u8>, u64>,
    parent: u64,
    modified: Ticks,
}

enum Node {
    File(FileNode),
    Dir(DirNode),
}

pub fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// One component of a path.
#[derive(Clone, Copy)]
enum Step<'a> {
    Name(&'a [u8]),
    Here,
    Up,
}

/// A path as its steps, and whether it must name a directory (it ended in `/`).
struct Parsed<'a> {
    steps: Vec<Step<'a>>,
    dir_only: bool,
}

fn parse(path: &[u8]) -> io::Result<Parsed<'_>> {
    if path.is_empty() {
        return Err(errno(libc::ENOENT));
    }
    if path.len() >= PATH_MAX {
        return Err(errno(libc::ENAMETOOLONG));
    }
    let mut steps = Vec::new();
    for name in path.split(|&b| b == b'/') {
        steps.push(match name {
            b"" => continue,
            b"." => Step::Here,
            b".." => Step::Up,
            name if name.len() > NAME_MAX => return Err(errno(libc::ENAMETOOLONG)),
            name => Step::Name(name),
        });
    }
    let dir_only = path.ends_with(b"/") || matches!(steps.last(), Some(Step::Here | Step::Up));
    Ok(Parsed { steps, dir_only })
}

/// What a path names for an operation that may create it: an entry (existing or not) of an
/// existing directory, or, for `/` and paths ending in `.` or `..`, a directory that exists.
pub enum Place {
    Existing(u64),
    In {
        dir: u64,
        name: Vec<u8>,
        dir_only: bool,
    },
}

pub struct Namespace {
    nodes: BTreeMap<u64, Node>,
    next_inode: u64,
}

impl Namespace {
    pub fn new(now: Ticks) -> Namespace {
        let root = DirNode {
            entries: BTreeMap::new(),
            parent: ROOT,
            modified: now,
        };
        Namespace {
            nodes: BTreeMap::from([(ROOT, Node::Dir(root))]),
            next_inode: ROOT + 1,
        }
    }

    fn dir(&self, id: u64) -> io::Result<&DirNode> {
        match self.nodes.get(&id) {
            Some(Node::Dir(dir)) => Ok(dir),
            _ => Err(errno(libc::ENOTDIR)),
        }
    }

    fn dir_mut(&mut self, id: u64) -> io::Result<&mut DirNode> {
        match self.nodes.get_mut(&id) {
            Some(Node::Dir(dir)) => Ok(dir),
            _ => Err(errno(libc::ENOTDIR)),
        }
    }

    pub fn file(&self, id: u64) -> Option<&FileNode> {
        match self.nodes.get(&id) {
            Some(Node::File(file)) => Some(file),
            _ => None,
        }
    }

    pub fn file_mut(&mut self, id: u64) -> Option<&mut FileNode> {
        match self.nodes.get_mut(&id) {
            Some(Node::File(file)) => Some(file),
            _ => None,
        }
    }

    /// The node reached by taking `steps` from `/`.
    fn walk(&self, steps: &[Step<'_>]) -> io::Result<u64> {
        let mut at = ROOT;
        for step in steps {
            let dir = self.dir(at)?;
            at = match step {
                Step::Here => at,
                Step::Up => dir.parent,
                Step::Name(name) => *dir.entries.get(*name).ok_or_else(|| errno(libc::ENOENT))?,
            };
        }
        Ok(at)
    }

    /// The node `path` names.
    pub fn resolve(&self, path: &[u8]) -> io::Result<u64> {
        let parsed = parse(path)?;
        let id = self.walk(&parsed.steps)?;
        if parsed.dir_only && self.file(id).is_some() {
            return Err(errno(libc::ENOTDIR));
        }
        Ok(id)
    }

    /// Where `path` is: an entry of an existing directory, or a directory itself.
    pub fn place(&self, path: &[u8]) -> io::Result<Place> {
        let parsed = parse(path)?;
        match parsed.steps.split_last() {
            Some((Step::Name(name), parents)) => {
                let dir = self.walk(parents)?;
                self.dir(dir)?;
                Ok(Place::In {
                    dir,
                    name: name.to_vec(),
                    dir_only: parsed.dir_only,
                })
            }
            _ => {
                let id = self.walk(&parsed.steps)?;
                self.dir(id)?;
                Ok(Place::Existing(id))
            }
        }
    }

    /// What `name` in directory `dir` is, if anything.
    pub fn entry(&self, dir: u64, name: &[u8]) -> Option<u64> {
        self.dir(dir).ok()?.entries.get(name).copied()
    }

    fn add(&mut self, dir: u64, name: Vec<u8>, node: Node, now: Ticks) -> io::Result<u64> {
        let id = self.next_inode;
        self.next_inode += 1;
        let parent = self.dir_mut(dir)?;
        parent.entries.insert(name, id);
        parent.modified = now;
        self.nodes.insert(id, node);
        Ok(id)
    }

    pub fn create_file(&mut self, dir: u64, name: Vec<u8>, now: Ticks) -> io::Result<u64> {
        let file = FileNode {
            content: FileContent::default(),
            modified: now,
            linked: true,
            open: 0,
        };
        self.add(dir, name, Node::File(file), now)
    }

    pub fn metadata(&self, id: u64) -> io::Result<Metadata> {
        Ok(match self.nodes.get(&id) {
            Some(Node::File(file)) => Metadata {
                kind: EntryKind::File,
                size: file.content.len(),
                inode: id,
                modified: file.modified,
            },
            Some(Node::Dir(dir)) => Metadata {
                kind: EntryKind::Directory,
                size: dir.entries.len() as u64,
                inode: id,
                modified: dir.modified,
            },
            None => return Err(errno(libc::ENOENT)),
        })
    }

    pub fn list(&self, path: &[u8]) -> io::Result<Vec<Vec<u8>>> {
        let id = self.resolve(path)?;
        Ok(self.dir(id)?.entries.keys().cloned().collect())
    }

    pub fn create_dir(&mut self, path: &[u8], now: Ticks) -> io::Result<()> {
        let Place::In { dir, name, .. } = self.place(path)? else {
            return Err(errno(libc::EEXIST));
        };
        if self.entry(dir, &name).is_some() {
            return Err(errno(libc::EEXIST));
        }
        let node = DirNode {
            entries: BTreeMap::new(),
            parent: dir,
            modified: now,
        };
        self.add(dir, name, Node::Dir(node), now).map(drop)
    }

    /// Takes entry `name` out of `dir`, dropping a file nobody has open.
    fn unlink_entry(&mut self, dir: u64, name: &[u8], now: Ticks) -> io::Result<()> {
        let parent = self.dir_mut(dir)?;
        let id = parent
            .entries
            .remove(name)
            .ok_or_else(|| errno(libc::ENOENT))?;
        parent.modified = now;
        match self.nodes.get_mut(&id) {
            Some(Node::File(file)) if file.open > 0 => file.linked = false,
            _ => {
                self.nodes.remove(&id);
            }
        }
        Ok(())
    }

    /// The directory and name of an existing entry. `/` cannot be removed or moved (`EBUSY`),
    /// nor a path ending in `.` or `..` (`EINVAL`); `not_an_entry` overrides both.
    fn existing(&self, path: &[u8], not_an_entry: Option<i32>) -> io::Result<(u64, Vec<u8>, u64)> {
        let (dir, name, dir_only) = match self.place(path)? {
            Place::In {
                dir,
                name,
                dir_only,
            } => (dir, name, dir_only),
            Place::Existing(id) => {
                let code = if id == ROOT {
                    libc::EBUSY
                } else {
                    libc::EINVAL
                };
                return Err(errno(not_an_entry.unwrap_or(code)));
            }
        };
        let id = self.entry(dir, &name).ok_or_else(|| errno(libc::ENOENT))?;
        if dir_only && self.file(id).is_some() {
            return Err(errno(libc::ENOTDIR));
        }
        Ok((dir, name, id))
    }

    pub fn remove_dir(&mut self, path: &[u8], now: Ticks) -> io::Result<()> {
        let (dir, name, id) = self.existing(path, None)?;
        if !self.dir(id)?.entries.is_empty() {
            return Err(errno(libc::ENOTEMPTY));
        }
        self.unlink_entry(dir, &name, now)
    }

    pub fn remove_file(&mut self, path: &[u8], now: Ticks) -> io::Result<()> {
        let (dir, name, id) = self.existing(path, Some(libc::EISDIR))?;
        if self.file(id).is_none() {
            return Err(errno(libc::EISDIR));
        }
        self.unlink_entry(dir, &name, now)
    }

    /// Whether directory `dir` is `ancestor` or inside it.
    fn inside(&self, mut dir: u64, ancestor: u64) -> bool {
        loop {
            if dir == ancestor {
                return true;
            }
            match self.dir(dir) {
                Ok(node) if node.parent != dir => dir = node.parent,
                _ => return false,
            }
        }
    }

    /// `rename(2)`: replaces a file with a file, an empty directory with a directory.
    pub fn rename(&mut self, from: &[u8], to: &[u8], now: Ticks) -> io::Result<()> {
        let (from_dir, from_name, id) = self.existing(from, None)?;
        let Place::In {
            dir: to_dir,
            name: to_name,
            dir_only,
        } = self.place(to)?
        else {
            return Err(errno(libc::EBUSY));
        };
        let moving_dir = self.file(id).is_none();
        if dir_only && !moving_dir {
            return Err(errno(libc::ENOTDIR));
        }
        if moving_dir && self.inside(to_dir, id) {
            return Err(errno(libc::EINVAL));
        }
        if let Some(existing) = self.entry(to_dir, &to_name) {
            if existing == id {
                return Ok(());
            }
            match (moving_dir, self.file(existing).is_none()) {
                (false, true) => return Err(errno(libc::EISDIR)),
                (true, false) => return Err(errno(libc::ENOTDIR)),
                (true, true) if !self.dir(existing)?.entries.is_empty() => {
                    return Err(errno(libc::ENOTEMPTY))
                }
                _ => self.unlink_entry(to_dir, &to_name, now)?,
            }
        }
        let source = self.dir_mut(from_dir)?;
        source.entries.remove(&from_name);
        source.modified = now;
        let target = self.dir_mut(to_dir)?;
        target.entries.insert(to_name, id);
        target.modified = now;
        if let Some(Node::Dir(moved)) = self.nodes.get_mut(&id) {
            moved.parent = to_dir;
        }
        Ok(())
    }

    /// Marks `path`'s content as changed now (`utime`).
    pub fn touch(&mut self, path: &[u8], now: Ticks) -> io::Result<()> {
        let id = self.resolve(path)?;
        match self.nodes.get_mut(&id) {
            Some(Node::File(file)) => file.modified = now,
            Some(Node::Dir(dir)) => dir.modified = now,
            None => return Err(errno(libc::ENOENT)),
        }
        Ok(())
    }

    /// A file's handle was closed: drops it if it has no name left.
    pub fn closed(&mut self, id: u64) {
        if let Some(file) = self.file_mut(id) {
            file.open -= 1;
            if file.open == 0 && !file.linked {
                self.nodes.remove(&id);
            }
        }
    }

    /// Every file, in inode order (so seeded draws over them replay).
    pub fn files_mut(&mut self) -> impl Iterator<Item = &mut FileNode> {
        self.nodes.values_mut().filter_map(|node| match node {
            Node::File(file) => Some(file),
            Node::Dir(_) => None,
        })
    }
}
