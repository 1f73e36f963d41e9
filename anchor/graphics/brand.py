"""Saving a producer's edits to the station's brand kit (the studio's 台标与品牌 page).

:func:`save_station` writes the station file :func:`~anchor.graphics.station.load_station` reads (``path``,
else ``$ANCHOR_STATION``, else ``station.yaml``), creating it if there is none.  The new :class:`Station` is
built first: a bad value raises :class:`~anchor.errors.InputError` and writes nothing, file or upload.

The file is edited, not rewritten: only the ``key: value`` lines of the keys that changed are replaced (their
comments kept); a missing key goes below its commented-out example, else after the nearest earlier field, and
every other line stays as it was.  Beside the station file:

* ``brand/logo.png``, ``brand/font-bold.<ttf|otf|ttc>``, ``brand/font-regular.<…>``: the uploads under these
  fixed names (never the upload's own), pointed to relatively by ``logo:`` / ``font_bold:`` / ``font_regular:``;
* ``brand-history/<stem>-<YYYYmmdd-HHMMSS-ffffff>.yaml``: the station file as it was before each save, the
  newest :data:`HISTORY_KEEP` kept (uploads have no history).

A logo is a PNG with transparency, or an SVG rasterised (resvg) :data:`SVG_HEIGHT` px tall: an opaque image
would sit on the station bug as a box.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageFont

from ..config import read_mapping
from ..errors import InputError
from ..files import remove_quietly, write_bytes_atomic, write_text_atomic
from .fonts import _sc_index
from .linebreak import text_width
from .station import DEFAULT_STATION_FILE, Station, _normalise_hex, is_colour, load_station

HISTORY_DIR, ASSET_DIR, HISTORY_KEEP = "brand-history", "brand", 10
MAX_LOGO_BYTES, MAX_LOGO_PX, SVG_HEIGHT = 5 * 1024 * 1024, 4096, 512
MAX_FONT_BYTES = 64 * 1024 * 1024  # a full CJK font is 15-30 MB
ASSET_FIELDS = ("logo", "font_bold", "font_regular")
EDITABLE = tuple(f.name for f in fields(Station) if f.name != "folder")
#: what the brand page shows, in :func:`brand_fields`
BRAND_FIELDS = ("name", "name_en", "code", "primary", "secondary", "backdrop", "ai_label", "ai_label_position",
                "ai_label_seconds", "credit", "credit_en", "template", *ASSET_FIELDS)
_CODE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_FONT_MAGIC = {b"\x00\x01\x00\x00": ".ttf", b"true": ".ttf", b"OTTO": ".otf", b"ttcf": ".ttc"}
_DEFAULTS = {f.name: f.default for f in fields(Station)}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"' r"|'(?:[^']|'')*'")
_COMMENT = re.compile(r"(?<![^ \t])#")


def station_file(path: str | Path | None = None) -> Path:
    """The station file :func:`load_station` reads: ``path``, else ``$ANCHOR_STATION``, else ``station.yaml``."""
    return Path(path if path is not None else os.environ.get("ANCHOR_STATION") or DEFAULT_STATION_FILE)


def brand_fields(station: Station) -> dict:
    """The brand page's inputs for ``station``: :data:`BRAND_FIELDS`, blanks as "" (a file path, or None)."""
    return {k: "" if getattr(station, k) is None and k not in ASSET_FIELDS else getattr(station, k) for k in BRAND_FIELDS}


