"""The avatar stage: an avatar pack -> a :class:`Rig` that draws the anchor frame by frame from a :class:`Performance`.

Entry points: ``load_avatar`` reads a pack (``avatars/<id>/avatar.yaml``) and ``AvatarPack.rig(backdrop)`` prepares
it over the studio for one clip; ``perform`` turns the speech timeline into a :class:`Performance` (one pose per video
frame), and the renderer pastes the rig's patches for each pose.  ``add_photo_avatar`` makes a new pack from a
producer's photo, ``add_mascot_avatar`` one from a designer's layered mascot artwork,
``add_twin_avatar`` a digital twin from the presenter's own recording; ``list_avatars``,
``describe`` and ``preview_frame`` show the packs there are.

Modules, lowest first:

* ``framing`` - how large a head is framed: the enlargement limit and the face sizes a photo needs;
* ``face`` - face landmarks, mattes and portrait checks (mediapipe); :class:`FaceTracker` follows a face in a video;
* ``lipsync`` - the :class:`Rig` protocol, ``Pose``, the ``warp`` lip-sync method and the methods by name;
* ``wav2lip`` - neural lip-sync with a user's Wav2Lip checkpoint (the ``neural`` extra);
* ``rig`` - ``CutoutRig``: one presenter picture moving as one piece over the studio, face parts pasted on;
* ``pictures`` - image files, a picture scaled to fill an area, ``#rrggbb`` colours;
* ``photo`` - the photo anchor, and the framing of a presenter in the anchor area (shared with the video loop);
* ``mascot`` - the cartoon panda, drawn by the project itself;
* ``artwork`` - a designer's mascot artwork (layered PSD or PNG layers): the parts named, checked and tinted;
* ``sprite`` - the station's own mascot rigged from its artwork, the head tilting on the neck;
* ``videoloop`` - the presenter video loop: a short recording, looped, with the mouth re-animated;
* ``performance`` - poses (mouth, blinks, head motion) from the speech timeline and audio;
* ``preview`` - the anchor on the station's studio set: preview pictures and cached thumbnails;
* ``consent`` - the presenter's consent record, a pack's consent state, and refusing a real face without one;
* ``pack`` - avatar packs: reading, listing and adding them; ``AvatarPack.rig`` builds the rig of the pack's kind;
* ``mascotpack`` - adding a mascot pack from the artwork, with its preview;
* ``twin`` - the digital twin from the presenter's own recording (its own modules: see ``twin/__init__``).
"""

from .consent import (
    Consent,
    check_consent,
    consent_request,
    consent_state,
    consent_warnings,
)
from .face import FaceTracker, check_portrait
from .framing import (
    FILL_FACE_HEIGHT,
    FILL_FRAME,
    MAX_UPSCALE,
    MIN_FACE_HEIGHT,
    face_size_warning,
)
from .lipsync import PlannedRig, Rig, plan_rig
from .mascotpack import add_mascot_avatar
from .pack import (
    DEFAULT_AVATAR,
    PAIR_AVATARS,
    AvatarPack,
    add_photo_avatar,
    anchor_record,
    avatars_dir,
    describe,
    display_name,
    lower_third_names,
    list_avatars,
    load_avatar,
)
from .performance import Performance, frame_loudness, listening, perform
from .twin.pack import MIN_SECONDS as TWIN_SECONDS, add_twin_avatar
from .photo import FramingNote, framing_shortfall, size_warning
from .pictures import read_picture
from .preview import preview_frame

__all__ = [
    "DEFAULT_AVATAR",
    "PAIR_AVATARS",
    "FILL_FACE_HEIGHT",
    "FILL_FRAME",
    "MAX_UPSCALE",
    "MIN_FACE_HEIGHT",
    "TWIN_SECONDS",
    "AvatarPack",
    "Consent",
    "FaceTracker",
    "FramingNote",
    "Performance",
    "PlannedRig",
    "Rig",
    "add_mascot_avatar",
    "add_photo_avatar",
    "add_twin_avatar",
    "anchor_record",
    "avatars_dir",
    "check_consent",
    "check_portrait",
    "consent_request",
    "consent_state",
    "consent_warnings",
    "describe",
    "display_name",
    "lower_third_names",
    "face_size_warning",
    "frame_loudness",
    "framing_shortfall",
    "list_avatars",
    "listening",
    "load_avatar",
    "perform",
    "plan_rig",
    "preview_frame",
    "read_picture",
    "size_warning",
]
