"""Regenerate the sample scripts' media (run from the repository root):

    .venv/bin/python scripts/media/make_media.py

* ``rocket.jpg`` — scikit-image's ``data.rocket()``: NASA's photograph of a launch
  (public domain), shipped inside scikit-image.
* ``bed.m4a`` — a calm 12-second chord pad synthesised here (free to use: the project made it).
"""

from pathlib import Path
import subprocess

import numpy as np
import skimage.data
from PIL import Image

from anchor.audio import ffmpeg_exe

HERE = Path(__file__).resolve().parent


def music_bed(seconds: int = 12, rate: int = 48000) -> np.ndarray:
    t = np.arange(seconds * rate) / rate
    chords = [(220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (196.0, 246.94, 293.66)]
    bar = seconds / len(chords)
    out = np.zeros_like(t)
    for k, chord in enumerate(chords):
        inside = (t >= k * bar) & (t < (k + 1) * bar)
        swell = np.sin(np.pi * np.clip((t - k * bar) / bar, 0, 1)) ** 0.5
        for f in chord:
            out += inside * swell * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)) * 0.08
    return (out * 0.6).astype("<f4")


def main() -> None:
    Image.fromarray(skimage.data.rocket()).save(HERE / "rocket.jpg", quality=90)
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "f32le", "-ar", "48000", "-ac", "1", "-i", "-",
                    "-c:a", "aac", "-b:a", "96k", str(HERE / "bed.m4a")], input=music_bed().tobytes(), check=True)


if __name__ == "__main__":
    main()
