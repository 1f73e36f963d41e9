"""Adding the station's own mascot: a sprite pack from a designer's layered PSD or folder of PNG layers.

``add_mascot_avatar`` checks the artwork (every required layer there, see
:mod:`anchor.avatar.artwork`), copies it into ``avatars/<id>/`` with an
``avatar.yaml`` naming the layers it found and a preview picture.  The pack
appears all at once (written to a hidden folder, then renamed), so a failure
leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import yaml

from ..errors import AvatarError
from .artwork import names_found, read_artwork, sprite_settings
from .pack import AvatarPack, _pack, avatars_dir, load_avatar, slug
from .pictures import write_picture
from .preview import preview_frame

DEFAULT_LICENCE = "本台原创形象 / the station's own artwork"
NO_CONSENT_NEEDED = {"needed": False, "reason": "drawn artwork / 原创卡通形象"}
#: where a drawn figure sits in the anchor area (its head layer's height and eye line), as for the panda
SPRITE_FRAMING = {"head_height": 0.30, "eye_line": 0.36,
                  "landscape": {"head_height": 0.28, "eye_line": 0.34},
                  "square": {"head_height": 0.27, "eye_line": 0.33}}


def add_mascot_avatar(artwork: str | os.PathLike, name: str, avatar_id: str | None = None,
                      licence: str | None = None, force: bool = False,
                      tint: dict[str, str] | None = None) -> AvatarPack:
    """Make a new mascot anchor from ``artwork`` (a layered .psd, or a folder of PNG layers).

    ``tint`` maps parts to station colours (``{"body": "primary"}``) or ``#rrggbb``.
    """
    artwork = Path(artwork)
    try:
        settings = sprite_settings({"tint": tint or {}})
    except ValueError as e:
        raise AvatarError(f"染色设置有误（{e}）", f"bad tint: {e}") from None
    art = read_artwork(artwork)
    avatar_id = avatar_id or slug(name)
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
        if artwork.is_dir():
            source = "layers/"
            (staging / "layers").mkdir()
            for png in sorted(artwork.glob("*.png")):
                shutil.copyfile(png, staging / "layers" / png.name)
        else:
            source = f"artwork{artwork.suffix.lower()}"
            shutil.copyfile(artwork, staging / source)
        data = {
            "name": name,
            "kind": "sprite",
            "source": source,
            "licence": licence or DEFAULT_LICENCE,
            "consent": dict(NO_CONSENT_NEEDED),
            "original": artwork.name,
            "layers": names_found(art),
            **({"tint": dict(settings.tint)} if settings.tint else {}),
            "framing": SPRITE_FRAMING,
            "background": {"behind": "studio"},
            "motion": 1.0,
            "preview": "preview.jpg",
        }
        (staging / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        pack = _pack(avatar_id, staging, data)
        write_picture(staging / "preview.jpg", preview_frame(pack))
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load_avatar(avatar_id)
