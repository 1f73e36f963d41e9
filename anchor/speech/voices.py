"""Voice presets: ``voices/<name>.yaml``, one file per voice a producer can pick.

A preset names its engine, language, speed, pitch and voice energy, the
loudness to master to, and a fallback preset used (with a warning) when its
engine cannot run.  The preset marked ``default: true`` is used for scripts of
its language that name no voice.  ``voices/lexicon.yaml`` is the station
lexicon (:mod:`anchor.speech.lexicon`), not a preset.

The folder is ``voices/`` next to the ``anchor`` package (the repository root),
or ``$ANCHOR_VOICES_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..config import read_mapping, validated
from ..errors import VoiceError
from ..files import PROJECT_DIR

if TYPE_CHECKING:  # pragma: no cover
    from .lexicon import Lexicon

LANGUAGE_NAMES = {"zh": "中文", "en": "英文"}


class VoiceShift(BaseModel):
    """Another speaker made from a voice (:mod:`anchor.speech.timbre`): F0 and formants scaled."""

    model_config = ConfigDict(extra="forbid")

    pitch: float = Field(1.0, ge=0.4, le=2.0)  # F0 times this: 0.6 takes a female voice to a male range
    formant: float = Field(1.0, ge=0.7, le=1.4)  # formant frequencies times this: 0.87, a longer vocal tract


class VoicePreset(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    engine: str
    language: str
    description: str = ""  # one line shown by `anchor voices`
    title: str = ""  # what a producer sees, e.g. 女声·新闻 (default: the preset's name)
    title_en: str = ""
    voice: str | None = None  # engine-specific voice name (espeak-ng: "en-us"; edge-tts: "zh-CN-YunyangNeural")
    model: str | None = None  # model file or folder (piper: .onnx; vits: a folder); relative to the voices folder
    rate: float = Field(1.0, gt=0.25, le=4.0)  # 1.0 = normal speed, 1.1 = 10% faster
    pitch: float = Field(1.0, ge=0.5, le=2.0)  # 1.0 = the voice's own pitch, 1.05 = 5% higher
    volume: float = Field(1.0, ge=0.1, le=2.0)  # the engine's own voice energy; the final level is `loudness`
    fallback: str | None = None  # another preset's name
    loudness: float = Field(-14.0, ge=-40.0, le=-5.0)  # target LUFS
    lexicon: str | None = None  # this voice's own lexicon file (over voices/lexicon.yaml)
    timeout: float = Field(30.0, gt=0.0, le=600.0)  # online engines: seconds for the whole script
    proxy: str | None = None  # online engines: e.g. http://proxy.example:3128
    default: bool = False
    shift: VoiceShift | None = None  # re-synthesise the engine's voice as another speaker's

    def shown(self, language: str = "zh") -> str:
        """The voice's name as a producer sees it, in the page's language."""
        return (self.title if language == "zh" else self.title_en or self.title) or self.name

    def model_path(self) -> Path | None:
        """The model file/folder the preset names, with ~ and relative paths resolved."""
        return resolve_path(self.model) if self.model else None

    def lexicon_entries(self) -> "Lexicon":
        """voices/lexicon.yaml, with this preset's own lexicon file on top."""
        from .lexicon import Lexicon, load_lexicon

        shared = voices_dir() / "lexicon.yaml"
        lexicon = load_lexicon(shared) if shared.is_file() else Lexicon()
        if self.lexicon:
            lexicon = lexicon.merged(load_lexicon(resolve_path(self.lexicon)))
        return lexicon

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGE_NAMES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGE_NAMES)}")
        return value


def resolve_path(value: str) -> Path:
    """A path from a preset: ``~`` expanded, relative paths taken from the voices folder."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else voices_dir() / path


def voices_dir() -> Path:
    override = os.environ.get("ANCHOR_VOICES_DIR")
    return Path(override).expanduser() if override else PROJECT_DIR / "voices"


def list_voices(language: str | None = None) -> list[VoicePreset]:
    """Every preset in the voices folder (of ``language`` if given), sorted by name."""
    folder = voices_dir()
    paths = sorted(p for p in folder.glob("*.yaml") if p.name != "lexicon.yaml") if folder.is_dir() else []
    presets = [_read(path) for path in paths]
    return [p for p in presets if language is None or p.language == language]


def load_voice(name: str | None, language: str) -> VoicePreset:
    """The preset called ``name``, or the default for ``language`` when ``name`` is None."""
    lang_zh = LANGUAGE_NAMES.get(language, language)
    if name is None:
        candidates = [p for p in list_voices(language) if p.default] or list_voices(language)
        if not candidates:
            raise VoiceError(f"没有可用于{lang_zh}稿件的语音预设（{voices_dir()}）",
                             f"no voice preset for language {language!r} in {voices_dir()}")
        return _checked(candidates[0])
    path = voices_dir() / f"{name}.yaml"
    if not path.is_file() or "/" in name or "\\" in name or name == "lexicon":
        available = ", ".join(p.name for p in list_voices()) or "(none)"
        raise VoiceError(f"未知的语音预设：{name}（可用：{available}）",
                         f"unknown voice preset {name!r}; available: {available}")
    preset = _read(path)
    if preset.language != language:
        matching = ", ".join(p.name for p in list_voices(language)) or "(none)"
        raise VoiceError(
            f"语音预设 {name} 是{LANGUAGE_NAMES[preset.language]}语音，不能播报{lang_zh}稿件（可用：{matching}）",
            f"voice preset {name!r} speaks {preset.language}, but the script is {language}; use one of: {matching}",
        )
    return _checked(preset)


def _checked(preset: VoicePreset) -> VoicePreset:
    preset.lexicon_entries()  # a broken lexicon is the producer's to fix: say so before any slow work
    return preset


def _read(path: Path) -> VoicePreset:
    data = read_mapping(path, VoiceError, "语音预设", "voice preset")
    data.setdefault("name", path.stem)
    return validated(VoicePreset, data, path, VoiceError, "语音预设", "voice preset")
