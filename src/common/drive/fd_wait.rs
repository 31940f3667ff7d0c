//! Waiting for an OS descriptor's readiness (`tonio.io`) as an awaitable.
//!
//! An [`FdWait`] waits until the descriptor's readiness (shared by every watcher, see
//! `io/descriptors.rs`) reports the interest, or until its timeout passes (it then evaluates
//! to `False`; readiness: `True`). Two ways to begin:
//! - `rearm` (`wait_readable(fd)`): what was seen before is not trusted: the task queues, then
//!   the platform asks the OS again, so a descriptor that is ready now wakes it at once;
//! - otherwise (`ScheduledIO.arm_r()`, tonio's pattern): the caller tried its I/O, got
//!   `EAGAIN` and cleared the readiness (`consume_r`); the next event wakes the task.
//!
//! A wake is reported as ready without asking again: like `poll`, readiness can be spurious,
//! and the caller's next I/O attempt says so. A cancelled wait just unqueues.

use std::os::fd::RawFd;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use crate::common::base::outcome::Resume;
use crate::common::base::util::lock;
use crate::common::base::waitqueue::WaiterKey;
use crate::common::io::net_convert::os_error;
use crate::common::io::readiness::{Interest, Readiness};
use crate::common::run::core::RuntimeCore;
use crate::common::run::registration::{bool_object, IoRetry, Registration, Started};
use crate::common::run::task::{Task, TaskBody, Waker};
use crate::common::run::timers::{TimerAction, TimerKey};

pub struct FdWait {
    core: Arc<RuntimeCore>,
    fd: RawFd,
    readiness: Arc<Readiness>,
    interest: Interest,
    rearm: bool,
    timeout: Option<f64>,
    /// This wait holds a watch of its own on `fd` (released when it is freed).
    owns_watch: bool,
    /// The timeout's timer while the task waits.
    timer: Mutex<Option<TimerKey>>,
}

impl FdWait {
    /// A wait on `fd`, whose watch gave `readiness`; `owns_watch`: the wait took that watch
    /// and releases it when freed.
    pub fn new(
        core: Arc<RuntimeCore>,
        fd: RawFd,
        readiness: Arc<Readiness>,
        interest: Interest,
        rearm: bool,
        timeout: Option<f64>,
        owns_watch: bool,
    ) -> FdWait {
        FdWait {
            core,
            fd,
            readiness,
            interest,
            rearm,
            timeout,
            owns_watch,
            timer: Mutex::new(None),
        }
    }

    fn disarm(&self) {
        if let Some(key) = lock(&self.timer).take() {
            drop(self.core.timers.cancel(key));
        }
    }
}

impl Drop for FdWait {
    fn drop(&mut self) {
        if self.owns_watch {
            if let Some(descriptors) = self.core.platform.descriptors() {
                descriptors.unwatch(self.fd);
            }
        }
    }
}

impl IoRetry for FdWait {
    fn retry(
        &self,
        py: Python<'_>,
        _task: &Arc<Task>,
    ) -> Result<Resume, (Arc<Readiness>, Interest, WaiterKey)> {
        self.disarm();
        Ok(Resume::Value(bool_object(py, true)))
    }

    fn abandon(&self) {
        self.disarm();
    }
}

/// Starts the wait (called by `Suspend::start`).
pub fn start(py: Python<'_>, task: &Arc<Task>, body: &mut TaskBody, wait: &Arc<FdWait>) -> Started {
    let readiness = &wait.readiness;
    let (key, token) = loop {
        let (generation, ready) = readiness.snapshot(wait.interest);
        if ready && !wait.rearm {
            return Started::Ready(Resume::Value(bool_object(py, true)));
        }
        let waker = Waker::begin(task);
        let token = waker.token;
        if let Some(key) = readiness.wait(wait.interest, generation, || waker.into()) {
            break (key, token);
        }
    };
    if wait.rearm {
        let rearmed = match wait.core.platform.descriptors() {
            Some(descriptors) => descriptors.rearm(wait.fd, wait.interest),
            None => Ok(()),
        };
        if let Err(err) = rearmed {
            drop(readiness.remove(wait.interest, key));
            return Started::Ready(Resume::throw(py, os_error(py, &err)));
        }
    }
    *lock(&wait.timer) = wait.timeout.map(|seconds| {
        let waker = Waker {
            task: task.clone(),
            token,
        };
        let deadline = wait.core.deadline_after(seconds);
        let resume = Resume::Value(bool_object(py, false));
        wait.core
            .arm_timer(deadline, TimerAction::Wake(waker, resume))
    });
    body.wait = Registration::Io {
        call: wait.clone(),
        readiness: readiness.clone(),
        interest: wait.interest,
        key,
    };
    Started::Pending
}
