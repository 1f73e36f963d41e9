"""Subtitle cues from the speech timeline (lines are broken by :mod:`anchor.graphics.linebreak`;
the SRT and WebVTT files are written by :mod:`anchor.export.sidecars`).

Newsroom conventions followed here:

* about 16 Chinese characters (or ~42 Latin characters) per line, at most two
  lines per cue; longer phrases become several cues, timed by their tokens;
* lines are balanced (a 20-character phrase becomes 10 + 10, not 16 + 4) and
  never start with closing punctuation or end with opening punctuation;
* no line and no cue boundary falls inside a word (:func:`anchor.speech.segment`:
  jieba, the news dictionary, the station's ``words:`` and the script's own terms
  passed in as ``words``); numbers keep their units, Latin words stay whole;
* no ， 。 、 ； at the end of a line (？ ！ and quotes stay);
* cues are monotonic and non-overlapping, run from their first spoken token to
  the next cue (short pauses are bridged), and last at least 0.5 s where the
  speech allows it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from ..errors import InputError
from ..speech import Phrase, Timeline
from .linebreak import _CLOSING, _PAUSE_PUNCT, _limit, _normalise, _split_long_units, _units, _wrap_units, text_width

MAX_LINES = 2
MIN_CUE_SECONDS = 0.5
BRIDGE_GAP_SECONDS = 0.5  # pauses shorter than this keep the previous cue on screen
SHORT_CUE_SECONDS = 1.5  # cues shorter than this merge with a neighbour of the same sentence

_LINE_END_STRIP = "，。、；,;"  # dropped from the end of every subtitle line
_SENTENCE_END = set("。！？!?.…")
_QUOTES_AFTER = "”’」』）》)\"'"
_CJK_RANGES = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\U00020000-\U0002ffff]")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    speaker: str = ""  # at a two-anchor desk: who says it (named in SRT and WebVTT)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def duration(self) -> float:
        return self.end - self.start


def _strip_line(line: str) -> str:
    return line.rstrip().rstrip(_LINE_END_STRIP).rstrip()


# --------------------------------------------------------------------------- cues


@dataclass
class _Piece:
    start: float
    end: float
    text: str
    sentence_end: bool
    first_of_phrase: bool
    last_of_phrase: bool
    units: list[str]  # the words of ``text``, as segmented in the whole phrase


def _speakable(ch: str) -> bool:
    return ch.isalnum()


def _time_mapper(phrase: Phrase, text: str):
    """Map a character position in the display text to a time, in proportion to the spoken tokens."""
    total_chars = sum(1 for c in text if _speakable(c)) or 1
    tokens = [t for t in phrase.tokens if t.end >= t.start]
    if not tokens:
        span = (phrase.start, max(phrase.end, phrase.start))

        def linear(pos: int) -> float:
            f = sum(1 for c in text[:pos] if _speakable(c)) / total_chars
            return span[0] + f * (span[1] - span[0])

        return linear
    weights = [max(1, sum(1 for c in t.text if _speakable(c))) for t in tokens]
    total_w = sum(weights)

    def at(pos: int) -> float:
        f = sum(1 for c in text[:pos] if _speakable(c)) / total_chars
        target = f * total_w
        acc = 0.0
        for tok, w in zip(tokens, weights):
            if target < acc + w - 1e-9:
                # snap to the start of the token being spoken
                return tok.start
            acc += w
        return tokens[-1].end

    return at


def _split_phrase(units: list[str], limit: int) -> list[list[str]]:
    """``units`` in groups that each fit in two lines, balanced, breaking at punctuation when near
    (a cue boundary is a word boundary)."""
    units = _split_long_units(units, limit)
    if len(_wrap_units(units, limit)) <= MAX_LINES:
        return [units]
    widths = [text_width(u) for u in units]
    total = sum(widths)
    n = math.ceil(len(_wrap_units(units, limit)) / MAX_LINES)
    while True:
        cuts = [0]
        cum = [0]
        for w in widths:
            cum.append(cum[-1] + w)
        for i in range(1, n):
            target = total * i / n
            best, best_cost = None, math.inf
            for j in range(cuts[-1] + 1, len(units) - (n - i) + 1):
                cost = abs(cum[j] - target)
                if units[j - 1].rstrip()[-1:] in _PAUSE_PUNCT:
                    cost -= 0.2 * total / n  # prefer a break after a comma / full stop
                if cost < best_cost:
                    best, best_cost = j, cost
            cuts.append(best)
        cuts.append(len(units))
        groups = [units[a:b] for a, b in zip(cuts, cuts[1:])]
        if all(g and len(_wrap_units(g, limit)) <= MAX_LINES for g in groups) or n >= len(units):
            break
        n += 1
    return groups


def _is_sentence_end(text: str) -> bool:
    return text.rstrip().rstrip(_QUOTES_AFTER)[-1:] in _SENTENCE_END


def _join(a: str, b: str, language: str) -> str:
    if language == "zh" and (_CJK_RANGES.match(a[-1:] or " ") or _CJK_RANGES.match(b[:1] or " ")):
        return a + b
    return a.rstrip() + " " + b.lstrip()


def _join_units(a: list[str], b: list[str], joined: str) -> list[str]:
    """The units of two pieces whose texts :func:`_join` made ``joined`` (a space between them or none)."""
    a, b = list(a), list(b)
    a[-1] = a[-1].rstrip()
    b[0] = b[0].lstrip()
    if len(joined) > len("".join(a)) + len("".join(b)):
        a[-1] += " "
    elif b[0][:1] in _CLOSING:  # closing punctuation may not start a line
        a[-1] += b.pop(0)
    return a + [u for u in b if u]


def _fits(units: list[str], limit: int) -> bool:
    return len(_wrap_units(units, limit)) <= MAX_LINES


def _strip_group(group: list[str]) -> list[str]:
    group = list(group)
    group[0], group[-1] = group[0].lstrip(), group[-1].rstrip()
    return [u for u in group if u]


def build_cues(timeline: Timeline, language: str, words: Iterable[str] = ()) -> list[Cue]:
    """Subtitle cues (1-2 lines each) for every phrase of ``timeline``; ``words`` (the script's names and
    terms) are never broken across lines or cues."""
    limit = _limit(language, None)
    words = tuple(words)
    pieces: list[_Piece] = []
    for phrase in sorted(timeline.phrases, key=lambda p: p.start):
        text = _normalise(phrase.display, language)
        if not any(_speakable(c) for c in text):
            continue
        at = _time_mapper(phrase, text)
        groups = _split_phrase(_units(text, words), limit)
        spans, pos = [], 0
        for g in groups:
            spans.append((pos, pos + len("".join(g))))
            pos += len("".join(g))
        first_start = phrase.tokens[0].start if phrase.tokens else phrase.start
        starts = [first_start] + [max(first_start, at(a)) for a, _ in spans[1:]]
        phrase_end = max(phrase.end, phrase.tokens[-1].end if phrase.tokens else phrase.end)
        for k, (a, b) in enumerate(spans):
            end = starts[k + 1] if k + 1 < len(spans) else phrase_end
            chunk = text[a:b].strip()
            pieces.append(_Piece(starts[k], max(end, starts[k]), chunk, _is_sentence_end(chunk), k == 0,
                                 k == len(spans) - 1, _strip_group(groups[k])))

    # merge short neighbours of the same sentence when they fit in two lines
    merged: list[_Piece] = []
    for piece in pieces:
        if merged:
            prev = merged[-1]
            joined = _join(prev.text, piece.text, language)
            units = _join_units(prev.units, piece.units, joined)
            short = (prev.end - prev.start) < SHORT_CUE_SECONDS or (piece.end - piece.start) < SHORT_CUE_SECONDS
            one_line = len(_wrap_units(units, limit)) == 1
            if (
                not prev.sentence_end
                and prev.last_of_phrase
                and piece.first_of_phrase
                and piece.start - prev.end < BRIDGE_GAP_SECONDS
                and (short or one_line)
                and _fits(units, limit)
            ):
                merged[-1] = _Piece(prev.start, max(prev.end, piece.end), joined, piece.sentence_end,
                                    prev.first_of_phrase, piece.last_of_phrase, units)
                continue
        merged.append(piece)

    # still-too-short cues: merge with a neighbour if the text fits, whatever the sentence
    i = 0
    while i < len(merged):
        p = merged[i]
        if p.end - p.start < MIN_CUE_SECONDS and len(merged) > 1:
            for j in (i - 1, i + 1) if i > 0 else (i + 1,):
                if 0 <= j < len(merged):
                    a, b = (merged[j], p) if j < i else (p, merged[j])
                    joined = _join(a.text, b.text, language)
                    units = _join_units(a.units, b.units, joined)
                    if _fits(units, limit) and b.start - a.end < BRIDGE_GAP_SECONDS:
                        merged[min(i, j)] = _Piece(a.start, max(a.end, b.end), joined, b.sentence_end,
                                                   a.first_of_phrase, b.last_of_phrase, units)
                        del merged[max(i, j)]
                        i = max(0, min(i, j) - 1)
                        break
            else:
                i += 1
                continue
            continue
        i += 1

    # timing: no overlaps, bridge short pauses, at least MIN_CUE_SECONDS where there is room
    times = [[p.start, p.end] for p in merged]
    for k in range(len(times)):
        if k + 1 < len(times):
            nxt = times[k + 1][0]
            if times[k][1] > nxt or nxt - times[k][1] < BRIDGE_GAP_SECONDS:
                times[k][1] = max(times[k][0], nxt)
    for k in range(len(times)):
        start, end = times[k]
        if end - start >= MIN_CUE_SECONDS:
            continue
        limit_end = times[k + 1][0] if k + 1 < len(times) else max(timeline.duration, end)
        end = min(max(end, start + MIN_CUE_SECONDS), limit_end)
        if end - start < MIN_CUE_SECONDS and k > 0:
            # use the pause before it, then borrow from a long enough previous cue
            prev_start = times[k - 1][0]
            start = max(0.0, min(start, max(end - MIN_CUE_SECONDS, prev_start + MIN_CUE_SECONDS)))
            times[k - 1][1] = min(times[k - 1][1], start)
        times[k] = [start, end]

    cues = []
    for (start, end), piece in zip(times, merged):
        lines = tuple(line for line in (_strip_line(x) for x in _wrap_units(piece.units, limit)) if line)
        if lines and end > start:
            cues.append(Cue(round(start, 3), round(end, 3), lines))
    return cues


def with_texts(cues: list[Cue], texts: Sequence[str], language: str, words: Iterable[str] = ()) -> list[Cue]:
    """``cues`` with a producer's corrected texts, in order: times and speakers kept, each text broken into
    lines as :func:`build_cues` breaks them.  A line break the producer typed is kept where the parts fit
    in two lines."""
    if len(texts) != len(cues):
        raise InputError(f"字幕共有 {len(cues)} 条，但改后的字幕给了 {len(texts)} 条，条数需一致",
                         f"the clip has {len(cues)} subtitle cues but {len(texts)} corrected texts were given; "
                         f"the counts must match")
    limit, words = _limit(language, None), tuple(words)

    def lines_of(text: str) -> tuple[str, ...]:
        wrapped = [x for x in _wrap_units(_units(_normalise(text, language), words), limit) if x]
        return tuple(line for line in map(_strip_line, wrapped) if line)

    out = []
    for n, (cue, text) in enumerate(zip(cues, texts), 1):
        parts = [lines_of(part) for part in str(text).splitlines()]
        lines = tuple(line for part in parts for line in part)
        if len(lines) > MAX_LINES:
            lines = lines_of(" ".join(str(text).splitlines()))
        if not lines:
            raise InputError(f"第 {n} 条字幕是空的（字幕只能改字，不能删去）",
                             f"subtitle cue {n} is empty (a cue's text can be changed, not removed)")
        if len(lines) > MAX_LINES:
            limit_zh = "每行约 16 字" if language == "zh" else "每行约 42 个字母"
            raise InputError(f"第 {n} 条字幕太长：最多两行（{limit_zh}）",
                             f"subtitle cue {n} is too long: at most two lines "
                             f"(about {limit // 2 if language == 'zh' else limit} characters each)")
        out.append(replace(cue, lines=lines))
    return out


def cue_records(cues: list[Cue]) -> list[dict]:
    """The cues as the clip's JSON lists them (the studio's subtitle table edits their texts)."""
    return [{"start": round(c.start, 3), "end": round(c.end, 3), "text": c.text, **({"speaker": c.speaker}
             if c.speaker else {})} for c in cues]


# --------------------------------------------------------------------------- SRT and WebVTT
