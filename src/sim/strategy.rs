//! Scheduling strategies: which ready task runs next, or whether a due timer fires first.
//!
//! Every decision draws only from the run's scheduler RNG (a ChaCha stream derived from the
//! seed), so a run is a pure function of `(seed, strategy, program)`.
//!
//! - `fifo`: the oldest ready task (a deterministic baseline; no randomness).
//! - `random`: uniform over the ready tasks at every step.
//! - `replay:<schedule>`: the picks of a schedule string (see `schedule.rs`); its world seed
//!   becomes the run's seed.
//! - `pct:<d>[:<k>]`: probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010). Each
//!   task gets a random priority (>= d) when it first becomes ready; the highest-priority ready
//!   task runs; at `d - 1` change points, steps drawn uniformly from `1..=k` (`k`: the estimated
//!   run length in steps, default 100), the task picked at that step drops to priority `i`
//!   (below every initial priority). A bug of depth `d` is found with probability at least
//!   `1 / (n * k^(d-1))` per run (`n` tasks).

use std::collections::BTreeMap;

use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha8Rng;

use super::schedule::{self, Replay};

/// A parsed strategy specification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StrategySpec {
    Fifo,
    Random,
    Pct {
        depth: u32,
        length: u64,
    },
    /// A schedule string's picks; `world` is the seed it carries.
    Replay {
        text: String,
        world: u64,
        replay: Replay,
    },
}

/// Default run-length estimate for PCT when none is given.
pub const PCT_DEFAULT_LENGTH: u64 = 100;

impl StrategySpec {
    /// Parses `fifo`, `random`, `pct:<d>` or `pct:<d>:<k>`.
    pub fn parse(text: &str) -> Result<StrategySpec, String> {
        let bad = || {
            format!("unknown strategy {text:?}: expected 'random', 'fifo', 'pct:<depth>', 'pct:<depth>:<steps>' or 'replay:<schedule string>'")
        };
        if let Some(schedule) = text.trim().strip_prefix("replay:") {
            let (world, replay) = schedule::parse(schedule)?;
            return Ok(StrategySpec::Replay {
                text: schedule.trim().to_owned(),
                world,
                replay,
            });
        }
        let mut parts = text.trim().split(':');
        match parts.next() {
            Some("fifo") if parts.next().is_none() => Ok(StrategySpec::Fifo),
            Some("random") if parts.next().is_none() => Ok(StrategySpec::Random),
            Some("pct") => {
                let depth: u32 = parts.next().and_then(|d| d.parse().ok()).ok_or_else(bad)?;
                let length: u64 = match parts.next() {
                    None => PCT_DEFAULT_LENGTH,
                    Some(k) => k.parse().map_err(|_| bad())?,
                };
                if parts.next().is_some() || depth == 0 || depth > 64 || length == 0 {
                    return Err(format!("{}; depth must be 1..=64 and steps >= 1", bad()));
                }
                Ok(StrategySpec::Pct { depth, length })
            }
            _ => Err(bad()),
        }
    }

    /// The canonical text (what a replay line carries).
    pub fn describe(&self) -> String {
        match self {
            StrategySpec::Fifo => "fifo".into(),
            StrategySpec::Random => "random".into(),
            StrategySpec::Pct { depth, length } => format!("pct:{depth}:{length}"),
            StrategySpec::Replay { text, .. } => format!("replay:{text}"),
        }
    }
}

/// The per-run state of a strategy.
pub enum Strategy {
    Fifo,
    Random,
    Pct(Pct),
    Replay(Replay),
}

pub struct Pct {
    depth: u32,
    /// Steps at which the picked task is demoted, with the priority it drops to.
    change_points: BTreeMap<u64, u64>,
    priorities: BTreeMap<u64, u64>,
}

