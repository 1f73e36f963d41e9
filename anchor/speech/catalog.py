"""Every voice preset with whether it can speak here (``anchor voices``, the studio's voice list)."""

from __future__ import annotations

from .engines import check_preset
from .voices import list_voices

STATE_TEXT = {"ready": "可离线使用 ready offline", "online": "仅在线 online only", "missing": "不可用 missing"}


def voices_table(language: str | None = None) -> list[dict]:
    """Every preset with whether it can speak here (``anchor voices``): ready, online or missing."""
    rows = []
    for preset in list_voices(language):
        availability = check_preset(preset)
        rows.append({"name": preset.name, "language": preset.language, "engine": preset.engine,
                     "default": preset.default, "fallback": preset.fallback, "description": preset.description,
                     "state": availability.state, "state_text": STATE_TEXT.get(availability.state, availability.state),
                     "detail": availability.detail})
    return rows
