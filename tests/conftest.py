import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
import yaml

from anchor.files import PROJECT_DIR

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# every test session starts from an empty cache, so cache misses are what the tests exercise
os.environ.setdefault("ANCHOR_CACHE_DIR", tempfile.mkdtemp(prefix="anchor-test-cache-"))

ANCHOR = str(Path(sys.executable).with_name("anchor"))


def run_anchor(*args, **kwargs) -> subprocess.CompletedProcess:
    """Run the installed ``anchor`` console script, as a newsroom would."""
    return subprocess.run([ANCHOR, *map(str, args)], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600, **kwargs)


@pytest.fixture(scope="session")
def anchor_cli():
    return run_anchor


@pytest.fixture(scope="session")
def presenter_packs(tmp_path_factory):
    """The example photo anchor as a station's own presenter would be: with a consent record, and a photo
    large enough to fill the frame (the shipped 512 px one is framed smaller, with a warning: test_framing.py)."""
    root = tmp_path_factory.mktemp("packs")
    shutil.copytree(PROJECT_DIR / "avatars" / "astronaut", root / "presenter")
    photo = cv2.resize(skimage.data.astronaut(), None, fx=2.2, fy=2.2, interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(root / "presenter" / "photo.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    data = yaml.safe_load((root / "presenter" / "avatar.yaml").read_text(encoding="utf-8"))
    data.update(source="photo.png", preview=None)
    data["consent"] = {"by": "测试主播 test presenter", "date": "2026-12-01", "use": "本测试 / this test",
                       "note": "测试用的授权记录 / a consent record made for this test"}
    (root / "presenter" / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def median_f0(x: np.ndarray, rate: int, fmin: float = 60.0, fmax: float = 400.0) -> float:
    """Median F0 in Hz over clearly voiced 40 ms frames (normalised autocorrelation peak above 0.75)."""
    x = np.asarray(x, np.float64)
    n, hop, lo, hi = int(0.04 * rate), int(0.01 * rate), int(rate / fmax), int(rate / fmin)
    loud = 0.3 * np.sqrt(np.mean(x ** 2))
    found = []
    for a in range(0, len(x) - n - hi, hop):
        frame = x[a:a + n + hi] - x[a:a + n + hi].mean()
        head = frame[:n]
        if np.sqrt(np.mean(head ** 2)) < loud:
            continue
        lags = np.lib.stride_tricks.sliding_window_view(frame, n)[lo:hi]
        r = lags @ head / (np.linalg.norm(lags, axis=1) * np.linalg.norm(head) + 1e-12)
        if r.max() > 0.75:
            found.append(rate / (lo + int(np.argmax(r))))
    assert len(found) > 50, "too few voiced frames to estimate F0"
    return float(np.median(found))
