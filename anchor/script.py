"""Parse and validate a news script (.txt, .md with front matter, .yaml, .json)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ScriptError

LANGUAGES = ("zh", "en")
FORMATS = (".txt", ".md", ".yaml", ".yml", ".json")
_FIELDS = {"title", "language", "voice", "avatar", "lower_third", "body", "recording"}


@dataclass(frozen=True)
class LowerThird:
    name: str
    title: str = ""


@dataclass(frozen=True)
class Script:
    title: str
    body: str
    language: str
    voice: str | None = None
    avatar: str | None = None
    lower_third: LowerThird | None = None
    stem: str = "script"
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
    """Parse script ``text`` in format ``fmt``; a ``recording:`` path is relative to ``base_dir``."""
    base_dir = Path(base_dir)
    fields = _parse_fields(text, fmt)
    unknown = set(fields) - _FIELDS
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ScriptError(f"稿件含有未知字段：{names}", f"unknown field(s) in script: {names}")
    title = _clean(str(fields.get("title") or ""))
    body = _clean(str(fields.get("body") or ""))
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
        recording=_recording(fields.get("recording"), base_dir),
    )


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
        body_lines.append(re.sub(r"^#+\s*|[*_`>]", "", line))
    return {**meta, "body": "\n".join(body_lines)}


def _lower_third(value) -> LowerThird | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("name"):
        raise ScriptError("lower_third 需要写成 {name: 姓名, title: 职务}", "lower_third must be {name: ..., title: ...}")
    return LowerThird(name=_clean(str(value["name"])), title=_clean(str(value.get("title") or "")))


def _clean(text: str) -> str:
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
