//! The record of a run's scheduling decisions.
//!
//! The hash is always kept: it folds every step's `(task, virtual time)` into 64 bits, so two
//! runs with the same hash made the same decisions. The full entry list (step, time, task, what
//! it resumed from, file:line) is recorded only on request: describing a task's Python frame
//! costs far more than a step.

/// One scheduling decision.
#[derive(Clone, Debug)]
pub struct TraceEntry {
    pub step: u64,
    pub time: u64,
    pub task: u64,
    /// What the task was suspended on (`start`, `yield`, `sleep`, `Lock acquire`, ...).
    pub resumed_from: String,
    /// `file:line` of the task's innermost Python frame when it was picked.
    pub location: String,
    /// The task's name (its coroutine's qualified name).
    pub name: String,
    /// The step whose task woke this one (none: it started, yielded, or a timer or the network
    /// woke it).
    pub woken_at: Option<u64>,
}

/// What a timer step folds into the hash (no task id is mixed this way).
const TIMER_STEP: u64 = 0x7469_6d65_725f_7374;

#[derive(Default)]
pub struct Trace {
    hash: u64,
    steps: u64,
    entries: Option<Vec<TraceEntry>>,
    /// Recording: the step at which each queued task was woken by another task.
    wakes: std::collections::HashMap<u64, u64>,
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Trace {
    pub fn new(record: bool) -> Trace {
        Trace {
            hash: 0x6a09_e667_f3bc_c908,
            steps: 0,
            entries: record.then(Vec::new),
            wakes: std::collections::HashMap::new(),
        }
    }

    pub fn recording(&self) -> bool {
        self.entries.is_some()
    }

    /// Records step `step`: `task` runs at virtual `time`.
    pub fn record(
        &mut self,
        step: u64,
        time: u64,
        task: u64,
        details: impl FnOnce() -> (String, String, String),
    ) {
        self.steps = step;
        self.hash = mix(self.hash ^ task.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        self.hash = mix(self.hash ^ time);
        if let Some(entries) = &mut self.entries {
            let (resumed_from, location, name) = details();
            entries.push(TraceEntry {
                step,
                time,
                task,
                resumed_from,
                location,
                name,
                woken_at: self.wakes.remove(&task),
            });
        }
    }

    /// Records step `step`: a due timer fires at virtual `time` (`task`: the task it concerns,
    /// `what`: what it did); in the entry list it is a note on that task.
    pub fn timer(&mut self, step: u64, time: u64, task: u64, what: &str) {
        self.steps = step;
        self.hash = mix(self.hash ^ TIMER_STEP);
        self.hash = mix(self.hash ^ time);
        if let Some(entries) = &mut self.entries {
            entries.push(TraceEntry {
                step,
                time,
                task,
                resumed_from: what.to_owned(),
                location: String::new(),
                name: String::new(),
                woken_at: None,
            });
        }
    }

    /// Records something the running task did to the simulated world at step `step` (a network
    /// fault, a signal): it enters the hash, and the entry list as `what`.
    pub fn note(
        &mut self,
        step: u64,
        time: u64,
        task: u64,
        what: String,
        location: impl FnOnce() -> String,
    ) {
        for chunk in what.as_bytes().chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.hash = mix(self.hash ^ u64::from_le_bytes(word));
        }
        if let Some(entries) = &mut self.entries {
            entries.push(TraceEntry {
                step,
                time,
                task,
                resumed_from: what,
                location: location(),
                name: String::new(),
                woken_at: None,
            });
        }
    }

    /// Recording: the task running at step `step` woke `task` (a wake edge of the timeline).
    pub fn woke(&mut self, step: u64, task: u64) {
        if self.entries.is_some() {
            self.wakes.insert(task, step);
        }
    }

    pub fn hash(&self) -> u64 {
        mix(self.hash ^ self.steps)
    }

    pub fn steps(&self) -> u64 {
        self.steps
    }

    pub fn take_entries(&mut self) -> Option<Vec<TraceEntry>> {
        self.entries.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_order_and_time() {
        let run = |steps: &[(u64, u64)]| {
            let mut trace = Trace::new(false);
            for (i, &(task, time)) in steps.iter().enumerate() {
                trace.record(i as u64 + 1, time, task, || unreachable!("not recording"));
            }
            trace.hash()
        };
        assert_eq!(run(&[(1, 0), (2, 0)]), run(&[(1, 0), (2, 0)]));
        assert_ne!(run(&[(1, 0), (2, 0)]), run(&[(2, 0), (1, 0)]));
        assert_ne!(run(&[(1, 0), (2, 0)]), run(&[(1, 0), (2, 5)]));
    }
}
