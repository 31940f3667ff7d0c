//! The platform disk's operations for `tonio.fs` (`python/tonio/fs/_platform_disk.py`).
//!
//! Each function acts on the running runtime's `Platform::disk` (the simulator's with
//! `disk=`), synchronously: `tonio.fs` waits the disk's `delay` first, in the task, so the
//! call itself is one atomic step. Errors are the `OSError` subclasses the OS would raise,
//! naming the path(s) as `filename`/`filename2`.

use std::io;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::common::base::time::{seconds_from_ticks, Ticks};
use crate::common::io::disk::{Disk, EntryKind, FileId, Metadata, OpenFlags, SeekFrom};
use crate::common::run::current;

/// Runs `op` on the running platform's disk.
fn on_disk<R>(op: impl FnOnce(&dyn Disk) -> R) -> PyResult<R> {
    let core = current::get()
        .ok_or_else(|| PyRuntimeError::new_err("no tonio runtime is running on this thread"))?;
    match core.platform.disk() {
        Some(disk) => Ok(op(disk)),
        None => Err(PyRuntimeError::new_err(format!(
            "this run has no simulated disk (the {} platform; pass disk=tonio.sim.Disk() to a \
             simulated run)",
            core.platform.name()
        ))),
    }
}

/// `err` as the `OSError` subclass for its errno, naming `paths`.
fn os_error(py: Python<'_>, err: io::Error, paths: &[&str]) -> PyErr {
    let Some(errno) = err.raw_os_error() else {
        return PyOSError::new_err(err.to_string());
    };
    let message = io::Error::from_raw_os_error(errno).to_string();
    let message = message.split(" (os error").next().unwrap_or("").to_owned();
    let made = match paths {
        [] => py.get_type::<PyOSError>().call1((errno, message)),
        [path] => py.get_type::<PyOSError>().call1((errno, message, *path)),
        [from, to, ..] => py
            .get_type::<PyOSError>()
            .call1((errno, message, *from, 0, *to)),
    };
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// Runs `op` on the disk; its error names `paths`.
fn call<R>(
    py: Python<'_>,
    paths: &[&str],
    op: impl FnOnce(&dyn Disk) -> io::Result<R>,
) -> PyResult<R> {
    for path in paths {
        if path.contains('\0') {
            return Err(PyValueError::new_err("embedded null byte"));
        }
    }
    on_disk(op)?.map_err(|err| os_error(py, err, paths))
}

/// Whether the running runtime has a disk of its own (else `tonio.fs` uses the OS's).
#[pyfunction]
pub fn disk_present() -> bool {
    current::get().is_some_and(|core| core.platform.disk().is_some())
}

/// Seconds the next disk operation takes.
#[pyfunction]
pub fn disk_delay() -> PyResult<f64> {
    on_disk(|disk| seconds_from_ticks(disk.delay()))
}

/// `os.open`'s flags as the disk's.
fn open_flags(flags: i32) -> PyResult<OpenFlags> {
    let access = flags & libc::O_ACCMODE;
    if access == libc::O_ACCMODE {
        return Err(PyValueError::new_err(format!(
            "invalid access mode in open flags {flags:#o}"
        )));
    }
    Ok(OpenFlags {
        read: access != libc::O_WRONLY,
        write: access != libc::O_RDONLY,
        append: flags & libc::O_APPEND != 0,
        create: flags & libc::O_CREAT != 0,
        exclusive: flags & libc::O_EXCL != 0,
        truncate: flags & libc::O_TRUNC != 0,
    })
}

/// Opens `path` with `os.open`-style `flags`; a file number of the disk.
#[pyfunction]
pub fn disk_open(py: Python<'_>, path: &str, flags: i32) -> PyResult<FileId> {
    let flags = open_flags(flags)?;
    call(py, &[path], |disk| disk.open(path, flags))
}

#[pyfunction]
pub fn disk_read<'py>(py: Python<'py>, file: FileId, max: usize) -> PyResult<Bound<'py, PyBytes>> {
    let data = call(py, &[], |disk| disk.read(file, max))?;
    Ok(PyBytes::new(py, &data))
}

/// Writes all of a bytes-like `data`; the number of bytes written.
#[pyfunction]
pub fn disk_write(py: Python<'_>, file: FileId, data: &Bound<'_, PyAny>) -> PyResult<usize> {
    // The buffer stays pinned (exported) while it is copied.
    let buffer = PyBuffer::<u8>::get(data)?;
    let bytes = buffer.to_vec(py)?;
    call(py, &[], |disk| disk.write(file, &bytes))
}

