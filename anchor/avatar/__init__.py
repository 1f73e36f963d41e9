from .face import FaceTracker, check_portrait
from .lipsync import Rig
from .pack import (
    AvatarPack, add_photo_avatar, avatars_dir, describe, list_avatars, load_avatar, preview_frame, read_picture,
)
from .performance import Performance, frame_loudness, perform

__all__ = ["AvatarPack", "FaceTracker", "Performance", "Rig", "add_photo_avatar", "avatars_dir", "check_portrait", "describe", "frame_loudness", "list_avatars", "load_avatar", "perform", "preview_frame", "read_picture"]
