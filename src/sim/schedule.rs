//! Schedule strings: a run's scheduling decisions, exported and replayed.
//!
//! A schedule is described against a *default policy*, `fifo`: the task that has been ready
//! longest runs next (a task that yields goes to the back, so the default is fair and never
//! starves anyone). A schedule lists only the steps where a run departed from it, as
//! `(step, task id)`: replaying it picks that task at that step (if it is ready; otherwise the
//! default) and follows the default at every other step. Task ids are per run and
//! deterministic, so a pick keeps naming the same task when an earlier change moved the others
//! around in the ready queue; this is what lets the shrinker drop decisions one at a time.
//!
//! A timer that is due (its deadline is not after the virtual clock) is a candidate too, under
//! the id [`TIMERS`], younger than every ready task: under the default policy timers fire only
//! when no task is ready, and a schedule that fires one earlier names it as a pick (`<step>:0`).
//!
//! Each departure is a *preemption*: a task ran ahead of one that had been waiting longer, an
//! interleaving the program did not ask for. Fewer preemptions make a failure easier to follow;
//! a schedule with none is the plain `fifo` run.
//!
//! Text form: `v1.<world>.<picks>`: `<world>` is the seed of the run's other randomness
//! (network jitter, `tonio.sim.random()`), so the string alone replays the run; `<picks>` is
//! `<step>:<task>` pairs in base 36 joined by `.`, each step counted from the previous pick.
//!
//! # Invariants
//! - [`Recorder::record`] and [`Replay::pick`] see the candidates oldest first, before the
//!   picked task is removed.
//! - A run replayed from its own schedule string makes the same picks (same trace hash).

use std::collections::BTreeMap;

/// The id that stands for "fire the earliest due timer" among the candidates of a step (task
/// ids start at 1).
pub const TIMERS: u64 = 0;

/// Records a run's departures from the default policy.
#[derive(Default)]
pub struct Recorder {
    picks: Vec<(u64, u64)>,
}

impl Recorder {
    /// Step `step` picks the candidate at `index` (oldest first), whose id is `id`.
    pub fn record(&mut self, step: u64, index: usize, id: u64) {
        if index != 0 {
            self.picks.push((step, id));
        }
    }

    /// Departures from the default policy so far.
    pub fn preemptions(&self) -> u64 {
        self.picks.len() as u64
    }

    /// The schedule string of the run so far (`world`: the run's seed).
    pub fn text(&self, world: u64) -> String {
        format(world, &self.picks)
    }
}

/// The schedule string of `picks` (`(step, task)`, steps increasing) in world `world`.
pub fn format(world: u64, picks: &[(u64, u64)]) -> String {
    let mut text = format!("v1.{}", base36(world));
    let mut last_step = 0;
    for &(step, task) in picks {
        text.push('.');
        text.push_str(&base36(step.saturating_sub(last_step)));
        text.push(':');
        text.push_str(&base36(task));
        last_step = step;
    }
    text
}

/// The picks of a schedule string, replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    picks: BTreeMap<u64, u64>,
}

/// A parsed schedule string: its world seed and picks.
pub fn parse(text: &str) -> Result<(u64, Replay), String> {
    let bad = |why: &str| format!("invalid schedule string ({why}): {text:?}");
    let mut parts = text.trim().split('.');
    if parts.next() != Some("v1") {
        return Err(bad("it must start with 'v1.'"));
    }
    let world = parts
        .next()
        .and_then(from_base36)
        .ok_or_else(|| bad("no world seed"))?;
    let mut picks = BTreeMap::new();
    let mut step: u64 = 0;
    for pair in parts {
        let (delta, task) = pair
            .split_once(':')
            .and_then(|(d, t)| Some((from_base36(d)?, from_base36(t)?)))
            .ok_or_else(|| bad("a pick must be <step>:<task> in base 36"))?;
        step = step
            .checked_add(delta)
            .filter(|_| delta > 0)
            .ok_or_else(|| bad("steps must increase"))?;
        picks.insert(step, task);
    }
    Ok((world, Replay { picks }))
}

impl Replay {
    /// The picks, in step order.
    pub fn picks(&self) -> Vec<(u64, u64)> {
        self.picks
            .iter()
            .map(|(&step, &task)| (step, task))
            .collect()
    }

    /// The index to run at `step` among `len` candidates (`id_at(i)`: the id of the `i`-th):
    /// the schedule's pick if it is a candidate, else the oldest.
    pub fn pick(&self, step: u64, len: usize, id_at: impl Fn(usize) -> u64) -> usize {
        self.picks
            .get(&step)
            .and_then(|&id| (0..len).position(|i| id_at(i) == id))
            .unwrap_or(0)
    }
}

fn base36(mut value: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn from_base36(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    u64::from_str_radix(text, 36).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base36_round_trips() {
        for value in [0, 1, 35, 36, 1295, u64::MAX] {
            assert_eq!(from_base36(&base36(value)), Some(value));
        }
    }

    #[test]
    fn parses_what_it_writes_and_refuses_garbage() {
        let (world, replay) = parse("v1.z.3:2.a:1").unwrap();
        assert_eq!(world, 35);
        assert_eq!(
            replay.picks.into_iter().collect::<Vec<_>>(),
            vec![(3, 2), (13, 1)]
        );
        for bad in ["", "v2.1", "v1", "v1.1.3", "v1.1.0:2", "v1.1.x!:2"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
