"""Voice presets: ``voices/<name>.yaml``, one file per voice a producer can pick.

A preset names its engine, language and speed, the loudness to master to, and a
fallback preset used (with a warning) when its engine cannot run.  The preset
marked ``default: true`` is used for scripts of its language that name no voice.

The folder is ``voices/`` next to the ``anchor`` package (the repository root),
or ``$ANCHOR_VOICES_DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import VoiceError

LANGUAGE_NAMES = {"zh": "中文", "en": "英文"}


class VoicePreset(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    engine: str
    language: str
    voice: str | None = None  # engine-specific voice name (espeak-ng: "en-us", "cmn-latn-pinyin")
    model: str | None = None  # engine-specific model file (piper: path to .onnx); None: the engine's default
    rate: float = Field(1.0, gt=0.25, le=4.0)  # 1.0 = normal speed
    fallback: str | None = None  # another preset's name
    loudness: float = Field(-14.0, ge=-40.0, le=-5.0)  # target LUFS
    default: bool = False

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGE_NAMES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGE_NAMES)}")
        return value


def voices_dir() -> Path:
    override = os.environ.get("ANCHOR_VOICES_DIR")
    return Path(override).expanduser() if override else Path(__file__).resolve().parent.parent / "voices"


def list_voices(language: str | None = None) -> list[VoicePreset]:
    """Every preset in the voices folder (of ``language`` if given), sorted by name."""
    folder = voices_dir()
    presets = [_read(path) for path in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []
    return [p for p in presets if language is None or p.language == language]


def load_voice(name: str | None, language: str) -> VoicePreset:
    """The preset called ``name``, or the default for ``language`` when ``name`` is None."""
    lang_zh = LANGUAGE_NAMES.get(language, language)
    if name is None:
        candidates = [p for p in list_voices(language) if p.default] or list_voices(language)
        if not candidates:
            raise VoiceError(f"没有可用于{lang_zh}稿件的语音预设（{voices_dir()}）",
                             f"no voice preset for language {language!r} in {voices_dir()}")
        return candidates[0]
    path = voices_dir() / f"{name}.yaml"
    if not path.is_file() or "/" in name or "\\" in name:
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
    return preset


def _read(path: Path) -> VoicePreset:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise VoiceError(f"语音预设文件有误：{path}（{first}）", f"malformed voice preset {path}: {first}") from None
    if not isinstance(data, dict):
        raise VoiceError(f"语音预设文件应为键值对：{path}", f"voice preset {path} must be key: value pairs")
    data.setdefault("name", path.stem)
    try:
        return VoicePreset(**data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise VoiceError(f"语音预设 {path.name} 有误：{problems}", f"invalid voice preset {path.name}: {problems}") from None
