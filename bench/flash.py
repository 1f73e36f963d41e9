"""Flash benchmark: a 150-character 快讯 rendered from a cold start, ``--flash`` beside a plain render, in one run.

Cold means a new process rendering a script it has never seen (no speech in the cache), on
a machine that has rendered before: what is built once per install or per station (the
text-normalisation grammars, the studio backdrop) is in the cache, as on a station's server.
The very first render on a fresh install (every cache empty) is timed once as well.
Each run is a child process doing what
``anchor render SCRIPT --flash`` does, timing where the time goes: importing anchor, speech
(the voice's load, text normalisation, synthesis), the avatar (the studio set and the anchor's rig), and
the frame loop with encoding.  The parent times the whole process.  The target is a cold
flash under 30 s on 2 cores; the plain render of the same script (news template: title
card, outro, the default encoder preset) shows what the fast path saves.

Usage: .venv/bin/python bench/flash.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLASH = """---
title: 城南大道发生交通事故 东段临时封闭
---
今天下午三点十分左右，城南大道与滨江路交叉口发生一起两车相撞的交通事故，事故未造成人员伤亡。目前交警和路政部门已在现场处置，城南大道东段临时封闭，预计封闭到今晚八点，请过往车辆提前从滨江路、建设路绕行。事故原因正在进一步调查中，县交警大队提醒广大驾驶员雨天路滑，请减速慢行、保持车距。本台将持续关注。
"""


def child(script: str, out: str, flash: bool) -> None:
    started = time.perf_counter()
    from anchor.pipeline import RenderOptions, flash_options, render

    marks = {"import": time.perf_counter() - started}

    def progress(stage: str, fraction: float) -> None:
        marks.setdefault(f"{stage}_start", time.perf_counter() - started)

    options = flash_options(RenderOptions()) if flash else RenderOptions()
    clip = render(script, out, options, progress)[0]
    marks["done"] = time.perf_counter() - started
    print(json.dumps({"marks": marks, "duration": clip.info["duration"]}))


def cold_run(script: Path, flash: bool, cache: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="flash-bench-") as work:
        env = {**os.environ, "ANCHOR_CACHE_DIR": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"}
        started = time.perf_counter()
        run = subprocess.run([sys.executable, __file__, "--child", str(script), str(Path(work) / "out"),
                              "--flash" if flash else "--plain"], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(run.stderr[-2000:])
    result = json.loads(run.stdout.strip().splitlines()[-1])
    m = result["marks"]
    return {"wall_s": wall, "clip_s": result["duration"], "import_s": m["import"],
            "speech_s": m["avatar_start"] - m["speech_start"], "avatar_s": m["render_start"] - m["avatar_start"],
            "frames_and_encode_s": m["done"] - m["render_start"],
            "before_python_s": wall - m["done"]}  # interpreter start, and exit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2)
    parser.add_argument("--flash", action="store_true")
    parser.add_argument("--plain", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(*args.child, flash=args.flash)
        return
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        n = 0

        def script_for(kind: str) -> Path:  # a text never rendered before: the minutes of the news change
            nonlocal n
            n += 1
            path = Path(folder) / f"{kind}-{n}.md"
            path.write_text(FLASH.replace("三点十分", f"三点{n}分"), encoding="utf-8")
            return path

        first = cold_run(script_for("flash"), True, cache)  # a fresh install: every cache empty
        runs = {"flash": [], "plain": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine
            for kind in runs:
                runs[kind].append(cold_run(script_for(kind), kind == "flash", cache))
    chars = len(FLASH.split("---", 2)[2].strip())
    table = {kind: {k: round(statistics.median(r[k] for r in rs), 2) for k in rs[0]} for kind, rs in runs.items()}
    table["first_render_on_a_fresh_install"] = {k: round(v, 2) for k, v in first.items()}
    table["flash"]["under_30_s"] = table["flash"]["wall_s"] < 30
    table["flash_vs_plain"] = round(table["flash"]["wall_s"] / table["plain"]["wall_s"], 2)
    print(json.dumps({"characters": chars, "runs": args.runs, "cores": os.cpu_count(), **table}, indent=2))


if __name__ == "__main__":
    main()
