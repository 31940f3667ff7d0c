//! `Class[T]` at run time for the classes the stubs declare generic (`Suspension[int]`,
//! `Sender[str]`, ...): an annotation that Python evaluates (a parameter's, before 3.14) must
//! not fail. The result is a `types.GenericAlias`, as `list[int]` gives; it checks nothing.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// `types.GenericAlias(cls, item)`.
pub fn generic_alias(cls: &Bound<'_, PyType>, item: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    static ALIAS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let py = cls.py();
    let alias = ALIAS.import(py, "types", "GenericAlias")?;
    Ok(alias.call1((cls, item))?.unbind())
}