def save_station(changes: dict, *, logo: str | Path | None = None, font_bold: str | Path | None = None,
                 font_regular: str | Path | None = None, path: str | Path | None = None) -> Station:
    """Apply ``changes`` (field: value) and the uploads to the station file; the new station.

    ``logo`` is a PNG with transparency or an SVG; ``font_bold`` / ``font_regular`` a .ttf/.otf/.ttc with
    Chinese glyphs (a path under these names in ``changes`` is an upload too).  "" clears an optional field
    (``credit``: "<name>出品" again; ``logo``: the emblem again); None leaves the logo and fonts as they are, as
    an empty upload box does.  A bad value raises InputError (Chinese and English) and writes nothing.
    """
    file = station_file(path)
    current = read_mapping(file, InputError, "台标配置", "station") if file.is_file() else {}
    changes = dict(changes)
    unknown = ", ".join(sorted(map(str, (set(changes) | set(current)) - set(EDITABLE))))
    if unknown:
        raise InputError(f"台标配置没有这些字段：{unknown}", f"the station has no field(s): {unknown}")
    uploads = {"logo": logo, "font_bold": font_bold, "font_regular": font_regular}
    for key in ASSET_FIELDS:  # a path in changes is an upload too, unless it is the file already in use
        if changes.get(key, "") is None:
            del changes[key]
        elif uploads[key] is None and changes.get(key, "") != "":
            uploads[key] = changes.pop(key)
        if uploads[key] is not None and _same_file(uploads[key], current.get(key), file.parent):
            uploads[key] = None
            changes.pop(key, None)
    blank = [k for k, v in changes.items() if _DEFAULTS[k] is None and isinstance(v, str) and not v.strip()]
    changes.update(dict.fromkeys(blank))
    if "code" in changes:
        _check_code(changes["code"])
    assets = {}  # field -> (relative name, bytes), all checked before anything is written
    for key, source in uploads.items():
        if source is not None:
            data, suffix = (logo_png(source), ".png") if key == "logo" else font_bytes(source)
            assets[key] = (f"{ASSET_DIR}/{key.replace('_', '-')}{suffix}", data)
    probe = {k: v for k, v in {**current, **changes}.items() if v is not None and k not in assets}
    new = Station(**probe, folder=str(file.parent))
    updates = {}
    for key, value in changes.items():
        value = value if value is None or key in ASSET_FIELDS or key == "jingle" else getattr(new, key)
        if _normal(value) != _normal(current.get(key, _DEFAULTS.get(key))):
            updates[key] = value
    updates.update({key: name for key, (name, _) in assets.items() if current.get(key) != name})
    if not updates and not assets:
        return new
    edited = edit_yaml(file.read_text(encoding="utf-8-sig") if file.is_file() else "", updates)
    if (yaml.safe_load(edited) or {}) != {**current, **updates}:
        raise InputError(f"无法在原处修改台标配置文件 {file}，请手工编辑",
                         f"cannot edit the station file {file} in place; please edit it by hand")
    for name, data in assets.values():
        (file.parent / ASSET_DIR).mkdir(parents=True, exist_ok=True)
        for old in set((file.parent / ASSET_DIR).glob(Path(name).stem + ".*")) - {file.parent / name}:
            remove_quietly(old)  # font-bold.otf replaced by a .ttf
        write_bytes_atomic(file.parent / name, data)
    if file.is_file():
        _keep_history(file)
    file.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(file, edited)
    return load_station(file)


def _check_code(code) -> None:
    if not isinstance(code, str) or not _CODE.match(code.strip()):
        raise InputError(f"内容制作者编码 code={code!r} 无效：不能为空，只能用英文字母、数字和 - _ .（它写入 AIGC 隐式标识）",
                         f"the ContentProducer code {code!r} must be letters, digits, '-', '_' or '.', not empty "
                         "(it goes into the AIGC metadata label)")


def _check_upload(path: Path, limit: int, what_zh: str, what_en: str) -> None:
    if not path.is_file():
        raise InputError(f"找不到上传的{what_zh}：{path}", f"the uploaded {what_en} was not found: {path}")
    if path.stat().st_size > limit:
        raise InputError(f"{what_zh}文件太大（最多 {limit >> 20} MB）：{path.name}",
                         f"the {what_en} is over {limit >> 20} MB: {path.name}")


