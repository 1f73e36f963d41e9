"""A designer's mascot artwork: the layers of a PSD or a folder of PNGs, named, checked and tinted.

A sprite pack made from artwork says in its ``avatar.yaml`` where the artwork is
and which layer is which part of the figure::

    name: 融融 Rongrong
    kind: sprite
    source: artwork.psd          # a layered PSD in the pack folder, or a folder of PNG layers: "layers/"
    licence: 本台原创形象 / the station's own artwork
    consent: {needed: false, reason: "drawn artwork / 原创卡通形象"}   # a drawing is nobody's likeness
    layers:                      # part -> layer name in the PSD, or PNG file name (without .png) in the folder
      body: 身体                 # torso, drawn first
      head: 头                   # the face without eyes or mouth
      eyes_open: 睁眼            # eyes: open, half-closed, shut (a blink)
      eyes_half: 半闭眼
      eyes_closed: 闭眼
      mouth_rest: 嘴-静          # one mouth per viseme (anchor.speech.VISEMES)
      mouth_closed: 嘴-闭        # m, b, p: lips pressed
      mouth_open: 嘴-张          # a
      mouth_mid: 嘴-中           # e and most open syllables
      mouth_wide: 嘴-扁          # i
      mouth_round: 嘴-圆         # o, u
      mouth_teeth: 嘴-齿         # f, v
      arms: 手臂                 # optional: over the body, under the head
      blink: 睫毛                # optional: shown with half-closed and shut eyes
    head_pivot: [512, 610]       # optional, artwork pixels: where the head turns on the neck
                                 # (default: the middle of the head layer's lower edge)
    tint: {body: primary}        # optional: part -> station colour (primary | secondary | backdrop) or "#rrggbb"
    framing: {head_height: 0.30, eye_line: 0.36}   # the head layer's height and the eyes' centre line

Without a ``layers:`` mapping the layers are found by their names: the part's own
name (``mouth_open``, ``mouth-open`` and ``Mouth Open`` all match) or its Chinese
name in :data:`CHINESE_NAMES`.  A PSD layer inside a group can also be named by
its path, ``脸/嘴-张``; hidden layers are read too, so a designer can keep every
mouth in the file with only one showing.  PNG layers are exported at the full
canvas size, one file per layer.  Tinting keeps a layer's shading: its most common
tone becomes the colour, darker and lighter tones stay darker and lighter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import AvatarError
from .mascot import MOUTHS

EYES = ("open", "half", "closed")  # in the order of lipsync.BLINK_LEVELS
REQUIRED = ("body", "head", *(f"eyes_{e}" for e in EYES), *(f"mouth_{m}" for m in MOUTHS))
OPTIONAL = ("arms", "blink")
PARTS = REQUIRED + OPTIONAL
BRAND_COLOURS = ("primary", "secondary", "backdrop")
CHINESE_NAMES = {
    "body": "身体", "head": "头", "eyes_open": "睁眼", "eyes_half": "半闭眼", "eyes_closed": "闭眼",
    "mouth_rest": "嘴-静", "mouth_closed": "嘴-闭", "mouth_open": "嘴-张", "mouth_mid": "嘴-中",
    "mouth_wide": "嘴-扁", "mouth_round": "嘴-圆", "mouth_teeth": "嘴-齿", "arms": "手臂", "blink": "睫毛",
}
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, eq=False)
class ArtLayer:
    """One layer of the artwork: RGBA pixels of its box, whose top-left corner is at (left, top) of the canvas."""

    name: str  # as the source names it
    left: int
    top: int
    pixels: np.ndarray  # HxWx4 uint8, not premultiplied

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of the opaque part, in canvas pixels."""
        ys, xs = np.nonzero(self.pixels[..., 3] > 8)
        return (self.left + int(xs.min()), self.top + int(ys.min()),
                self.left + int(xs.max()) + 1, self.top + int(ys.max()) + 1)


@dataclass(frozen=True, eq=False)
class Artwork:
    """The figure's parts, each one layer of the designer's artwork."""

    size: tuple[int, int]  # canvas (width, height)
    parts: Mapping[str, ArtLayer]  # part (see PARTS) -> layer; optional parts may be absent
    head_pivot: tuple[float, float]  # canvas pixels


