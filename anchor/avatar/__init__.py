"""The avatar stage: an avatar pack -> a :class:`Rig` that draws the anchor frame by frame from a :class:`Performance`.

Entry points: ``load_avatar`` reads a pack (``avatars/<id>/avatar.yaml``) and ``AvatarPack.rig(backdrop)`` prepares
it over the studio for one clip; ``perform`` turns the speech timeline into a :class:`Performance` (one pose per video
frame), and the renderer pastes the rig's patches for each pose.  ``add_photo_avatar`` makes a new pack from a
producer's photo; ``list_avatars``, ``describe`` and ``preview_frame`` show the packs there are.

Modules, lowest first:

* ``face`` - face landmarks, mattes and portrait checks (mediapipe); :class:`FaceTracker` follows a face in a video;
* ``lipsync`` - the :class:`Rig` protocol, ``Pose``, the ``warp`` lip-sync method and the methods by name;
* ``wav2lip`` - neural lip-sync with a user's Wav2Lip checkpoint (the ``neural`` extra);
* ``rig`` - ``CutoutRig``: one presenter picture moving as one piece over the studio, face parts pasted on;
* ``pictures`` - image files, a picture scaled to fill an area, ``#rrggbb`` colours;
* ``photo`` - the photo anchor, and the framing of a presenter in the anchor area (shared with the video loop);
* ``mascot`` - the cartoon panda, drawn by the project itself;
* ``videoloop`` - the presenter video loop: a short recording, looped, with the mouth re-animated;
* ``performance`` - poses (mouth, blinks, head motion) from the speech timeline and audio;
* ``preview`` - the anchor on the station's studio set: preview pictures and cached thumbnails;
* ``pack`` - avatar packs: reading, listing and adding them; ``AvatarPack.rig`` builds the rig of the pack's kind.
"""

from .face import FaceTracker, check_portrait
from .lipsync import Rig
from .pack import AvatarPack, add_photo_avatar, avatars_dir, describe, list_avatars, load_avatar
from .performance import Performance, frame_loudness, perform
from .pictures import read_picture
from .preview import preview_frame

__all__ = ["AvatarPack", "FaceTracker", "Performance", "Rig", "add_photo_avatar", "avatars_dir", "check_portrait",
           "describe", "frame_loudness", "list_avatars", "load_avatar", "perform", "preview_frame", "read_picture"]
