"""The README's mouth stills: the photo anchor at rest and in five mouth shapes, for two faces.

For each face (NASA's portrait of Eileen Collins, shipped with scikit-image, and the US Navy
portrait of Grace Hopper, shipped with matplotlib; both public domain, used only to show what a
photo anchor does) it renders the anchor at 1080x1920 exactly as a clip would (the pack's rig
over the studio), finds the face in the frame and saves a strip of mouth close-ups, each the
same share of the face, all scaled to the same size:

    rest | mid (e) | open (a) | round (o/u) | closed (b/p/m) | f

Run it in a checkout of any version to compare versions:

    .venv/bin/python docs/make_mouth_stills.py now      # -> docs/stills/mouth-<face>-now.jpg
    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before .venv/bin/python docs/make_mouth_stills.py before
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFont

from anchor.avatar import load_avatar
from anchor.avatar.face import find_face
from anchor.avatar.lipsync import Pose
from anchor.avatar.preview import studio_backdrop

HERE = Path(__file__).resolve().parent
SHAPES = {"rest": {}, "mid (e)": dict(mouth_open=0.6, mouth_width=0.3, viseme="mid"),
          "open (a)": dict(mouth_open=1.0, viseme="open"), "round (o/u)": dict(mouth_open=0.6, mouth_width=-1.0, viseme="round"),
          "closed (b/p/m)": dict(viseme="closed"), "f": dict(mouth_open=0.15, mouth_width=0.3, viseme="teeth")}
SIZE = (300, 240)  # each close-up, pixels


def pose(**values) -> Pose:
    """A pose with the fields this version of Pose knows (older versions had no ``speaking`` or ``reading``)."""
    known = {f.name for f in dataclasses.fields(Pose)}
    if values:  # mid-read (a smiling photo relaxes, lips it shows parted come together between syllables)
        values.update(speaking=1.0, reading=1.0)
    return Pose(**{k: v for k, v in values.items() if k in known})


def hopper_pack(root: Path) -> str:
    import matplotlib.cbook

    folder = root / "hopper"
    folder.mkdir()
    image = cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    cv2.imwrite(str(folder / "photo.png"), image)
    (folder / "avatar.yaml").write_text(yaml.safe_dump({
        "name": "Grace Hopper (example)", "kind": "photo", "source": "photo.png",
        "licence": "Public domain: US Navy portrait, shipped with matplotlib as sample data"}), encoding="utf-8")
    return "hopper"


def strip(pack) -> tuple[np.ndarray, float]:
    """The close-ups side by side, and the face's height in the frame."""
    rig = dataclasses.replace(pack, motion=0).rig(studio_backdrop(1080, 1920), "vertical")
    rest = rig.base
    face = find_face(rest)
    p = face.points
    cx, cy = (p[61] + p[291]) / 2
    half_w = 0.42 * face.height
    half_h = half_w * SIZE[1] / SIZE[0]
    x0, y0 = int(cx - half_w), int(cy - 0.8 * half_h)
    x1, y1 = int(cx + half_w), int(cy + 1.2 * half_h)
    tiles = []
    for label, values in SHAPES.items():
        frame = rig.base.copy()
        for x, y, pixels in rig.patches(pose(**values)):
            frame[y:y + pixels.shape[0], x:x + pixels.shape[1]] = pixels[..., :3]
        tile = Image.fromarray(np.ascontiguousarray(frame[y0:y1, x0:x1])).resize(SIZE, Image.LANCZOS)
        draw = ImageDraw.Draw(tile)
        draw.rectangle([0, 0, SIZE[0], 22], fill=(0, 0, 0))
        draw.text((6, 4), label, fill=(255, 255, 255), font=ImageFont.load_default())
        tiles.append(np.asarray(tile))
    return np.hstack(tiles), face.height


def main(version: str) -> None:
    (HERE / "stills").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        packs = {"astronaut": load_avatar("astronaut")}
        os.environ["ANCHOR_AVATARS_DIR"] = root
        packs["hopper"] = load_avatar(hopper_pack(Path(root)))
        for name, pack in packs.items():
            image, face_height = strip(pack)
            path = HERE / "stills" / f"mouth-{name}-{version}.jpg"
            Image.fromarray(image).save(path, quality=90, optimize=True)
            print(path, f"face shown {face_height:.0f} px high at 1080x1920")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "now")
