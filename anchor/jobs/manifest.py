"""What a batch reads: a folder of scripts, one script, or a manifest (CSV, JSONL or YAML), as one
:class:`JobInput` per clip; the manifest's columns are described in :mod:`anchor.jobs.batch_run`.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import InputError
from ..script import FORMATS

MANIFESTS = (".csv", ".jsonl", ".yaml", ".yml")
NAME_FIELDS = ("name", "id")
SOURCE_FIELDS = ("script", "text")


@dataclass(frozen=True)
class JobInput:
    """One clip to make, read from the source."""

    key: str
    name: str
    options: dict
    source: str | None = None
    text: str | None = None
    fmt: str = ".txt"
    base_dir: str | None = None  # where media named in ``text`` are looked up
    callback: str | None = None  # the result JSON is POSTed here when the job ends (a manifest's callback_url)


def read_source(source: str | os.PathLike) -> list[JobInput]:
    """The jobs a folder, a script or a manifest asks for, in order."""
    source = Path(source).resolve()
    if source.is_dir():
        scripts = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in FORMATS
                         and not p.name.startswith("."))
        return [JobInput(str(p), p.stem, {}, source=str(p)) for p in scripts]
    if not source.is_file():
        raise InputError(f"找不到稿件或清单：{source}", f"no such script folder, script or manifest: {source}")
    suffix = source.suffix.lower()
    if suffix in MANIFESTS:
        rows = manifest_rows(source)
        if rows is not None:
            return [_row_job(source, n, row) for n, row in enumerate(rows, 1)]
    if suffix in FORMATS:
        return [JobInput(str(source), source.stem, {}, source=str(source))]
    raise InputError(f"不支持的批量来源 {source.name}：请给出稿件文件夹、稿件或 CSV/JSONL/YAML 清单",
                     f"unsupported batch source {source.name}: give a folder of scripts, a script, "
                     f"or a CSV/JSONL/YAML manifest")


def manifest_rows(path: Path) -> list[dict] | None:
    """The rows of a manifest; None for a YAML file that is a script rather than a manifest."""
    what = f"清单 {path.name}", f"manifest {path.name}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"无法读取{what[0]}（{e}）", f"cannot read the {what[1]}: {e}") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        rows = [{k.strip(): v for k, v in row.items() if k and v is not None and str(v).strip() != ""} for row in rows]
    elif suffix == ".jsonl":
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise InputError(f"{what[0]} 第 {n} 行不是 JSON（{e.msg}）", f"{what[1]} line {n} is not JSON: {e.msg}") from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise InputError(f"{what[0]} 不是有效的 YAML（{e}）", f"the {what[1]} is not valid YAML: {e}") from None
        if isinstance(data, dict) and "jobs" in data:
            data = data["jobs"]
        elif isinstance(data, dict):
            return None  # a YAML script
        rows = data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f"{what[0]} 的每一行都应是字段表", f"every row of the {what[1]} must be a table of fields")
    if not rows:
        raise InputError(f"{what[0]} 没有任何稿件", f"the {what[1]} lists no scripts")
    return rows


def _row_job(manifest: Path, n: int, row: dict) -> JobInput:
    row = dict(row)
    label = str(next((row.pop(f) for f in NAME_FIELDS if f in row), "") or "").strip()
    script, text = row.pop("script", None), row.pop("text", None)
    callback = str(row.pop("callback_url", "") or "").strip() or None
    key = f"{manifest}#{label or n}"
    options = {k: _resolve(manifest.parent, k, v) for k, v in row.items()}
    if text is not None:
        return JobInput(key, safe_name(label or f"{manifest.stem}-{n}"), options, text=str(text),
                        base_dir=str(manifest.parent), callback=callback)
    if script is None:  # the job still exists, so that it fails alone with the reason on record
        return JobInput(key, safe_name(label or f"{manifest.stem}-{n}"), options, callback=callback)
    path = Path(str(script)).expanduser()
    path = path if path.is_absolute() else manifest.parent / path
    return JobInput(key, safe_name(label or path.stem), options, source=str(path), callback=callback)


def _resolve(base: Path, name: str, value):
    """Option values that are files (a station.yaml, a template YAML) are relative to the manifest."""
    if isinstance(value, str) and value.lower().endswith((".yaml", ".yml")) and not Path(value).is_absolute():
        return str(base / value)
    return value


def safe_name(name: str) -> str:
    """An output file stem: no folders, no hidden names, nothing a file system or URL chokes on."""
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "-", str(name)).strip(" .-")
    return name[:80] or "clip"
