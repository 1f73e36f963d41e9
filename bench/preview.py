"""Frame-preview benchmark: seconds per ``preview_stills`` call, cold and warm, for one and two aspects, in one run.

For the default mascot and the example photo anchor (``astronaut``), each in a child process:

* ``import_s``: importing anchor.pipeline;
* ``cold_s``: the first call in that fresh process (9:16), on a machine that has rendered before
  (the studio backdrop and the photo's landmarks are in the disk cache, as on a station's server);
  ``first_on_fresh_install_s``: the same with every disk cache empty, timed once;
* ``warm_1_s`` / ``warm_2_s``: the median of ``--runs`` later calls in the same process, for 9:16 and
  for 9:16 + 16:9 (each aspect's studio set prepared once per process and kept).

The target is a warm call under 2 s on 2 cores, one aspect and ideally two.  With ``--rate``, also the
speaking rate the preview's timing estimate uses: displayed characters (Chinese) or words (English)
per second inside phrases, measured from real syntheses of the shipped scripts (no speech cache).

Usage: .venv/bin/python bench/preview.py [--runs 5] [--rate]
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

SCRIPT = """---
title: 县图书馆今起延长开放时间
lower_third: {name: 张明, title: 县文化馆馆长}
---
从今天起，县图书馆每天开放到晚上9点。

全县共有2585名读者办理了借书证，今年以来图书馆举办了三十多场读书活动。
"""
ANCHORS = ("mascot", "astronaut")
RATE_SCRIPTS = ("science-fair-zh.md", "water-notice-zh.md", "flood-zh.txt", "demo.md", "library-en.md")


def child(avatar: str, runs: int) -> None:
    started = time.perf_counter()
    from anchor.pipeline import RenderOptions, preview_stills
    from anchor.script import parse_script

    imported = time.perf_counter()
    script = parse_script(SCRIPT, ".md")

    def timed(aspects) -> float:
        began = time.perf_counter()
        preview_stills(script, RenderOptions(avatar=avatar, aspects=aspects))
        return time.perf_counter() - began

    cold = timed(("9:16",))
    one = [timed(("9:16",)) for _ in range(runs)]
    timed(("9:16", "16:9"))  # the 16:9 studio set, once
    two = [timed(("9:16", "16:9")) for _ in range(runs)]
    print(json.dumps({"import_s": imported - started, "cold_s": cold, "warm_1_s": statistics.median(one),
                      "warm_2_s": statistics.median(two)}))


def run_child(avatar: str, runs: int, cache: Path) -> dict:
    env = {**os.environ, "ANCHOR_CACHE_DIR": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, __file__, "--child", avatar, "--runs", str(runs)], env=env,
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(run.stderr[-2000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def speaking_rates() -> dict:
    """Displayed characters (zh) or words (en) per second inside phrases, per shipped script."""
    from anchor.files import PROJECT_DIR
    from anchor.script import load_script
    from anchor.speech import load_voice, synthesize

    out = {}
    for name in RATE_SCRIPTS:
        script = load_script(PROJECT_DIR / "scripts" / name)
        speech = synthesize(script, load_voice(None, script.language), cache=False)
        phrases = speech.timeline.phrases
        units = sum(len(p.display.split()) if script.language == "en" else sum(c.isalnum() for c in p.display)
                    for p in phrases)
        out[name] = {"engine": speech.engine, "per_second": round(units / sum(p.end - p.start for p in phrases), 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child")
    parser.add_argument("--rate", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.runs)
        return
    table = {}
    with tempfile.TemporaryDirectory() as folder:
        for avatar in ANCHORS:
            cache = Path(folder) / avatar
            fresh = run_child(avatar, 1, cache)  # every disk cache empty
            table[avatar] = {k: round(v, 2) for k, v in run_child(avatar, args.runs, cache).items()}
            table[avatar]["first_on_fresh_install_s"] = round(fresh["cold_s"], 2)
            table[avatar]["warm_1_under_2_s"] = table[avatar]["warm_1_s"] < 2
            table[avatar]["warm_2_under_2_s"] = table[avatar]["warm_2_s"] < 2
    if args.rate:
        table["speaking_rate"] = speaking_rates()
    print(json.dumps({"runs": args.runs, "cores": os.cpu_count(), "load_average": os.getloadavg()[0], **table},
                     indent=2))


if __name__ == "__main__":
    main()
