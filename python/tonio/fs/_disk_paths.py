"""``Path``'s disk methods on the platform's own disk (a simulated run with ``disk=``).

Each function takes the path as a ``str`` and does what ``pathlib.Path``'s method of the same
name does, with the same errors, through ``_tonio.disk_*`` (one disk operation: the caller
waits its delay first, see :mod:`tonio.fs._platform_disk`). Paths in results are
``pathlib.PurePosixPath``; ``tonio.fs.Path`` turns them into its own.

The simulated disk has plain files and directories only, relative paths start at ``/``, and
there is no notion of owners, permissions or links: the methods about those raise
``NotImplementedError`` naming themselves (:data:`UNAVAILABLE`).
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from .. import _tonio
from ._platform_disk import close_file, open_file

__all__ = ["METHODS", "UNAVAILABLE"]

_MISSING = (FileNotFoundError, NotADirectoryError)


def _stat(path: str, *, follow_symlinks: bool = True) -> os.stat_result:
    is_dir, size, inode, modified = _tonio.disk_stat(path)
    mode = (stat.S_IFDIR | 0o755) if is_dir else (stat.S_IFREG | 0o644)
    return os.stat_result((mode, inode, 1, 1, 0, 0, size, modified, modified, modified))


def _kind(path: str) -> bool | None:
    """True for a directory, False for a file, None for nothing (or a name no file can have,
    as ``pathlib`` answers for one with a NUL byte)."""
    try:
        return _tonio.disk_stat(path)[0]
    except (*_MISSING, ValueError):
        return None


def _exists(path: str, *, follow_symlinks: bool = True) -> bool:
    return _kind(path) is not None


def _is_dir(path: str, *, follow_symlinks: bool = True) -> bool:
    return _kind(path) is True


def _is_file(path: str, *, follow_symlinks: bool = True) -> bool:
    return _kind(path) is False


def _never(path: str) -> bool:
    """No fifos, sockets, devices, links or junctions on the simulated disk."""
    return False


def _is_mount(path: str) -> bool:
    return _resolve(path) == PurePosixPath("/")


def _read(path: str, mode: str, **options: Any) -> Any:
    file = open_file(path, mode, **options)
    try:
        return file.read()
    finally:
        close_file(file)


def _read_bytes(path: str) -> bytes:
    return _read(path, "rb")


def _read_text(path: str, encoding: str | None = None, errors: str | None = None, newline=None):
    return _read(path, "r", encoding=encoding, errors=errors, newline=newline)


def _write(path: str, data: Any, mode: str, **options: Any) -> int:
    file = open_file(path, mode, **options)
    try:
        return file.write(data)
    finally:
        close_file(file)


def _write_bytes(path: str, data: Any) -> int:
    with memoryview(data) as view:
        return _write(path, view, "wb")


def _write_text(path: str, data: str, encoding=None, errors=None, newline=None) -> int:
    if not isinstance(data, str):
        raise TypeError(f"data must be str, not {type(data).__name__}")
    return _write(path, data, "w", encoding=encoding, errors=errors, newline=newline)


def _touch(path: str, mode: int = 0o666, exist_ok: bool = True) -> None:
    if exist_ok:
        try:
            _tonio.disk_touch(path)  # a file or a directory: now its modification time
            return
        except FileNotFoundError:
            pass
    flags = os.O_CREAT | os.O_WRONLY | (0 if exist_ok else os.O_EXCL)
    _tonio.disk_close(_tonio.disk_open(path, flags))


def _mkdir(path: str, mode: int = 0o777, parents: bool = False, exist_ok: bool = False) -> None:
    try:
        _tonio.disk_mkdir(path)
    except FileNotFoundError:
        if not parents or _resolve(path) == PurePosixPath("/"):
            raise
        _mkdir(str(PurePosixPath(path).parent), parents=True, exist_ok=True)
        _mkdir(path, parents=False, exist_ok=exist_ok)
    except OSError:
        if not exist_ok or not _is_dir(path):
            raise


def _unlink(path: str, missing_ok: bool = False) -> None:
    try:
        _tonio.disk_unlink(path)
    except FileNotFoundError:
        if not missing_ok:
            raise


def _rename(path: str, target: Any) -> PurePosixPath:
    _tonio.disk_rename(path, os.fspath(target))
    return PurePosixPath(target)


def _names(path: str) -> list[str]:
    return [os.fsdecode(name) for name in _tonio.disk_listdir(path)]


def _listing(path: str) -> list[PurePosixPath]:
    return [PurePosixPath(path) / name for name in _names(path)]


def _walk(path: str, top_down: bool = True, on_error=None, follow_symlinks: bool = False):
    """``os.walk`` order, without recursion (a tree may be deeper than Python's stack)."""
    result = []
    stack = [(path, False)]
    while stack:
        top, visited = stack.pop()
        if visited:  # bottom-up: after everything below it
            result.append(top)
            continue
        try:
            names = _names(top)
        except OSError as exc:
            if on_error is not None:
                on_error(exc)
            continue
        dirs = [name for name in names if _is_dir(os.path.join(top, name))]
        files = [name for name in names if name not in dirs]
        here = (PurePosixPath(top), dirs, files)
        if top_down:
            result.append(here)
        else:
            stack.append((here, True))
        stack.extend((os.path.join(top, name), False) for name in reversed(dirs))
    return result


def _descendants(path: str) -> list[tuple[PurePosixPath, bool]]:
    """Everything below ``path``, relative to it, parents first; with whether it is a
    directory."""
    found = []
    for top, dirs, files in _walk(path):
        relative = top.relative_to(path)
        found += [(relative / name, True) for name in dirs]
        found += [(relative / name, False) for name in files]
    return found


def _glob(path: str, pattern: str, *, case_sensitive=None, recurse_symlinks=False):
    if not pattern:
        raise ValueError(f"Unacceptable pattern: {pattern!r}")
    if pattern.startswith("/"):
        raise NotImplementedError("Non-relative patterns are unsupported")
    dirs_only = pattern.endswith("/")  # as pathlib: a trailing slash selects directories
    pattern = pattern.rstrip("/")
    # "x/**" also selects x itself; "**" the starting directory.
    also = pattern[:-3] if pattern.endswith("/**") else None

    def selected(relative: PurePosixPath) -> bool:
        return relative.full_match(pattern, case_sensitive=case_sensitive) or (
            also is not None and relative.full_match(also, case_sensitive=case_sensitive)
        )

    candidates = [(PurePosixPath("."), True), *_descendants(path)]
    return [
        PurePosixPath(path) / relative
        for relative, is_dir in candidates
        if (is_dir or not dirs_only) and selected(relative)
    ]


def _rglob(path: str, pattern: str, *, case_sensitive=None, recurse_symlinks=False):
    return _glob(path, f"**/{pattern}", case_sensitive=case_sensitive)


def _absolute(path: str) -> PurePosixPath:
    return PurePosixPath("/", path)


def _resolve(path: str, strict: bool = False) -> PurePosixPath:
    names: list[str] = []
    for name in PurePosixPath("/", path).parts[1:]:
        if name == "..":
            names = names[:-1]
        elif name != ".":
            names.append(name)
    resolved = PurePosixPath("/", *names)
    if strict:
        _tonio.disk_stat(str(resolved))
    return resolved


def _samefile(path: str, other: Any) -> bool:
    return _tonio.disk_stat(path)[2] == _tonio.disk_stat(os.fspath(other))[2]


def _copy(path: str, target: Any, *, dirs_exist_ok: bool = False, **_: Any) -> PurePosixPath:
    target = os.fspath(target)
    if _kind(path):
        names = _names(path)  # before the copy exists: a copy into the tree copies it once
        _mkdir(target, exist_ok=dirs_exist_ok)
        for name in names:
            _copy(os.path.join(path, name), os.path.join(target, name), dirs_exist_ok=True)
    else:
        if _kind(target) is False and _samefile(path, target):
            raise shutil.SameFileError(f"{path!r} and {target!r} are the same file")
        _write(target, _read_bytes(path), "wb")
    return PurePosixPath(target)


def _copy_into(path: str, target_dir: Any, **options: Any) -> PurePosixPath:
    return _copy(path, PurePosixPath(target_dir) / PurePosixPath(path).name, **options)


def _move_into(path: str, target_dir: Any) -> PurePosixPath:
    return _rename(path, PurePosixPath(target_dir) / PurePosixPath(path).name)


#: ``Path`` method name -> its implementation on the platform's disk.
METHODS: dict[str, Callable[..., Any]] = {
    "absolute": _absolute,
    "copy": _copy,
    "copy_into": _copy_into,
    "exists": _exists,
    "glob": _glob,
    "is_block_device": _never,
    "is_char_device": _never,
    "is_dir": _is_dir,
    "is_fifo": _never,
    "is_file": _is_file,
    "is_junction": _never,
    "is_mount": _is_mount,
    "is_socket": _never,
    "is_symlink": _never,
    "iterdir": _listing,
    "lstat": _stat,
    "mkdir": _mkdir,
    "move": _rename,
    "move_into": _move_into,
    "read_bytes": _read_bytes,
    "read_text": _read_text,
    "rename": _rename,
    "replace": _rename,
    "resolve": _resolve,
    "rglob": _rglob,
    "rmdir": _tonio.disk_rmdir,
    "samefile": _samefile,
    "stat": _stat,
    "touch": _touch,
    "unlink": _unlink,
    "walk": _walk,
    "write_bytes": _write_bytes,
    "write_text": _write_text,
}

#: Methods about what the simulated disk does not have: owners, permissions, links, a home.
UNAVAILABLE = frozenset(
    {"chmod", "lchmod", "owner", "group", "hardlink_to", "symlink_to", "readlink", "expanduser"}
)
