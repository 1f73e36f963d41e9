"""Regenerate the sample scripts' media (run from the repository root):

    .venv/bin/python scripts/media/make_media.py

* ``rocket.jpg`` — scikit-image's ``data.rocket()``: NASA's photograph of a launch
  (public domain), shipped inside scikit-image.
* ``bed.m4a`` — a calm 12-second chord pad, the live channel's interval music (free to use: the project made it).
"""

from pathlib import Path
import subprocess

import skimage.data
from PIL import Image

from anchor.audio import ffmpeg_exe
from anchor.live.scenes import interval_music

HERE = Path(__file__).resolve().parent


def main() -> None:
    Image.fromarray(skimage.data.rocket()).save(HERE / "rocket.jpg", quality=90)
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "f32le", "-ar", "48000", "-ac", "1", "-i", "-",
                    "-c:a", "aac", "-b:a", "96k", str(HERE / "bed.m4a")], input=interval_music().tobytes(), check=True)


if __name__ == "__main__":
    main()
