"""Parse and validate a news script (.txt, .md with front matter, .yaml, .json)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import yaml

from ..errors import ScriptError
from .cues import _CUE_LINE, _clean, _inline_cues, _listed_cues, _lower_third
from .model import FORMATS, LANGUAGES, STATUSES, Music, Question, Script
from .speakers import speaker_turns

_FIELDS = {"title", "language", "voice", "avatar", "lower_third", "body", "template", "ticker", "music", "cues",
           "recording", "read_title", "question", "department", "status", "read_question", "speakers", "urgent"}


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
    body, speakers, turns = speaker_turns(body, fields.get("speakers"))
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
        read_title=_flag(fields.get("read_title"), "read_title"),
        question=_question(fields),
        speakers=speakers,
        turns=turns,
        urgent=bool(_flag(fields.get("urgent"), "urgent")),
    )


def _question(fields: dict) -> Question | None:
    """A 问政 reply's question: ``question:`` (its text, or {text, date, channel, from}), ``department:``,
    ``status:`` and ``read_question:``."""
    value = fields.get("question")
    if value is None:
        for name in ("department", "status", "read_question"):
            if fields.get(name) is not None:
                raise ScriptError(f"{name} 只用于问政答复稿件，请同时填写 question（网友的提问）",
                                  f"{name} belongs to a 问政 reply: give the citizen's question too")
        return None
    data = value if isinstance(value, dict) else {"text": value}
    unknown = set(data) - {"text", "date", "channel", "from"}
    if unknown:
        raise ScriptError(f"question 含有未知字段：{', '.join(sorted(unknown))}（可用：text、date、channel、from）",
                          f"unknown question field(s): {', '.join(sorted(unknown))} (known: text, date, channel, from)")
    text = _clean(str(data.get("text") or ""))
    department = _clean(str(fields.get("department") or ""))
    status = _clean(str(fields.get("status") or ""))
    if not text:
        raise ScriptError("问政答复稿件缺少网友提问的内容（question.text）", "the 问政 reply has no question text")
    if not department:
        raise ScriptError("问政答复稿件缺少答复单位（department）", "the 问政 reply names no answering department")
    if status not in STATUSES:
        raise ScriptError(f"status 应为 {'、'.join(STATUSES)} 之一，收到 {status!r}",
                          f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    return Question(text, department, status, _clean(str(data.get("date") or "")),
                    _clean(str(data.get("channel") or "")), _clean(str(data.get("from") or "")),
                    bool(_flag(fields.get("read_question"), "read_question")))


def _flag(value, name: str) -> bool | None:
    """A true / false field as written, or None (unset: a default applies)."""
    if value is None or isinstance(value, bool):
        return value
    raise ScriptError(f"{name} 应为 true 或 false，收到 {value!r}", f"{name} must be true or false, got {value!r}")


def _recording(value, base_dir: Path) -> Path | None:
    """The ``recording:`` file, relative to the script's folder."""
    if value is None or value == "":
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base_dir / path


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


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
