//! Exposes pyo3's interpreter configuration as `cfg` flags (`Py_GIL_DISABLED` on free-threaded
//! builds), for the few places that touch the free-threaded object header.
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
