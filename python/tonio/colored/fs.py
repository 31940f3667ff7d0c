"""Files for the colored flavour (the same objects as :mod:`tonio.fs`):
``async with await fs.open(path) as f``, ``async for line in f``, ``await Path(p).exists()``."""

from ..fs import IOWrapper, Path, PosixPath, open, wrap_file  # noqa: A004

__all__ = ["IOWrapper", "Path", "PosixPath", "open", "wrap_file"]
