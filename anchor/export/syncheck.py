"""Measured lip sync: does the mouth in a rendered clip open when its audio is loud?

Reads an MP4 back (PyAV, :mod:`anchor.export.probe`), follows the face through every
frame with the landmark model, takes the gap between the inner lips (as a share
of the face height) as the mouth opening, and correlates it with the audio's
loudness under each frame over lags of up to ±10 frames.  The lag with the
highest correlation is how late the audio is against the picture: 0 for a clip
in sync, +4 for a copy whose audio was delayed by 160 ms at 25 fps.

    python -m anchor.export.syncheck clip.mp4
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from ..avatar import FaceTracker, frame_loudness
from .probe import read_audio

MAX_LAG = 10
# The lip gap follows loudness only so far: lips round for o/u, tuck for f and press for b/p/m while the
# audio is loud, and a smiling photo relaxes as it reads (about 0.45 on the test clips; 0.69 for the old
# mouth that only opened and shut). What sync is, is the lag; this is the least agreement that makes it one.
MIN_CORRELATION = 0.3
SPEECH_MARGIN = 0.3  # seconds before the first word and after the last that are measured


@dataclass(frozen=True)
class SyncReport:
    best_lag: int  # frames the audio trails the picture (+) or leads it (-)
    correlation: float  # Pearson correlation at the best lag
    correlations: dict  # lag -> correlation
    fps: float
    frames: int
    frames_with_face: int

    @property
    def best_lag_ms(self) -> float:
        return 1000.0 * self.best_lag / self.fps

    @property
    def clear(self) -> bool:
        """The best lag is a real peak: the lip gap follows the audio there (at least
        :data:`MIN_CORRELATION`) and clearly less well four frames to either side."""
        around = [self.correlations[lag] for lag in (self.best_lag - 4, self.best_lag + 4) if lag in self.correlations]
        return self.correlation >= MIN_CORRELATION and all(c < self.correlation - 0.05 for c in around)


def measure_sync(path: str | Path, max_lag: int = MAX_LAG) -> SyncReport:
    """Best audio-to-mouth lag of the clip at ``path`` and the correlation there."""
    opening, fps = mouth_openings(path)
    samples, rate = read_audio(path)
    loudness = frame_loudness(samples, rate, len(opening), round(fps))
    return correlate(opening, loudness, fps, max_lag)


def mouth_openings(path: str | Path) -> tuple[np.ndarray, float]:
    """Mouth opening per frame (NaN where no face was found) and the frame rate."""
    openings = []
    crop = None  # the region around the face, found in the first frame that shows one
    with av.open(str(path)) as container, FaceTracker() as finder, FaceTracker() as tracker:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate or stream.guessed_rate)
        for frame in container.decode(stream):
            image = frame.to_ndarray(format="rgb24")
            if crop is None:
                crop = _face_area(image, finder)
            face = tracker.find(image[crop[0]:crop[1], crop[2]:crop[3]]) if crop is not None else None
            openings.append(face.mouth_opening if face is not None else np.nan)
    return np.array(openings, np.float64), fps


def _face_area(image: np.ndarray, finder: FaceTracker) -> tuple[int, int, int, int] | None:
    """Rows and columns around the face in ``image`` (grown to allow for head motion); None without one."""
    face = finder.find(image)
    if face is None:
        return None
    h = face.height
    (x0, y0), (x1, y1) = face.points.min(axis=0), face.points.max(axis=0)
    return (max(int(y0 - 0.8 * h), 0), min(int(y1 + 0.6 * h), image.shape[0]),
            max(int(x0 - 0.7 * h), 0), min(int(x1 + 0.7 * h), image.shape[1]))


def correlate(opening: np.ndarray, loudness: np.ndarray, fps: float, max_lag: int = MAX_LAG) -> SyncReport:
    """Correlation of ``opening[i]`` with ``loudness[i + lag]`` for every lag within ``max_lag``."""
    n = min(len(opening), len(loudness))
    opening, loudness = opening[:n].copy(), loudness[:n]
    # loudness as a speaker hears it: in decibels, floored at the room's silence
    level = 20 * np.log10(np.maximum(loudness, 1e-4))
    level = np.maximum(level, np.percentile(level, 95) - 40)
    # only while there is speech (from just before the first word to just after the last): before and
    # after it the face is at rest, and a photo that smiles with its lips apart is not out of sync
    spoken = np.flatnonzero(level > level.min() + 10)
    if len(spoken):
        margin = int(round(SPEECH_MARGIN * fps))
        opening[:max(spoken[0] - margin, 0)] = np.nan
        opening[spoken[-1] + margin + 1:] = np.nan
    correlations = {}
    for lag in range(-max_lag, max_lag + 1):
        a = opening[max(0, -lag):n - max(0, lag)]
        b = level[max(0, lag):n - max(0, -lag)]
        ok = ~np.isnan(a)
        correlations[lag] = float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 2 and np.std(a[ok]) > 0 else 0.0
    best = max(correlations, key=correlations.get)
    return SyncReport(best, correlations[best], correlations, fps, n, int((~np.isnan(opening)).sum()))


def main(argv: list[str] | None = None) -> int:
    for path in argv or sys.argv[1:]:
        report = measure_sync(path)
        print(json.dumps({"clip": str(path), "best_lag_frames": report.best_lag, "best_lag_ms": report.best_lag_ms,
                          "correlation": round(report.correlation, 3), "clear": report.clear, "frames": report.frames,
                          "frames_with_face": report.frames_with_face,
                          "correlations": {k: round(v, 3) for k, v in report.correlations.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
