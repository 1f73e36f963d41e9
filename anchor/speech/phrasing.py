"""Splitting a script's body into phrases: pause marks, sentence and comma breaks, length caps.

Each phrase gets its spoken reading (normalised, lexicon applied, unspeakable characters dropped).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from ..errors import ScriptError
from ..script import Script
from .engines import spoken_units
from .normalize import normalize
from .voices import VoicePreset
from .words import script_words
from .words import segment as word_tokens

PAUSES = {"none": 0.0, "comma": 0.12, "sentence": 0.35, "paragraph": 0.6}
PAUSE_MARK_DEFAULT = 1.0  # seconds, for a bare [停顿] / [pause]
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
_PAUSE_MARK = re.compile(r"[\[【]\s*(停顿|暂停|pause)\s*([^\]】]*?)\s*[\]】]", re.I)
_PAUSE_LENGTH = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|secs|second|seconds|秒|秒钟)?", re.I)


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


def split_phrases(paragraphs: list[str], language: str, words: tuple[str, ...] = ()) -> list[_Piece]:
    """Display phrases of the body with the kind of break after each (pause marks applied); a phrase cut
    for length is cut between words (``words``: the script's own terms, kept whole)."""
    pieces: list[_Piece] = []
    for paragraph in paragraphs:
        lines = [line.strip() for line in paragraph.split("\n") if line.strip()]
        for li, line in enumerate(lines):
            line_pieces: list[_Piece] = []
            for text, mark in _pause_segments(line):
                segment = _split_line(text, language, words) if text.strip() else []
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


def _split_line(line: str, language: str, words: tuple[str, ...] = ()) -> list[_Piece]:
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
        result.extend(_cap_length(piece, language, words))
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


def _cap_length(piece: _Piece, language: str, words: tuple[str, ...] = ()) -> list[_Piece]:
    """A phrase over MAX_ZH characters (MAX_EN Latin) in even parts, cut between words, never inside one."""
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
        # word boundaries (not before closing or after opening punctuation), with the characters spoken before each
        boundaries, pos, seen = [], 0, 0
        for tok in word_tokens(text, words)[:-1]:
            pos += len(tok)
            seen += sum(1 for c in tok if c.isalnum())
            if text[pos] not in _CLOSERS + "，。、；：？！,.;:?!…" and text[pos - 1] not in "“‘「『（(【《":
                boundaries.append((pos, seen))
        cuts: list[int] = []
        for i in range(1, parts):
            goal = count * i / parts
            options = [(abs(n - goal), b) for b, n in boundaries if b > (cuts[-1] if cuts else 0)]
            if options:
                cuts.append(min(options)[1])
        bounds = [0, *sorted(set(cuts)), len(text)]
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
    # the headline (read_title) and a 问政 reply's question are read first, each a paragraph of its own
    pieces = split_phrases(script.preamble() + script.paragraphs, language, script_words(script, voice))
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
