"""Avatar packs: who reads the news, how they are framed, and how they are animated.

A pack is a folder ``avatars/<id>/`` (or under ``$ANCHOR_AVATARS_DIR``) with an
``avatar.yaml`` a producer can read and edit::

    name: 艾琳 Eileen
    kind: photo                 # photo | video_loop | sprite | twin
    source: photo.png           # picture or recording in this folder ("skimage:astronaut", "drawn:panda")
                                # sprite artwork: a layered PSD or a folder of PNG layers, with layers:,
                                # tint: and head_pivot: (see anchor.avatar.artwork)
                                # twin: the presenter's recording, with analysis.npz and background.mp4 made
                                # from it by anchor avatar add-twin, and recording: what was measured
    loop: crossfade             # video_loop and twin: pingpong (back and forth) | crossfade (joined at its end)
    licence: ...                # where the material comes from and on what terms
    framing:                    # where the head sits in the anchor area, as shares of its height
      head_height: 0.29         # forehead to chin
      eye_line: 0.34            # eye line from the top
      landscape: {head_height: 0.26, eye_line: 0.30}   # per frame shape: vertical | landscape | square
    background:
      behind: studio            # studio (the station's), a colour "#1d3557", or an image in this folder
      cutout: segment           # segment (AI person matte) | chroma (green/blue screen) | none
      chroma_colour: "#00b140"
    lipsync: warp               # warp | wav2lip (needs the neural extra and a checkpoint)
    motion: 1.0                 # head motion, 0 = none
    consent:                    # a real face: the person's own consent (see anchor.avatar.consent)
      by: 张明
      date: 2026-12-01
      use: 本台新闻播报 / news reading for this station
      until: 2027-12-01
      document: consent.pdf     # the signed authorisation, copied in; its sha256 beside it
    station_name: false         # true: lists and clips call this anchor by station.yaml's anchor_name

``load_avatar`` reads a pack; ``AvatarPack.rig(backdrop)`` prepares it for one
clip (see :class:`anchor.avatar.lipsync.Rig`); ``add_photo_avatar`` makes a new pack
from a producer's photo; ``list_avatars`` names them all.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import cv2
import numpy as np
import yaml

from ..config import read_mapping
from ..errors import AvatarError, InputError
from ..files import PROJECT_DIR
from .artwork import sprite_settings
from .consent import (
    Consent,
    ConsentRequest,
    consent_request,
    consent_summary,
    read_consent,
    record_consent,
)
from .face import Face, check_portrait
from .framing import MAX_PHOTO_SIDE
from .lipsync import Rig, get_method
from .photo import (
    DEFAULT_FRAMING,
    Framing,
    cut_out_presenter,
    orientation_of,
    photo_rig,
)
from .pictures import cover, hex_rgb, read_picture, write_picture
from .preview import preview_frame, thumbnail

DEFAULT_AVATAR = "mascot"  # drawn: a fresh install's anchor is nobody's likeness
PAIR_AVATARS = ("mascot", "mascot-jin")  # a two-anchor desk that names no avatars: the panda and its green pair
KINDS = ("photo", "video_loop", "sprite", "twin")
ORIENTATIONS = ("vertical", "landscape", "square")
CUTOUTS = ("segment", "chroma", "none")


def avatars_dir() -> Path:
    return Path(os.environ.get("ANCHOR_AVATARS_DIR") or PROJECT_DIR / "avatars")


@dataclass(frozen=True)
class Background:
    behind: str = "studio"  # "studio", "#rrggbb", or an image file in the pack folder
    cutout: str = "segment"  # how the presenter is separated from their own background
    chroma_colour: str = "#00b140"  # the screen's colour, for cutout: chroma


@dataclass(frozen=True)
class AvatarPack:
    id: str
    name: str
    kind: str
    source: str
    licence: str
    folder: Path
    framing: dict = field(default_factory=lambda: dict(DEFAULT_FRAMING))  # orientation -> Framing
    background: Background = field(default_factory=Background)
    lipsync: str = "warp"
    lipsync_options: dict = field(default_factory=dict)
    motion: float = 1.0
    loop: str = "pingpong"  # video_loop: pingpong | crossfade
    loop_seconds: float = 4.0  # video_loop: how much of the recording is used
    preview: str | None = None  # thumbnail image in the pack folder
    consent: Consent | None = None  # the presenter's consent (``consent:``), or drawn artwork needing none
    station_name: bool = False  # named by the station's anchor_name (the station's own mascot)
    layers: dict = field(default_factory=dict)  # sprite artwork: part -> layer name (see anchor.avatar.artwork)
    tint: dict = field(default_factory=dict)  # sprite artwork: part -> station colour name or #rrggbb
    head_pivot: tuple[float, float] | None = None  # sprite artwork: where the head turns, artwork pixels
    recording: dict = field(default_factory=dict)  # twin: what was measured in the presenter's recording

    def image(self) -> np.ndarray:
        """The presenter's picture as RGB uint8 (photo packs)."""
        if self.source.startswith("skimage:"):
            import skimage.data

            return np.ascontiguousarray(getattr(skimage.data, self.source.split(":", 1)[1])()[..., :3])
        return read_picture(self.folder / self.source)

    def framing_for(self, orientation: str) -> Framing:
        return self.framing.get(orientation, DEFAULT_FRAMING[orientation])

    def rig(self, backdrop: np.ndarray, orientation: str | None = None) -> Rig:
        """Prepare this anchor over ``backdrop`` (the studio under the anchor area) for one clip."""
        backdrop = np.ascontiguousarray(backdrop)
        orientation = orientation or orientation_of(backdrop.shape[1], backdrop.shape[0])
        behind = self.behind(backdrop)
        if self.kind == "sprite" and self.source == "drawn:panda":
            from .mascot import mascot_rig

            return mascot_rig(self, behind, self.framing_for(orientation))
        if self.kind == "sprite":
            from .sprite import artwork_rig

            return artwork_rig(self, behind, self.framing_for(orientation))
        if self.kind == "video_loop":
            from .videoloop import video_loop_rig

            return video_loop_rig(self, behind, self.framing_for(orientation))
        if self.kind == "twin":
            from .twin.rig import twin_rig

            return twin_rig(self, behind, self.framing_for(orientation))
        return photo_rig(self, behind, orientation)

    def cut_out(self, width: int, height: int, orientation: str) -> tuple[np.ndarray, Face]:
        """The presenter framed in a ``width`` x ``height`` anchor area: RGBA picture and face landmarks."""
        return cut_out_presenter(self, width, height, orientation)

    def behind(self, backdrop: np.ndarray) -> np.ndarray:
        """What shows behind the presenter: the studio, a flat colour or the pack's own image."""
        h, w = backdrop.shape[:2]
        behind = self.background.behind
        if behind == "studio":
            return backdrop
        if behind.startswith("#"):
            return np.full((h, w, 3), hex_rgb(behind), np.uint8)
        return cover(read_picture(self.folder / behind), w, h)

    def lipsync_method(self):
        options = dict(self.lipsync_options)
        if "checkpoint" in options:
            options["checkpoint"] = self.folder / str(options["checkpoint"])
        return get_method(self.lipsync, **options)

    def thumbnail(self) -> Path:
        """A preview picture of this anchor: the pack's own, or one rendered once into the cache."""
        return thumbnail(self)


