"""The on-disk cache of the SnowNLP fast path's derived tables: arrays in one file that is
memory-mapped back (a magic number, a JSON header with the cache key, each array at a 64-byte
boundary), written atomically so a reader never sees half a file."""

from __future__ import annotations

import json
import mmap
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

_MAGIC = b"SNOWFAST"


def default_cache_dir() -> Path:
    """Where the tables are cached when the caller names no directory (the product passes its
    configured `cache_dir`): a folder in the system's temporary directory."""
    return Path(tempfile.gettempdir()) / "yuqing-cache"


def write_atomic(path: Path, chunks: Iterable[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_arrays(path: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """MAGIC, header length (8 bytes), JSON header, then each array at a 64-byte boundary."""
    specs = {}
    pos = 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        arrays[name] = a
        specs[name] = [a.dtype.str, list(a.shape), pos]
        pos += -(-a.nbytes // 64) * 64
    header = json.dumps({"key": key, "arrays": specs}).encode()
    start = -(-(len(_MAGIC) + 8 + len(header)) // 64) * 64
    head = _MAGIC + len(header).to_bytes(8, "little") + header
    chunks = [head.ljust(start, b"\0")]
    for a in arrays.values():
        chunks.append(a.tobytes())
        chunks.append(b"\0" * (-(-a.nbytes // 64) * 64 - a.nbytes))
    write_atomic(path, chunks)


def read_arrays(path: Path, key: str) -> dict[str, np.ndarray] | None:
    try:
        with open(path, "rb") as f:
            head = f.read(len(_MAGIC) + 8)
            if head[: len(_MAGIC)] != _MAGIC:
                return None
            size = int.from_bytes(head[len(_MAGIC) :], "little")
            header = json.loads(f.read(size))
            if header.get("key") != key:
                return None
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    start = -(-(len(_MAGIC) + 8 + size) // 64) * 64
    out = {}
    try:
        for name, (dtype, shape, pos) in header["arrays"].items():
            dt = np.dtype(dtype)
            count = int(np.prod(shape)) if shape else 1
            a = np.frombuffer(mm, dtype=dt, count=count, offset=start + pos)
            out[name] = a.reshape(shape)
    except (ValueError, TypeError, KeyError):
        return None
    return out
