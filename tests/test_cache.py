"""The shared disk cache: computed once, read back whole, damaged entries recomputed."""

import numpy as np

from anchor.cache import cache_key, cache_root, cached_arrays


def test_computed_once_then_read(tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHOR_CACHE_DIR", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(5, dtype=np.float32), "b": np.zeros((2, 3), np.uint8)}

    key = cache_key("test", 1, [2, 3])
    first = cached_arrays("things", key, compute)
    second = cached_arrays("things", key, compute)
    assert len(calls) == 1
    assert np.array_equal(first["a"], second["a"]) and second["b"].shape == (2, 3)
    assert [p.name for p in (cache_root() / "things").iterdir()] == [f"{key}.npz"]  # no temporary files left


def test_damaged_entry_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHOR_CACHE_DIR", str(tmp_path))
    key = cache_key("damaged")
    cached_arrays("things", key, lambda: {"a": np.ones(3)})
    (tmp_path / "things" / f"{key}.npz").write_bytes(b"PK\x03\x04 torn")
    assert np.array_equal(cached_arrays("things", key, lambda: {"a": np.full(3, 7.0)})["a"], np.full(3, 7.0))


def test_keys_differ_by_content():
    assert cache_key("x", b"\x00\x01") != cache_key("x", b"\x00\x02")
    assert cache_key({"a": 1, "b": 2}) == cache_key({"b": 2, "a": 1})