@dataclass(frozen=True)
class SpriteSettings:
    """The artwork fields of a sprite pack's avatar.yaml, checked."""

    layers: Mapping[str, str]  # part -> layer name (empty: found by the parts' own names)
    tint: Mapping[str, str]  # part -> "primary" | "secondary" | "backdrop" | "#rrggbb"
    head_pivot: tuple[float, float] | None


def sprite_settings(data: dict) -> SpriteSettings:
    """The ``layers``, ``tint`` and ``head_pivot`` of an avatar.yaml (ValueError says what is wrong)."""
    layers = {str(k): str(v) for k, v in (data.get("layers") or {}).items()}
    tint = {str(k): str(v) for k, v in (data.get("tint") or {}).items()}
    for field, mapping in (("layers", layers), ("tint", tint)):
        unknown = sorted(set(mapping) - set(PARTS))
        if unknown:
            raise ValueError(f"unknown {field} part(s): {', '.join(unknown)} (parts: {', '.join(PARTS)})")
    for part, colour in tint.items():
        if colour not in BRAND_COLOURS and not _HEX.fullmatch(colour):
            raise ValueError(f"tint.{part} must be primary, secondary, backdrop or #rrggbb, not {colour!r}")
    pivot = data.get("head_pivot")
    if pivot is not None:
        if not isinstance(pivot, (list, tuple)) or len(pivot) != 2:
            raise ValueError(f"head_pivot must be [x, y] in artwork pixels, not {pivot!r}")
        pivot = (float(pivot[0]), float(pivot[1]))
    return SpriteSettings(layers, tint, pivot)


def read_artwork(source: Path, settings: SpriteSettings | None = None) -> Artwork:
    """The parts of the artwork at ``source`` (a .psd file or a folder of PNGs), every required one present.

    AvatarError names each missing or empty part, with the layer names that were looked for.
    """
    settings = settings or SpriteSettings({}, {}, None)
    source = Path(source)
    if source.is_dir():
        layers, size = _png_layers(source)
    elif source.suffix.lower() in (".psd", ".psb") and source.is_file():
        layers, size = _psd_layers(source)
    else:
        raise AvatarError(f"找不到吉祥物美术稿：{source}（需要分层 PSD 文件或 PNG 图层文件夹）",
                          f"no mascot artwork at {source} (a layered PSD or a folder of PNG layers is needed)")
    parts, missing = {}, []
    for part in PARTS:
        wanted = settings.layers.get(part)
        found = _find(layers, wanted, part)
        if found is not None and found.pixels[..., 3].max() > 8:
            parts[part] = found
        elif part in REQUIRED:
            missing.append((part, wanted))
    if missing:
        raise _missing_error(source, missing, layers)
    head = parts["head"].box
    pivot = settings.head_pivot or ((head[0] + head[2]) / 2, float(head[3]))
    return Artwork(size, parts, pivot)


def tinted(layer: ArtLayer, rgb: tuple[int, int, int]) -> ArtLayer:
    """``layer`` recoloured to ``rgb``: its most common tone becomes ``rgb``, its shading is kept."""
    pixels = layer.pixels.copy()
    colour = pixels[..., :3].astype(np.float32)
    luma = colour @ np.float32([0.299, 0.587, 0.114])
    solid = pixels[..., 3] > 128
    reference = max(float(np.median(luma[solid])) if solid.any() else 255.0, 1.0)
    shade = (luma / reference)[..., None]
    pixels[..., :3] = np.clip(np.float32(rgb) * shade + 0.5, 0, 255).astype(np.uint8)
    return ArtLayer(layer.name, layer.left, layer.top, pixels)


def names_found(artwork: Artwork) -> dict[str, str]:
    """part -> the layer name it was found under, for the pack's ``layers:`` mapping."""
    return {part: layer.name for part, layer in artwork.parts.items()}


# -- reading layers ----------------------------------------------------------------------------

