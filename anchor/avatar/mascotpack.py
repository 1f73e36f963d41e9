"""Adding the station's own mascot: a sprite pack from a designer's layered PSD or folder of PNG layers.

``add_mascot_avatar`` checks the artwork (every required layer there, see
:mod:`anchor.avatar.artwork`), copies it into ``avatars/<id>/`` with an
``avatar.yaml`` naming the layers it found and a preview picture.  The pack
appears all at once (written to a hidden folder, then renamed), so a failure
leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import AvatarError
from .artwork import names_found, read_artwork, sprite_settings
from .pack import AvatarPack, create_pack, slug

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

    def contents(staging: Path) -> dict:
        if artwork.is_dir():
            source = "layers/"
            (staging / "layers").mkdir()
            for png in sorted(artwork.glob("*.png")):
                shutil.copyfile(png, staging / "layers" / png.name)
        else:
            source = f"artwork{artwork.suffix.lower()}"
            shutil.copyfile(artwork, staging / source)
        return {
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

    return create_pack(avatar_id or slug(name), contents, force)
