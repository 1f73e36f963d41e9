"""Implicit AIGC label for the file metadata.

China's 人工智能生成合成内容标识办法 (in force since 2025-09-01) and GB 45438-2025
require AI-generated video to carry, besides the visible "AI生成" text, an
implicit label: a metadata field named ``AIGC`` holding JSON with exactly these
keys:

``Label``             "1": the content is AI-generated (synthesised).  The
                      standard's other values, "2" (may be) and "3" (suspected),
                      are for propagators that cannot confirm it.
``ContentProducer``   name or code of the service that generated it (the station code)
``ProduceID``         the producer's unique number for this piece of content
``ReservedCode1``     producer's reserved field; here a hash of what was generated
                      (spoken text + settings), so a copy can be matched to its render
``ContentPropagator`` name or code of whoever distributes it (filled by platforms)
``PropagateID``       the propagator's unique number (filled by platforms)
``ReservedCode2``     propagator's reserved field

The MP4 writer stores it as a custom ``moov/udta/meta`` key (``-movflags
use_metadata_tags``), which ``ffprobe -show_format`` and PyAV read back as
``format_tags["AIGC"]``.
"""

from __future__ import annotations

import json
import secrets
import time

KEYS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator", "PropagateID",
        "ReservedCode2")

#: ``Label`` value for content that is AI-generated
AI_GENERATED = "1"


def new_produce_id() -> str:
    """Unique content number: UTC time to the second plus 64 random bits, e.g. ``20250901T083000Z-9f2c...``."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(8)


def aigc_label(content_producer: str, content_sha256: str, produce_id: str | None = None,
               content_propagator: str = "") -> dict[str, str]:
    """The implicit-label dict for one clip (all values strings, keys in the standard's order)."""
    if not content_producer:
        raise ValueError("content_producer must name the generating service")
    return {
        "Label": AI_GENERATED,
        "ContentProducer": str(content_producer),
        "ProduceID": produce_id or new_produce_id(),
        "ReservedCode1": str(content_sha256),
        "ContentPropagator": content_propagator,
        "PropagateID": "",
        "ReservedCode2": "",
    }


def aigc_json(label: dict[str, str]) -> str:
    """Compact JSON for the ``AIGC`` metadata field (Chinese kept as-is, not \\u-escaped)."""
    missing = [k for k in KEYS if k not in label]
    if missing:
        raise ValueError(f"AIGC label lacks {missing}")
    return json.dumps({k: label[k] for k in KEYS}, ensure_ascii=False, separators=(",", ":"))


def parse_aigc(text: str) -> dict[str, str]:
    """Read an ``AIGC`` field back; raises ValueError unless it has exactly the seven keys."""
    label = json.loads(text)
    if not isinstance(label, dict) or set(label) != set(KEYS):
        raise ValueError(f"not an AIGC implicit label: {text!r}")
    return label
