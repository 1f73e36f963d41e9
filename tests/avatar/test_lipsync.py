"""Performance (poses from the speech timeline) and the neural Wav2Lip plug-in with a tiny random network."""

import numpy as np
import pytest

from anchor.avatar.lipsync import Pose, SpeechAudio
from anchor.avatar.performance import CLOSED, NOD_DEPTH, perform
from anchor.speech.timeline import Phrase, Timeline, Token, Viseme

FPS = 25


def _timeline(text="今天我们报道本县新闻", start=0.5, syllable=0.22, pause=0.6, visemes=()):
    """Two phrases of Chinese characters, one syllable every ``syllable`` seconds, a pause between."""
    phrases, t = [], start
    for part in (text[: len(text) // 2], text[len(text) // 2:]):
        tokens = []
        for ch in part:
            tokens.append(Token(ch, t, t + syllable))
            t += syllable
        phrases.append(Phrase(part, part, tokens[0].start, tokens[-1].end, tuple(tokens)))
        t += pause
    return Timeline(tuple(phrases), t, visemes=tuple(visemes))


def _frame(t):
    return int(t * FPS)


def test_visemes_from_the_timeline_drive_the_mouth():
    visemes = [Viseme("closed", 0.40, 0.52), Viseme("open", 0.52, 0.80), Viseme("round", 0.80, 1.10),
               Viseme("wide", 1.10, 1.40), Viseme("teeth", 1.40, 1.52), Viseme("mid", 1.52, 1.80),
               Viseme("rest", 1.80, 2.40)]
    timeline = Timeline((Phrase("x", "x", 0.4, 1.8, ()),), 2.4, visemes=tuple(visemes))
    p = perform(timeline, "zh", 60, FPS, seed=1)
    assert p.pose(_frame(0.46)).mouth_open <= CLOSED and p.pose(_frame(0.46)).viseme == "closed"
    assert p.pose(_frame(0.70)).viseme == "open" and p.pose(_frame(0.70)).mouth_open > 0.6
    assert p.pose(_frame(1.00)).viseme == "round" and p.pose(_frame(1.00)).mouth_width < -0.5
    assert p.pose(_frame(1.30)).viseme == "wide" and p.pose(_frame(1.30)).mouth_width > 0.5
    assert p.pose(_frame(1.46)).viseme == "teeth"
    assert p.pose(_frame(2.2)).mouth_open == 0 and p.pose(_frame(2.2)).viseme == "rest"


def test_without_visemes_pinyin_decides_the_shapes_and_lips_close_for_b_p_m():
    # 爸 b-a, 妈 m-a, 哭 k-u, 笔 b-i: bilabial onsets must close the lips, vowels set the shape
    tokens = tuple(Token(ch, 0.4 + 0.3 * i, 0.7 + 0.3 * i) for i, ch in enumerate("爸妈哭笔"))
    timeline = Timeline((Phrase("爸妈哭笔", "爸妈哭笔", 0.4, 1.6, tokens),), 1.8)
    p = perform(timeline, "zh", 45, FPS, seed=1)
    for onset in (0.4, 0.7, 1.3):  # 爸 妈 笔
        assert min(p.mouth_open[_frame(onset) - 1:_frame(onset) + 2]) <= CLOSED, onset
    assert p.pose(_frame(0.6)).viseme == "open" and p.pose(_frame(1.15)).viseme == "round"
    assert p.pose(_frame(1.5)).viseme == "wide"


def test_mouth_does_not_flutter_and_rests_in_pauses():
    timeline = _timeline()
    p = perform(timeline, "zh", _frame(timeline.duration) + 5, FPS, seed=3)
    # at most one opening per syllable: count the peaks of the opening curve
    x = p.mouth_open
    peaks = np.flatnonzero((x[1:-1] > x[:-2]) & (x[1:-1] >= x[2:]) & (x[1:-1] > 0.1))
    assert len(peaks) <= len(timeline.tokens)
    pause = slice(_frame(timeline.phrases[0].end) + 2, _frame(timeline.phrases[1].start) - 1)
    assert x[pause].max() == 0


def test_blinks_every_two_to_six_seconds():
    p = perform(Timeline((), 30.0), "zh", 30 * FPS, FPS, seed=7)
    onsets = np.flatnonzero(np.diff((p.blink > 0.9).astype(int)) == 1) / FPS
    gaps = np.diff(onsets)
    assert len(onsets) >= 5 and gaps.min() >= 2.0 - 0.1 and gaps.max() <= 6.0 + 0.2


def test_head_sways_slowly_and_nods_at_phrase_ends():
    timeline = _timeline()
    n = _frame(timeline.duration) + 10
    p = perform(timeline, "zh", n, FPS, seed=5)
    # never frozen, never jumpy: it moves a little every second, smoothly
    assert all(np.ptp(p.sway[i:i + FPS]) > 0 or np.ptp(p.roll[i:i + FPS]) > 0 for i in range(0, n - FPS, FPS))
    assert np.abs(np.diff(p.sway)).max() < 0.002 and np.abs(np.diff(p.roll)).max() < 0.1
    assert np.abs(p.sway).max() < 0.02 and np.abs(p.roll).max() < 1.0
    end = timeline.phrases[0].end
    nod_at_end = p.nod[_frame(end - 0.1):_frame(end + 0.3)].max()
    assert nod_at_end > 0.6 * NOD_DEPTH
    mid_phrase = p.nod[_frame(timeline.phrases[0].start + 0.3):_frame(end - 0.4)].max()
    assert mid_phrase < 0.5 * NOD_DEPTH


def test_poses_carry_the_speech_audio_for_neural_methods():
    samples = np.zeros(48000, np.float32)
    p = perform(_timeline(), "zh", 25, FPS, samples, 48000, seed=0)
    pose = p.pose(10)
    assert pose.frame == 10 and pose.audio.fps == FPS and pose.audio.sample_rate == 48000


# -- Wav2Lip -----------------------------------------------------------------------------

torch = pytest.importorskip("torch")  # the neural extra; CI installs it with the test extra

from anchor.avatar.wav2lip import (
    MEL_STEPS, Wav2LipParts, Wav2LipSync, build_network, face_box, mel_filters, mel_window, melspectrogram,
)

TINY = 1 / 16


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return build_network(TINY).eval()


def test_published_layout_and_tensor_shapes(tiny):
    """The full-width network has Wav2Lip's parameter names and shapes, so user checkpoints load."""
    full = build_network(1.0).state_dict()
    assert sum(v.numel() for k, v in full.items() if "running" not in k and "num_batches" not in k) == 36298035
    assert full["face_encoder_blocks.0.0.conv_block.0.weight"].shape == (16, 6, 7, 7)
    assert full["audio_encoder.0.conv_block.0.weight"].shape == (32, 1, 3, 3)
    assert full["face_decoder_blocks.1.0.conv_block.0.weight"].shape == (1024, 512, 3, 3)  # transposed conv
    assert full["face_decoder_blocks.6.0.conv_block.0.weight"].shape == (160, 64, 3, 3)
    assert full["output_block.0.conv_block.0.weight"].shape == (32, 80, 3, 3)
    assert full["output_block.1.weight"].shape == (3, 32, 1, 1)
    with torch.no_grad():
        out = tiny(torch.randn(4, 1, 80, 16), torch.rand(4, 6, 96, 96))
        assert out.shape == (4, 3, 96, 96) and 0 <= float(out.min()) and float(out.max()) <= 1
        seq = tiny(torch.randn(2, 5, 1, 80, 16), torch.rand(2, 6, 5, 96, 96))
        assert seq.shape == (2, 3, 5, 96, 96)


def test_mel_spectrogram_and_one_window_per_frame():
    rate = 48000
    t = np.arange(2 * rate) / rate
    samples = np.where((t >= 1.0) & (t < 1.2), 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0).astype(np.float32)
    mel = melspectrogram(samples, rate)
    assert mel.shape[0] == 80 and abs(mel.shape[1] - 160) <= 1  # 80 mel frames per second
    assert mel.min() >= -4 and mel.max() <= 4 and np.allclose(mel[:, 10:60], -4)  # silence is the floor
    # the tone is loudest in the band around 1 kHz
    band = int(np.argmax(mel_filters()[:, round(1000 / 8000 * 400)]))
    assert abs(int(np.argmax(mel[:, 85])) - band) <= 1
    windows = [mel_window(mel, i, 25) for i in range(50)]
    assert all(w.shape == (80, MEL_STEPS) for w in windows)
    assert np.array_equal(windows[10], mel[:, 32:48])  # frame i starts at int(80 / fps * i)
    loud = [i for i, w in enumerate(windows) if w.max() > 0]
    # window i spans mel frames int(3.2 i) .. +16, each 50 ms wide: only frames 20..30 can hear the tone
    assert min(loud) >= 20 and max(loud) <= 30 and set(range(22, 29)) <= set(loud)
    assert np.array_equal(mel_window(mel, 49, 25), mel[:, -MEL_STEPS:])  # the end is held, never short


def _picture_and_face():
    from anchor.avatar import load_avatar

    pack = load_avatar("astronaut")
    return pack.cut_out(540, 500, "vertical")


def _poses(n, seconds=2.0, rate=16000):
    rng = np.random.default_rng(0)
    audio = SpeechAudio((0.1 * rng.standard_normal(int(seconds * rate))).astype(np.float32), rate, FPS)
    return [Pose(frame=i, audio=audio) for i in range(n)]


def test_batches_and_paste_back(tiny):
    picture, face = _picture_and_face()
    poses = _poses(12)
    one = Wav2LipSync(None, batch_size=1, network=tiny).parts(picture, face)
    eight = Wav2LipSync(None, batch_size=8, network=tiny).parts(picture, face)
    first = [list(one.patches(p)) for p in poses]
    batched = [list(eight.patches(p)) for p in poses]
    assert one.batches_run == 12 and eight.batches_run == 2  # 12 frames in batches of 8
    for a, b in zip(first, batched):
        assert all(np.abs(pa[2].astype(int) - pb[2].astype(int)).max() <= 1 for pa, pb in zip(a, b))
    x, y, patch = first[0][0]
    bx, by, size, _ = face_box(face, picture.shape)
    assert (x, y - by) == (bx, one.top) and patch.shape == (size - one.top, size, 4)
    original = picture[y:y + patch.shape[0], x:x + patch.shape[1]]
    diff = np.abs(patch.astype(int) - original.astype(int)).max(axis=2)
    # seamless: along every edge of the patch the original shows through unchanged
    assert diff[0].max() == 0 and diff[-1].max() == 0 and diff[:, 0].max() == 0 and diff[:, -1].max() == 0
    # ... while the mouth and chin are the network's (a random network paints something else)
    assert diff[patch.shape[0] // 3: -patch.shape[0] // 4, size // 3: -size // 3].mean() > 5
    assert np.array_equal(patch[..., 3], original[..., 3])
    # without audio (a preview) the face is left as it is; the eyes still blink
    quiet = list(one.patches(Pose(blink=1.0)))
    assert len(quiet) == 2 and all(p[1] < y for p in quiet)


def test_checkpoint_from_the_avatar_pack(tiny, tmp_path, monkeypatch):
    import shutil

    import yaml

    from anchor.avatar import load_avatar
    from anchor.avatar.preview import studio_backdrop
    from anchor.errors import AvatarError

    pack = tmp_path / "neural"
    shutil.copytree(load_avatar("astronaut").folder, pack)
    # saved the way the original training script saves: {"state_dict": {"module.<name>": tensor}}
    torch.save({"state_dict": {f"module.{k}": v for k, v in tiny.state_dict().items()}}, pack / "tiny.pth")
    data = yaml.safe_load((pack / "avatar.yaml").read_text(encoding="utf-8"))
    data.update(lipsync="wav2lip", wav2lip={"checkpoint": "tiny.pth", "device": "cpu", "batch_size": 4}, motion=0)
    (pack / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path))
    rig = load_avatar("neural").rig(studio_backdrop(1080, 1920))
    assert isinstance(rig.parts, Wav2LipParts) and rig.parts.device == "cpu"
    pastes = list(rig.patches(_poses(3, rate=48000)[2]))
    (x, y, w, h) = rig.dirty_rects()[0]
    assert pastes[0][:2] == (x, y) and pastes[0][2].shape == (h, w, 3)
    data["wav2lip"]["checkpoint"] = "missing.pth"
    (pack / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(AvatarError, match="checkpoint not found"):
        load_avatar("neural").rig(studio_backdrop(1080, 1920))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_runs_on_cuda(tiny):
    picture, face = _picture_and_face()
    parts = Wav2LipSync(None, batch_size=4, network=tiny.to("cuda")).parts(picture, face)
    assert parts.device == "cuda" and list(parts.patches(_poses(1)[0]))
