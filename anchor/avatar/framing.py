"""How large the presenter's head is framed, and how large a photo's face must be for that.

A photo is never enlarged more than :data:`MAX_UPSCALE` (about 1.3x: beyond it a face
goes soft next to the crisp station graphics).  A pack's :class:`Framing` says how
tall the head should be in the anchor area; a photo whose face is too small for that
is framed smaller instead.  From the layouts of the supported frames and the default
framing follow the two sizes a producer is told up front:

* :data:`MIN_FACE_HEIGHT` - the face (forehead to chin) ``avatar add`` requires: it fills the
  supported frame that asks least;
* :data:`FILL_FACE_HEIGHT` - the face that fills every supported frame (the one asking most,
  :data:`FILL_FRAME`); a smaller one is accepted with a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..graphics import SUPPORTED, layout_for

#: the most a presenter photo is enlarged (on screen pixels per photo pixel)
MAX_UPSCALE = 1.3
#: a photo longer than this on its long side is scaled down to it when added (more detail is never shown)
MAX_PHOTO_SIDE = 4000


@dataclass(frozen=True)
class Framing:
    head_height: float = 0.29  # forehead to chin, as a share of the anchor area's height
    eye_line: float = 0.34  # eye line from the top of the anchor area, as a share of its height


#: framing when a pack says nothing for a frame shape
DEFAULT_FRAMING = {"vertical": Framing(0.29, 0.34), "landscape": Framing(0.25, 0.30), "square": Framing(0.26, 0.30)}


def fill_face_height(width: int, height: int, framing: Framing | None = None) -> int:
    """Forehead-to-chin pixels a photo's face needs to fill the anchor area of a ``width`` x ``height`` frame."""
    layout = layout_for(width, height)
    framing = framing or DEFAULT_FRAMING[layout.orientation]
    return math.ceil(framing.head_height * layout.avatar.h / MAX_UPSCALE - 1e-6)


_FILLS = {size: fill_face_height(*size) for size in SUPPORTED}
#: the smallest face ``avatar add`` accepts (forehead to chin, pixels): it fills the least demanding frame
MIN_FACE_HEIGHT = min(_FILLS.values())
#: the frame asking for the largest face, and that face: a face this tall fills every supported frame
FILL_FRAME = max(_FILLS, key=_FILLS.get)
FILL_FACE_HEIGHT = _FILLS[FILL_FRAME]


def face_size_warning(face_height: float) -> str | None:
    """What ``avatar add`` and the studio say of a face too small to fill every frame ("zh / en"), else None."""
    if face_height >= FILL_FACE_HEIGHT:
        return None
    frame = "{}x{}".format(*FILL_FRAME)
    return (f"照片中人脸约 {face_height:.0f} 像素高，照片最多放大 {MAX_UPSCALE:g} 倍，在 {frame} 画面中主播会显得偏小；"
            f"人脸（额头到下巴）达到 {FILL_FACE_HEIGHT} 像素高才能填满画面 / "
            f"the face is about {face_height:.0f} px high and a photo is enlarged at most {MAX_UPSCALE:g}x, so the "
            f"anchor is framed smaller in a {frame} frame; a face of {FILL_FACE_HEIGHT} px (forehead to chin) "
            f"fills it")
