"""The speech stage: a script's body -> loudness-normalised 48 kHz audio + a :class:`Timeline`.

1. The body (not the title, which is shown as a banner) is split into phrases at
   Chinese/English punctuation, each kept under ~32 Chinese characters / ~80
   Latin characters; each phrase keeps its text as written (``display``, for
   subtitles) and gets its normalised reading (``spoken``, :mod:`anchor.textnorm`).
2. Phrases are synthesised a sentence at a time (better prosody than phrase by
   phrase, and memory per call stays bounded); the engine returns one token per
   spoken character/word with its own timing, and the phrase boundaries are
   recovered from those tokens.
3. Pauses are real silence of fixed length, measured token to token: 0.12 s after
   a comma, 0.35 s after a sentence, 0.6 s between paragraphs.  Existing pauses
   are shortened only where the audio is silent; missing ones are inserted at the
   quietest point, so no speech is ever cut.
4. If the preset's engine cannot load or fails, the whole script is spoken with
   the preset's ``fallback`` and the reason is kept in ``Speech.warnings``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .errors import ScriptError, SpeechError
from .script import Script
from .textnorm import normalize
from .timeline import Phone, Phrase, Timeline, Token
from .tts import EngineFailed, EngineResult, get_engine, spoken_units
from .voices import VoicePreset, load_voice

SAMPLE_RATE = 48000
PAUSES = {"none": 0.0, "comma": 0.12, "sentence": 0.35, "paragraph": 0.6}
LEAD = 0.05  # seconds of audio kept before the first token at most (onsets)
MAX_TAIL = 0.25  # ... and after a phrase's last token (decays), before a pause
MAX_ZH = 32
MAX_EN = 80
GROUP_ZH = 120  # spoken units per engine call at most (long sentences are split at phrases)
GROUP_EN = 60

_ZH_SENTENCE = "。！？；!?;"
_ZH_COMMA = "，、：,:"
_CLOSERS = "”’」』）)】》\"'"
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gov", "sen", "rep", "gen", "col", "lt", "no",
                  "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                  "sept", "oct", "nov", "dec", "u.s", "u.k", "a.m", "p.m", "e.g", "i.e"}


@dataclass
class Speech:
    samples: np.ndarray  # float32 mono, 48000 Hz, loudness-normalised
    sample_rate: int
    timeline: Timeline
    voice: str  # preset name actually used
    engine: str  # engine name actually used
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class _Piece:
    display: str
    brk: str  # pause after it: none / comma / sentence / paragraph
    spoken: str = ""
    units: int = 0


# --- phrases ----------------------------------------------------------------------------


def split_phrases(paragraphs: list[str], language: str) -> list[_Piece]:
    """Display phrases of the body with the kind of break after each."""
    pieces: list[_Piece] = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        for li, line in enumerate(lines):
            line_pieces = _split_line(line, language)
            if not line_pieces:
                continue
            if line_pieces[-1].brk in ("none", "comma") and li < len(lines) - 1:
                # a line break inside a paragraph ends a sentence when no punctuation does
                line_pieces[-1].brk = "sentence" if line_pieces[-1].brk == "none" else "comma"
            pieces.extend(line_pieces)
        if pieces:
            pieces[-1].brk = "paragraph"
    return pieces


def _split_line(line: str, language: str) -> list[_Piece]:
    out: list[_Piece] = []
    start, i, n = 0, 0, len(line)
    while i < n:
        ch = line[i]
        nxt = line[i + 1] if i + 1 < n else ""
        kind = None
        if ch in "。！？；":
            kind = "sentence"
        elif ch in "，、：":
            kind = "comma"
        elif ch in "…" and nxt not in "…":
            kind = "comma"
        elif ch in ".!?;" and (not nxt or nxt.isspace() or _is_cjk(nxt) or nxt in _CLOSERS):
            kind = "sentence"
            if ch == "." and not _sentence_period(line, i):
                kind = None
        elif ch in ",:" and (not nxt or nxt.isspace() or _is_cjk(nxt) or nxt in _CLOSERS):
            kind = "comma"
        i += 1
        if kind:
            while i < n and line[i] in _CLOSERS + "。！？.!?":
                i += 1
            out.append(_Piece(line[start:i].strip(), kind))
            while i < n and line[i].isspace():
                i += 1
            start = i
    if line[start:].strip():
        out.append(_Piece(line[start:].strip(), "none"))
    result: list[_Piece] = []
    for piece in out:
        result.extend(_cap_length(piece, language))
    return [p for p in result if p.display]


def _sentence_period(line: str, i: int) -> bool:
    """Whether the "." at ``line[i]`` ends a sentence (not "p.m. on", "Dr. Li", "U.S. troops")."""
    rest = line[i + 1:].lstrip()
    if not rest:
        return True
    if rest[0].islower():
        return False
    word = re.search(r"([A-Za-z][A-Za-z.]*)$", line[:i])
    if word:
        w = word.group(1).lower()
        if w in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", w) or len(w) == 1:
            return False
    return True


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


def _cap_length(piece: _Piece, language: str) -> list[_Piece]:
    text = piece.display
    if language == "en" or not any(_is_cjk(c) for c in text):
        if len(text) <= MAX_EN:
            return [piece]
        words = text.split(" ")
        parts = max(2, math.ceil(len(text) / MAX_EN))
        target = len(text) / parts
        chunks, current = [], ""
        for w in words:
            if current and len(current) + 1 + len(w) > target * 1.15 and len(chunks) < parts - 1:
                chunks.append(current)
                current = w
            else:
                current = f"{current} {w}" if current else w
        chunks.append(current)
    else:
        count = sum(1 for c in text if c.isalnum())
        if count <= MAX_ZH:
            return [piece]
        parts = math.ceil(count / MAX_ZH)
        cuts, seen, goal = [], 0, count / parts
        for k, c in enumerate(text):
            if c.isalnum():
                seen += 1
            if len(cuts) < parts - 1 and seen >= goal * (len(cuts) + 1) and k + 1 < len(text):
                a, b = text[k], text[k + 1]
                if not (a.isascii() and a.isalnum() and b.isascii() and b.isalnum()):
                    cuts.append(k + 1)
        bounds = [0, *cuts, len(text)]
        chunks = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    return [_Piece(c.strip(), "none") for c in chunks[:-1]] + [_Piece(chunks[-1].strip(), piece.brk)]


def prepare(script: Script) -> list[_Piece]:
    """Phrases with their spoken text; punctuation-only phrases are merged into a neighbour."""
    language = script.language
    pieces = split_phrases(script.paragraphs, language)
    out: list[_Piece] = []
    orphan = ""
    for piece in pieces:
        spoken = normalize(piece.display, language).strip()
        units = len(spoken_units(spoken, language))
        if units == 0:
            if out:
                out[-1].display = _join(out[-1].display, piece.display, language)
                out[-1].brk = _stronger(out[-1].brk, piece.brk)
            else:
                orphan = _join(orphan, piece.display, language)
            continue
        piece.spoken, piece.units = spoken, units
        if orphan:
            piece.display, orphan = _join(orphan, piece.display, language), ""
        out.append(piece)
    if not out:
        raise ScriptError("稿件正文经规范化后没有可播报的文字", "after normalisation the script body has nothing to speak")
    return out


def _join(a: str, b: str, language: str) -> str:
    if not a:
        return b
    return a + b if language == "zh" else f"{a} {b}"


def _stronger(a: str, b: str) -> str:
    order = list(PAUSES)
    return a if order.index(a) >= order.index(b) else b


def _groups(pieces: list[_Piece], language: str) -> list[list[int]]:
    """Indices of phrases spoken in one engine call: a sentence, or a bounded part of one."""
    limit = GROUP_ZH if language == "zh" else GROUP_EN
    groups, current, units = [], [], 0
    for i, piece in enumerate(pieces):
        if current and units + piece.units > limit:
            groups.append(current)
            current, units = [], 0
        current.append(i)
        units += piece.units
        if piece.brk in ("sentence", "paragraph"):
            groups.append(current)
            current, units = [], 0
    if current:
        groups.append(current)
    return groups


# --- synthesis --------------------------------------------------------------------------


def synthesize(script: Script, voice: VoicePreset, progress: Callable[[float], None] | None = None) -> Speech:
    """Speak ``script``'s body with ``voice`` (falling back along the preset's ``fallback`` chain)."""
    report = progress or (lambda fraction: None)
    pieces = prepare(script)
    warnings: list[str] = []
    preset, tried = voice, []
    while True:
        tried.append(preset.name)
        try:
            engine = get_engine(preset.engine)
            return _speak(pieces, script.language, preset, engine, report, warnings)
        except SpeechError as error:
            if not preset.fallback or preset.fallback in tried:
                if warnings:
                    raise type(error)(f"{error.zh}（已尝试：{'、'.join(tried)}）",
                                      f"{error.en} (tried: {', '.join(tried)})") from error
                raise
            nxt = load_voice(preset.fallback, script.language)
            warnings.append(f"语音预设 {preset.name}（{preset.engine}）不可用，已改用 {nxt.name}（{nxt.engine}）：{error.zh} / "
                            f"voice preset {preset.name} ({preset.engine}) unavailable, used {nxt.name} "
                            f"({nxt.engine}) instead: {error.en}")
            preset = nxt
            report(0.0)


def _speak(pieces: list[_Piece], language: str, preset: VoicePreset, engine, report, warnings) -> Speech:
    from .audio import normalize_loudness

    joiner = "" if language == "zh" else " "
    total = sum(p.units for p in pieces)
    done = 0
    rate = None
    chunks: list[np.ndarray] = []
    phrases: list[Phrase] = []
    phones: list[Phone] = []
    cursor = 0  # samples written so far (at the engine's rate)
    pending_pause = 0.0  # seconds of pause owed before the next group's first token
    prev_tail = 0  # samples of audio kept after the previous group's last token
    for group in _groups(pieces, language):
        text = joiner.join(pieces[i].spoken for i in group)
        try:
            result = engine.synthesize(text, preset)
        except SpeechError:
            raise
        except Exception as e:  # an engine bug must still read as a speech error
            raise EngineFailed(f"{engine.name} 合成失败：{e}", f"{engine.name} failed to synthesise: {e}") from e
        expected = sum(pieces[i].units for i in group)
        if len(result.tokens) != expected:
            raise EngineFailed(f"{engine.name} 返回的时间信息与文本不符（{len(result.tokens)}/{expected}）",
                               f"{engine.name} returned {len(result.tokens)} timed units for {expected} in the text")
        if rate is None:
            rate = result.sample_rate
        elif result.sample_rate != rate:
            from .audio import resample

            result = _resampled(result, rate, resample)
        audio, tokens, group_phones = _shape_group(result, [pieces[i] for i in group])
        sr = rate
        # trim to the group's speech (keep short onset/decay margins) and lay it after the pause
        first, last = tokens[0][0].start, tokens[-1][-1].end
        head = _onset(audio, sr, first)
        tail = _decay(audio, sr, last)
        lead_samples = int(round(first * sr)) - head
        gap = 0
        if chunks or phrases:
            gap = max(0, int(round(pending_pause * sr)) - prev_tail - lead_samples)
        elif lead_samples < int(LEAD * sr):
            gap = int(LEAD * sr) - lead_samples
        offset_samples = cursor + gap - head
        if gap:
            chunks.append(np.zeros(gap, np.float32))
        body = audio[head:tail].copy()
        _fade(body, sr)
        chunks.append(body)
        cursor += gap + len(body)
        offset = offset_samples / sr
        for piece, toks in zip((pieces[i] for i in group), tokens):
            shifted = tuple(Token(t.text, t.start + offset, t.end + offset) for t in toks)
            phrases.append(Phrase(piece.display, piece.spoken, shifted[0].start, shifted[-1].end, shifted))
        phones.extend(Phone(p.symbol, p.start + offset, p.end + offset) for p in group_phones
                      if head / sr - 1e-3 <= p.start and p.end <= tail / sr + 1e-3)
        pending_pause = PAUSES[pieces[group[-1]].brk]
        prev_tail = tail - int(round(last * sr))
        done += expected
        report(min(0.95, 0.95 * done / max(total, 1)))
    raw = np.concatenate(chunks).astype(np.float32)
    samples = normalize_loudness(raw, rate, target_lufs=preset.loudness, out_rate=SAMPLE_RATE).astype(np.float32)
    duration = len(samples) / SAMPLE_RATE
    timeline = _clamped(Timeline(tuple(phrases), duration, tuple(phones)))
    report(1.0)
    return Speech(samples, SAMPLE_RATE, timeline, preset.name, engine.name, list(warnings))


def _resampled(result: EngineResult, rate: int, resample) -> EngineResult:
    return EngineResult(resample(result.samples, result.sample_rate, rate), rate, result.tokens, result.phones)


# --- shaping pauses inside one engine call ---------------------------------------------------


def _frame_rms(audio: np.ndarray, sr: int, hop_s: float = 0.005) -> tuple[np.ndarray, int]:
    hop = max(1, int(sr * hop_s))
    n = len(audio) // hop
    if n == 0:
        return np.zeros(0), hop
    frames = audio[: n * hop].reshape(n, hop)
    return np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)), hop


def _silence_threshold(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    return max(1e-4, peak * 10 ** (-45 / 20))


def _shape_group(result: EngineResult, pieces: list[_Piece]):
    """Split the tokens by phrase and make each pause inside the call the length it should be."""
    sr = result.sample_rate
    audio = result.samples.astype(np.float32)
    tokens, k = [], 0
    for piece in pieces:
        tokens.append(list(result.tokens[k:k + piece.units]))
        k += piece.units
    phones = list(result.phones)
    threshold = _silence_threshold(audio)
    # right to left, so edits never move positions still to be edited
    for b in range(len(pieces) - 2, -1, -1):
        target = PAUSES[pieces[b].brk]
        if target <= 0:
            continue
        end, start = tokens[b][-1].end, tokens[b + 1][0].start
        gap = start - end
        s0, s1 = int(round(end * sr)), int(round(start * sr))
        if gap > target + 0.01:
            cut = _silent_span(audio, sr, s0, s1, threshold, int(round((gap - target) * sr)))
            if cut:
                a, length = cut
                audio = np.concatenate([audio[:a], audio[a + length:]])
                tokens, phones = _shift(tokens, phones, a / sr, -length / sr)
        elif gap < target - 0.01:
            length = int(round((target - gap) * sr))
            at = _quietest(audio, sr, s0, s1)
            audio = np.concatenate([audio[:at], np.zeros(length, np.float32), audio[at:]])
            tokens, phones = _shift(tokens, phones, at / sr, length / sr)
    return audio, tokens, phones


def _silent_span(audio, sr, s0, s1, threshold, want):
    """(start, length) of up to ``want`` samples inside [s0, s1) that are silent, or None."""
    rms, hop = _frame_rms(audio[s0:s1], sr)
    if len(rms) == 0:
        return None
    quiet = rms < threshold
    best, run_start, best_span = 0, None, None
    for i, q in enumerate(list(quiet) + [False]):
        if q and run_start is None:
            run_start = i
        elif not q and run_start is not None:
            if i - run_start > best:
                best, best_span = i - run_start, (run_start, i)
            run_start = None
    if not best_span:
        return None
    a, b = s0 + best_span[0] * hop, s0 + best_span[1] * hop
    margin = int(0.01 * sr)
    a, b = a + margin, b - margin
    length = min(want, b - a)
    if length <= 0:
        return None
    mid = (a + b) // 2
    return mid - length // 2, length


def _quietest(audio, sr, s0, s1) -> int:
    pad = int(0.02 * sr)
    a, b = max(0, min(s0, s1) - pad), min(len(audio), max(s0, s1) + pad)
    if b - a < 2:
        return min(max(s0, 0), len(audio))
    rms, hop = _frame_rms(audio[a:b], sr, 0.0025)
    if len(rms) == 0:
        return a
    i = int(np.argmin(rms))
    seg = np.abs(audio[a + i * hop: a + (i + 1) * hop])
    return a + i * hop + (int(np.argmin(seg)) if len(seg) else 0)


def _shift(tokens, phones, at: float, delta: float):
    def move(t: float) -> float:
        if t < at:
            return t
        return max(at, t + delta)

    tokens = [[Token(t.text, move(t.start), move(t.end)) for t in group] for group in tokens]
    phones = [Phone(p.symbol, move(p.start), move(p.end)) for p in phones]
    return tokens, phones


def _onset(audio, sr, first: float) -> int:
    """First sample to keep: up to LEAD before the first token, no earlier than the sound starts."""
    start = int(round(first * sr))
    lo = max(0, start - int(LEAD * sr))
    rms, hop = _frame_rms(audio[lo:start], sr)
    threshold = _silence_threshold(audio)
    loud = np.nonzero(rms >= threshold)[0]
    return lo + int(loud[0]) * hop if len(loud) else start


def _decay(audio, sr, last: float) -> int:
    """Sample after the last one to keep: where the sound after the last token has died away."""
    end = int(round(last * sr))
    hi = min(len(audio), end + int(MAX_TAIL * sr))
    rms, hop = _frame_rms(audio[end:hi], sr)
    threshold = _silence_threshold(audio)
    loud = np.nonzero(rms >= threshold)[0]
    return min(hi, end + (int(loud[-1]) + 1) * hop) if len(loud) else min(end, len(audio))


def _fade(body: np.ndarray, sr: int):
    n = min(len(body) // 2, int(0.005 * sr))
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        body[:n] *= ramp
        body[-n:] *= ramp[::-1]


def _clamped(timeline: Timeline) -> Timeline:
    """Keep every time inside [0, duration] and monotonic (rounding at the edges only)."""
    d = timeline.duration
    last = 0.0
    phrases = []
    for p in timeline.phrases:
        toks = []
        for t in p.tokens:
            s = min(max(t.start, last), d)
            e = min(max(t.end, s), d)
            toks.append(Token(t.text, s, e))
            last = s
        start = toks[0].start if toks else min(max(p.start, 0.0), d)
        end = max(t.end for t in toks) if toks else start
        phrases.append(replace(p, start=start, end=end, tokens=tuple(toks)))
    phones = tuple(sorted((Phone(ph.symbol, min(max(ph.start, 0.0), d), min(max(ph.end, ph.start, 0.0), d))
                           for ph in timeline.phones), key=lambda ph: ph.start))
    return Timeline(tuple(phrases), d, phones)