/// `lseek`: `whence` is `os.SEEK_SET`, `SEEK_CUR` or `SEEK_END`; the new position.
#[pyfunction]
pub fn disk_seek(py: Python<'_>, file: FileId, offset: i64, whence: i32) -> PyResult<u64> {
    let to = match whence {
        libc::SEEK_SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| {
            PyOSError::new_err((libc::EINVAL, "Invalid argument: a negative position"))
        })?),
        libc::SEEK_CUR => SeekFrom::Current(offset),
        libc::SEEK_END => SeekFrom::End(offset),
        other => return Err(PyValueError::new_err(format!("invalid whence ({other})"))),
    };
    call(py, &[], |disk| disk.seek(file, to))
}

#[pyfunction]
pub fn disk_truncate(py: Python<'_>, file: FileId, size: u64) -> PyResult<()> {
    call(py, &[], |disk| disk.set_len(file, size))
}

#[pyfunction]
pub fn disk_sync(py: Python<'_>, file: FileId) -> PyResult<()> {
    call(py, &[], |disk| disk.sync(file))
}

#[pyfunction]
pub fn disk_close(py: Python<'_>, file: FileId) -> PyResult<()> {
    call(py, &[], |disk| disk.close(file))
}

/// Whether a crash broke `file` (`Disk::broken`): closing it drops what its buffers hold.
#[pyfunction]
pub fn disk_broken(file: FileId) -> PyResult<bool> {
    on_disk(|disk| disk.broken(file))
}

/// `(is_dir, size, inode, modified seconds)`.
type Stat = (bool, u64, u64, f64);

fn stat_tuple(meta: Metadata) -> Stat {
    let modified: Ticks = meta.modified;
    (
        meta.kind == EntryKind::Directory,
        meta.size,
        meta.inode,
        seconds_from_ticks(modified),
    )
}

#[pyfunction]
pub fn disk_stat(py: Python<'_>, path: &str) -> PyResult<Stat> {
    call(py, &[path], |disk| disk.metadata(path)).map(stat_tuple)
}

#[pyfunction]
pub fn disk_mkdir(py: Python<'_>, path: &str) -> PyResult<()> {
    call(py, &[path], |disk| disk.create_dir(path))
}

#[pyfunction]
pub fn disk_rmdir(py: Python<'_>, path: &str) -> PyResult<()> {
    call(py, &[path], |disk| disk.remove_dir(path))
}

#[pyfunction]
pub fn disk_unlink(py: Python<'_>, path: &str) -> PyResult<()> {
    call(py, &[path], |disk| disk.remove_file(path))
}

#[pyfunction]
pub fn disk_rename(py: Python<'_>, source: &str, target: &str) -> PyResult<()> {
    call(py, &[source, target], |disk| disk.rename(source, target))
}

#[pyfunction]
pub fn disk_listdir(py: Python<'_>, path: &str) -> PyResult<Vec<String>> {
    call(py, &[path], |disk| disk.list_dir(path))
}

/// Adds the functions above to `_tonio`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(disk_present, m)?)?;
    m.add_function(wrap_pyfunction!(disk_delay, m)?)?;
    m.add_function(wrap_pyfunction!(disk_open, m)?)?;
    m.add_function(wrap_pyfunction!(disk_read, m)?)?;
    m.add_function(wrap_pyfunction!(disk_write, m)?)?;
    m.add_function(wrap_pyfunction!(disk_seek, m)?)?;
    m.add_function(wrap_pyfunction!(disk_truncate, m)?)?;
    m.add_function(wrap_pyfunction!(disk_sync, m)?)?;
    m.add_function(wrap_pyfunction!(disk_close, m)?)?;
    m.add_function(wrap_pyfunction!(disk_broken, m)?)?;
    m.add_function(wrap_pyfunction!(disk_stat, m)?)?;
    m.add_function(wrap_pyfunction!(disk_mkdir, m)?)?;
    m.add_function(wrap_pyfunction!(disk_rmdir, m)?)?;
    m.add_function(wrap_pyfunction!(disk_unlink, m)?)?;
    m.add_function(wrap_pyfunction!(disk_rename, m)?)?;
    m.add_function(wrap_pyfunction!(disk_listdir, m)?)?;
    Ok(())
}
