"""A presenter's recording measured once for a twin: per frame landmarks, mouth shape and look, head pose, speech.

``measure(frames, fps)`` follows the face through the frames (the face-mesh model that
ships inside mediapipe, run on a fixed region around the head, enlarged when the face is
small), and keeps per frame: the 468 landmarks, the lip and jaw shape
(:mod:`anchor.avatar.twin.shape`), a small descriptor of how the mouth looks, the head
pose, a crop of the lower face (JPEG, at the camera's own resolution), and whether
the presenter is speaking or idle.  ``Recording.save`` and ``load_recording`` keep it in
the pack (``analysis.npz``), so rendering never runs a face model.

The checks a station's recording must pass (``anchor.avatar.twin.pack``) watch the
same loop through ``Watch``, so a recording that fails is refused as soon as it does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ...errors import AvatarError
from ..face import Face, FaceTracker, face_boxes
from .shape import GAP, SpeakerRange, head_poses, mouth_look, mouth_shapes

TRACK_FACE_PX = 220  # the face is tracked at about this height (the model's own input is 192 px)
THUMB = (32, 18)  # a grey thumbnail of every frame, to find where a loop can join
JPEG = [int(cv2.IMWRITE_JPEG_QUALITY), 95]
#: a frame is idle when nobody speaks and the lips are within this share of the speaker's range of how they rest
IDLE_GAP = 0.15

Watch = Callable[[int, np.ndarray, Face | None], None]  # (frame index, RGB frame, face) -> raises to refuse


@dataclass(frozen=True, eq=False)
class Recording:
    fps: float
    size: tuple[int, int]  # the recording's (width, height)
    points: np.ndarray  # (n, 468, 2) float32 landmarks, recording pixels
    shapes: np.ndarray  # (n, 6) shape.SHAPE
    looks: np.ndarray  # (n, 128) shape.mouth_look
    poses: np.ndarray  # (n, 3) shape.POSE
    speaking: np.ndarray  # (n,) bool
    idle: np.ndarray  # (n,) bool: not speaking, lips closed
    usable: np.ndarray  # (n,) bool: the face was found and faces the camera
    thumbs: np.ndarray  # (n, 18, 32) uint8
    crop_origin: np.ndarray  # (n, 2) int32: where each lower-face crop sat in its frame
    crop_size: tuple[int, int]  # (w, h) of every crop
    mouth_jpegs: np.ndarray  # every crop's JPEG, end to end (uint8)
    mouth_offsets: np.ndarray  # (n + 1,) int64: crop i is mouth_jpegs[offsets[i]:offsets[i + 1]]
    speaker: SpeakerRange
    heard: bool  # speaking came from the recording's sound (else from the mouth's motion)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def seconds(self) -> float:
        return len(self) / self.fps

    def mouth(self, i: int) -> np.ndarray:
        """Frame ``i``'s lower-face crop, RGB; it sat at ``crop_origin[i]`` in the frame."""
        data = self.mouth_jpegs[self.mouth_offsets[i]:self.mouth_offsets[i + 1]]
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    def save(self, path: Path, **extra: np.ndarray) -> None:
        np.savez_compressed(path, fps=self.fps, size=np.int32(self.size), points=self.points, shapes=self.shapes,
                            looks=self.looks.astype(np.float16), poses=self.poses, speaking=self.speaking,
                            idle=self.idle, usable=self.usable, thumbs=self.thumbs, crop_origin=self.crop_origin,
                            crop_size=np.int32(self.crop_size), mouth_jpegs=self.mouth_jpegs,
                            mouth_offsets=self.mouth_offsets, speaker=self.speaker.as_array(),
                            heard=self.heard, **extra)


