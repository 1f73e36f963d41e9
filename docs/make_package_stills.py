"""Regenerate the README's template stills: one frame of each shipped template at 9:16 and 16:9.

Usage: .venv/bin/python docs/make_package_stills.py   (renders the two sample scripts into a temp folder)
"""

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from anchor.export.probe import read_frames
from anchor.pipeline import RenderOptions, render

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"news": "science-fair-zh.md", "service": "water-notice-zh.md"}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for template, script in SAMPLES.items():
            (clip,) = render(ROOT / "scripts" / script, tmp, RenderOptions(template=template, aspects=("9:16", "16:9")))
            at = clip.info["segments"]["speech"][0] + 1.2  # a subtitle and the lower third are in, the AI label still shows
            tall, wide = (read_frames(clip.videos[a], [at])[0] for a in ("9:16", "16:9"))
            height = 720
            tall = Image.fromarray(tall).resize((405, height), Image.LANCZOS)
            wide = Image.fromarray(wide).resize((1280, height), Image.LANCZOS)
            sheet = Image.new("RGB", (405 + 16 + 1280, height), (255, 255, 255))
            sheet.paste(tall, (0, 0))
            sheet.paste(wide, (405 + 16, 0))
            path = Path(__file__).resolve().parent / f"template-{template}.png"
            sheet.save(path, optimize=True)
            print(path, np.asarray(sheet).shape)


if __name__ == "__main__":
    main()
