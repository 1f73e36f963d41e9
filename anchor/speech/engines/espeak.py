"""The fallback: libespeak-ng through ctypes (no extra Python package, tiny, fast).

``espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, ..., espeakINITIALIZE_PHONEME_EVENTS)``
delivers audio and events through the synth callback: a WORD event carries the
word's character position in the input and its start in ms; PHONEME events
carry each phoneme's start.  A token runs from its word event to the end of its
last non-pause phoneme (the next phoneme's start).

Mandarin uses the voice ``cmn-latn-pinyin`` (the ``cmn``/``zh`` voices read tone
digits aloud): the text is turned into tone-numbered pinyin first, one
space-separated syllable per character, and each unit's character span in that
pinyin string maps word events back to characters.  English uses ``en-us``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

import numpy as np

from ..timeline import Phone, Token
from .base import (
    MISSING, READY, Availability, EngineFailed, EngineResult, EngineUnavailable, spoken_units, unit_spans,
    zh_syllables,
)

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
POS_CHARACTER = 1
EVENT_LIST_TERMINATED, EVENT_WORD, EVENT_SENTENCE, EVENT_END, EVENT_MSG_TERMINATED, EVENT_PHONEME = 0, 1, 2, 5, 6, 7
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH = 1, 2, 3
DEFAULT_VOLUME, DEFAULT_PITCH = 100, 50
DEFAULT_WPM = 175
VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


def _load_library():
    for name in (ctypes.util.find_library("espeak-ng"), "libespeak-ng.so.1", "libespeak-ng.so"):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise EngineUnavailable("找不到 libespeak-ng（apt-get install espeak-ng libespeak-ng1）",
                            "libespeak-ng not found (apt-get install espeak-ng libespeak-ng1)")


class EspeakEngine:
    name = "espeak-ng"

    @staticmethod
    def check(preset) -> Availability:
        try:
            _load_library()
        except EngineUnavailable as e:
            return Availability(MISSING, f"{e.zh} / {e.en}")
        return Availability(READY, f"libespeak-ng, voice {preset.voice or VOICES.get(preset.language, 'en-us')}")

    def __init__(self):
        lib = _load_library()
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None,
                                     INITIALIZE_PHONEME_EVENTS | INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise EngineUnavailable("libespeak-ng 初始化失败（缺少 espeak-ng-data？）",
                                    "libespeak-ng failed to initialise (espeak-ng-data missing?)")
        self.sample_rate = rate
        self._lib = lib
        self._lock = threading.Lock()  # libespeak-ng is one global instance per process
        self._audio: list[np.ndarray] = []
        self._events: list[tuple[int, int, int, str]] = []
        self._callback = _CALLBACK(self._on_synth)  # keep a reference: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(self, wav, n, events) -> int:
        if wav and n > 0:
            self._audio.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.float32) / 32768.0)
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == EVENT_WORD:
                self._events.append((EVENT_WORD, ev.text_position, ev.audio_position, ""))
            elif ev.type == EVENT_PHONEME:
                self._events.append((EVENT_PHONEME, ev.text_position, ev.audio_position,
                                     ev.id.string.decode("ascii", "replace")))
            elif ev.type == EVENT_MSG_TERMINATED:
                self._events.append((EVENT_MSG_TERMINATED, 0, ev.audio_position, ""))
            i += 1
        return 0

    def _speak(self, text: str, voice: str, rate: float, pitch: float = 1.0, volume: float = 1.0):
        lib = self._lib
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise EngineUnavailable(f"espeak-ng 没有语音 {voice}", f"espeak-ng has no voice {voice!r}")
        lib.espeak_SetParameter(PARAM_RATE, int(round(DEFAULT_WPM * rate)), 0)
        lib.espeak_SetParameter(PARAM_PITCH, int(round(min(100, DEFAULT_PITCH * pitch))), 0)
        lib.espeak_SetParameter(PARAM_VOLUME, int(round(DEFAULT_VOLUME * volume)), 0)
        self._audio, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        err = lib.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        if err != 0:
            raise EngineFailed(f"espeak-ng 合成失败（错误 {err}）", f"espeak-ng failed to synthesise (error {err})")
        audio = np.concatenate(self._audio) if self._audio else np.zeros(0, np.float32)
        return audio, list(self._events)

    def synthesize(self, text: str, preset) -> EngineResult:
        language = preset.language
        voice = preset.voice or VOICES.get(language, "en-us")
        if language == "zh":
            # one pinyin syllable group per unit; clause and sentence punctuation kept for pauses
            units = zh_syllables(text, preset.lexicon_entries())
            pieces, spans, k = [], [], 0
            for ch in text:
                if ch in "，、：；,:;":
                    pieces.append(",")
                elif ch in "。！？!?.":
                    pieces.append(".")
                if k < len(units) and ch == units[k][0]:
                    piece = " ".join(units[k][1])
                    start = len(" ".join(pieces)) + (1 if pieces else 0)
                    if piece:
                        pieces.append(piece)
                    spans.append((start, start + len(piece)))
                    k += 1
            speak_text = " ".join(pieces).replace(" ,", ",").replace(" .", ".")
            # replacing " ," shifts later positions; recompute spans on the final string
            spans, cursor = [], 0
            for _, syllables in units:
                piece = " ".join(syllables)
                if not piece:
                    spans.append((cursor, cursor))
                    continue
                at = speak_text.index(piece, cursor)
                spans.append((at, at + len(piece)))
                cursor = at + len(piece)
            names = [u for u, _ in units]
        else:
            speak_text = text
            spans = unit_spans(text, "en")
            names = spoken_units(text, "en")
        rate = max(0.5, min(2.0, float(preset.rate or 1.0)))
        with self._lock:
            audio, events = self._speak(speak_text, voice, rate, float(preset.pitch), float(preset.volume))
        sr = self.sample_rate
        duration = len(audio) / sr
        tokens, phones = _timings(events, spans, names, duration)
        return EngineResult(np.clip(audio, -1.0, 1.0).astype(np.float32), sr, tokens, phones)


def _timings(events, spans, names, duration):
    """Tokens for the units at character ``spans`` from espeak-ng's word and phoneme events.

    espeak-ng sends one WORD event per word it speaks, at the word's character
    position, but merges unstressed function words into their neighbour ("On the"
    is one word to it).  Units sharing one word event share its phonemes, split at
    phoneme boundaries in proportion to the units' lengths.
    """
    ph = [(t / 1000.0, name) for kind, _, t, name in events if kind == EVENT_PHONEME]
    ends = [ph[k + 1][0] if k + 1 < len(ph) else duration for k in range(len(ph))]
    phones = [Phone(name, min(t, duration), min(e, duration))
              for (t, name), e in zip(ph, ends) if name.strip() and not name.startswith("_") and e > t]
    words = sorted({(pos - 1, t / 1000.0) for kind, pos, t, _ in events if kind == EVENT_WORD})
    # each word event belongs to the unit that contains it, or else the next one
    owner: dict[int, list[float]] = {}
    for p, t in words:
        for i, (a, b) in enumerate(spans):
            if p < max(b, a + 1):
                owner.setdefault(i, []).append(t)
                break
    groups: list[list[int]] = []
    for i in range(len(spans)):
        if i in owner or not groups:
            groups.append([i])
        else:
            groups[-1].append(i)
    starts = [min(owner[g[0]]) if g[0] in owner else 0.0 for g in groups]
    tokens = [None] * len(spans)
    for gi, group in enumerate(groups):
        g_start = starts[gi]
        g_limit = starts[gi + 1] if gi + 1 < len(groups) else duration
        sounding = [(t, e) for (t, name), e in zip(ph, ends)
                    if g_start <= t < g_limit and not name.startswith("_") and name.strip()]
        if not sounding:
            for i in group:
                tokens[i] = Token(names[i], min(g_start, duration), min(g_start, duration))
            continue
        weights = np.array([max(spans[i][1] - spans[i][0], 1) for i in group], float)
        cuts = np.round(np.cumsum(weights) / weights.sum() * len(sounding)).astype(int)
        first = 0
        for i, cut in zip(group, cuts):
            cut = max(cut, min(first + 1, len(sounding)))
            share = sounding[first:cut] or sounding[max(first - 1, 0):max(first, 1)]
            start = share[0][0]
            tokens[i] = Token(names[i], min(start, duration), min(max(share[-1][1], start), g_limit, duration))
            first = cut
    return tokens, phones
