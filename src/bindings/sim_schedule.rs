//! Schedule strings from Python (`tonio.sim`'s shrinker edits their picks).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::sim::schedule;

/// `(world seed, [(step, task id), ...])` of a schedule string; `ValueError` if it is not one.
#[pyfunction]
pub fn schedule_picks(text: &str) -> PyResult<(u64, Vec<(u64, u64)>)> {
    let (world, replay) = schedule::parse(text).map_err(PyValueError::new_err)?;
    Ok((world, replay.picks()))
}

/// The schedule string of `picks` (`(step, task id)`, steps strictly increasing) in `world`.
#[pyfunction]
pub fn schedule_text(world: u64, picks: Vec<(u64, u64)>) -> PyResult<String> {
    if picks.windows(2).any(|pair| pair[0].0 >= pair[1].0)
        || picks.first().is_some_and(|p| p.0 == 0)
    {
        return Err(PyValueError::new_err(
            "schedule picks need strictly increasing steps >= 1",
        ));
    }
    Ok(schedule::format(world, &picks))
}