# -- reading packs -----------------------------------------------------------

def load_avatar(name: str | None = None) -> AvatarPack:
    name = name or DEFAULT_AVATAR
    path = avatars_dir() / name / "avatar.yaml"
    if not path.is_file():
        known = ", ".join(list_avatars()) or "-"
        raise AvatarError(f"找不到主播形象 {name!r}（可用：{known}）", f"unknown avatar {name!r} (available: {known})")
    data = read_mapping(path, AvatarError, "主播形象配置", "avatar pack")
    try:
        return _pack(name, path.parent, data)
    except (KeyError, TypeError, ValueError) as e:
        raise AvatarError(f"主播形象配置有误：{path}（{e}）", f"malformed avatar pack {path}: {e}") from None


def _pack(name: str, folder: Path, data: dict) -> AvatarPack:
    kind = data.get("kind", "photo")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    background = Background(**(data.get("background") or {}))
    if background.cutout not in CUTOUTS:
        raise ValueError(f"background.cutout must be one of {', '.join(CUTOUTS)}, not {background.cutout!r}")
    for colour in (background.chroma_colour, background.behind):
        if colour.startswith("#"):
            hex_rgb(colour)
    lipsync = data.get("lipsync", "warp")
    options = data.get(lipsync) if isinstance(data.get(lipsync), dict) else {}
    artwork = sprite_settings(data)
    return AvatarPack(
        id=name,
        name=str(data.get("name", name)),
        kind=kind,
        source=str(data["source"]),
        licence=str(data.get("licence", "")),
        folder=folder,
        framing=_framing(data.get("framing") or {}),
        background=background,
        lipsync=lipsync,
        lipsync_options=options,
        motion=float(data.get("motion", 1.0)),
        loop=str(data.get("loop", "pingpong")),
        loop_seconds=float(data.get("loop_seconds", 4.0)),
        preview=data.get("preview"),
        consent=read_consent(data.get("consent")),
        station_name=bool(data.get("station_name", False)),
        layers=dict(artwork.layers),
        tint=dict(artwork.tint),
        head_pivot=artwork.head_pivot,
        recording=dict(data.get("recording") or {}),
    )


