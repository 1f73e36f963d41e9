"""Line breaking for subtitles, headlines and title cards: the fewest balanced lines of a given width,
broken between words (:func:`anchor.speech.segment`: jieba with the news dictionary and the station's and
script's words; whole Latin words and numbers with their units), never before closing or after opening
punctuation, preferring breaks after a comma or full stop, then the most even lines."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Iterable

from ..speech import jieba_words, segment

ZH_CHARS_PER_LINE = 16
EN_CHARS_PER_LINE = 42

# Line-breaking rules (a simple form of the Chinese/Japanese 禁则).
_CLOSING = set("，。、；：？！）》」』】〕〉”’…—,.;:?!)]}%‰℃°'\"")
_OPENING = set("（《「『【〔〈“‘([{")
_PAUSE_PUNCT = set("，、；：。！？,;:.!?…")


def char_width(ch: str) -> int:
    """Width in half-units: 2 for CJK / full-width characters, 1 for Latin, digits and ASCII."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def _limit(language: str, max_chars: int | None) -> int:
    """Line width in half-units: zh counts Chinese characters, other languages Latin characters."""
    if language == "zh":
        return 2 * (max_chars or ZH_CHARS_PER_LINE)
    return max_chars or EN_CHARS_PER_LINE


def _units(text: str, words: Iterable[str] = ()) -> list[str]:
    """Split into unbreakable units: a word (:func:`anchor.speech.segment`: jieba, the news dictionary,
    station and script ``words``, numbers with their units, whole Latin words), with punctuation glued on,
    so a line never breaks inside a word.

    Trailing spaces stay on the unit they follow (they vanish at line ends).
    """
    raw = segment(text, tuple(words))
    units: list[str] = []
    for tok in raw:
        if tok.isspace():
            if units:
                units[-1] += " "
            continue
        if not units:
            units.append(tok)
            continue
        prev = units[-1]
        # closing punctuation may not start a line; opening punctuation may not end one
        if (tok[0] in _CLOSING and not prev.endswith(" ")) or (prev.rstrip()[-1:] in _OPENING and not prev.endswith(" ")):
            units[-1] = prev + tok
        else:
            units.append(tok)
    return units


def _greedy(units: list[str], limit: int) -> list[list[str]]:
    lines: list[list[str]] = []
    current: list[str] = []
    width = 0  # width of current, trailing spaces included
    for unit in units:
        w_visible = text_width(unit.rstrip())
        if current and width + w_visible > limit:
            lines.append(current)
            current, width = [], 0
        current.append(unit)
        width += text_width(unit)
    if current:
        lines.append(current)
    return lines


def _split_long_units(units: list[str], limit: int) -> list[str]:
    out = []
    for unit in units:
        if text_width(unit.rstrip()) <= limit:
            out.append(unit)
            continue
        # a run of words wider than a line (新时代文明实践中心 at 8 characters): at jieba's words inside it,
        # characters only where one of those is still too wide
        parts = [x for tok in jieba_words(unit) for x in (tok if text_width(tok.rstrip()) > limit else [tok])]
        piece = ""
        for part in parts:
            if piece and text_width(piece + part.rstrip()) > limit:
                out.append(piece)
                piece = ""
            piece += part
        if piece:
            out.append(piece)
    return out


PUNCT_BREAK_BONUS = 0.5  # how much imbalance a line break after a comma / full stop is worth (news style: strongly preferred)


def _wrap_units(units: list[str], limit: int) -> list[str]:
    """Fewest lines that fit ``limit``; among those, the most even split, preferring breaks after punctuation."""
    units = _split_long_units(units, limit)
    if not units:
        return []
    n = len(_greedy(units, limit))
    if n == 1:
        return ["".join(units).strip()]
    full = [text_width(u) for u in units]
    visible = [text_width(u.rstrip()) for u in units]
    prefix = [0]
    for w in full:
        prefix.append(prefix[-1] + w)
    target = prefix[-1] / n
    m = len(units)
    inf = math.inf
    # best[k][j]: cost of setting units[:j] in k lines; back[k][j]: where the last line starts
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for k in range(1, n + 1):
        for j in range(1, m + 1):
            for i in range(j - 1, -1, -1):
                width = prefix[j - 1] - prefix[i] + visible[j - 1]
                if width > limit:
                    break
                if best[k - 1][i] == inf:
                    continue
                cost = ((width - target) / target) ** 2
                if j < m and units[j - 1].rstrip()[-1:] in _PAUSE_PUNCT:
                    cost -= PUNCT_BREAK_BONUS
                total = best[k - 1][i] + cost
                if total < best[k][j]:
                    best[k][j], back[k][j] = total, i
    if best[n][m] == inf:  # cannot happen (greedy found n lines), but never lose text
        return ["".join(line).strip() for line in _greedy(units, limit)]
    lines, j = [], m
    for k in range(n, 0, -1):
        i = back[k][j]
        lines.append("".join(units[i:j]).strip())
        j = i
    return lines[::-1]


def wrap_text(text: str, language: str, max_chars: int | None = None, words: Iterable[str] = ()) -> list[str]:
    """Wrap ``text`` into balanced lines of at most ``max_chars`` (Chinese characters for ``zh``,
    Latin characters otherwise; a Latin character counts as half a Chinese one).

    Returns every line needed (possibly more than two); :func:`build_cues` splits long
    text into several cues.  ``words`` are kept whole (lower-third names, programme names).
    """
    text = _normalise(text, language)
    return _wrap_units(_units(text, words), _limit(language, max_chars))


def _normalise(text: str, language: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    # no spaces between two Chinese characters (line breaks in the script)
    return re.sub(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])", "", text)
