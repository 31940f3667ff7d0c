//! Injected disk errors: `tonio.sim.disk().fail(prefix, errno)` until `heal()`.
//!
//! A rule matches a path equal to its prefix or below it, component by component (`/data`
//! matches `/data/log` but not `/database`). Paths are compared in their resolved form, so
//! `data/./log` and `/data/log` are the same path. The longest matching prefix's errno wins
//! (a rule for one file inside a failing folder is the one that file sees).

use std::io;

use super::namespace::errno;

#[derive(Default)]
pub struct Faults {
    rules: Vec<(Vec<u8>, i32)>,
}

/// `path` resolved lexically, as `/a/b`.
pub fn normal(path: &[u8]) -> Vec<u8> {
    let mut names: Vec<&[u8]> = Vec::new();
    for name in path.split(|&b| b == b'/') {
        match name {
            b"" | b"." => {}
            b".." => {
                names.pop();
            }
            name => names.push(name),
        }
    }
    let mut normal = Vec::with_capacity(path.len() + 1);
    for name in names {
        normal.push(b'/');
        normal.extend_from_slice(name);
    }
    if normal.is_empty() {
        normal.push(b'/');
    }
    normal
}

fn under(path: &[u8], prefix: &[u8]) -> bool {
    prefix == b"/"
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"/"))
}

impl Faults {
    pub fn fail(&mut self, prefix: &[u8], code: i32) {
        let prefix = normal(prefix);
        self.rules.retain(|(p, _)| *p != prefix);
        self.rules.push((prefix, code));
    }

    /// Removes the rule for `prefix`, or every rule; how many were removed.
    pub fn heal(&mut self, prefix: Option<&[u8]>) -> usize {
        let before = self.rules.len();
        match prefix.map(normal) {
            Some(prefix) => self.rules.retain(|(p, _)| *p != prefix),
            None => self.rules.clear(),
        }
        before - self.rules.len()
    }

    /// The injected error for an operation on `path`, if any.
    pub fn check(&self, path: &[u8]) -> io::Result<()> {
        if self.rules.is_empty() {
            return Ok(());
        }
        let path = normal(path);
        let matching = self.rules.iter().filter(|(prefix, _)| under(&path, prefix));
        match matching.max_by_key(|(prefix, _)| prefix.len()) {
            Some((_, code)) => Err(errno(*code)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_whole_components() {
        let mut faults = Faults::default();
        faults.fail(b"/data/", libc::EIO);
        assert!(faults.check(b"/data").is_err());
        assert!(faults.check(b"data/./log/../log").is_err());
        assert!(faults.check(b"/database").is_ok());
        assert_eq!(faults.heal(Some(b"/data")), 1);
        assert!(faults.check(b"/data/log").is_ok());
        faults.fail(b"/", libc::ENOSPC);
        let err = faults.check(b"/anything").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
    }
}
