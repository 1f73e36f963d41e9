"""Regenerate the README's stills: the default anchor with mouth closed, half open and open.

Usage: .venv/bin/python docs/make_stills.py
"""

from pathlib import Path

import numpy as np
from PIL import Image

from anchor.avatar import load_avatar
from anchor.graphics import studio_background
from anchor.layout import layout_for
from anchor.lipsync import Pose
from anchor.station import load_station

HERE = Path(__file__).resolve().parent


def main() -> None:
    layout = layout_for(1080, 1920)
    box = layout.avatar
    backdrop = studio_background(layout, load_station())[box.y:box.y + box.h, box.x:box.x + box.w]
    rig = load_avatar().rig(np.ascontiguousarray(backdrop))
    mouth = rig.mouth
    # head and shoulders around the face, same crop for all three
    cx = mouth.x + mouth.shape[1] // 2
    top, bottom = max(mouth.y - 420, 0), min(mouth.y + mouth.shape[0] + 120, box.h)
    left, right = max(cx - 300, 0), min(cx + 300, box.w)
    for name, pose in (("closed", Pose(0.0)), ("half-open", Pose(0.5)), ("open", Pose(1.0))):
        frame = rig.base.copy()
        for x, y, patch in rig.patches(pose):
            frame[y:y + patch.shape[0], x:x + patch.shape[1]] = patch
        Image.fromarray(frame[top:bottom, left:right]).save(HERE / f"anchor-{name}.png", optimize=True)
        print(HERE / f"anchor-{name}.png")


if __name__ == "__main__":
    main()