def _framing(data: dict) -> dict:
    """orientation -> Framing from ``framing:`` (shared values, then per-orientation overrides)."""
    shared = {k: float(v) for k, v in data.items() if k in {f.name for f in fields(Framing)}}
    unknown = set(data) - set(shared) - set(ORIENTATIONS)
    if unknown:
        raise ValueError(f"unknown framing field(s): {', '.join(sorted(unknown))}")
    out = {}
    for orientation in ORIENTATIONS:
        own = data.get(orientation) or {}
        out[orientation] = replace(DEFAULT_FRAMING[orientation], **{**shared, **{k: float(v) for k, v in own.items()}})
    return out


def list_avatars() -> list[str]:
    root = avatars_dir()
    return sorted(p.parent.name for p in root.glob("*/avatar.yaml")) if root.is_dir() else []


# -- adding a pack from a photo ----------------------------------------------

# A photo's size rule comes from the framing: the face at least framing.MIN_FACE_HEIGHT (check_portrait), a
# warning under FILL_FACE_HEIGHT (size_warning); a photo keeps its detail, only one longer than MAX_PHOTO_SIDE
# is scaled down to it (a phone's 6000 px photo is welcome, and 4000 px is more than any frame can show).


def add_photo_avatar(photo: str | os.PathLike, name: str, avatar_id: str | None = None, licence: str | None = None,
                     force: bool = False, *, consent: ConsentRequest | None = None) -> AvatarPack:
    """Make a new photo anchor from ``photo``: check the face, write ``avatars/<id>/`` with a preview.

    ``consent`` (from :func:`anchor.avatar.consent.consent_request`) is the presenter's consent; without
    it nothing is added.  The pack appears all at once (written to a hidden folder, then renamed), so a
    failure leaves nothing behind.
    """
    # -- consent: checked before anything is read or written (anchor.avatar.consent)
    if consent is None:
        consent_request(None, None, name)  # raises, saying what to pass
    photo = Path(photo)
    image = read_picture(photo)
    if max(image.shape[:2]) > MAX_PHOTO_SIDE:
        scale = MAX_PHOTO_SIDE / max(image.shape[:2])
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    check_portrait(image)

    def contents(staging: Path) -> dict:
        write_picture(staging / "photo.png", image)
        return {
            "name": name,
            "kind": "photo",
            "source": "photo.png",
            "licence": licence or "由本台提供，使用须经本人同意 / supplied by the station; use needs the presenter's consent",
            "original": photo.name,
            "framing": {**asdict(DEFAULT_FRAMING["vertical"]),  # as the size rule assumes, per frame shape
                        **{o: asdict(DEFAULT_FRAMING[o]) for o in ORIENTATIONS if o != "vertical"}},
            "background": {"behind": "studio", "cutout": "segment"},
            "lipsync": "warp",
            "motion": 1.0,
            "preview": "preview.jpg",
            "consent": record_consent(consent, staging),  # copies the signed document in
        }

    return create_pack(avatar_id or slug(name), contents, force)


