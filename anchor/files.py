"""Atomic file output: a reader never sees half a file at its final path.

``atomic_output(path)`` hands out a hidden temporary path in the same folder
(same file system, so the final ``os.replace`` is atomic) that keeps the final
suffix, so tools that choose a format from the extension (ffmpeg's muxer) still
do the right thing.  The temporary file becomes ``path`` only when the block
finishes normally; on any exception, KeyboardInterrupt included, it is removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
from pathlib import Path
from typing import Iterator

#: the checkout: avatars/, voices/, scripts/ and station.yaml live here
PROJECT_DIR = Path(__file__).resolve().parent.parent


def temp_sibling(final_path: Path, tag: str = "part") -> Path:
    """A fresh hidden name next to ``final_path``: ``.<name>.<tag>-<random><suffix>``."""
    final_path = Path(final_path)
    return final_path.with_name(f".{final_path.name}.{tag}-{secrets.token_hex(4)}{final_path.suffix}")


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def atomic_output(final_path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; move it onto ``final_path`` only on success.

    The block may or may not create the temporary file; if it does not, nothing
    is renamed and ``final_path`` is left as it was.
    """
    final_path = Path(final_path)
    temp = temp_sibling(final_path)
    try:
        yield temp
    except BaseException:
        remove_quietly(temp)
        raise
    if temp.exists():
        try:
            os.replace(temp, final_path)
        except BaseException:
            remove_quietly(temp)
            raise


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` (flushed to disk) so readers see the old or the new file, never a mix."""
    with atomic_output(path) as temp:
        with open(temp, "w", encoding=encoding, newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    with atomic_output(path) as temp:
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


@contextlib.contextmanager
def file_lock(lock: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (created if missing) for the block: one writer at a time
    across threads and processes (two producers saving the lexicon at once, two workers building an FST)."""
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, read a mebibyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