def logo_png(source: str | Path) -> bytes:
    """The logo upload as PNG bytes with transparency: a PNG checked, an SVG rasterised ``SVG_HEIGHT`` px tall."""
    source = Path(source)
    _check_upload(source, MAX_LOGO_BYTES, "台标图片", "logo")
    data = source.read_bytes()
    if source.suffix.lower() == ".svg" or data[:1024].lstrip().lower().startswith((b"<?xml", b"<svg", b"<!--")):
        data = _rasterise_svg(data, source.name)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (w, h) = image.format or "", image.size
            if max(w, h) > MAX_LOGO_PX:
                raise InputError(f"台标图片太大：{w}×{h} 像素（每边最多 {MAX_LOGO_PX}）",
                                 f"the logo is {w}x{h} px; at most {MAX_LOGO_PX} px a side")
            rgba = image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError):
        raise InputError(f"台标图片无法读取：{source.name}", f"cannot read the logo image {source.name}") from None
    alpha = np.asarray(rgba)[..., 3]
    if kind != "PNG" or alpha.min() == 255:
        why_zh, why_en = ("没有透明背景", "has no transparency") if kind == "PNG" else ("不是 PNG", "is not a PNG")
        raise InputError(f"台标需要带透明背景的 PNG 或 SVG：这张 {kind} 图片{why_zh}（不透明的图片在台标上会显示成一个方块）",
                         f"the logo must be a PNG with a transparent background, or an SVG: this {kind} image "
                         f"{why_en} (an opaque image shows as a box on the station bug)")
    if alpha.max() == 0:
        raise InputError("台标图片是全透明的，什么也看不到", "the logo is fully transparent: nothing would show")
    out = io.BytesIO()
    rgba.save(out, "PNG", optimize=True)
    return out.getvalue()


def _rasterise_svg(data: bytes, name: str) -> bytes:
    import resvg_py

    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise InputError(f"SVG 台标无法解析：{name}", f"the SVG logo {name} is not valid SVG") from None
    aspect = _svg_aspect(root)
    size = {"width": MAX_LOGO_PX} if aspect and aspect * SVG_HEIGHT > MAX_LOGO_PX else {"height": SVG_HEIGHT}
    # an empty resources folder: the upload's references to other local files resolve to nothing
    with tempfile.TemporaryDirectory() as empty:
        try:
            return bytes(resvg_py.svg_to_bytes(svg_string=data.decode("utf-8-sig"), resources_dir=empty, **size))
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError(f"SVG 台标无法转换成图片：{name}", f"cannot rasterise the SVG logo {name}: {e}") from None


def _svg_aspect(root: ET.Element) -> float | None:
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        w, h = map(float, box[2:4] if len(box) == 4 else (root.get(k, "").removesuffix("px") for k in ("width", "height")))
        return w / h if w > 0 and h > 0 and math.isfinite(w / h) else None
    except ValueError:
        return None


def font_bytes(source: str | Path) -> tuple[bytes, str]:
    """(bytes, ".ttf" / ".otf" / ".ttc") of a font upload, checked to be a font with Chinese glyphs."""
    source = Path(source)
    _check_upload(source, MAX_FONT_BYTES, "字体", "font")
    data = source.read_bytes()
    if (suffix := _FONT_MAGIC.get(data[:4])) is None:
        raise InputError(f"上传的字体不是 .ttf / .otf / .ttc 字体文件：{source.name}",
                         f"the uploaded font {source.name} is not a .ttf / .otf / .ttc font file")
    index = _sc_index(str(source))
    if index is None or not _draws(ImageFont.truetype(str(source), 48, index=index), "新闻"):
        raise InputError(f"字体 {source.name} 无法使用或不含中文字形（台标和字幕要用中文字体）",
                         f"the font {source.name} cannot be used or has no Chinese glyphs (captions need a CJK font)")
    return data, suffix


def _draws(font: ImageFont.FreeTypeFont, text: str) -> bool:
    """Whether ``font`` has real glyphs for every character of ``text`` (not its missing-glyph box)."""
    missing = font.getmask("\U0010fffd")
    masks = [font.getmask(char) for char in text]
    return all(m.getbbox() is not None and (m.size != missing.size or bytes(m) != bytes(missing)) for m in masks)


