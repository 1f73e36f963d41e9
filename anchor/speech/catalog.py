"""Every voice preset with whether it can speak here (``anchor voices``, the studio's voice list)."""

from __future__ import annotations

from .engines import check_preset
from .voices import list_voices

STATE_TEXT = {"ready": "可离线 ready offline", "online": "需联网 needs the internet", "missing": "未安装 not installed"}
STATE_ZH = {"ready": "可离线", "online": "需联网", "missing": "未安装"}
STATE_EN = {"ready": "ready offline", "online": "needs the internet", "missing": "not installed"}


def voices_table(language: str | None = None) -> list[dict]:
    """Every preset with whether it can speak here (``anchor voices``): ready, online or missing."""
    rows = []
    for preset in list_voices(language):
        availability = check_preset(preset)
        rows.append({"name": preset.name, "title": preset.shown("zh"), "title_en": preset.shown("en"),
                     "language": preset.language, "engine": preset.engine,
                     "default": preset.default, "fallback": preset.fallback, "description": preset.description,
                     "state": availability.state, "state_text": STATE_TEXT.get(availability.state, availability.state),
                     "state_zh": STATE_ZH.get(availability.state, availability.state),
                     "state_en": STATE_EN.get(availability.state, availability.state),
                     "detail": availability.detail})
    return rows
