"""A content-addressed disk cache shared by every process on the machine.

Work that is expensive and fully determined by its inputs (the studio backdrop for
a station and frame size, the face landmarks of an avatar photo, ...) is stored
under ``$ANCHOR_CACHE_DIR`` (default ``~/.cache/anchor``) in a file named after a
hash of those inputs.  Files are written under a temporary name and renamed into
place, so several worker processes can share the folder: a reader sees a whole
entry or none, and a damaged entry is simply computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from .files import atomic_output


def cache_root() -> Path:
    root = os.environ.get("ANCHOR_CACHE_DIR")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "anchor"


def cache_key(*parts) -> str:
    """A stable hex digest of JSON-serialisable ``parts`` (bytes are hashed as they are)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, ensure_ascii=False).encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def cached_arrays(kind: str, key: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays stored for ``key`` in the ``kind`` folder, computing and storing them on a miss."""
    path = cache_root() / kind / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        pass  # missing or damaged: compute it again
    arrays = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as temp:
            with open(temp, "wb") as f:
                np.savez(f, **arrays)
    except OSError:
        pass  # a read-only or full disk only costs speed
    return arrays
