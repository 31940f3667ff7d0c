//! A simulated file's bytes: what a reader sees now, and what would survive a power loss.
//!
//! # Invariants
//! - `current` is `durable` with every change of `unsynced` applied in order.
//! - `sync` makes `durable` equal `current` (applying `unsynced` to it) and empties
//!   `unsynced`.
//! - No file grows past [`MAX_FILE_SIZE`]: the disk refuses such a write or cut first.
//! - A crash keeps `durable` plus a prefix of `unsynced`, possibly ending inside one write
//!   ([`FileContent::crash`]); afterwards `current == durable` again.

use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

/// A change to a file's bytes since its last sync.
#[derive(Clone, Debug)]
enum Change {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

/// The largest simulated file (it lives in memory twice: as read and as durable): 1 GiB.
pub const MAX_FILE_SIZE: u64 = 1 << 30;

#[derive(Default)]
pub struct FileContent {
    current: Vec<u8>,
    durable: Vec<u8>,
    unsynced: Vec<Change>,
}

/// Writes `data` at `offset` into `bytes`, zero-filling any gap.
fn write_at(bytes: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let offset = offset as usize;
    let end = offset + data.len();
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[offset..end].copy_from_slice(data);
}

fn apply(bytes: &mut Vec<u8>, change: &Change) {
    match change {
        Change::Write { offset, data } => write_at(bytes, *offset, data),
        Change::SetLen(len) => bytes.resize(*len as usize, 0),
    }
}

/// A draw in `0..=max` from the disk's stream.
fn draw(rng: &mut ChaCha8Rng, max: usize) -> usize {
    (rng.next_u64() % (max as u64 + 1)) as usize
}

impl FileContent {
    pub fn bytes(&self) -> &[u8] {
        &self.current
    }

    pub fn len(&self) -> u64 {
        self.current.len() as u64
    }

    /// Writes `data` at `offset` (not durable until `sync`).
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        write_at(&mut self.current, offset, data);
        self.unsynced.push(Change::Write {
            offset,
            data: data.to_vec(),
        });
    }

    /// Cuts or zero-extends to `len` bytes (not durable until `sync`).
    pub fn set_len(&mut self, len: u64) {
        if len == self.len() {
            return;
        }
        self.current.resize(len as usize, 0);
        self.unsynced.push(Change::SetLen(len));
    }

    /// Everything written so far is durable. Costs what changed since the last sync, not the
    /// file's size.
    pub fn sync(&mut self) {
        for change in self.unsynced.drain(..) {
            apply(&mut self.durable, &change);
        }
    }

    /// A power loss: keeps the durable bytes plus a seeded prefix of the unsynced changes,
    /// whose last one, if a write, may be cut anywhere inside it (even to nothing).
    pub fn crash(&mut self, rng: &mut ChaCha8Rng) {
        if self.unsynced.is_empty() {
            return;
        }
        let kept = draw(rng, self.unsynced.len());
        let mut bytes = std::mem::take(&mut self.durable);
        for change in &self.unsynced[..kept] {
            apply(&mut bytes, change);
        }
        if let Some(Change::Write { offset, data }) = self.unsynced.get(kept) {
            let torn = draw(rng, data.len() - 1);
            if torn > 0 {
                write_at(&mut bytes, *offset, &data[..torn]);
            }
        }
        self.unsynced.clear();
        self.current.clone_from(&bytes);
        self.durable = bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn synced_bytes_survive_every_crash() {
        for seed in 0..200 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut file = FileContent::default();
            file.write(0, b"durable");
            file.sync();
            file.write(7, b" and more");
            file.set_len(3);
            file.write(3, b"xyz");
            file.crash(&mut rng);
            let after = file.bytes().to_vec();
            // Durable, then each change whole or the next write torn.
            let before_cut = after.len() >= 7 && b"durable and more".starts_with(&after);
            let after_cut = after.len() >= 3 && b"durxyz".starts_with(&after);
            assert!(before_cut || after_cut, "seed {seed}: {after:?}");
        }
    }

    #[test]
    fn a_crash_explores_nothing_whole_and_torn() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..300 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut file = FileContent::default();
            file.write(0, b"abcdef");
            file.crash(&mut rng);
            seen.insert(file.bytes().to_vec());
        }
        // Nothing, every torn length, and the whole write.
        assert_eq!(seen.len(), 7, "{seen:?}");
    }
}
