//! Ticks: the runtime's unit of time.
//!
//! Time is an integer count of microseconds since the run started (`Ticks`). Integer ticks keep
//! timer ordering exact and make the simulated clock a pure counter. Conversions from the seconds
//! that Python passes in saturate: negative or NaN delays mean "now", huge ones mean "never".

/// Microseconds since the start of a run.
pub type Ticks = u64;

/// A deadline that never comes.
pub const NEVER: Ticks = u64::MAX;

/// Ticks per second.
pub const TICKS_PER_SECOND: f64 = 1_000_000.0;

/// Converts a delay in seconds to ticks, rounding up so a sleep never ends early.
pub fn ticks_from_seconds(seconds: f64) -> Ticks {
    if seconds.is_nan() || seconds <= 0.0 {
        return 0;
    }
    let ticks = (seconds * TICKS_PER_SECOND).ceil();
    if ticks >= NEVER as f64 {
        NEVER
    } else {
        ticks as Ticks
    }
}

/// The deadline `delay` seconds after `now`; `NEVER` if that is past the clock's range (about
/// 584,000 years), on every platform: such a timer never fires.
pub fn deadline_after(now: Ticks, seconds: f64) -> Ticks {
    now.saturating_add(ticks_from_seconds(seconds))
}

/// Converts ticks to seconds for Python.
pub fn seconds_from_ticks(ticks: Ticks) -> f64 {
    ticks as f64 / TICKS_PER_SECOND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_and_nan_delays_are_zero() {
        assert_eq!(ticks_from_seconds(-1.0), 0);
        assert_eq!(ticks_from_seconds(f64::NAN), 0);
    }

    #[test]
    fn delays_round_up_and_saturate() {
        assert_eq!(ticks_from_seconds(0.0000001), 1);
        assert_eq!(ticks_from_seconds(1.5), 1_500_000);
        assert_eq!(deadline_after(10, f64::INFINITY), NEVER);
        assert_eq!(deadline_after(NEVER - 5, 1.0), NEVER);
    }
}