impl Strategy {
    pub fn new(spec: &StrategySpec, rng: &mut ChaCha8Rng) -> Strategy {
        match spec {
            StrategySpec::Fifo => Strategy::Fifo,
            StrategySpec::Random => Strategy::Random,
            StrategySpec::Replay { replay, .. } => Strategy::Replay(replay.clone()),
            StrategySpec::Pct { depth, length } => {
                let mut change_points = BTreeMap::new();
                let wanted = u64::from(*depth - 1).min(*length);
                let mut next_priority = 1;
                while (change_points.len() as u64) < wanted {
                    let step = 1 + rng.next_u64() % length;
                    if let std::collections::btree_map::Entry::Vacant(slot) =
                        change_points.entry(step)
                    {
                        slot.insert(next_priority);
                        next_priority += 1;
                    }
                }
                Strategy::Pct(Pct {
                    depth: *depth,
                    change_points,
                    priorities: BTreeMap::new(),
                })
            }
        }
    }

    /// Chooses the index of what runs at `step` (1-based) among `len` candidates, oldest first;
    /// `id_at(i)` is the id of the `i`-th (a task id, or [`schedule::TIMERS`] for "fire the
    /// earliest due timer", always the last candidate).
    pub fn pick(
        &mut self,
        rng: &mut ChaCha8Rng,
        step: u64,
        len: usize,
        id_at: impl Fn(usize) -> u64,
    ) -> usize {
        match self {
            Strategy::Fifo => 0,
            Strategy::Replay(replay) => replay.pick(step, len, id_at),
            Strategy::Random => (rng.next_u64() % len as u64) as usize,
            Strategy::Pct(pct) => {
                let ready: Vec<u64> = (0..len).map(id_at).collect();
                pct.pick(rng, step, &ready)
            }
        }
    }
}

impl Pct {
    fn priority(&mut self, rng: &mut ChaCha8Rng, task: u64) -> u64 {
        let depth = u64::from(self.depth);
        *self
            .priorities
            .entry(task)
            .or_insert_with(|| depth + (rng.next_u64() >> 16))
    }

    fn pick(&mut self, rng: &mut ChaCha8Rng, step: u64, ready: &[u64]) -> usize {
        let mut best = self.highest(rng, ready);
        if let Some(lowered) = self.change_points.get(&step).copied() {
            self.priorities.insert(ready[best], lowered);
            best = self.highest(rng, ready);
        }
        best
    }

    /// Index of the highest-priority ready task (ties: the older one).
    fn highest(&mut self, rng: &mut ChaCha8Rng, ready: &[u64]) -> usize {
        let mut best = 0;
        let mut best_priority = 0;
        for (index, &task) in ready.iter().enumerate() {
            let priority = self.priority(rng, task);
            if index == 0 || priority > best_priority {
                best = index;
                best_priority = priority;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn parses_and_describes() {
        assert_eq!(StrategySpec::parse("fifo"), Ok(StrategySpec::Fifo));
        assert_eq!(StrategySpec::parse("random"), Ok(StrategySpec::Random));
        assert_eq!(
            StrategySpec::parse("pct:3"),
            Ok(StrategySpec::Pct {
                depth: 3,
                length: 100
            })
        );
        assert_eq!(
            StrategySpec::parse("pct:2:50").map(|s| s.describe()),
            Ok("pct:2:50".into())
        );
        for bad in [
            "",
            "pct",
            "pct:0",
            "pct:x",
            "pct:3:0",
            "pct:3:4:5",
            "lifo",
            "random:1",
        ] {
            assert!(StrategySpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pct_runs_the_highest_priority_task_until_a_change_point() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let spec = StrategySpec::Pct {
            depth: 1,
            length: 10,
        };
        let mut strategy = Strategy::new(&spec, &mut rng);
        let ready = [1, 2, 3];
        let first = strategy.pick(&mut rng, 1, 3, |i| ready[i]);
        for step in 2..20 {
            assert_eq!(strategy.pick(&mut rng, step, 3, |i| ready[i]), first);
        }
    }

    #[test]
    fn same_seed_same_choices() {
        let picks = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut strategy = Strategy::new(&StrategySpec::Random, &mut rng);
            (1..50)
                .map(|step| strategy.pick(&mut rng, step, 4, |i| i as u64))
                .collect::<Vec<_>>()
        };
        assert_eq!(picks(1), picks(1));
        assert_ne!(picks(1), picks(2));
    }
}