def _png_layers(folder: Path) -> tuple[dict[str, ArtLayer], tuple[int, int]]:
    layers, size = {}, None
    for path in sorted(folder.glob("*.png")):
        try:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGBA"))
        except OSError as e:
            raise AvatarError(f"读不了图层文件 {path.name}（{e}）", f"cannot read layer file {path.name}: {e}") from None
        if size is not None and pixels.shape[1::-1] != size:
            raise AvatarError(
                f"图层 {path.name} 的尺寸 {pixels.shape[1]}x{pixels.shape[0]} 与其他图层 {size[0]}x{size[1]} 不同；"
                f"请按整张画布导出每个图层",
                f"layer {path.name} is {pixels.shape[1]}x{pixels.shape[0]}, the others {size[0]}x{size[1]}; "
                f"export every layer at the full canvas size")
        size = pixels.shape[1::-1]
        layers[path.stem] = ArtLayer(path.stem, 0, 0, pixels)
    if size is None:
        raise AvatarError(f"文件夹 {folder} 里没有 PNG 图层", f"no PNG layers in the folder {folder}")
    return layers, size


def _psd_layers(path: Path) -> tuple[dict[str, ArtLayer], tuple[int, int]]:
    from psd_tools import PSDImage

    try:
        psd = PSDImage.open(path)
    except Exception as e:  # noqa: BLE001 - psd-tools raises many kinds for a damaged or foreign file
        raise AvatarError(f"读不了 PSD 文件 {path.name}（{e}）", f"cannot read the PSD file {path.name}: {e}") from None
    layers = {}
    for layer in psd.descendants():
        if layer.is_group():
            continue
        names = []
        node = layer
        while node is not None and node is not psd:
            names.append(node.name)
            node = node.parent
        layers["/".join(reversed(names))] = _psd_layer(layer, "/".join(reversed(names)))
    return layers, (psd.width, psd.height)


def _psd_layer(layer, path: str) -> ArtLayer:
    """A PSD layer's own pixels with its transparency, mask and opacity, shown or hidden."""
    left, top, right, bottom = layer.bbox
    image = layer.topil() if right > left and bottom > top else None
    if image is None:
        return ArtLayer(path, 0, 0, np.zeros((1, 1, 4), np.uint8))
    pixels = np.array(image.convert("RGBA"))
    alpha = pixels[..., 3].astype(np.float32) * (layer.opacity / 255)
    mask = layer.mask if layer.has_mask() else None
    if mask is not None and not mask.disabled and mask.topil() is not None:
        cover = np.full(alpha.shape, float(mask.background_color), np.float32)
        m_left, m_top, m_right, m_bottom = mask.bbox
        values = np.asarray(mask.topil().convert("L"), np.float32)
        x0, y0, x1, y1 = max(m_left, left), max(m_top, top), min(m_right, right), min(m_bottom, bottom)
        if x1 > x0 and y1 > y0:
            cover[y0 - top:y1 - top, x0 - left:x1 - left] = values[y0 - m_top:y1 - m_top, x0 - m_left:x1 - m_left]
        alpha *= cover / 255
    pixels[..., 3] = np.clip(alpha + 0.5, 0, 255).astype(np.uint8)
    return ArtLayer(path, left, top, pixels)


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-－—]+", "_", name.strip().lower())


def _find(layers: dict[str, ArtLayer], wanted: str | None, part: str) -> ArtLayer | None:
    """The layer named ``wanted`` (a full path or a last name), else the one named like ``part``."""
    candidates = [wanted] if wanted else [part, CHINESE_NAMES[part]]
    for name in candidates:
        key = _normal(name)
        exact = [layer for path, layer in layers.items() if _normal(path) == key]
        by_last = [layer for path, layer in layers.items() if _normal(path.rsplit("/", 1)[-1]) == key]
        if exact or by_last:
            return (exact or by_last)[0]
    return None


def _missing_error(source: Path, missing: list, layers: dict) -> AvatarError:
    zh_parts = "、".join(f"{wanted}（{part}）" if wanted else f"{part}（或 {CHINESE_NAMES[part]}）" for part, wanted in missing)
    en_parts = ", ".join(f"{part} (layer {wanted!r})" if wanted else f"{part} (or {CHINESE_NAMES[part]})"
                         for part, wanted in missing)
    have = "、".join(layers) or "-"
    return AvatarError(f"美术稿 {source.name} 缺少图层：{zh_parts}。现有图层：{have}",
                       f"the artwork {source.name} lacks the layer(s) {en_parts}; its layers: {', '.join(layers) or '-'}")
