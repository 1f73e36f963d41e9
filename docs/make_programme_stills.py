"""Regenerate the README's programme-format stills: the desk, the flash and the 问政 card, from real renders.

- ``docs/stills/desk.jpg``: ``scripts/desk-zh.md`` at 9:16 (while 融融 speaks, then 津津), 16:9 and 1:1;
- ``docs/stills/desk-cut.jpg``: the same with the ``desk-cut`` template at 9:16: 融融, the frames either side
  of the cut to 津津, 津津;
- ``docs/stills/flash.jpg``: ``scripts/flash.md --flash``: the sting, the anchor, the last frame;
- ``docs/stills/wenzheng.jpg``: ``scripts/wenzheng-reply.md``: the question card at 9:16 and 16:9.

Usage: .venv/bin/python docs/make_programme_stills.py
"""

import json
import tempfile
from pathlib import Path

from PIL import Image

from anchor.export.probe import read_frames
from anchor.pipeline import RenderOptions, flash_options, render

ROOT = Path(__file__).resolve().parent.parent
STILLS = ROOT / "docs" / "stills"


def sheet(frames: list[Image.Image], height: int) -> Image.Image:
    frames = [f.resize((round(f.width * height / f.height), height), Image.LANCZOS) for f in frames]
    out = Image.new("RGB", (sum(f.width for f in frames) + 12 * (len(frames) - 1), height), (255, 255, 255))
    x = 0
    for f in frames:
        out.paste(f, (x, 0))
        x += f.width + 12
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (desk,) = render(ROOT / "scripts" / "desk-zh.md", tmp, RenderOptions(aspects=("9:16", "16:9", "1:1")))
        cues = desk.info["cues"]
        first = next(c for c in cues if c["speaker"] == "融融")
        second = next(c for c in cues if c["speaker"] == "津津")
        times = [first["start"] + 0.6, second["start"] + 0.6]
        tall = [Image.fromarray(f) for f in read_frames(desk.videos["9:16"], times)]
        wide = Image.fromarray(read_frames(desk.videos["16:9"], times[:1])[0])
        square = Image.fromarray(read_frames(desk.videos["1:1"], times[1:])[0])
        sheet([*tall, wide, square], 540).save(STILLS / "desk.jpg", quality=88)

        (cut,) = render(ROOT / "scripts" / "desk-zh.md", tmp, RenderOptions(template="desk-cut"))
        at = cut.info["shots"]["9:16"][1]["start"]
        frames = read_frames(cut.video, [times[0], at - 0.04, at + 0.04, times[1]])
        sheet([Image.fromarray(f) for f in frames], 540).save(STILLS / "desk-cut.jpg", quality=88)

        (flash,) = render(ROOT / "scripts" / "flash.md", tmp, flash_options(RenderOptions()))
        sting = flash.info["segments"]["intro"][1]
        frames = read_frames(flash.video, [sting / 3, sting + 1.0, flash.info["duration"] - 0.1])
        sheet([Image.fromarray(f) for f in frames], 720).save(STILLS / "flash.jpg", quality=88)

        (reply,) = render(ROOT / "scripts" / "wenzheng-reply.md", tmp, RenderOptions(aspects=("9:16", "16:9")))
        at = reply.info["segments"]["intro"][1] / 2
        cards = [Image.fromarray(read_frames(reply.videos[a], [at])[0]) for a in ("9:16", "16:9")]
        sheet(cards, 720).save(STILLS / "wenzheng.jpg", quality=88)
        print(json.dumps({"desk_speakers": desk.info["speakers"], "desk_cut_shots": cut.info["shots"],
                          "flash_segments": flash.info["segments"],
                          "wenzheng_segments": reply.info["segments"]}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
