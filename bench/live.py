"""Live-channel benchmark: a real ``anchor live`` run on the wall clock, with scripts landing as it streams.

Starts the channel (the CLI, as a station runs it) on an empty watched folder with HLS output, drops a new
script into the folder every ``--every`` seconds (each with a line of its own, so no speech comes from the
cache; every fifth one urgent), reads the channel's ``live.json`` once a second, and at the end prints:

* frames streamed against the frames the wall clock asked for, frames late (handed to the encoder after
  their air time), frames dropped by the encoder, the worst lag, and how far the encoded stream ever
  trailed the wall clock;
* CPU: the cores the playout (the channel, its encoder and outputs) and the renderer used, on average and at
  the busiest second, and the headroom (the cores the playout leaves; the renderer runs only on those);
* each script's time from landing in the folder to going on air, and how long the worker took to make it;
* the HLS playlist: segment lengths against the target, numbering without a gap.

Usage: .venv/bin/python bench/live.py [--minutes 10] [--every 40] [--aspect 9:16] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORIES = ["城区主干道改造工程今天全面完工，六条道路恢复通行。", "气象台预计，周末全县气温下降六到八度，请注意防寒保暖。",
           "县医院今天起开设夜间门诊，方便上班族就医。", "全县秋粮收购工作全面启动，设立收购点二十二个。",
           "县图书馆新馆本周六开放，馆藏图书三十万册。"]


def drop_script(folder: Path, k: int) -> Path:
    """The k-th script of the run: a story with a line of its own; every fifth is urgent."""
    urgent = "urgent: true\n" if k % 5 == 4 else ""
    number = str(k + 1)
    path = folder / f"bench-{k + 1:03d}.md"
    body = f"{STORIES[k % len(STORIES)]}这是本次测试的第{number}条稿件。"
    temp = path.with_suffix(".tmp")
    temp.write_text(f"---\ntitle: 测试稿件第{number}条\n{urgent}---\n{body}\n", encoding="utf-8")
    temp.rename(path)
    return path


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def hls_check(folder: Path, target: float) -> dict:
    index = (folder / "index.m3u8").read_text(encoding="utf-8")
    lengths = [float(x) for x in re.findall(r"#EXTINF:([\d.]+)", index)]
    numbers = [int(n) for n in re.findall(r"seg-(\d+)\.ts", index)]
    return {"segments_listed": len(lengths), "longest_s": max(lengths), "over_target": sum(x > target + 1e-3
                                                                                           for x in lengths),
            "numbering_contiguous": numbers == list(range(numbers[0], numbers[0] + len(numbers))),
            "ended": "#EXT-X-ENDLIST" in index}


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"min {min(values):.1f} / median {statistics.median(values):.1f} / max {max(values):.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=40.0, help="seconds between scripts landing")
    parser.add_argument("--aspect", default="9:16", choices=("9:16", "16:9"))
    parser.add_argument("--segment", type=int, default=4)
    parser.add_argument("--keep", help="run in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args()

    work = Path(args.keep or tempfile.mkdtemp(prefix="anchor-bench-live-"))
    playlist, out, hls = work / "playlist", work / "out", work / "hls"
    playlist.mkdir(parents=True, exist_ok=True)
    seconds = args.minutes * 60
    cmd = [sys.executable, "-m", "anchor.apps.cli", "live", str(playlist), "--hls", str(hls), "--out", str(out),
           "--aspect", args.aspect, "--segment", str(args.segment), "--window", "6", "--seconds", str(seconds)]
    log = open(work / "live.log", "w", encoding="utf-8")
    started = time.monotonic()
    channel = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    samples, dropped_at, k = [], {}, 0
    next_drop = started + 2.0
    while channel.poll() is None:
        now = time.monotonic()
        if now >= next_drop and now - started < seconds - 30:  # the last script still has time to air
            dropped_at[drop_script(playlist, k).name] = time.time()
            k += 1
            next_drop += args.every
        health = read_json(out / "live.json")
        if health and health.get("cpu") and health.get("frames"):
            samples.append(health["cpu"])
        time.sleep(1.0)
    wall = time.monotonic() - started
    final = json.loads(channel.stdout.read().strip().splitlines()[-1])
    health = read_json(out / "live.json") or {}
    log.close()

    from anchor.live import LiveQueue

    items = LiveQueue(out).items()
    made = {m.group(1): float(m.group(2)) for m in re.finditer(r"已备播 / ready: (.+?) \(.*made in ([\d.]+) s\)",
                                                                 (work / "live.log").read_text(encoding="utf-8"))}
    landed_to_air = [x["landed_to_air_s"] for x in health.get("latency", [])]
    busiest = max(samples, key=lambda c: c["playout"] + c["render"]) if samples else {}
    mean = health.get("cpu_mean", {})
    print(f"anchor live, {args.aspect}, {args.minutes:g} min, a script landing every {args.every:g} s "
          f"({k} scripts); wall {wall:.1f} s (with start-up)")
    print(f"  frames streamed        {final['frames']} of {round(seconds * 25)} asked by the clock")
    print(f"  frames late            {final['frames_late']} (handed to the encoder after their air time)")
    print(f"  frames dropped         {final['frames_dropped']} (by the encoder)")
    print(f"  worst lag              {final['max_lag_ms']:.0f} ms after air time (0: never late)")
    print(f"  encoder behind clock   {health.get('encoder_behind_ms', 0)} ms at most")
    print(f"  CPU, mean (cores)      playout {mean.get('playout', 0):.2f} · render {mean.get('render', 0):.2f} · "
          f"headroom {mean.get('headroom', 0):.2f} of {mean.get('cores', 0)}")
    if busiest:
        print(f"  CPU, busiest second    playout {busiest['playout']:.2f} · render {busiest['render']:.2f}; "
              f"least headroom {min(c['headroom'] for c in samples):.2f}")
    print(f"  landed -> on air (s)   {spread(landed_to_air)} over {len(landed_to_air)} items")
    print(f"  made by the worker (s) {spread(list(made.values()))}")
    print("  items                  " + ", ".join(f"{state} {sum(i.state == state for i in items)}"
                                                   for state in ("aired", "on_air", "ready", "rendering", "queued",
                                                                 "skipped")))
    print(f"  HLS                    {hls_check(hls, args.segment)}")
    print(f"  files kept in {work}" if args.keep else "")
    return 0 if final["frames_late"] == 0 and final["frames_dropped"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
