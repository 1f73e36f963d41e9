"""Reading the YAML files a producer edits (voices, avatar packs, templates, the station, lexicons).

One place turns every problem with such a file (missing, unreadable, not YAML, not a mapping,
a field pydantic rejects) into the caller's error type with one Chinese and one English line
that name the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import AnchorError

Model = TypeVar("Model", bound=BaseModel)


def read_mapping(path: str | Path, error: type[AnchorError], what_zh: str, what_en: str) -> dict:
    """The key: value pairs of the YAML file at ``path`` (an empty file gives {})."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except FileNotFoundError:
        raise error(f"找不到{what_zh}文件：{path}", f"{what_en} file not found: {path}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise error(f"{what_zh}文件有误：{path}（{_first_line(e)}）", f"malformed {what_en} {path}: {_first_line(e)}") from None
    if not isinstance(data, dict):
        raise error(f"{what_zh}文件应为键值对：{path}", f"the {what_en} file {path} must be key: value pairs")
    return data


def validated(model: type[Model], data: dict, path: str | Path, error: type[AnchorError], what_zh: str,
              what_en: str) -> Model:
    """``model(**data)``, with pydantic's complaints as one readable line naming the file."""
    try:
        return model(**data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        name = Path(path).name
        raise error(f"{what_zh} {name} 有误：{problems}", f"invalid {what_en} {name}: {problems}") from None


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
