"""Parse and validate a news script (.txt, .md with front matter, .yaml, .json)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ..errors import ScriptError

LANGUAGES = ("zh", "en")
FORMATS = (".txt", ".md", ".yaml", ".yml", ".json")
_FIELDS = {"title", "language", "voice", "avatar", "lower_third", "body", "template", "ticker", "music", "cues",
           "recording"}


@dataclass(frozen=True)
class LowerThird:
    name: str
    title: str = ""


@dataclass(frozen=True)
class BRoll:
    """Pictures shown while a paragraph is read: an image (slow Ken Burns move) or a muted video clip."""

    path: Path
    mode: str = "pip"  # "full" (whole frame) or "pip" (a window beside the anchor)
    start: float = 0.0  # video only: where in the file to start (seconds)
    end: float | None = None  # video only: where to stop; the part is looped to fill the paragraph


@dataclass(frozen=True)
class ScriptCue:
    """A production direction attached to one paragraph of the body (0-based ``paragraph``).

    ``kind`` is "broll" (``value`` a :class:`BRoll`), "lower_third" (a :class:`LowerThird`,
    shown from the paragraph's start for ``seconds``) or "ticker" (the ticker's new text).
    """

    paragraph: int
    kind: str
    value: object
    seconds: float = 6.0
    source: str = ""  # the cue as the producer wrote it, for error messages


@dataclass(frozen=True)
class Music:
    path: Path
    volume_db: float = -18.0  # music level where nobody speaks, relative to full scale before mastering


@dataclass(frozen=True)
class Script:
    title: str
    body: str
    language: str
    voice: str | None = None
    avatar: str | None = None
    lower_third: LowerThird | None = None
    stem: str = "script"
    template: str | None = None  # graphics template name (see anchor/templates) or a YAML path
    ticker: str | None = None  # scrolling ticker text for the whole clip
    music: Music | None = None
    cues: tuple[ScriptCue, ...] = ()
    stories: tuple[tuple[int, str], ...] = ()  # (first paragraph, headline) of each "## " story
    recording: Path | None = None  # a producer's own reading of the body (WAV/MP3), used instead of a voice

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in re.split(r"\n\s*\n", self.body) if p.strip()]


def load_script(path: str | Path) -> Script:
    """Read a script file; every problem becomes a :class:`ScriptError`."""
    path = Path(path)
    if not path.is_file():
        raise ScriptError(f"找不到稿件文件：{path}", f"script file not found: {path}")
    if path.suffix.lower() not in FORMATS:
        raise ScriptError(
            f"不支持的稿件格式 {path.suffix}，请使用 {'/'.join(FORMATS)}",
            f"unsupported script format {path.suffix!r}; use one of {', '.join(FORMATS)}",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ScriptError(f"稿件不是 UTF-8 文本：{path}", f"script is not UTF-8 text: {path}") from None
    except OSError as e:
        raise ScriptError(f"无法读取稿件：{path}（{e.strerror}）", f"cannot read script {path}: {e.strerror}") from None
    return parse_script(text, path.suffix.lower(), stem=path.stem, base_dir=path.parent)


def parse_script(text: str, fmt: str = ".txt", stem: str = "script", base_dir: str | Path = ".") -> Script:
    """Parse script ``text`` in format ``fmt``; media paths in cues are relative to ``base_dir``."""
    base_dir = Path(base_dir)
    fields = _parse_fields(text, fmt)
    unknown = set(fields) - _FIELDS
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ScriptError(f"稿件含有未知字段：{names}", f"unknown field(s) in script: {names}")
    title = _clean(str(fields.get("title") or ""))
    body, inline_cues, stories = _inline_cues(_clean(str(fields.get("body") or "")), base_dir)
    if not body:
        raise ScriptError("稿件正文为空，请填写要播报的内容", "the script has no body text to read")
    if not title:
        raise ScriptError("稿件缺少标题", "the script has no title (headline)")
    language = fields.get("language") or detect_language(title + "\n" + body)
    if language not in LANGUAGES:
        raise ScriptError(
            f"不支持的语言 {language!r}：目前只能播报中文(zh)或英文(en)",
            f"no speech engine for language {language!r}; use zh or en",
        )
    return Script(
        title=title,
        body=body,
        language=language,
        voice=fields.get("voice") or None,
        avatar=fields.get("avatar") or None,
        lower_third=_lower_third(fields.get("lower_third")),
        stem=stem,
        template=_optional_text(fields, "template"),
        ticker=_optional_text(fields, "ticker"),
        music=_music(fields.get("music"), base_dir),
        cues=tuple(inline_cues) + _listed_cues(fields.get("cues"), base_dir, body),
        stories=stories,
        recording=_recording(fields.get("recording"), base_dir),
    )


def _recording(value, base_dir: Path) -> Path | None:
    """The ``recording:`` file, relative to the script's folder."""
    if value is None or value == "":
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base_dir / path


