"""The producer's cues in a script: B-roll, lower thirds and ticker texts, inline or listed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import ScriptError
from .model import BRoll, LowerThird, ScriptCue

#: cue keywords a producer can type, in Chinese or English
_CUE_KINDS = {"broll": "broll", "b-roll": "broll", "画面": "broll", "素材": "broll",
              "lower_third": "lower_third", "人名条": "lower_third", "字幕条": "lower_third",
              "ticker": "ticker", "滚动字幕": "ticker", "滚动条": "ticker"}


_CUE_LINE = re.compile(r"^\[\s*(" + "|".join(map(re.escape, _CUE_KINDS)) + r")\s*[:：]\s*(.*?)\s*\]$", re.I)


_MODES = {"full": "full", "fullscreen": "full", "全屏": "full", "pip": "pip", "画中画": "pip", "小窗": "pip"}


def _inline_cues(body: str, base_dir: Path) -> tuple[str, list[ScriptCue], tuple[tuple[int, str], ...]]:
    """Take cue lines such as ``[画面: media/a.jpg 全屏]`` out of the body.

    A cue applies to the paragraph it is written in; a paragraph made only of cue lines
    applies them to the next paragraph.  ``## heading`` paragraphs (Markdown) are taken out
    too and returned as (index of the story's first paragraph, heading).
    """
    paragraphs, cues, pending, stories = [], [], [], []
    for block in re.split(r"\n\s*\n", body):
        if block.startswith("## "):
            stories.append((len(paragraphs), block[3:].strip()))
            continue
        text_lines = []
        for line in block.split("\n"):
            match = _CUE_LINE.match(line.strip())
            if match:
                pending.append((match.group(1), match.group(2), line.strip()))
            elif line.strip():
                text_lines.append(line)
        if text_lines:
            index = len(paragraphs)
            paragraphs.append("\n".join(text_lines))
            cues += [_inline_cue(index, key, value, source, base_dir) for key, value, source in pending]
            pending = []
    if pending:
        source = pending[0][2]
        raise ScriptError(f"提示行 {source} 后面没有要播报的段落", f"the cue {source} is not followed by a paragraph")
    return "\n\n".join(paragraphs), cues, tuple(stories)


def _inline_cue(paragraph: int, key: str, value: str, source: str, base_dir: Path) -> ScriptCue:
    kind = _CUE_KINDS[key.lower()]
    if kind == "broll":
        words = value.split()
        options = [w for w in words[1:]]
        path, mode, start, end = words[0] if words else "", "pip", 0.0, None
        for option in options:
            trim = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[-~到]\s*(\d+(?:\.\d+)?)s?", option)
            if option.lower() in _MODES:
                mode = _MODES[option.lower()]
            elif trim:
                start, end = float(trim.group(1)), float(trim.group(2))
            else:
                raise ScriptError(f"无法理解提示行 {source} 中的 {option!r}（可写 全屏/画中画 或 起止秒数如 2-8）",
                                  f"cannot read {option!r} in the cue {source} (use full/pip or a trim like 2-8)")
        return ScriptCue(paragraph, kind, _broll(path, mode, start, end, source, base_dir), source=source)
    if kind == "lower_third":
        name, _, title = value.partition("/") if "/" in value else value.partition("|")
        if not name.strip():
            raise ScriptError(f"提示行 {source} 缺少姓名（写成 [人名条: 姓名 / 职务]）",
                              f"the cue {source} has no name (write [lower_third: Name / Title])")
        return ScriptCue(paragraph, kind, LowerThird(_clean(name), _clean(title)), source=source)
    if not value.strip():
        raise ScriptError(f"提示行 {source} 缺少滚动字幕内容", f"the cue {source} has no ticker text")
    return ScriptCue(paragraph, kind, _clean(value), source=source)


def _listed_cues(value, base_dir: Path, body: str) -> tuple[ScriptCue, ...]:
    """``cues:`` in YAML/JSON/front matter: a list of {paragraph: N (1-based), broll|lower_third|ticker: ...}."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ScriptError("cues 应为列表，每项写明 paragraph 和 broll/lower_third/ticker 之一",
                          "cues must be a list of {paragraph: N, broll|lower_third|ticker: ...}")
    count = len([p for p in re.split(r"\n\s*\n", body) if p.strip()])
    cues = []
    for item in value:
        source = json.dumps(item, ensure_ascii=False) if not isinstance(item, str) else item
        kinds = [k for k in ("broll", "lower_third", "ticker") if isinstance(item, dict) and k in item]
        if len(kinds) != 1 or not isinstance(item.get("paragraph"), int):
            raise ScriptError(f"提示 {source} 需要 paragraph（段落序号）和 broll/lower_third/ticker 之一",
                              f"the cue {source} needs paragraph (a number) and one of broll/lower_third/ticker")
        paragraph = item["paragraph"] - 1
        if not 0 <= paragraph < count:
            raise ScriptError(f"提示 {source} 指向第 {item['paragraph']} 段，但正文只有 {count} 段",
                              f"the cue {source} names paragraph {item['paragraph']}, but the body has {count}")
        kind, data = kinds[0], item[kinds[0]]
        seconds = float(item.get("seconds", 6.0))
        if kind == "broll":
            trim = item.get("trim") or [0, None]
            mode = _MODES.get(str(item.get("mode", "pip")).lower())
            if mode is None:
                raise ScriptError(f"提示 {source} 的 mode 应为 full 或 pip", f"the cue {source}: mode must be full or pip")
            cue_value = _broll(str(data), mode, float(trim[0] or 0), None if trim[1] is None else float(trim[1]),
                               source, base_dir)
        elif kind == "lower_third":
            cue_value = _lower_third(data)
        else:
            cue_value = _clean(str(data))
        cues.append(ScriptCue(paragraph, kind, cue_value, seconds, source))
    return tuple(cues)


def _broll(path: str, mode: str, start: float, end: float | None, source: str, base_dir: Path) -> BRoll:
    if not path:
        raise ScriptError(f"提示 {source} 缺少素材文件路径", f"the cue {source} names no media file")
    if end is not None and end <= start:
        raise ScriptError(f"提示 {source} 的截取区间无效（结束应晚于开始）", f"the cue {source}: trim end must be after its start")
    resolved = Path(path).expanduser()
    return BRoll(resolved if resolved.is_absolute() else base_dir / resolved, mode, start, end)


def _lower_third(value) -> LowerThird | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("name"):
        raise ScriptError("lower_third 需要写成 {name: 姓名, title: 职务}", "lower_third must be {name: ..., title: ...}")
    return LowerThird(name=_clean(str(value["name"])), title=_clean(str(value.get("title") or "")))


def _clean(text: str) -> str:
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
