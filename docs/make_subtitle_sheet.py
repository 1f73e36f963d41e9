"""Regenerate ``docs/subtitle-contact-sheet.jpg``: the subtitle band of every cue of a long unpunctuated script.

Renders ``scripts/long-unpunctuated-zh.md`` (9:16) with :func:`anchor.pipeline.render`, reads the MP4 back at the
middle of every cue of its SRT, and stacks the subtitle band of each frame in a grid, numbered, so a copy
editor can check at a glance that no line breaks inside a word.  Also prints the cues.

Usage: .venv/bin/python docs/make_subtitle_sheet.py [script]   (a minute or two)
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from anchor.pipeline import RenderOptions, render
from anchor.export.probe import read_frames
from anchor.graphics import aspect_size, layout_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPT = ROOT / "scripts" / "long-unpunctuated-zh.md"
COLUMNS = 2
SCALE = 0.6


def srt_cues(path: Path) -> list[tuple[float, float, str]]:
    """(start, end, text) of every cue of an SRT file."""
    def seconds(stamp: str) -> float:
        h, m, s = stamp.replace(",", ".").split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        lines = block.splitlines()
        start, _, end = lines[1].partition(" --> ")
        cues.append((seconds(start), seconds(end), "\n".join(lines[2:])))
    return cues


def main(script: Path = SCRIPT) -> None:
    with tempfile.TemporaryDirectory() as out:
        clip = render(script, out, RenderOptions(aspects=("9:16",)))[0]
        cues = srt_cues(clip.subtitles)
        frames = read_frames(clip.video, [(a + b) / 2 for a, b, _ in cues])
    box = layout_for(*aspect_size("9:16")).subtitles
    top, bottom = max(0, box.y - 30), box.y + box.h + 30
    tiles = []
    for k, (frame, (start, end, text)) in enumerate(zip(frames, cues), 1):
        band = Image.fromarray(frame[top:bottom])
        band = band.resize((int(band.width * SCALE), int(band.height * SCALE)), Image.LANCZOS)
        tile = Image.new("RGB", (band.width, band.height + 22), (24, 24, 24))
        tile.paste(band, (0, 22))
        ImageDraw.Draw(tile).text((8, 4), f"cue {k}  {start:.2f}-{end:.2f} s", fill=(230, 230, 230))
        tiles.append(np.asarray(tile))
        print(f"{k:2d} {start:6.2f}-{end:6.2f}  " + " / ".join(text.splitlines()))
    while len(tiles) % COLUMNS:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[r:r + COLUMNS]) for r in range(0, len(tiles), COLUMNS)]
    path = HERE / "subtitle-contact-sheet.jpg"
    Image.fromarray(np.vstack(rows)).save(path, quality=88, optimize=True)
    print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SCRIPT)
