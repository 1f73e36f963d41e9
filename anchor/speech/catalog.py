"""Every voice preset with whether it can speak here (``anchor voices``, the studio's voice list)."""

from __future__ import annotations

from .engines import check_preset
from .voices import list_voices

STATES = {"ready": ("可离线", "ready offline"), "online": ("需联网", "needs the internet"),
          "missing": ("未安装", "not installed")}


def voices_table(language: str | None = None) -> list[dict]:
    """Every preset with whether it can speak here (``anchor voices``): ready, online or missing."""
    rows = []
    for preset in list_voices(language):
        availability = check_preset(preset)
        zh, en = STATES.get(availability.state, (availability.state, availability.state))
        rows.append({"name": preset.name, "title": preset.shown("zh"), "title_en": preset.shown("en"),
                     "language": preset.language, "engine": preset.engine,
                     "default": preset.default, "fallback": preset.fallback, "description": preset.description,
                     "state": availability.state, "state_text": f"{zh} {en}", "state_zh": zh, "state_en": en,
                     "detail": availability.detail})
    return rows
