"""The digital twin: the station's own presenter, speaking a new script with mouths re-used from their recording.

A ``twin`` pack holds the presenter's recording, its analysis
(:mod:`anchor.avatar.twin.recording`) and a background span cut from it at a good loop
point.  For a clip, the rig plays the background span in a loop with its real blinks
and head motion (the video loop's machinery, :mod:`anchor.avatar.videoloop`), and
before the first frame ``plan`` chooses, for every output frame, the recorded mouth
that best says what the timeline asks (:mod:`anchor.avatar.twin.selection`); each frame's
lower face is then laid onto the background frame (:mod:`anchor.avatar.twin.blend`).
Where the background's own frame is the one chosen (a pause, its own closed mouth),
the frame is shown as recorded.  A rig that is never planned shows the background as
recorded (a preview).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import cv2
import numpy as np

from ...speech import VISEMES
from ..face import Face
from ..lipsync import Paste, Pose, Rect
from ..videoloop import (
    DEFAULT_FPS,
    RecordedFace,
    VideoLoopRig,
    cut_out,
    frame_recording,
    read_video,
)
from .blend import LowerFaceBlender
from .recording import Recording, load_recording
from .selection import MIN_COVERAGE, Choice, choose_mouths

ANALYSIS = "analysis.npz"
BACKGROUND = "background.mp4"
_CLOSED = VISEMES.index("closed")
KEPT_CROPS = 8


def twin_rig(pack, behind: np.ndarray, framing) -> TwinRig:
    recording, extra = load_recording(pack.folder / ANALYSIS)
    start, stop = (int(v) for v in extra["background_span"])
    frames, _ = read_video(pack.folder / BACKGROUND, (stop - start + 1) / recording.fps)
    frames = frames[:stop - start]
    mattes = extra.get("background_mattes")
    cut = []
    for k, image in enumerate(frames):
        matte = None
        if mattes is not None and k < len(mattes):
            matte = cv2.resize(mattes[k], image.shape[1::-1], interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
        cut.append(cut_out(pack, image, matte))
    faces = [Face(recording.points[start + k]) for k in range(len(frames))]
    pictures, framed = frame_recording([c[0] for c in cut], [c[1] for c in cut], faces, behind.shape, framing)
    loop = VideoLoopRig(pictures, framed, behind, RecordedFace(), recording.fps, pack.loop)
    scale = framed[0].height / faces[0].height
    return TwinRig(loop, recording, start, framed, scale)


class TwinRig:
    """:class:`~anchor.avatar.lipsync.Rig` (and ``PlannedRig``) of a twin pack."""

    def __init__(self, loop: VideoLoopRig, recording: Recording, start: int, faces: list[Face], scale: float):
        self.loop = loop
        self.recording = recording
        self.start = start
        self.faces = faces  # the background frames' faces, anchor-area pixels
        self.scale = scale  # recording pixels -> anchor-area pixels
        self.base = loop.base
        self.choice: Choice | None = None
        self._own = None
        self._fps = DEFAULT_FPS
        self._blender = LowerFaceBlender()
        self._crops: OrderedDict[int, np.ndarray] = OrderedDict()

    def dirty_rects(self) -> list[Rect]:
        return self.loop.dirty_rects()

    def plan(self, performance) -> dict:
        """Choose every frame's mouth for the clip ``performance`` describes; what the clip's JSON records."""
        n, fps = len(performance), performance.fps
        self._fps = fps
        loop_frames = np.int64([self.loop.index_at(t, fps) for t in range(n)])
        own = self.start + np.minimum(loop_frames, len(self.faces) - 1)
        closed = performance.viseme == _CLOSED if performance.viseme is not None else np.zeros(n, bool)
        resting = performance.speaking < 0.5 if performance.speaking is not None else None
        resting = resting & (performance.mouth_open < 0.05) if resting is not None else None
        targets = self.recording.speaker.targets(performance.mouth_open, performance.mouth_width, closed, resting)
        self.choice = choose_mouths(self.recording, targets, self.recording.poses[own], own=own)
        self._own = own
        self._blender = LowerFaceBlender()
        return twin_report(self.choice, own)

    def patches(self, pose: Pose) -> Iterator[Paste]:
        fps = pose.audio.fps if pose.audio is not None else self._fps
        j = self.loop.index_at(pose.frame, fps)
        px, py, _, _ = self.loop.region
        frame = self.loop.frame(j)
        yield px, py, frame
        if self.choice is None or pose.frame >= len(self.choice.frames):
            return
        c = int(self.choice.frames[pose.frame])
        if c == self._own[pose.frame]:
            return  # the background's own mouth: the frame as recorded
        under_face = self.faces[min(j, len(self.faces) - 1)].scaled(1.0, -px, -py)
        crop_face = Face((self.recording.points[c] - self.recording.crop_origin[c].astype(np.float32)))
        k = pose.frame
        stretch = 0.0 if self.choice.close[k] else float(self.choice.residual[k, 0])
        paste = self._blender.blend(frame, under_face, self._crop(c), crop_face, stretch, k)
        if paste is not None:
            x, y, pixels = paste
            yield x + px, y + py, pixels

    def _crop(self, c: int) -> np.ndarray:
        if c not in self._crops:
            self._crops[c] = self.recording.mouth(c)
            if len(self._crops) > KEPT_CROPS:
                self._crops.popitem(last=False)
        return self._crops[c]


def twin_report(choice: Choice, own: np.ndarray) -> dict:
    """The twin's part of a clip's JSON: how well the recording covered the script, and a warning when it did not."""
    report = {"coverage": round(choice.coverage, 3), "min_coverage": MIN_COVERAGE,
              "mean_run_frames": round(choice.runs, 1),
              "recorded_frames_share": round(float(np.mean(choice.frames == own)), 3), "warnings": []}
    if choice.coverage < MIN_COVERAGE:
        report["warnings"].append(
            f"数字分身的录像只覆盖了本条稿件 {choice.coverage:.0%} 的口型（至少 {MIN_COVERAGE:.0%}），其余由最接近的口型变形而来；"
            f"请补录 2–3 分钟的朗读 / the twin's recording covers {choice.coverage:.0%} of this script's mouth shapes "
            f"(at least {MIN_COVERAGE:.0%} wanted); the rest are the nearest shapes warped toward them: record 2-3 "
            f"minutes of reading")
    return report