def load_recording(path: Path) -> tuple[Recording, dict]:
    """The stored analysis, and whatever else was saved beside it."""
    try:
        data = dict(np.load(path))
    except (OSError, ValueError) as e:
        raise AvatarError(f"数字分身的分析数据无法读取：{path}（{e}）", f"cannot read the twin's analysis {path}: {e}") from None
    names = ("fps", "size", "points", "shapes", "looks", "poses", "speaking", "idle", "usable", "thumbs",
             "crop_origin", "crop_size", "mouth_jpegs", "mouth_offsets", "speaker", "heard")
    own = {k: data.pop(k) for k in names}
    recording = Recording(float(own["fps"]), tuple(int(v) for v in own["size"]), own["points"], own["shapes"],
                          own["looks"].astype(np.float32), own["poses"], own["speaking"].astype(bool),
                          own["idle"].astype(bool), own["usable"].astype(bool), own["thumbs"], own["crop_origin"],
                          tuple(int(v) for v in own["crop_size"]), own["mouth_jpegs"], own["mouth_offsets"],
                          SpeakerRange.from_array(own["speaker"]), bool(own["heard"]))
    return recording, data


def measure(frames: Iterable[np.ndarray], fps: float, loudness: np.ndarray | None = None,
            watch: Watch | None = None, max_turn: float = 20.0) -> Recording:
    """Measure every frame of a presenter's recording (see the module's docstring).

    ``loudness`` is the recording's sound level per frame in dB (None: no sound); ``watch`` sees
    every frame with its face and may refuse it.  Frames where no face is found, or the head is
    turned more than ``max_turn`` degrees, are kept (the background plays them) but never lend a mouth.
    """
    points, thumbs, looks, faces_found = [], [], [], []
    crops: list[bytes] = []
    origins = []
    region = crop_size = None
    tracker = FaceTracker()
    try:
        for i, frame in enumerate(frames):
            if region is None:
                region = _track_region(frame)
            face = _track(tracker, frame, region)
            if watch is not None:
                watch(i, frame, face)
            faces_found.append(face is not None)
            if face is None:  # lost for a frame or two: the background still plays it, its mouth is not used
                if not points:
                    raise AvatarError("视频开头找不到人脸", "no face at the start of the recording")
                face = Face(points[-1])
            if crop_size is None:
                crop_size = _crop_size(face)
            origin = _crop_origin(face, crop_size, frame.shape)
            x, y = origin
            crop = np.ascontiguousarray(frame[y:y + crop_size[1], x:x + crop_size[0]])
            crops.append(cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), JPEG)[1].tobytes())
            looks.append(mouth_look(crop, face.points - np.float32(origin)))
            origins.append(origin)
            points.append(face.points)
            step = max(frame.shape[1] // (4 * THUMB[0]), 1)  # a coarse grid first: an area resize of the whole frame is slow
            grey = cv2.cvtColor(np.ascontiguousarray(frame[::step, ::step]), cv2.COLOR_RGB2GRAY)
            thumbs.append(cv2.resize(grey, THUMB, interpolation=cv2.INTER_AREA))
            size = (frame.shape[1], frame.shape[0])
    finally:
        tracker.__exit__()
    if not points:
        raise AvatarError("视频中没有画面", "the recording has no pictures")
    points = np.stack(points).astype(np.float32)
    shapes, poses = mouth_shapes(points), head_poses(points)
    looks = np.stack(looks)
    speaking, heard = _speaking(shapes, loudness, fps)
    quiet = ~_grow(speaking, int(0.3 * fps))
    first = SpeakerRange.measure(shapes, speaking)
    at_rest = np.median(shapes[quiet, GAP]) if quiet.any() else first.gap_closed  # a smile at rest may part the lips
    idle = quiet & (shapes[:, GAP] <= max(at_rest, first.gap_closed) + IDLE_GAP * first.gap_span)
    speaker = SpeakerRange.measure(shapes, speaking, idle)
    found = np.array(faces_found, bool)
    usable = found & (np.abs(poses[:, 0]) <= max_turn)
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in crops])]).astype(np.int64)
    return Recording(float(fps), size, points, shapes, looks, poses, speaking, idle, usable, np.stack(thumbs),
                     np.int32(origins), crop_size, np.frombuffer(b"".join(crops), np.uint8).copy(), offsets,
                     speaker, heard)


