"""Fonts for the broadcast graphics: Noto Sans CJK SC (Debian ``fonts-noto-cjk``) or a station's own, found and
loaded; text is measured before drawing and the font shrinks until it fits its box."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from ..errors import RenderError
from .linebreak import text_width
from .template import Look

SETUP_COMMAND = "bash setup.sh demo"  # repo-root setup script; apt-installs fonts-noto-cjk among other things

_FONT_FILES = {
    "bold": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",  # Debian / Ubuntu fonts-noto-cjk
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",  # Arch
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",  # Fedora
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
        "/System/Library/Fonts/PingFang.ttc",
        "C:/Windows/Fonts/msyhbd.ttc",
    ),
    "regular": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/System/Library/Fonts/PingFang.ttc",
        "C:/Windows/Fonts/msyh.ttc",
    ),
}


def _sc_index(path: str) -> int | None:
    """Index of the Simplified Chinese face in a collection, or None if the file has no CJK glyphs."""
    faces = []
    for index in range(32):
        try:
            font = ImageFont.truetype(path, 24, index=index)
        except OSError:
            break
        faces.append((index, " ".join(font.getname())))
        if not path.lower().endswith((".ttc", ".otc")):
            break
    if not faces:
        return None

    def rank(face):
        name = face[1]
        return ("SC" not in name.split() and " SC " not in f" {name} ", "Mono" in name, face[0])

    index = min(faces, key=rank)[0]
    return index if _has_cjk(ImageFont.truetype(path, 24, index=index)) else None


def _has_cjk(font: ImageFont.FreeTypeFont) -> bool:
    glyph = font.getmask("国")
    missing = font.getmask("\U0010fffd")
    return glyph.getbbox() is not None and (glyph.size != missing.size or bytes(glyph) != bytes(missing))


def _fc_match(weight: str) -> list[str]:
    if not shutil.which("fc-match"):
        return []
    pattern = ":lang=zh-cn:weight=bold" if weight == "bold" else ":lang=zh-cn"
    try:
        out = subprocess.run(["fc-match", "-s", "-f", "%{file}\n", pattern], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in out.splitlines()[:8] if line.strip()]


@lru_cache(maxsize=None)
def font_file(weight: str = "bold") -> tuple[str, int]:
    """(path, face index) of a CJK font: ``$ANCHOR_FONT_BOLD`` / ``$ANCHOR_FONT_REGULAR``, Noto Sans CJK SC, or fc-match."""
    env = os.environ.get(f"ANCHOR_FONT_{weight.upper()}")
    candidates = ([env] if env else []) + list(_FONT_FILES[weight]) + _fc_match(weight)
    if weight == "regular":  # a bold CJK font is better than none
        candidates += list(_FONT_FILES["bold"])
    for path in candidates:
        if path and Path(path).is_file():
            index = _sc_index(path)
            if index is not None:
                return path, index
    raise RenderError(
        f"找不到中文字体（Noto Sans CJK）。请先运行安装命令 {SETUP_COMMAND}（会安装 fonts-noto-cjk），"
        "或执行 sudo apt-get install -y fonts-noto-cjk",
        f"no Chinese (CJK) font found. Run the setup command {SETUP_COMMAND} (it installs fonts-noto-cjk) "
        "or: sudo apt-get install -y fonts-noto-cjk",
    )


@lru_cache(maxsize=256)
def get_font(size: int, weight: str = "bold", path: str | None = None) -> ImageFont.FreeTypeFont:
    """The CJK font at ``size`` px: the file at ``path`` (a station's own font) or :func:`font_file`."""
    if path:
        index = _sc_index(path)
        if index is None:
            raise RenderError(f"字体文件无法使用或不含中文字形：{path}", f"font file {path} cannot be used or has no CJK glyphs")
    else:
        path, index = font_file(weight)
    return ImageFont.truetype(path, max(6, int(size)), index=index)


def has_cjk_text(text: str) -> bool:
    return any(text_width(c) == 2 for c in text)


def text_px(font, text: str, stroke: int = 0) -> int:
    l, _, r, _ = font.getbbox(text, stroke_width=stroke, anchor="ls")
    return r - l


def body_extent(font, text: str) -> tuple[int, int]:
    """(top, bottom) of the letter body relative to the baseline, for steady vertical centring."""
    ref = "国" if has_cjk_text(text) else "H"
    _, top, _, bottom = font.getbbox(ref, anchor="ls")
    return top, bottom


def fit_font(lines: list[str], weight: str, size: int, max_w: int, min_size: int = 12, stroke: int = 0,
             path: str | None = None):
    """The largest font (<= size) in which every line fits ``max_w`` pixels."""
    size = int(size)
    while True:
        font = get_font(size, weight, path)
        if size <= min_size or all(text_px(font, ln, stroke) <= max_w for ln in lines):
            return font
        size -= 1 if size < 40 else 2


# --------------------------------------------------------------------------- in a Look's (its station's) fonts


def _font(look: Look, size: int, weight: str = "bold") -> ImageFont.FreeTypeFont:
    return get_font(size, weight, _font_path(look, weight))


def _font_path(look: Look, weight: str) -> str | None:
    return look.station.font_bold if weight == "bold" else (look.station.font_regular or look.station.font_bold)


def _fit(look: Look, lines: list[str], size: int, max_w: int, weight: str = "bold", **kw) -> ImageFont.FreeTypeFont:
    return fit_font(lines, weight, size, max_w, path=_font_path(look, weight), **kw)


def _centre_baseline(font, text: str, height: float) -> float:
    top, bottom = body_extent(font, text)
    return (height - (bottom - top)) / 2 - top
