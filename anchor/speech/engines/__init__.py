"""The speech engines: one module per engine, one protocol (:class:`Engine`) in ``base.py``.

Engines are registered by name in :data:`ENGINES` and loaded on first use by :func:`get_engine`;
:func:`check_preset` says whether a voice preset's engine can run here without loading any model.
"""

from .base import (
    ENGINES, MISSING, ONLINE, READY, Availability, Engine, EngineFailed, EngineResult, EngineUnavailable, ModelMissing,
    check_preset, engine_class, get_engine, spoken_units, zh_syllables,
)

__all__ = [
    "ENGINES", "MISSING", "ONLINE", "READY", "Availability", "Engine", "EngineFailed", "EngineResult",
    "EngineUnavailable", "ModelMissing", "check_preset", "engine_class", "get_engine", "spoken_units", "zh_syllables",
]
