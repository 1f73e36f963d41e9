"""Online voices through ``edge-tts`` (Microsoft Edge's read-aloud service).

Many natural zh-CN and English voices, but it needs the network at render time
and the service fails in every way a network can: no route, HTTP 403, or a
connection that is accepted and then never answered.  So every request runs
under ``asyncio.wait_for`` with the time left of the preset's ``timeout`` (for
the whole script: the speech stage passes one deadline to every sentence), and
any failure raises :class:`~anchor.speech.engines.EngineFailed`; the speech stage then
speaks the script with the preset's offline ``fallback`` and records a warning.

The preset's ``proxy`` is used for the connection (newsrooms behind an HTTP
proxy); without it, ``HTTPS_PROXY`` from the environment applies.

Timing: word boundaries (``boundary="WordBoundary"``): each word's offset and
duration in 100 ns ticks.  A Chinese word covers several characters, which
share its span evenly; an English word is one unit.  The audio (24 kHz MP3) is
decoded with PyAV.  The station lexicon's ``say`` replacements are applied to
the text sent (edge-tts reads characters, not pinyin).
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..timeline import Token
from .base import (
    MISSING, ONLINE, Availability, EngineFailed, EngineResult, EngineUnavailable, package_missing, spoken_units,
    unit_spans,
)

TICKS = 10_000_000  # edge-tts offsets are in 100 ns ticks
DEFAULT_VOICES = {"zh": "zh-CN-YunyangNeural", "en": "en-US-GuyNeural"}
PITCH_REFERENCE_HZ = 150  # pitch 1.05 -> +8Hz: edge-tts takes pitch as an offset in Hz


class EdgeEngine:
    name = "edge-tts"
    online = True

    @staticmethod
    def check(preset) -> Availability:
        if package_missing("edge_tts"):
            return Availability(MISSING, "未安装 edge-tts（pip install edge-tts）/ edge-tts is not installed (pip install edge-tts)")
        fallback = preset.fallback or "（无 / none）"
        return Availability(ONLINE, f"需联网，失败时改用 {fallback} / needs the network; falls back to {fallback}")

    def __init__(self):
        try:
            import edge_tts  # noqa: F401
        except ImportError as e:
            raise EngineUnavailable("未安装 edge-tts（pip install edge-tts）", "edge-tts is not installed (pip install edge-tts)") from e

    def synthesize(self, text: str, preset, deadline: float | None = None) -> EngineResult:
        from ...audio import decode_audio

        language = preset.language
        send = preset.lexicon_entries().say_zh(text) if language == "zh" else text
        left = (deadline - time.monotonic()) if deadline is not None else float(preset.timeout)
        if left <= 0:
            raise EngineFailed(f"edge-tts 超时（{preset.timeout:g} 秒）", f"edge-tts timed out ({preset.timeout:g} s)")
        try:
            data, words = _run(asyncio.wait_for(_fetch(send, preset), timeout=left))
        except asyncio.TimeoutError:
            raise EngineFailed(f"edge-tts 在 {preset.timeout:g} 秒内没有完成（网络无响应）",
                               f"edge-tts did not finish within {preset.timeout:g} s (no answer from the network)") from None
        except Exception as e:  # no route, DNS, 403, protocol errors: all mean "use the fallback"
            reason = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:200]
            raise EngineFailed(f"edge-tts 连接失败（{reason}）", f"edge-tts failed ({reason})") from e
        if not data:
            raise EngineFailed("edge-tts 没有返回音频", "edge-tts returned no audio")
        samples, rate = decode_audio(data)
        tokens = boundary_tokens(text, language, words, len(samples) / rate)
        return EngineResult(np.clip(samples, -1.0, 1.0), rate, tokens, [])


async def _fetch(text: str, preset) -> tuple[bytes, list[tuple[float, float, str]]]:
    import edge_tts

    communicate = edge_tts.Communicate(
        text, preset.voice or DEFAULT_VOICES[preset.language],
        rate=f"{round((preset.rate - 1) * 100):+d}%",
        volume=f"{round((preset.volume - 1) * 100):+d}%",
        pitch=f"{round((preset.pitch - 1) * PITCH_REFERENCE_HZ):+d}Hz",
        boundary="WordBoundary", proxy=preset.proxy,
        connect_timeout=max(1, int(preset.timeout)), receive_timeout=max(1, int(preset.timeout)),
    )
    audio, words = bytearray(), []
    async for chunk in communicate.stream():
        if chunk["type"] == "audio":
            audio += chunk["data"]
        elif chunk["type"] == "WordBoundary":
            words.append((chunk["offset"] / TICKS, chunk["duration"] / TICKS, chunk["text"]))
    return bytes(audio), words


def _run(coroutine):
    """Run ``coroutine`` to the end, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def boundary_tokens(text: str, language: str, words: list[tuple[float, float, str]], duration: float) -> list[Token]:
    """One token per spoken unit of ``text`` from the service's word boundaries.

    Each boundary word is found in ``text`` (in order); the units inside it share
    its span evenly.  A unit no boundary covers gets a zero-length token where
    the previous one ended.
    """
    spans = unit_spans(text, language)
    names = spoken_units(text, language)
    times: list[tuple[float, float] | None] = [None] * len(spans)
    cursor = 0
    for offset, length, word in words:
        word = word.strip()
        at = text.find(word, cursor) if word else -1
        if at < 0:
            continue
        cursor = at + len(word)
        inside = [i for i, (a, b) in enumerate(spans) if a >= at and b <= cursor]
        if not inside:
            continue
        step = length / len(inside)
        for n, i in enumerate(inside):
            times[i] = (offset + n * step, offset + (n + 1) * step)
    if spans and all(t is None for t in times):
        raise EngineFailed("edge-tts 的词时间信息与文本对不上", "edge-tts word boundaries do not match the text")
    tokens, last = [], 0.0
    for name, t in zip(names, times):
        start, end = t if t else (last, last)
        start, end = min(max(start, last), duration), min(max(end, start), duration)
        tokens.append(Token(name, start, end))
        last = end if t else last
    return tokens