def _same_file(upload, current, folder: Path) -> bool:
    try:
        return bool(current) and Path(upload).resolve() == (folder / Path(str(current)).expanduser()).resolve()
    except OSError:
        return False


def _normal(value):
    """A field's value as compared for "changed": colours normalised, blank strings as None."""
    if not isinstance(value, str):
        return value
    return _normalise_hex(value) if is_colour(value) else value.strip() or None


def _keep_history(file: Path) -> None:
    folder = file.parent / HISTORY_DIR
    folder.mkdir(exist_ok=True)
    write_bytes_atomic(folder / f"{file.stem}-{datetime.now():%Y%m%d-%H%M%S-%f}{file.suffix}", file.read_bytes())
    for old in sorted(folder.glob(f"{file.stem}-[0-9]*-[0-9]*-[0-9]*{file.suffix}"))[:-HISTORY_KEEP]:
        remove_quietly(old)


def yaml_scalar(value) -> str:
    """``value`` as a one-line YAML scalar: plain where that reads back the same, else double-quoted."""
    value = str(value) if isinstance(value, Path) else value
    if not isinstance(value, str):
        return yaml.safe_dump(value, default_flow_style=True).splitlines()[0]
    plain = (value and value == value.strip() and value.isprintable() and "#" not in value and ": " not in value
             and not value.endswith(":") and value[0] not in "!&*-?{}[],|>@`'\"%")
    try:
        return value if plain and yaml.safe_load(value) == value else json.dumps(value, ensure_ascii=False)
    except yaml.YAMLError:
        return json.dumps(value, ensure_ascii=False)


def edit_yaml(text: str, updates: dict) -> str:
    """``text`` with the ``key: value`` line of each of ``updates`` replaced (its comment kept) or added: below
    its commented-out example, else after the nearest earlier :class:`Station` field in the file, else at the end."""
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += eol
    for key, value in updates.items():
        new = f"{key}: {yaml_scalar(value)}"
        at = _key_lines(lines, key)
        for i in reversed(at):
            body = lines[i].rstrip("\r\n")
            colon = body.index(":", len(key)) + 1
            comment = _comment_at(body, colon + len(body[colon:]) - len(body[colon:].lstrip()))
            pad = "" if comment is None else " " * max(2, text_width(body[:comment]) - text_width(new))
            lines[i:_value_end(lines, i)] = [new + pad + body[len(body) if comment is None else comment:]
                                             + lines[i][len(body):]]
        if not at:
            example = [i for i, line in enumerate(lines) if re.match(rf"#[ \t]*{re.escape(key)}[ \t]*:", line)]
            earlier = EDITABLE[:EDITABLE.index(key)] if key in EDITABLE else ()
            after = next((_key_lines(lines, k)[-1] for k in reversed(earlier) if _key_lines(lines, k)), None)
            where = example[0] + 1 if example else len(lines) if after is None else _value_end(lines, after)
            lines.insert(where, new + eol)
    return "".join(lines)


def _key_lines(lines: list[str], key: str) -> list[int]:
    return [i for i, line in enumerate(lines) if re.match(rf"{re.escape(key)}[ \t]*:(?:[ \t]|\r?\n|$)", line)]


def _value_end(lines: list[str], i: int) -> int:
    """The line after the value starting on line ``i`` (a value may go on over indented lines)."""
    i += 1
    while i < len(lines) and lines[i][:1] in " \t" and lines[i].strip() and not lines[i].lstrip().startswith("#"):
        i += 1
    return i


def _comment_at(body: str, start: int) -> int | None:
    """Where the trailing ``# comment`` of a ``key: value`` line begins (its value starts at ``start``)."""
    quoted = _QUOTED.match(body, start)
    found = _COMMENT.search(body, quoted.end() if quoted else start)
    return found.start() if found else None