def _track_region(frame: np.ndarray) -> tuple[int, int, int, int, float]:
    """A fixed region (x, y, w, h) around the presenter's head and the scale it is tracked at."""
    boxes = face_boxes(frame, min_score=0.5)
    if not boxes:
        raise AvatarError("视频第 1 帧中找不到人脸，请用正对镜头、坐姿的主播录像",
                          "no face in the first frame; record the presenter seated, facing the camera")
    x, y, w, h = boxes[0]
    side = 3 * max(w, h)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    x1, y1 = int(min(cx + side / 2, frame.shape[1])), int(min(cy + side / 2, frame.shape[0]))
    # only a small face is enlarged (the model scales a large one down itself); the detector's box is short of the chin
    scale = float(np.clip(TRACK_FACE_PX / max(h * 1.3, 1), 1.0, 4.0))
    return x0, y0, x1 - x0, y1 - y0, scale


def _track(tracker: FaceTracker, frame: np.ndarray, region) -> Face | None:
    x, y, w, h, scale = region
    crop = frame[y:y + h, x:x + w]
    if scale > 1.05:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    found = tracker.find(crop)
    if found is None:
        return None
    return Face(found.points / np.float32(scale) + np.float32([x, y]))


def _crop_size(face: Face) -> tuple[int, int]:
    """Crops reach from under the eyes past the cheeks to the neck, wide enough for the jaw turned a little."""
    jaw_width = float(np.linalg.norm(face.points[361] - face.points[132]))
    return int(1.35 * jaw_width) // 2 * 2 + 2, int(0.85 * face.height) // 2 * 2 + 2


def _crop_origin(face: Face, size: tuple[int, int], shape) -> tuple[int, int]:
    cx = float(face.points[[13, 14], 0].mean())
    top = float(face.points[[4, 5], 1].mean()) - 0.1 * face.height
    x = int(np.clip(round(cx - size[0] / 2), 0, max(shape[1] - size[0], 0)))
    y = int(np.clip(round(top), 0, max(shape[0] - size[1], 0)))
    return x, y


def _speaking(shapes: np.ndarray, loudness: np.ndarray | None, fps: float) -> tuple[np.ndarray, bool]:
    """Which frames are speech: from the sound when it is clear, else from how much the lips move."""
    if loudness is not None and len(loudness):
        n = len(shapes)  # the sound may end a frame early or late
        loudness = np.pad(loudness[:n], (0, max(n - len(loudness), 0)), mode="edge")
        floor, loud = np.percentile(loudness, 10), np.percentile(loudness, 90)
        if loud - floor >= 12:
            voiced = loudness > floor + 0.35 * (loud - floor)
            return _close_gaps(voiced, int(0.35 * fps)), True
    gap = shapes[:, GAP]
    span = max(np.percentile(gap, 97) - np.percentile(gap, 3), 1e-4)
    k = max(int(0.25 * fps), 1)
    padded = np.pad(gap, k, mode="edge")
    moving = np.array([padded[i:i + 2 * k + 1].std() for i in range(len(gap))]) > 0.08 * span
    return _close_gaps(moving, int(0.35 * fps)), False


def _grow(mask: np.ndarray, k: int) -> np.ndarray:
    from scipy.ndimage import binary_dilation

    return binary_dilation(mask, np.ones(2 * k + 1, bool)) if k > 0 and mask.any() else mask.copy()


def _close_gaps(mask: np.ndarray, k: int) -> np.ndarray:
    """``mask`` with gaps shorter than ``k`` frames between true runs filled in."""
    out = mask.copy()
    idx = np.flatnonzero(mask)
    for a, b in zip(idx[:-1], idx[1:]):
        if 1 < b - a <= k:
            out[a:b] = True
    return out
