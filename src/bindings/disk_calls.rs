//! The platform disk's operations for `tonio.fs` (`python/tonio/fs/_platform_disk.py`).
//!
//! Each function acts on the running runtime's `Platform::disk` (the simulator's with
//! `disk=`), synchronously: `tonio.fs` waits the disk's `delay` first, in the task, so the
//! call itself is one atomic step. Errors are the `OSError` subclasses the OS would raise,
//! naming the path(s) as `filename`/`filename2`.

use std::io;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::common::base::time::{seconds_from_ticks, Ticks};
use crate::common::io::disk::{Disk, EntryKind, FileId, Metadata, OpenFlags, SeekFrom};
use crate::common::io::net_convert::strerror;
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

/// A path argument (`str` or `bytes`, as `tonio.fs` passes them) as the bytes the OS would
/// see (`os.fsencode`); a NUL byte is refused as the OS functions refuse it.
fn path_bytes(path: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let bytes = if let Ok(bytes) = path.cast::<PyBytes>() {
        bytes.as_bytes().to_vec()
    } else if let Ok(text) = path.cast::<PyString>() {
        match text.to_str() {
            Ok(text) => text.as_bytes().to_vec(),
            // Not UTF-8 (a surrogate-escaped name): the file system encoding decides.
            Err(_) => path_bytes(&path.py().import("os")?.call_method1("fsencode", (path,))?)?,
        }
    } else {
        return Err(PyTypeError::new_err(format!(
            "a path must be str or bytes, not {}",
            super::args::type_name(path)
        )));
    };
    if bytes.contains(&0) {
        return Err(PyValueError::new_err("embedded null byte"));
    }
    Ok(bytes)
}

/// `err` as the `OSError` subclass for its errno, naming `paths` (as they were given).
fn os_error(py: Python<'_>, err: io::Error, paths: &[&Bound<'_, PyAny>]) -> PyErr {
    let Some(errno) = err.raw_os_error() else {
        return PyOSError::new_err(err.to_string());
    };
    let message = strerror(errno);
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
    paths: &[&Bound<'_, PyAny>],
    op: impl FnOnce(&dyn Disk) -> io::Result<R>,
) -> PyResult<R> {
    on_disk(op)?.map_err(|err| os_error(py, err, paths))
}

/// Runs `op` on the disk with `path` as bytes; its error names `path`.
fn on_path<R>(
    path: &Bound<'_, PyAny>,
    op: impl FnOnce(&dyn Disk, &[u8]) -> io::Result<R>,
) -> PyResult<R> {
    let bytes = path_bytes(path)?;
    call(path.py(), &[path], |disk| op(disk, &bytes))
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
pub fn disk_open(path: &Bound<'_, PyAny>, flags: i32) -> PyResult<FileId> {
    let flags = open_flags(flags)?;
    on_path(path, |disk, path| disk.open(path, flags))
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
        // `lseek`'s answer, `SEEK_DATA` and `SEEK_HOLE` included (no holes here).
        _ => return Err(PyOSError::new_err((libc::EINVAL, "Invalid argument"))),
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
pub fn disk_stat(path: &Bound<'_, PyAny>) -> PyResult<Stat> {
    on_path(path, |disk, path| disk.metadata(path)).map(stat_tuple)
}

#[pyfunction]
pub fn disk_mkdir(path: &Bound<'_, PyAny>) -> PyResult<()> {
    on_path(path, |disk, path| disk.create_dir(path))
}

#[pyfunction]
pub fn disk_rmdir(path: &Bound<'_, PyAny>) -> PyResult<()> {
    on_path(path, |disk, path| disk.remove_dir(path))
}

#[pyfunction]
pub fn disk_unlink(path: &Bound<'_, PyAny>) -> PyResult<()> {
    on_path(path, |disk, path| disk.remove_file(path))
}

#[pyfunction]
pub fn disk_rename(source: &Bound<'_, PyAny>, target: &Bound<'_, PyAny>) -> PyResult<()> {
    let (from, to) = (path_bytes(source)?, path_bytes(target)?);
    call(source.py(), &[source, target], |disk| {
        disk.rename(&from, &to)
    })
}

/// The names in a directory, sorted, as bytes (`os.fsdecode` makes them `str`).
#[pyfunction]
pub fn disk_listdir<'py>(path: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let names = on_path(path, |disk, path| disk.list_dir(path))?;
    Ok(names
        .iter()
        .map(|name| PyBytes::new(path.py(), name))
        .collect())
}

/// Marks what `path` names as changed now (`os.utime`).
#[pyfunction]
pub fn disk_touch(path: &Bound<'_, PyAny>) -> PyResult<()> {
    on_path(path, |disk, path| disk.touch(path))
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
    m.add_function(wrap_pyfunction!(disk_touch, m)?)?;
    Ok(())
}
