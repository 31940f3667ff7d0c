"""``Path``: ``pathlib.Path`` whose methods that touch the disk are awaitables.

Pure methods (``/``, ``joinpath``, ``parent``, ``with_suffix``, ...) are ``pathlib``'s own,
synchronous, and give tonio paths. Every method that touches the disk or the process's state
(``exists``, ``read_text``, ``iterdir``, ``resolve``, ``cwd``, ...) returns an awaitable that
runs the ``pathlib`` call on the blocking pool (inline under the simulator) and evaluates to its
result, with paths as tonio paths; ``iterdir``, ``glob``, ``rglob`` and ``walk`` evaluate to
lists (``walk``'s ``dirnames`` cannot prune a walk that already happened). ``open`` evaluates
to an async file (:mod:`tonio.fs._file`). ``copy``, ``copy_into``, ``move`` and ``move_into``
(``pathlib`` 3.14) work on 3.13 too. Errors are ``pathlib``'s, unchanged.

In a simulated run with ``disk=``, the same methods work on the simulated disk
(:mod:`tonio.fs._disk_paths`); the few about owners, permissions and links raise
``NotImplementedError`` there.
"""

from __future__ import annotations

import errno
import os
import pathlib
import shutil
from collections.abc import Buffer, Callable
from typing import TYPE_CHECKING, Any

from .._tasks import spawn_blocking
from . import _platform_disk
from ._disk_paths import METHODS as _ON_DISK
from ._file import IOWrapper

if TYPE_CHECKING:
    from .._tonio import Suspension

#: What a path argument may be.
type StrPath = str | os.PathLike[str]

__all__ = ["Path", "PosixPath"]


def _same_kind(value: Any) -> Any:
    return Path(value) if isinstance(value, pathlib.PurePath) else value


def _as_list(values: Any) -> list[Path]:
    return [Path(value) for value in values]


def _walk_list(values: Any) -> list[tuple[Path, list[str], list[str]]]:
    return [(Path(top), dirs, files) for top, dirs, files in values]


def _copy(
    source: pathlib.Path,
    target: Any,
    *,
    follow_symlinks: bool = True,
    preserve_metadata: bool = False,
    dirs_exist_ok: bool = False,
) -> pathlib.Path:
    """``Path.copy`` of 3.14, for 3.13: a file, a symlink or a whole tree."""
    target = pathlib.Path(target)
    if source.is_symlink() and not follow_symlinks:
        target.symlink_to(os.readlink(source))
    elif source.is_dir():
        copy_file = shutil.copy2 if preserve_metadata else shutil.copyfile
        shutil.copytree(
            source,
            target,
            symlinks=not follow_symlinks,
            copy_function=copy_file,
            dirs_exist_ok=dirs_exist_ok,
        )
    elif preserve_metadata:
        shutil.copy2(source, target, follow_symlinks=follow_symlinks)
    else:
        shutil.copyfile(source, target, follow_symlinks=follow_symlinks)
    return target


def _move(source: pathlib.Path, target: Any) -> pathlib.Path:
    """``Path.move`` of 3.14, for 3.13: a rename (replacing a file or an empty directory at
    ``target``, as ``os.replace``), or a copy then a delete across devices."""
    target = pathlib.Path(target)
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy(source, target, follow_symlinks=False, preserve_metadata=True)
        if source.is_dir() and not source.is_symlink():
            shutil.rmtree(source)
        else:
            source.unlink()
    return target


def _copy_into(source: pathlib.Path, target_dir: Any, **options: Any) -> pathlib.Path:
    return _copy(source, pathlib.Path(target_dir) / source.name, **options)


def _move_into(source: pathlib.Path, target_dir: Any) -> pathlib.Path:
    return _move(source, pathlib.Path(target_dir) / source.name)


_BACKPORTS: dict[str, Callable[..., Any]] = {
    "copy": _copy,
    "copy_into": _copy_into,
    "move": _move,
    "move_into": _move_into,
}

# Methods that touch the disk, and how their result becomes a tonio result.
_DISK_METHODS: dict[str, Callable[[Any], Any]] = {
    **{
        name: _same_kind
        for name in (
            "absolute",
            "chmod",
            "exists",
            "expanduser",
            "group",
            "hardlink_to",
            "is_block_device",
            "is_char_device",
            "is_dir",
            "is_fifo",
            "is_file",
            "is_junction",
            "is_mount",
            "is_socket",
            "is_symlink",
            "lchmod",
            "lstat",
            "mkdir",
            "owner",
            "read_bytes",
            "read_text",
            "readlink",
            "rename",
            "replace",
            "resolve",
            "rmdir",
            "samefile",
            "stat",
            "symlink_to",
            "touch",
            "unlink",
            "write_bytes",
            "write_text",
            "copy",
            "copy_into",
            "move",
            "move_into",
        )
    },
    "iterdir": _as_list,
    "glob": _as_list,
    "rglob": _as_list,
    "walk": _walk_list,
}