def create_pack(avatar_id: str, contents, force: bool = False) -> AvatarPack:
    """Write a new pack ``avatars/<avatar_id>/``: ``contents(folder)`` puts its files in the folder and returns
    its ``avatar.yaml`` fields; the YAML and a preview are written after it.  The pack appears all at once
    (written to a hidden folder, then renamed), so a failure leaves nothing behind."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", avatar_id):
        raise AvatarError(f"主播形象编号 {avatar_id!r} 只能用小写字母、数字、- 和 _",
                          f"avatar id {avatar_id!r} may use only lower-case letters, digits, - and _")
    root = avatars_dir()
    final = root / avatar_id
    if final.exists() and not force:
        raise AvatarError(f"主播形象 {avatar_id!r} 已存在，换一个名字或加 --force 覆盖",
                          f"avatar {avatar_id!r} already exists; choose another name or pass --force")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{avatar_id}.", suffix=".partial", dir=root))
    try:
        data = contents(staging)
        (staging / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        write_picture(staging / "preview.jpg", preview_frame(_pack(avatar_id, staging, data)))
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load_avatar(avatar_id)


def slug(name: str) -> str:
    """A folder-safe id from a display name: 张明 -> zhang-ming, "Li Hua" -> li-hua."""
    from pypinyin import lazy_pinyin

    words = " ".join(lazy_pinyin(name)).lower()
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-") or "anchor"


def describe(pack: AvatarPack) -> dict:
    """What ``anchor avatars`` shows for a pack, its consent state included."""
    return {"id": pack.id, "name": display_name(pack), "kind": pack.kind, "lipsync": pack.lipsync,
            "licence": pack.licence, "thumbnail": str(pack.thumbnail()), "consent": consent_summary(pack)}


def display_name(pack: AvatarPack, station=None) -> str:
    """The anchor's name: the pack's own, or for the station's mascot (``station_name``) the station's anchor_name."""
    if not pack.station_name:
        return pack.name
    if station is None:
        from ..graphics import load_station

        try:
            station = load_station()
        except InputError:  # a broken station file is reported where it is used, not in a list of anchors
            return pack.name
    return " ".join(n for n in (station.anchor_name, station.anchor_name_en) if n) or pack.name


def lower_third_names(pack: AvatarPack, station) -> tuple[str, str]:
    """What a lower third's ``{anchor}`` stands for with this anchor reading, (Chinese, English): the
    station's anchor name for its own mascot, otherwise the pack's own name, so a photo pack is never
    given the station's anchor's name."""
    return (station.anchor_name, station.anchor_name_en) if pack.station_name else (pack.name, "")


def anchor_record(pack: AvatarPack, station) -> dict:
    """What a clip's JSON says about its anchor: who it is, what kind, and the consent it was shown under."""
    return {"id": pack.id, "name": display_name(pack, station), "kind": pack.kind, "consent": consent_summary(pack)}


__all__ = [
    "AvatarPack",
    "Background",
    "add_photo_avatar",
    "anchor_record",
    "avatars_dir",
    "create_pack",
    "describe",
    "display_name",
    "lower_third_names",
    "list_avatars",
    "load_avatar",
]
