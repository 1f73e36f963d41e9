"""Speech benchmark: real-time factor of every installed engine, and the speech cache.

    .venv/bin/python bench/tts.py            # the table in README ("Voices and speech")
    .venv/bin/python bench/tts.py --long     # also a 10,000-character script (minutes)

For each ready preset of each engine, on a 300-character Chinese news paragraph or a
60-word English one:

* engine RTF: the engine's own synthesis time / seconds of audio it made (wall clock;
  also its CPU seconds, which other work on a shared machine does not inflate);
* stage RTF: the whole speech stage (normalisation, synthesis, pauses, loudness to
  -14 LUFS, writing the cache file) / seconds of speech;
* cache hit: the same text and preset again, served from the speech cache.

Everything runs side by side in one process, on a fresh cache folder, after each
engine has loaded once (load time shown separately).  Target on 2 cores: offline
engines <= 0.1 stage RTF.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["ANCHOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="anchor-bench-tts-")

from anchor.script import Script  # noqa: E402
from anchor.speech.phrasing import _groups, prepare  # noqa: E402
from anchor.speech import synthesize  # noqa: E402
from anchor.speech.engines.base import READY, check_preset, get_engine  # noqa: E402
from anchor.speech import list_voices  # noqa: E402

ZH = ("记者从县农业农村局获悉，今年全县粮食播种面积稳定在一百二十万亩以上，预计总产量达到四十八万吨，同比增长百分之三点五。"
      "为确保颗粒归仓，县里组织了三百多台联合收割机分片作业，并在各乡镇设立了三十六个粮食收购网点。"
      "县粮食部门提醒广大农户，近期天气多变，收获后要及时晾晒，水分控制在百分之十四以内再出售，"
      "遇到压级压价等问题可拨打一二三四五热线反映。与此同时，县气象台将每天发布农业气象服务信息，"
      "农机部门也开通了维修绿色通道，保障秋收秋种顺利进行。据了解，今年全县还新建高标准农田八万亩，"
      "推广大豆玉米带状复合种植两万亩，为明年粮食丰收打下了坚实基础。县委县政府表示，下一步将继续加大投入，"
      "让种粮农民得到更多实惠。")
EN = ("County officials say the public library will stay open until nine in the evening starting Monday, "
      "after a survey of twelve hundred residents found that most of them wanted more evening hours. "
      "The change will cost about thirty thousand dollars a year, and the library will hire two part-time staff. "
      "Children's programs will also move to weekends, the director said.")


def measure(preset) -> dict:
    text = ZH if preset.language == "zh" else EN
    script = Script(title="bench", body=text, language=preset.language)
    started = time.perf_counter()
    engine = get_engine(preset.engine)
    pieces = prepare(script, preset)
    joiner = "" if preset.language == "zh" else " "
    first = joiner.join(pieces[i].spoken for i in _groups(pieces, preset.language)[0])
    engine.synthesize(first, preset)  # loads the model
    load = time.perf_counter() - started

    engine_s = engine_cpu = audio_s = 0.0
    for group in _groups(pieces, preset.language):
        t, c = time.perf_counter(), time.process_time()
        result = engine.synthesize(joiner.join(pieces[i].spoken for i in group), preset)
        engine_s += time.perf_counter() - t
        engine_cpu += time.process_time() - c
        audio_s += result.duration

    t = time.perf_counter()
    speech = synthesize(script, preset)
    stage_s = time.perf_counter() - t
    t = time.perf_counter()
    again = synthesize(script, preset)
    hit_s = time.perf_counter() - t
    assert again.cached
    return {"preset": preset.name, "engine": preset.engine, "text": f"{len(text)} chars" if preset.language == "zh"
            else f"{len(text.split())} words", "audio": speech.duration, "load": load,
            "engine_rtf": engine_s / audio_s, "engine_cpu": engine_cpu / audio_s, "stage_rtf": stage_s / speech.duration, "hit_ms": hit_s * 1000}


def long_script(preset, characters: int = 10_000) -> dict:
    paragraphs, n = [], 0
    while n < characters:
        paragraphs.append(ZH)
        n += len(ZH)
    body = "\n\n".join(paragraphs)[:characters]
    tracemalloc.start()
    t = time.perf_counter()
    fractions = []
    speech = synthesize(Script(title="bench", body=body, language="zh"), preset, fractions.append, cache=False)
    seconds = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"preset": preset.name, "chars": len(body), "audio": speech.duration, "seconds": seconds,
            "rtf": seconds / speech.duration, "peak_mb": peak / 1e6, "audio_mb": speech.duration * 48000 * 4 / 1e6,
            "progress_calls": len(fractions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true", help="also synthesise a 10,000-character script")
    args = parser.parse_args()
    rows, skipped = [], []
    load_before = os.getloadavg()[0]
    for preset in list_voices():
        state = check_preset(preset).state
        if state != READY:
            skipped.append(f"{preset.name} ({preset.engine}): {state}")
            continue
        rows.append(measure(preset))
    print(f"anchor speech benchmark, {os.cpu_count()} CPU cores, load average before/after: "
          f"{load_before:.1f} / {os.getloadavg()[0]:.1f}\n")
    print("| preset | engine | text | audio s | load s | engine RTF | engine CPU s / audio s | stage RTF | cache hit ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['preset']} | {r['engine']} | {r['text']} | {r['audio']:.1f} | {r['load']:.1f} | "
              f"{r['engine_rtf']:.3f} | {r['engine_cpu']:.3f} | {r['stage_rtf']:.3f} | {r['hit_ms']:.0f} |")
    if skipped:
        print("\nnot measured (not ready here): " + "; ".join(skipped))
    if args.long:
        zh_default = next(p for p in list_voices("zh") if p.default)
        r = long_script(zh_default)
        print(f"\nlong script: {r['chars']} characters with {r['preset']}: {r['audio'] / 60:.1f} min of speech in "
              f"{r['seconds']:.0f} s (stage RTF {r['rtf']:.3f}); peak traced memory {r['peak_mb']:.0f} MB "
              f"(the audio alone would be {r['audio_mb']:.0f} MB); {r['progress_calls']} progress reports")


if __name__ == "__main__":
    main()