def split_stories(script: Script) -> list[Script]:
    """One script per ``## `` story (``--split``), named ``<stem>-01``, ``<stem>-02``, ... in order.

    Paragraphs before the first heading form a first story under the script's own title.
    A script without story headings comes back as it is.
    """
    if not script.stories:
        return [script]
    if getattr(script, "recording", None):
        raise ScriptError("使用真人录音的稿件不能按小标题拆分（录音无法对应到各条）",
                          "a script read from a recording cannot be split into stories (the recording is one piece)")
    paragraphs = script.paragraphs
    starts = [(0, script.title)] if script.stories[0][0] > 0 else []
    starts += list(script.stories)
    stories = []
    for k, (first, title) in enumerate(starts):
        last = starts[k + 1][0] if k + 1 < len(starts) else len(paragraphs)
        if last <= first:
            raise ScriptError(f"稿件中的小标题“{title}”下面没有正文", f"the story heading {title!r} has no body text")
        cues = tuple(replace(c, paragraph=c.paragraph - first) for c in script.cues if first <= c.paragraph < last)
        stories.append(replace(script, title=title, body="\n\n".join(paragraphs[first:last]), cues=cues, stories=(),
                               stem=f"{script.stem}-{k + 1:02d}",
                               lower_third=script.lower_third if k == 0 else None))
    return stories


def detect_language(text: str) -> str:
    """'zh' when Chinese characters dominate, 'en' for Latin text, else the script's name."""
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        kind = "zh" if name.startswith("CJK UNIFIED") else "en" if name.startswith("LATIN") else name.split(" ")[0].lower()
        counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        raise ScriptError("稿件中没有可播报的文字", "the script contains no readable words")
    if counts.get("zh", 0) * 2 >= counts.get("en", 0) and counts.get("zh"):
        return "zh"
    return max(counts, key=counts.get)


def _parse_fields(text: str, fmt: str) -> dict:
    if fmt == ".txt":
        lines = text.strip().splitlines()
        return {"title": lines[0] if lines else "", "body": "\n".join(lines[1:])}
    if fmt == ".md":
        return _parse_markdown(text)
    try:
        data = json.loads(text) if fmt == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise ScriptError(f"稿件格式错误：{_first_line(e)}", f"malformed script: {_first_line(e)}") from None
    if not isinstance(data, dict):
        raise ScriptError("稿件应为包含 title 和 body 的键值结构", "the script must be a mapping with title and body")
    return data


def _parse_markdown(text: str) -> dict:
    match = re.match(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)(.*)\Z", text, re.S)
    if text.startswith("---") and not match:
        raise ScriptError("稿件开头的 YAML 信息块没有用 --- 结束", "the YAML front matter is not closed with ---")
    meta, body = ({}, text) if not match else (match.group(1), match.group(2))
    if match:
        try:
            meta = yaml.safe_load(meta) or {}
        except yaml.YAMLError as e:
            raise ScriptError(f"稿件开头的 YAML 信息块有误：{_first_line(e)}", f"malformed front matter: {_first_line(e)}") from None
        if not isinstance(meta, dict):
            raise ScriptError("稿件开头的 YAML 信息块应为键值对", "the front matter must be key: value pairs")
    if "body" in meta:
        raise ScriptError("Markdown 稿件的正文写在信息块之后，不能用 body 字段", "in a .md script the body follows the front matter")
    body_lines = []
    for line in body.splitlines():
        heading = re.match(r"^#\s+(.*)", line)
        if heading and not meta.get("title"):
            meta["title"] = heading.group(1)
            continue
        story = re.match(r"^##\s+(.*)", line)
        if story:  # a story heading: its own paragraph, kept for --split (see split_stories)
            body_lines += ["", f"## {story.group(1).strip()}", ""]
        elif _CUE_LINE.match(line.strip()):
            body_lines.append(line.strip())  # cue lines keep their underscores and paths
        else:
            body_lines.append(re.sub(r"^#+\s*|[*_`>]", "", line))
    return {**meta, "body": "\n".join(body_lines)}


def _lower_third(value) -> LowerThird | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("name"):
        raise ScriptError("lower_third 需要写成 {name: 姓名, title: 职务}", "lower_third must be {name: ..., title: ...}")
    return LowerThird(name=_clean(str(value["name"])), title=_clean(str(value.get("title") or "")))


# --- production cues -------------------------------------------------------------------

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


def _music(value, base_dir: Path) -> Music | None:
    if value is None:
        return None
    data = value if isinstance(value, dict) else {"file": value}
    if not data.get("file"):
        raise ScriptError("music 应写成文件路径，或 {file: 路径, volume: -18}", "music must be a file path or {file: ..., volume: -18}")
    path = Path(str(data["file"])).expanduser()
    try:
        volume = float(data.get("volume", -18.0))
    except (TypeError, ValueError):
        raise ScriptError("music 的 volume 应为分贝数，如 -18", "music volume must be a number of dB, e.g. -18") from None
    return Music(path if path.is_absolute() else base_dir / path, volume)


def _optional_text(fields: dict, name: str) -> str | None:
    value = fields.get(name)
    return _clean(str(value)) or None if value is not None else None


def _clean(text: str) -> str:
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
