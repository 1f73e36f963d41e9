"""A transformers VITS voice from a local folder: loaded through a preset, timed by its own durations.

The model is tiny and randomly initialised (built here, saved with a tokenizer that
loads offline), so its audio is noise-like; what is checked is the real loading,
synthesis and duration path that a trained model goes through.
"""

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from anchor.errors import VoiceError  # noqa: E402
from anchor.script import Script  # noqa: E402
from anchor.speech import synthesize  # noqa: E402
from anchor.speech.engines.base import READY, check_preset, get_engine  # noqa: E402
from anchor.speech import load_voice  # noqa: E402

SYMBOLS = ["<pad>", " "] + list("abcdefghijklmnopqrstuvwxyz'.,?!-12345")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    folder = tmp_path_factory.mktemp("tiny-vits")
    config = VitsConfig(
        vocab_size=len(SYMBOLS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32, flow_size=16,
        spectrogram_bins=17, upsample_initial_channel=16, upsample_rates=[8, 8, 4], upsample_kernel_sizes=[16, 16, 8],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]], prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1, duration_predictor_num_flows=1,
        duration_predictor_filter_channels=16, depth_separable_num_layers=1, sampling_rate=16000)
    torch.manual_seed(0)
    VitsModel(config).save_pretrained(folder)
    (folder / "vocab.json").write_text(json.dumps({s: i for i, s in enumerate(SYMBOLS)}), encoding="utf-8")
    VitsTokenizer(str(folder / "vocab.json"), add_blank=True, normalize=True, phonemize=False,
                  is_uroman=False).save_pretrained(folder)
    return folder


@pytest.fixture
def vits_voices(tmp_path, monkeypatch, model_dir):
    for language in ("en", "zh"):
        (tmp_path / f"{language}-vits.yaml").write_text(
            f"language: {language}\nengine: vits\nmodel: {model_dir}\n", encoding="utf-8")
    (tmp_path / "zh-vits-missing.yaml").write_text("language: zh\nengine: vits\nmodel: models/nowhere\n", encoding="utf-8")
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))
    return tmp_path


def test_vits_preset_speaks_with_timing_from_the_model_durations(vits_voices):
    voice = load_voice("en-vits", "en")
    assert check_preset(voice).state == READY
    engine = get_engine("vits")
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    text = "The library opens Monday, at nine."
    normal = engine.synthesize(text, voice)
    fast = engine.synthesize(text, voice.model_copy(update={"rate": 2.0}))
    assert [t.text for t in normal.tokens] == ["The", "library", "opens", "Monday", "at", "nine"]
    hop = 8 * 8 * 4 / 16000  # one duration frame
    # the frames the model predicted add up to the audio, and every word got some
    assert normal.tokens[-1].end <= normal.duration <= normal.tokens[-1].end + 2 * hop
    assert all(t.end - t.start >= hop for t in normal.tokens)
    # the model's own speaking rate halves its durations (ceil rounding aside)
    assert fast.duration < 0.75 * normal.duration
    assert all(f.end - f.start <= n.end - n.start for f, n in zip(fast.tokens, normal.tokens))
    # same text, same audio: the noise is seeded, so the cache stays valid
    assert np.array_equal(engine.synthesize(text, voice).samples, normal.samples)


def test_vits_through_the_speech_stage_in_pinyin(vits_voices):
    speech = synthesize(Script(title="t", body="洪洞县图书馆周一开放。", language="zh"), load_voice("zh-vits", "zh"))
    assert speech.engine == "vits" and speech.sample_rate == 48000
    tokens = speech.timeline.tokens
    assert [t.text for t in tokens] == list("洪洞县图书馆周一开放")
    assert all(a.start <= b.start for a, b in zip(tokens, tokens[1:]))
    assert 0 <= speech.duration - tokens[-1].end <= 0.05
    assert speech.timeline.visemes  # from the pinyin it was given


def test_missing_vits_folder_names_the_place(vits_voices):
    voice = load_voice("zh-vits-missing", "zh")
    state = check_preset(voice)
    assert state.state == "missing" and str(vits_voices / "models" / "nowhere") in state.detail
    with pytest.raises(VoiceError) as info:
        synthesize(Script(title="t", body="测试。", language="zh"), voice)
    assert str(vits_voices / "models" / "nowhere") in info.value.en and info.value.exit_code == 2