def _plain(value: Any) -> Any:
    """A tonio path as a ``pathlib.Path`` (whose methods ``pathlib`` may call: ``samefile``
    calls the other path's ``stat``); anything else as it is."""
    return pathlib.Path(value) if isinstance(value, Path) else value


def _run(path: Path, name: str, convert: Callable[[Any], Any], args: tuple, kwargs: dict) -> Any:
    plain = pathlib.Path(path)
    method = getattr(pathlib.Path, name, None) or _BACKPORTS[name]  # 3.14's methods on 3.13
    args = tuple(_plain(arg) for arg in args)
    return convert(method(plain, *args, **kwargs))


def _read_bytes(path: str) -> bytes:
    """``pathlib.Path.read_bytes`` without a ``Path`` or file objects (the same errors: the
    OS's): a file's bytes in as few reads as its size allows."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        chunks = [os.read(fd, size + 1)]  # +1: sees the end at once when the size is right
        while chunks[-1]:
            chunks.append(os.read(fd, 65536))
    except OSError as exc:  # name the file, as pathlib's error does (a folder: EISDIR)
        raise type(exc)(exc.errno, exc.strerror, path) from None
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 2 else b"".join(chunks)


def _run_on_disk(
    name: str, convert: Callable[[Any], Any], path: str, args: tuple, kwargs: dict
) -> Any:
    return convert(_ON_DISK[name](path, *args, **kwargs))


def _unavailable(name: str) -> NotImplementedError:
    return NotImplementedError(
        f"Path.{name} is not available on the simulated disk (it has plain files and "
        "directories only: no owners, permissions, links or home directory)"
    )


def _on_platform_disk(name: str, convert: Callable[[Any], Any], path: Any, args, kwargs) -> Any:
    """Awaitable: ``Path.<name>`` on the simulated disk, after its delay."""
    if name not in _ON_DISK:
        raise _unavailable(name)
    return _platform_disk.call(_run_on_disk, name, convert, os.fspath(path), args, kwargs)


def _disk_method(name: str, convert: Callable[[Any], Any]) -> Callable[..., Any]:
    if name == "read_bytes":  # the hot one: no pathlib.Path made on the pool

        def method(self: Path) -> Any:
            if _platform_disk.present():
                return _on_platform_disk(name, convert, self, (), {})
            return spawn_blocking(_read_bytes, os.fspath(self))

    else:

        def method(self: Path, *args: Any, **kwargs: Any) -> Any:
            if _platform_disk.present():
                return _on_platform_disk(name, convert, self, args, kwargs)
            return spawn_blocking(_run, self, name, convert, args, kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"Awaitable: ``pathlib.Path.{name}(...)`` on the blocking pool; paths in its result "
        "are tonio paths" + (", listed" if convert is not _same_kind else "") + "."
    )
    return method


def _open(path: Path, args: tuple, kwargs: dict) -> IOWrapper:
    return IOWrapper(pathlib.Path(path).open(*args, **kwargs))


def _open_on_disk(path: str, args: tuple, kwargs: dict) -> IOWrapper:
    return IOWrapper(_platform_disk.open_file(path, *args, **kwargs))


class Path(pathlib.PurePosixPath):
    """A ``pathlib`` path whose disk methods are awaitables (see the module docs)."""

    __slots__ = ()

    if TYPE_CHECKING:  # the disk methods, set below from _DISK_METHODS, as type checkers see them

        def absolute(self) -> Suspension[Path]: ...
        def chmod(self, mode: int, *, follow_symlinks: bool = True) -> Suspension[None]: ...
        def exists(self, *, follow_symlinks: bool = True) -> Suspension[bool]: ...
        def expanduser(self) -> Suspension[Path]: ...
        def group(self, *, follow_symlinks: bool = True) -> Suspension[str]: ...
        def hardlink_to(self, target: StrPath) -> Suspension[None]: ...
        def is_block_device(self) -> Suspension[bool]: ...
        def is_char_device(self) -> Suspension[bool]: ...
        def is_dir(self, *, follow_symlinks: bool = True) -> Suspension[bool]: ...
        def is_fifo(self) -> Suspension[bool]: ...
        def is_file(self, *, follow_symlinks: bool = True) -> Suspension[bool]: ...
        def is_junction(self) -> Suspension[bool]: ...
        def is_mount(self) -> Suspension[bool]: ...
        def is_socket(self) -> Suspension[bool]: ...
        def is_symlink(self) -> Suspension[bool]: ...
        def lchmod(self, mode: int) -> Suspension[None]: ...
        def lstat(self) -> Suspension[os.stat_result]: ...
        def mkdir(
            self, mode: int = 0o777, parents: bool = False, exist_ok: bool = False
        ) -> Suspension[None]: ...
        def owner(self, *, follow_symlinks: bool = True) -> Suspension[str]: ...
        def read_bytes(self) -> Suspension[bytes]: ...
        def read_text(
            self, encoding: str | None = None, errors: str | None = None, newline: str | None = None
        ) -> Suspension[str]: ...
        def readlink(self) -> Suspension[Path]: ...
        def rename(self, target: StrPath) -> Suspension[Path]: ...
        def replace(self, target: StrPath) -> Suspension[Path]: ...
        def resolve(self, strict: bool = False) -> Suspension[Path]: ...
        def rmdir(self) -> Suspension[None]: ...
        def samefile(self, other_path: StrPath) -> Suspension[bool]: ...
        def stat(self, *, follow_symlinks: bool = True) -> Suspension[os.stat_result]: ...
        def symlink_to(
            self, target: StrPath, target_is_directory: bool = False
        ) -> Suspension[None]: ...
        def touch(self, mode: int = 0o666, exist_ok: bool = True) -> Suspension[None]: ...
        def unlink(self, missing_ok: bool = False) -> Suspension[None]: ...
        def write_bytes(self, data: Buffer) -> Suspension[int]: ...
        def write_text(
            self,
            data: str,
            encoding: str | None = None,
            errors: str | None = None,
            newline: str | None = None,
        ) -> Suspension[int]: ...
        def copy(self, target: StrPath, **options: Any) -> Suspension[Path]: ...
        def copy_into(self, target_dir: StrPath, **options: Any) -> Suspension[Path]: ...
        def move(self, target: StrPath) -> Suspension[Path]: ...
        def move_into(self, target_dir: StrPath) -> Suspension[Path]: ...
        def iterdir(self) -> Suspension[list[Path]]: ...
        def glob(
            self,
            pattern: str,
            *,
            case_sensitive: bool | None = None,
            recurse_symlinks: bool = False,
        ) -> Suspension[list[Path]]: ...
        def rglob(
            self,
            pattern: str,
            *,
            case_sensitive: bool | None = None,
            recurse_symlinks: bool = False,
        ) -> Suspension[list[Path]]: ...
        def walk(
            self,
            top_down: bool = True,
            on_error: Callable[[OSError], object] | None = None,
            follow_symlinks: bool = False,
        ) -> Suspension[list[tuple[Path, list[str], list[str]]]]: ...

    def open(self, *args: Any, **kwargs: Any) -> Suspension[IOWrapper]:
        """Awaitable: opens the file as ``pathlib.Path.open`` does; evaluates to an async
        file."""
        if _platform_disk.present():
            return _platform_disk.call(_open_on_disk, os.fspath(self), args, kwargs)
        return spawn_blocking(_open, self, args, kwargs)

    @classmethod
    def cwd(cls) -> Suspension[Path]:
        """Awaitable: the current working directory, as a tonio path (``/`` on the simulated
        disk)."""
        if _platform_disk.present():
            return _platform_disk.call(cls, "/")
        return spawn_blocking(lambda: cls(os.getcwd()))

    @classmethod
    def home(cls) -> Suspension[Path]:
        """Awaitable: the user's home directory, as a tonio path."""
        if _platform_disk.present():
            raise _unavailable("home")
        return spawn_blocking(lambda: cls(pathlib.Path.home()))

    @classmethod
    def from_uri(cls, uri: str) -> Path:
        """The path of a ``file:`` URI (no disk access)."""
        return cls(pathlib.Path.from_uri(uri))

    def __fspath__(self) -> str:
        return str(self)


for _name, _convert in _DISK_METHODS.items():
    setattr(Path, _name, _disk_method(_name, _convert))

#: The same class (tonio runs on POSIX systems).
PosixPath = Path
