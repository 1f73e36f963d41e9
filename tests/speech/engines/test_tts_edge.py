"""The online voice (edge-tts) must never stop a clip: every network failure falls back in time.

The failures are real: the real edge-tts client is pointed (through the preset's
``proxy``, a setting newsrooms use) at a closed local port, and at a local server
that accepts the connection and never answers.
"""

import shutil
import socket
import threading
import time

import pytest

from anchor.script import Script
from anchor.speech import load_voice, synthesize, voices_dir
from anchor.speech.engines.edge import boundary_tokens

TIMEOUT = 3.0


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """A local server that accepts connections and never says a word (stops by itself)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    held, stop = [], threading.Event()

    def serve():
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = server.accept()
                held.append(conn)  # keep it open, answer nothing
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def edge_preset(tmp_path, monkeypatch, port: int, language: str = "zh"):
    fallback = "zh-espeak" if language == "zh" else "en-espeak"
    shutil.copy(voices_dir() / f"{fallback}.yaml", tmp_path / f"{fallback}.yaml")
    (tmp_path / "online.yaml").write_text(
        f"language: {language}\nengine: edge-tts\nvoice: {'zh-CN-YunyangNeural' if language == 'zh' else 'en-US-GuyNeural'}\n"
        f"proxy: http://127.0.0.1:{port}\ntimeout: {TIMEOUT}\nfallback: {fallback}\n", encoding="utf-8")
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))
    return load_voice("online", language)


def speak_with_fallback(voice, body, language):
    from anchor.speech.normalize import normalize

    normalize(body, language)  # the normaliser loads once per process (seconds): not part of what is timed
    started = time.monotonic()
    speech = synthesize(Script(title="t", body=body, language=language), voice)
    return speech, time.monotonic() - started


def test_closed_port_falls_back_at_once(tmp_path, monkeypatch):
    voice = edge_preset(tmp_path, monkeypatch, closed_port())
    speech, elapsed = speak_with_fallback(voice, "县图书馆今起延长开放时间。", "zh")
    assert speech.engine == "espeak-ng" and speech.voice == "zh-espeak"
    assert elapsed < TIMEOUT
    # the producer is told which voice spoke and why, in words: no proxy address, no exception text
    assert len(speech.warnings) == 1 and "需联网" in speech.warnings[0] and "机器声·应急备用" in speech.warnings[0]
    assert "127.0.0.1" not in speech.warnings[0] and "Error" not in speech.warnings[0]
    assert speech.fallback == {"asked": "online", "spoke": "zh-espeak", "zh": "需联网，现在连不上在线语音服务",
                               "en": "needs the internet, and the online voice service cannot be reached now"}
    assert [t.text for t in speech.timeline.tokens] == list("县图书馆今起延长开放时间")


def test_server_that_never_answers_falls_back_within_the_timeout(tmp_path, monkeypatch, silent_server, caplog):
    voice = edge_preset(tmp_path, monkeypatch, silent_server, "en")
    with caplog.at_level("WARNING", logger="anchor.speech.synthesis"):
        speech, elapsed = speak_with_fallback(voice, "The library opens late. Residents asked for it.", "en")
    assert speech.engine == "espeak-ng"
    assert TIMEOUT - 0.5 < elapsed < TIMEOUT + 3.0  # it waited for the timeout, and not much more
    assert "cannot be reached now" in speech.warnings[0] and "英文机器声·备用" in speech.warnings[0]
    assert "did not finish within 3 s" in caplog.text  # the technical reason is for the operator's log
    assert len(speech.timeline.tokens) == 8


def test_word_boundaries_become_character_tokens():
    # what the service reports for zh-CN voices: one boundary per word, offsets in seconds
    words = [(0.10, 0.30, "县城"), (0.40, 0.20, "GDP"), (0.65, 0.30, "增长")]
    tokens = boundary_tokens("县城GDP增长。", "zh", words, 1.2)
    assert [t.text for t in tokens] == ["县", "城", "G", "D", "P", "增", "长"]
    assert [round(t.start, 2) for t in tokens] == [0.10, 0.25, 0.40, 0.47, 0.53, 0.65, 0.80]
    assert tokens[-1].end == pytest.approx(0.95)
