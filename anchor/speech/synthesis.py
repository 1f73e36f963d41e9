"""The speech stage: a script's body -> loudness-normalised 48 kHz audio + a :class:`Timeline`.

1. The body (not the title, which is shown as a banner) is split into phrases at
   Chinese/English punctuation and at the producer's pause marks (``[停顿]``,
   ``[停顿 1.5秒]``, ``[pause 2s]``), each kept under ~32 Chinese characters / ~80
   Latin characters; each phrase keeps its text as written (``display``, for
   subtitles) and gets its normalised reading (``spoken``, :mod:`anchor.textnorm`,
   then the station lexicon's English respellings).  Emoji and symbols no voice
   can say are dropped with a warning.
2. Phrases are synthesised a sentence at a time (better prosody than phrase by
   phrase, and memory per call stays bounded); the engine returns one token per
   spoken character/word with its own timing, and the phrase boundaries are
   recovered from those tokens.  Audio goes to a temporary file as it is made,
   and loudness normalisation works block by block into the cache file, so a
   10,000-character script needs no more memory than a short one.
3. Pauses are real silence of fixed length, measured token to token: 0.12 s after
   a comma, 0.35 s after a sentence, 0.6 s between paragraphs, or what a pause
   mark asks for.  Existing pauses are shortened only where the audio is silent;
   missing ones are inserted at the quietest point, so no speech is ever cut.
4. If the preset's engine cannot load or fails (an online voice with no network
   included), the whole script is spoken with the preset's ``fallback`` and the
   reason is kept in ``Speech.warnings``.
5. The result (audio + timeline) is cached by a hash of everything it depends on
   (the body as written, the preset, the lexicon, the model file, the code's
   version; so a hit skips even text normalisation), in one file written
   under a temporary name and renamed into place: several worker processes can
   share the cache, and a reader sees a whole entry or none.  ``Speech.samples``
   is then a copy-on-write memory map of that file.
6. A script with a ``recording:`` (a producer's own reading, WAV/MP3) uses that
   audio instead of a voice; the ``recording`` engine aligns the text to it.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..cache import cache_key, cache_root
from ..errors import AnchorError, ScriptError, SpeechError
from ..files import atomic_output, remove_quietly
from ..script import Script
from ..version import __version__
from .engines.base import EngineFailed, EngineResult, get_engine, spoken_units, zh_syllables
from .normalize import normalize
from .timeline import Phone, Phrase, Timeline, Token
from .visemes import build_visemes
from .voices import VoicePreset, load_voice

SAMPLE_RATE = 48000
PAUSES = {"none": 0.0, "comma": 0.12, "sentence": 0.35, "paragraph": 0.6}
PAUSE_MARK_DEFAULT = 1.0  # seconds, for a bare [停顿] / [pause]
LEAD = 0.05  # seconds of audio kept before the first token at most (onsets)
MAX_TAIL = 0.25  # ... and after a phrase's last token (decays), before a pause
MAX_ZH = 32
MAX_EN = 80
GROUP_ZH = 120  # spoken units per engine call at most (long sentences are split at phrases)
GROUP_EN = 60
CACHE_FORMAT = 1  # bump when what is stored changes meaning

_ZH_SENTENCE = "。！？；!?;"
_ZH_COMMA = "，、：,:"
_CLOSERS = "”’」』）)】》\"'"
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gov", "sen", "rep", "gen", "col", "lt", "no",
                  "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                  "sept", "oct", "nov", "dec", "u.s", "u.k", "a.m", "p.m", "e.g", "i.e"}
_PAUSE_MARK = re.compile(r"[\[【]\s*(停顿|暂停|pause)\s*([^\]】]*?)\s*[\]】]", re.I)
_PAUSE_LENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|secs|second|seconds|秒|秒钟)?", re.I)


@dataclass
class Speech:
    samples: np.ndarray  # float32 mono, 48000 Hz, loudness-normalised (may be a read-only-file memory map)
    sample_rate: int
    timeline: Timeline
    voice: str  # preset name actually used
    engine: str  # engine name actually used
    warnings: list[str] = field(default_factory=list)
    cached: bool = False  # True when the audio and timeline came from the speech cache

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass
class _Piece:
    display: str
    brk: str  # pause after it: none / comma / sentence / paragraph
    spoken: str = ""
    units: int = 0
    pause: float | None = None  # seconds of pause after it, when a pause mark asks for one

    @property
    def pause_after(self) -> float:
        return self.pause if self.pause is not None else PAUSES[self.brk]


# --- phrases ----------------------------------------------------------------------------


def split_phrases(paragraphs: list[str], language: str) -> list[_Piece]:
    """Display phrases of the body with the kind of break after each (pause marks applied)."""
    pieces: list[_Piece] = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        for li, line in enumerate(lines):
            line_pieces: list[_Piece] = []
            for text, mark in _pause_segments(line):
                segment = _split_line(text, language) if text.strip() else []
                line_pieces.extend(segment)
                target = line_pieces or pieces
                if mark is not None and target:
                    target[-1].pause = max(mark, target[-1].pause_after)
            if not line_pieces:
                continue
            if line_pieces[-1].brk in ("none", "comma") and li < len(lines) - 1:
                # a line break inside a paragraph ends a sentence when no punctuation does
                line_pieces[-1].brk = "sentence" if line_pieces[-1].brk == "none" else "comma"
            pieces.extend(line_pieces)
        if pieces:
            pieces[-1].brk = "paragraph"
    return pieces


def _pause_segments(line: str) -> list[tuple[str, float | None]]:
    """``line`` cut at its pause marks: (text before a mark, the mark's seconds or None at the end)."""
    out, start = [], 0
    for m in _PAUSE_MARK.finditer(line):
        out.append((line[start:m.start()], _pause_seconds(m)))
        start = m.end()
    out.append((line[start:], None))
    return out


def _pause_seconds(mark: re.Match) -> float:
    arg = mark.group(2).strip()
    if not arg:
        return PAUSE_MARK_DEFAULT
    length = _PAUSE_LENGTH.fullmatch(arg)
    seconds = float(length.group(1)) if length else -1.0
    if not 0.1 <= seconds <= 10.0:
        raise ScriptError(f"停顿标记 {mark.group()} 有误：请写成 [停顿] 或 [停顿 1.5秒]（0.1–10 秒）",
                          f"bad pause mark {mark.group()!r}: write [pause] or [pause 1.5s] (0.1-10 seconds)")
    return seconds


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
    return [_Piece(c.strip(), "none") for c in chunks[:-1]] + [_Piece(chunks[-1].strip(), piece.brk, pause=piece.pause)]


# --- what cannot be spoken --------------------------------------------------------------


def _is_pictograph(ch: str) -> bool:
    """Emoji, dingbats, pictographs and their joiners: dropped from subtitles too (no font has them)."""
    o = ord(ch)
    return (o >= 0x1F000 or 0x2600 <= o <= 0x27BF or 0x2B00 <= o <= 0x2BFF or 0xE000 <= o <= 0xF8FF
            or o in (0x200D, 0xFE0F, 0xFE0E, 0x20E3))


def _speakable(ch: str, language: str) -> bool:
    """Whether an engine can say (or pause at) ``ch`` in normalised text."""
    if ch.isspace() or unicodedata.category(ch).startswith("P"):
        return True
    if language == "zh":
        return bool(re.fullmatch(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9]", ch))
    return ch.isascii() and ch.isalnum() or unicodedata.name(ch, "").startswith("LATIN")


def _drop_unspeakable(text: str, language: str, skipped: list[str]) -> str:
    kept = []
    for ch in text:
        if _speakable(ch, language):
            kept.append(ch)
        elif ch not in ("\u200d", "\ufe0f", "\ufe0e"):
            skipped.append(ch)
    return re.sub(r"\s{2,}", " ", "".join(kept)).strip()


def prepare(script: Script, voice: VoicePreset | None = None, warnings: list[str] | None = None) -> list[_Piece]:
    """Phrases with their spoken text; punctuation-only phrases are merged into a neighbour.

    Characters no engine can say are dropped, listed once in ``warnings``.
    """
    language = script.language
    lexicon = voice.lexicon_entries() if voice is not None else None
    pieces = split_phrases(script.paragraphs, language)
    out: list[_Piece] = []
    orphan = ""
    skipped: list[str] = []
    for piece in pieces:
        skipped += [c for c in piece.display if _is_pictograph(c) and c not in ("\u200d", "\ufe0f", "\ufe0e")]
        piece.display = re.sub(r"\s{2,}", " ", "".join(c for c in piece.display if not _is_pictograph(c))).strip()
        spoken = _drop_unspeakable(normalize(piece.display, language), language, skipped)
        if lexicon is not None and language == "en":
            spoken = lexicon.respell_en(spoken)
        units = len(spoken_units(spoken, language))
        if units == 0:
            if out:
                out[-1].display = _join(out[-1].display, piece.display, language)
                out[-1].brk = _stronger(out[-1].brk, piece.brk)
                if piece.pause is not None:
                    out[-1].pause = max(piece.pause, out[-1].pause_after)
            else:
                orphan = _join(orphan, piece.display, language)
            continue
        piece.spoken, piece.units = spoken, units
        if orphan:
            piece.display, orphan = _join(orphan, piece.display, language), ""
        out.append(piece)
    if skipped and warnings is not None:
        shown = " ".join(dict.fromkeys(skipped))
        warnings.append(f"已跳过无法朗读的符号：{shown}（共 {len(skipped)} 处） / "
                        f"skipped symbols that cannot be spoken: {shown} ({len(skipped)} in all)")
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


def synthesize(script: Script, voice: VoicePreset, progress: Callable[[float], None] | None = None,
               *, cache: bool = True) -> Speech:
    """Speak ``script``'s body with ``voice`` (falling back along the preset's ``fallback`` chain).

    With a ``recording`` in the script, the producer's recording is the speech and
    ``voice`` only sets the loudness target.  ``cache=False`` neither reads nor
    writes the speech cache.
    """
    report = progress or (lambda fraction: None)
    warnings: list[str] = []
    recording = getattr(script, "recording", None)
    if recording:
        voice = VoicePreset(name="recording", engine="recording", language=script.language, model=str(recording),
                            loudness=voice.loudness, lexicon=voice.lexicon)
    preset, tried = voice, []
    while True:
        tried.append(preset.name)
        try:
            return _speech_for(script, preset, report, warnings, cache)
        except SpeechError as error:
            if not preset.fallback or preset.fallback in tried:
                if len(tried) > 1:
                    raise type(error)(f"{error.zh}（已尝试：{'、'.join(tried)}）",
                                      f"{error.en} (tried: {', '.join(tried)})") from error
                raise
            nxt = load_voice(preset.fallback, script.language)
            warnings.append(f"语音预设 {preset.name}（{preset.engine}）不可用，已改用 {nxt.name}（{nxt.engine}）：{error.zh} / "
                            f"voice preset {preset.name} ({preset.engine}) unavailable, used {nxt.name} "
                            f"({nxt.engine}) instead: {error.en}")
            preset = nxt
            report(0.0)


def _speech_for(script: Script, preset: VoicePreset, report, warnings: list[str], use_cache: bool) -> Speech:
    """From the cache (keyed on the script as written, so a hit costs no text normalisation), or spoken."""
    path = _cache_path(_cache_key(script, preset))
    if use_cache:
        hit = _open_entry(path)
        if hit is not None:
            report(1.0)
            return replace(hit, warnings=hit.warnings + warnings, cached=True)
    notes: list[str] = []  # what the text itself gave rise to (skipped symbols): stored with the entry
    pieces = prepare(script, preset, notes)
    engine = get_engine(preset.engine)
    speech = _speak(pieces, script.language, preset, engine, report, notes, path if use_cache else None)
    return replace(speech, warnings=notes + warnings)


# --- the cache ----------------------------------------------------------------------------

_MAGIC = b"ANCHOR-SPEECH\n"


def _cache_key(script: Script, preset: VoicePreset) -> str:
    """Everything the speech depends on: the body as written, the preset, its model and lexicon, the code."""
    settings = preset.model_dump(exclude={"name", "default", "fallback", "description", "timeout", "proxy", "lexicon"})
    return cache_key("speech", CACHE_FORMAT, __version__, script.language, script.body,
                     settings, _model_fingerprint(preset), preset.lexicon_entries().fingerprint())


def _model_fingerprint(preset: VoicePreset) -> list:
    """What identifies the model's content: size and time of each file (a recording: its bytes' hash)."""
    path = preset.model_path()
    if path is None or not path.exists():
        return []
    if preset.engine == "recording":
        import hashlib

        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return [digest.hexdigest()]
    files = sorted(path.rglob("*")) if path.is_dir() else [path, Path(f"{path}.json")]
    return [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files if f.is_file()]


def _cache_path(key: str) -> Path:
    return cache_root() / "speech" / f"{key}.speech"


def _open_entry(path: Path) -> Speech | None:
    """The Speech stored at ``path``, its samples memory-mapped; None if missing or damaged."""
    try:
        with open(path, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size).decode("utf-8"))
        offset = _data_offset(size)
        n = int(header["n"])
        if n <= 0 or os.path.getsize(path) != offset + 4 * n:
            return None
        samples = np.memmap(path, dtype="<f4", mode="c", offset=offset, shape=(n,))
        return Speech(samples, header["sample_rate"], Timeline.from_dict(header["timeline"]),
                      header["voice"], header["engine"], list(header.get("notes", [])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _data_offset(header_size: int) -> int:
    return -(-(len(_MAGIC) + 8 + header_size) // 64) * 64


def _store(path: Path | None, raw: "_RawAudio", rate: int, target: float, timeline: Timeline,
           voice: str, engine: str, notes: list[str]) -> Speech:
    """Normalise ``raw`` into a speech file at ``path`` (or a private temporary one) and map it."""
    from ..audio import normalize_loudness

    n = round(raw.n * SAMPLE_RATE / rate)
    header = json.dumps({"n": n, "sample_rate": SAMPLE_RATE, "voice": voice, "engine": engine, "notes": notes,
                         "timeline": timeline.to_dict()}, ensure_ascii=False).encode("utf-8")
    prefix = _MAGIC + len(header).to_bytes(8, "little") + header
    offset = _data_offset(len(header))

    def write(target_path: Path):
        with open(target_path, "wb") as f:
            f.write(prefix + b"\0" * (offset - len(prefix)))
            f.truncate(offset + 4 * n)
        out = np.memmap(target_path, dtype="<f4", mode="r+", offset=offset, shape=(n,))
        normalize_loudness(raw.array(), rate, target_lufs=target, out_rate=SAMPLE_RATE, out=out)
        out.flush()
        del out

    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_output(path) as temp:
                write(temp)
            stored = _open_entry(path)
            if stored is not None:
                return stored
        except OSError:
            pass  # a read-only or full cache folder only costs speed: keep it in a private file
    handle, name = tempfile.mkstemp(prefix="anchor-speech-", suffix=".speech")
    os.close(handle)
    try:
        write(Path(name))
        stored = _open_entry(Path(name))  # the mapping outlives the file's name
    finally:
        remove_quietly(Path(name))
    if stored is None:
        raise EngineFailed("语音音频无法写入临时文件", "could not write the speech audio to a temporary file")
    return stored


class _RawAudio:
    """Float32 samples appended to an unnamed temporary file, so memory stays flat however long."""

    def __init__(self):
        folder = cache_root() / "speech"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.file = tempfile.TemporaryFile(dir=folder)
        except OSError:
            self.file = tempfile.TemporaryFile()
        self.n = 0

    def append(self, samples: np.ndarray):
        self.file.write(np.ascontiguousarray(samples, dtype="<f4").tobytes())
        self.n += len(samples)

    def silence(self, n: int):
        for a in range(0, n, 1 << 18):
            self.append(np.zeros(min(1 << 18, n - a), np.float32))

    def array(self) -> np.ndarray:
        self.file.flush()
        return np.memmap(self.file, dtype="<f4", mode="r", shape=(self.n,)) if self.n else np.zeros(0, np.float32)

    def close(self):
        self.file.close()


def _speak(pieces: list[_Piece], language: str, preset: VoicePreset, engine, report, warnings,
           path: Path | None) -> Speech:
    whole = getattr(engine, "whole_script", False)
    extra = {"deadline": time.monotonic() + preset.timeout} if getattr(engine, "online", False) else {}
    groups = [list(range(len(pieces)))] if whole else _groups(pieces, language)
    joiner = "\n" if whole else ("" if language == "zh" else " ")
    total = sum(p.units for p in pieces)
    done = 0
    rate = None
    raw = _RawAudio()
    phrases: list[Phrase] = []
    phones: list[Phone] = []
    pending_pause = 0.0  # seconds of pause owed before the next group's first token
    prev_tail = 0  # samples of audio kept after the previous group's last token
    try:
        for gi, group in enumerate(groups):
            text = joiner.join(pieces[i].spoken for i in group)
            try:
                result = engine.synthesize(text, preset, **extra)
            except AnchorError:
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
                from ..audio import resample

                result = _resampled(result, rate, resample)
            if whole:
                audio, tokens, group_phones = _split_tokens(result, [pieces[i] for i in group])
            else:
                audio, tokens, group_phones = _shape_group(result, [pieces[i] for i in group])
            sr = rate
            # trim to the group's speech (keep short onset/decay margins) and lay it after the pause
            first, last = tokens[0][0].start, tokens[-1][-1].end
            head = _onset(audio, sr, first)
            tail = _decay(audio, sr, last)
            if gi == len(groups) - 1 and tail > int(round(last * sr)):
                # the script's last token ends where its sound dies away, and so does the audio
                last = tail / sr
                tokens[-1][-1] = replace(tokens[-1][-1], end=last)
            lead_samples = int(round(first * sr)) - head
            gap = 0
            if raw.n:
                gap = max(0, int(round(pending_pause * sr)) - prev_tail - lead_samples)
            elif lead_samples < int(LEAD * sr):
                gap = int(LEAD * sr) - lead_samples
            offset_samples = raw.n + gap - head
            raw.silence(gap)
            body = audio[head:tail].copy()
            _fade(body, sr)
            raw.append(body)
            offset = offset_samples / sr
            for piece, toks in zip((pieces[i] for i in group), tokens):
                shifted = tuple(Token(t.text, t.start + offset, t.end + offset) for t in toks)
                phrases.append(Phrase(piece.display, piece.spoken, shifted[0].start, shifted[-1].end, shifted))
            phones.extend(Phone(p.symbol, p.start + offset, p.end + offset) for p in group_phones
                          if head / sr - 1e-3 <= p.start and p.end <= tail / sr + 1e-3)
            pending_pause = pieces[group[-1]].pause_after
            prev_tail = tail - int(round(last * sr))
            done += expected
            report(min(0.95, 0.95 * done / max(total, 1)))
        if not raw.n:
            raise EngineFailed(f"{engine.name} 没有合成出任何声音", f"{engine.name} produced no audio")
        duration = round(raw.n * SAMPLE_RATE / rate) / SAMPLE_RATE
        timeline = _clamped(Timeline(tuple(phrases), duration, tuple(phones)))
        timeline = replace(timeline, visemes=build_visemes(timeline, language, _syllables(timeline, language, preset)))
        speech = _store(path, raw, rate, preset.loudness, timeline, preset.name, engine.name, list(warnings))
    finally:
        raw.close()
    report(1.0)
    return speech


def _syllables(timeline: Timeline, language: str, preset: VoicePreset) -> list[tuple[str, ...]] | None:
    """The pinyin of every token (Mandarin), lexicon included, for the visemes."""
    if language != "zh":
        return None
    lexicon = preset.lexicon_entries()
    return [syllables for phrase in timeline.phrases for _, syllables in zh_syllables(phrase.spoken, lexicon)]


def _resampled(result: EngineResult, rate: int, resample) -> EngineResult:
    return EngineResult(resample(result.samples, result.sample_rate, rate), rate, result.tokens, result.phones)


def _split_tokens(result: EngineResult, pieces: list[_Piece]):
    """The tokens of one whole-script call split by phrase; the audio as it is."""
    tokens, k = [], 0
    for piece in pieces:
        tokens.append(list(result.tokens[k:k + piece.units]))
        k += piece.units
    return result.samples.astype(np.float32), tokens, list(result.phones)


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
        target = pieces[b].pause_after
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
    """The quietest sample between the end of one token (``s0``) and the start of the next (``s1``)."""
    if s1 - s0 < int(0.005 * sr):  # touching (or overlapping) tokens: cut exactly between them
        return min(max(s0, 0), len(audio))
    a, b = max(0, s0), min(len(audio), s1)
    if b - a < 2:
        return min(max(s0, 0), len(audio))
    rms, hop = _frame_rms(audio[a:b], sr, 0.0025)
    if len(rms) == 0:
        return a
    i = int(np.argmin(rms))
    seg = np.abs(audio[a + i * hop: a + (i + 1) * hop])
    return a + i * hop + (int(np.argmin(seg)) if len(seg) else 0)


def _shift(tokens, phones, at: float, delta: float):
    """Times after ``at`` moved by ``delta``; a span ending exactly at ``at`` keeps its end."""
    def start(t: float) -> float:
        return t if t < at else max(at, t + delta)

    def end(t: float) -> float:
        return t if t <= at else max(at, t + delta)

    tokens = [[Token(t.text, start(t.start), max(start(t.start), end(t.end))) for t in group] for group in tokens]
    phones = [Phone(p.symbol, start(p.start), max(start(p.start), end(p.end))) for p in phones]
    return tokens, phones


def _onset(audio, sr, first: float) -> int:
    """First sample to keep: up to LEAD before the first token, no earlier than the sound starts."""
    start = int(round(first * sr))
    lo = max(0, start - int(LEAD * sr))
    rms, hop = _frame_rms(audio[lo:start], sr)
    threshold = _silence_threshold(audio)
    loud = np.nonzero(rms >= threshold)[0]
    return lo + int(loud[0]) * hop if len(loud) else start


def _decay(audio, sr, last: float, max_tail: float = MAX_TAIL) -> int:
    """Sample after the last one to keep: where the sound after the last token has died away."""
    end = int(round(last * sr))
    hi = min(len(audio), end + int(max_tail * sr))
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
