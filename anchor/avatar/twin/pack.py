"""Adding a digital twin: the presenter's recording checked, measured once, and written as a pack.

``add_twin_avatar`` refuses, saying why in Chinese and English, a recording that
cannot make a twin: unreadable, shorter than ``MIN_SECONDS``, no face or a second
person's, a face under the framing's size rule, a head turned away for much of it, a
moving camera, or a face that keeps leaving the frame.  A recording that passes is
measured (:mod:`anchor.avatar.twin.recording`), a background span is chosen (mostly idle,
the head near its usual pose, its ends alike so the loop joins unseen), and the pack is
written all at once with the presenter's consent: the recording itself, ``analysis.npz``
and ``background.mp4``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import av
import cv2
import numpy as np

from ...audio import decode_audio
from ...errors import AvatarError
from ..consent import ConsentRequest, consent_request, record_consent
from ..face import UPPER_FACE, Face, face_boxes, person_matte
from ..framing import MIN_FACE_HEIGHT
from ..pack import AvatarPack, create_pack, slug
from .recording import Recording, measure
from .rig import ANALYSIS, BACKGROUND
from .shape import POSE_SCALE, head_frame

MIN_SECONDS = 30.0  # shorter recordings do not hold enough mouth shapes (2 to 3 min is recommended)
MAX_TURN = 20.0  # degrees: a head turned further does not lend its mouth
TURNED_SHARE = 0.2  # refused when the head is turned further for more than this share of the recording
LOST_SHARE = 0.1  # refused when the face is lost in more than this share of frames
CAMERA_DRIFT = 0.006  # of the frame's width: a background moving further than this is a moving camera
BACKGROUND_SECONDS = 6.0  # the background loop's length at most
MATTE_SCALE = 0.5  # stored person mattes are this size of the recording


def add_twin_avatar(recording: str | os.PathLike, name: str, avatar_id: str | None = None, licence: str | None = None,
                    force: bool = False, *, consent: ConsentRequest | None = None,
                    min_face: float = MIN_FACE_HEIGHT, min_seconds: float = MIN_SECONDS) -> AvatarPack:
    """A twin pack from the presenter's recording (see the module's docstring); nothing is written on a refusal."""
    if consent is None:
        consent_request(None, None, name)  # raises, saying what to pass
    path = Path(recording)
    fps, seconds, loudness = probe(path)
    if seconds < min_seconds:
        raise AvatarError(f"录像太短：{seconds:.1f} 秒，至少需要 {min_seconds:.0f} 秒（建议 2–3 分钟朗读，含 10–20 秒闭嘴静坐）",
                          f"the recording is too short: {seconds:.1f} s, at least {min_seconds:.0f} s needed "
                          f"(2-3 min of reading recommended, with 10-20 s sitting still, mouth closed)")
    checks = RecordingChecks(fps, min_face)
    measured = measure(frames_of(path), fps, loudness, watch=checks, max_turn=MAX_TURN)
    checks.finish(measured)
    start, stop = background_span(measured, BACKGROUND_SECONDS)

    def contents(staging: Path) -> dict:
        source = "recording" + (path.suffix.lower() if path.suffix.isascii() and len(path.suffix) <= 5 else ".mp4")
        shutil.copyfile(path, staging / source)
        mattes = write_background(path, staging / BACKGROUND, start, stop, fps)
        measured.save(staging / ANALYSIS, background_span=np.int64([start, stop]), background_mattes=mattes)
        return {
            "name": name,
            "kind": "twin",
            "source": source,
            "licence": licence or "由本台录制，使用须经本人同意 / recorded by the station; use needs the presenter's consent",
            "original": path.name,
            "recording": {"seconds": round(measured.seconds, 2), "fps": round(fps, 3), "size": list(measured.size),
                          "face_px": round(float(np.median([Face(p).height for p in measured.points])), 1),
                          "speaking_share": round(float(measured.speaking.mean()), 3),
                          "idle_share": round(float(measured.idle.mean()), 3), "speech_from_sound": measured.heard,
                          "background_frames": [start, stop]},
            "background": {"behind": "studio", "cutout": "segment"},
            "loop": "crossfade",
            "preview": "preview.jpg",
            "consent": record_consent(consent, staging),
        }

    return create_pack(avatar_id or slug(name), contents, force)


def probe(path: Path) -> tuple[float, float, np.ndarray | None]:
    """The recording's frame rate, length in seconds and sound level per video frame (dB; None when silent)."""
    if not path.is_file():
        raise AvatarError(f"找不到录像：{path}", f"recording not found: {path}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise AvatarError(f"文件中没有视频画面：{path}", f"the file has no video: {path}")
            stream = container.streams.video[0]
            fps = float(stream.average_rate or stream.guessed_rate or 25)
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            else:
                seconds = float(container.duration or 0) / av.time_base
            has_sound = bool(container.streams.audio)
        loudness = _loudness(path, fps) if has_sound else None
    except av.FFmpegError as e:
        raise AvatarError(f"无法读取录像：{path}（{e}）", f"cannot read the recording {path}: {e}") from None
    return fps, seconds, loudness


def _loudness(path: Path, fps: float) -> np.ndarray | None:
    samples, rate = decode_audio(path)
    edges = np.arange(0, len(samples) + 1, rate / fps).astype(np.int64)
    if len(edges) < 2:
        return None
    power = np.add.reduceat(samples[:edges[-1]].astype(np.float64) ** 2, edges[:-1]) / np.diff(edges)
    return 20 * np.log10(np.sqrt(power + 1e-12) + 1e-9)


def frames_of(path: Path, start: int = 0, stop: int | None = None):
    """The recording's frames ``start`` to ``stop`` as RGB arrays, decoded as they are needed."""
    try:
        with av.open(str(path)) as container:
            for i, frame in enumerate(container.decode(container.streams.video[0])):
                if stop is not None and i >= stop:
                    break
                if i >= start:
                    yield frame.to_ndarray(format="rgb24")
    except av.FFmpegError as e:
        raise AvatarError(f"无法读取录像：{path}（{e}）", f"cannot read the recording {path}: {e}") from None


class RecordingChecks:
    """Watches a recording as it is measured and refuses it as soon as it cannot make a twin."""

    def __init__(self, fps: float, min_face: float):
        self.fps = fps
        self.min_face = min_face
        self.every = max(int(round(2 * fps)), 1)  # the detector looks for other people every 2 s
        self.heights: list[float] = []
        self.lost = 0
        self._grey0 = self._points0 = None

    def __call__(self, i: int, frame: np.ndarray, face: Face | None) -> None:
        at = f"{i / self.fps:.1f}"
        if i % self.every == 0:
            boxes = face_boxes(frame)
            if not boxes and face is None:
                raise AvatarError(f"录像第 {at} 秒找不到人脸，请让主播正对镜头坐好",
                                  f"no face at {at} s of the recording; the presenter should sit facing the camera")
            if len(boxes) > 1 and boxes[1][3] >= 0.4 * boxes[0][3]:
                raise AvatarError(f"录像第 {at} 秒画面中有 {len(boxes)} 张人脸，数字分身的录像中只能有主播一人",
                                  f"{len(boxes)} faces at {at} s of the recording; only the presenter may be in it")
        if face is None:
            self.lost += 1
            return
        self.heights.append(face.height)
        if len(self.heights) == int(self.fps):  # a second in: is the face large enough?
            height = float(np.median(self.heights))
            if height < self.min_face:
                raise AvatarError(f"录像中的人脸太小（额头到下巴约 {int(height)} 像素，至少需要 {self.min_face:.0f} 像素），"
                                  f"请把镜头推近或用更高分辨率录制",
                                  f"the face is too small in the recording ({int(height)} px from forehead to chin, at "
                                  f"least {self.min_face:.0f} px needed); frame closer or record at a higher resolution")
        self._camera(i, frame, face)

    def _camera(self, i: int, frame: np.ndarray, face: Face) -> None:
        """Refuses a moving camera: points on the background, away from the presenter, must stay put."""
        if i % max(int(self.fps), 1):
            return
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self._grey0 is None:
            mask = np.full(grey.shape, 255, np.uint8)
            (x0, _), (x1, _) = face.points.min(axis=0), face.points.max(axis=0)
            w = x1 - x0
            mask[:, max(int(x0 - 0.9 * w), 0):int(x1 + 0.9 * w)] = 0  # the presenter, head to the frame's bottom
            points = cv2.goodFeaturesToTrack(grey, 200, 0.01, 8, mask=mask)
            self._grey0, self._points0 = grey, points if points is not None and len(points) >= 12 else None
            return
        if self._points0 is None:
            return  # a plain backdrop (a green screen): nothing to see a camera move by
        moved, status, _ = cv2.calcOpticalFlowPyrLK(self._grey0, grey, self._points0, None, winSize=(21, 21),
                                                    maxLevel=3)
        ok = status.ravel() == 1
        shift = float(np.median(np.linalg.norm((moved - self._points0)[ok].reshape(-1, 2), axis=1))) if ok.sum() >= 6 \
            else np.inf
        if shift > max(3.0, CAMERA_DRIFT * grey.shape[1]):
            at = f"{i / self.fps:.1f}"
            shown = "很多" if not np.isfinite(shift) else f"{shift:.0f}"
            raise AvatarError(f"录像中的镜头在移动（到第 {at} 秒背景移动了约 {shown} 像素），请用三脚架固定机位重新录制",
                              f"the camera moves in the recording (the background has moved about "
                              f"{'a lot' if not np.isfinite(shift) else f'{shift:.0f} px'} by {at} s); "
                              f"record again with the camera on a tripod")

    def finish(self, recording: Recording) -> None:
        """The checks over the whole recording: a face lost too often, a head turned away too long."""
        n = len(recording)
        if self.lost > LOST_SHARE * n:
            raise AvatarError(f"录像中有 {self.lost / n:.0%} 的画面找不到人脸，请让主播始终在画面中正对镜头",
                              f"no face in {self.lost / n:.0%} of the recording's frames; keep the presenter in the frame, "
                              f"facing the camera")
        turned = float(np.mean(np.abs(recording.poses[:, 0]) > MAX_TURN))
        if turned > TURNED_SHARE:
            yaw = float(np.median(np.abs(recording.poses[:, 0])))
            raise AvatarError(f"录像中主播的头部有 {turned:.0%} 的时间转向一侧超过 {MAX_TURN:.0f}°（中位约 {yaw:.0f}°），"
                              f"请正对镜头重新录制",
                              f"the presenter's head is turned more than {MAX_TURN:.0f}° for {turned:.0%} of the "
                              f"recording (typically {yaw:.0f}°); record again facing the camera")


def background_span(recording: Recording, seconds: float) -> tuple[int, int]:
    """Frames [start, stop) to loop behind the twin: mostly idle and usable, the head near its usual pose, and
    ending on a frame that looks like its first (``loop: crossfade`` joins it there unseen)."""
    n = len(recording)
    length = min(int(round(seconds * recording.fps)), n)
    usual = np.median(recording.poses, axis=0)
    away = (((recording.poses - usual) / POSE_SCALE) ** 2).sum(axis=1)
    bad = ~recording.idle | ~recording.usable
    step = max(int(recording.fps // 4), 1)
    best, best_cost = (0, length), np.inf
    for a in range(0, n - length + 1, step):
        cost = 3 * bad[a:a + length].mean() + 0.2 * away[a:a + length].mean()
        if cost < best_cost:
            best, best_cost = (a, a + length), cost
    start, stop = best
    # the loop's end: in its second half, the frame most like the first (head placed the same, picture alike)
    upper = np.stack([(p[list(UPPER_FACE)] @ head_frame(recording.points[start])[:, :2].T) for p in recording.points])
    first = recording.thumbs[start].astype(np.float32)
    ends = np.arange(start + max((stop - start) // 2, 1), stop)
    if len(ends) == 0:
        return start, stop
    look = np.array([np.abs(recording.thumbs[e].astype(np.float32) - first).mean() for e in ends]) / 10
    place = np.array([np.linalg.norm(upper[e] - upper[start], axis=1).mean() for e in ends]) * 50
    return start, int(ends[np.argmin(look + place)]) + 1


def write_background(path: Path, out: Path, start: int, stop: int, fps: float) -> np.ndarray:
    """Frames [start, stop) of the recording as ``out`` (H.264, near lossless), and their person mattes (uint8,
    ``MATTE_SCALE`` size), so rendering never runs the segmentation model."""
    from ...audio import ffmpeg_exe

    mattes, encoder = [], None
    try:
        for frame in frames_of(path, start, stop):
            if encoder is None:
                h, w = frame.shape[:2]
                command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                           "-r", f"{fps:.5f}", "-i", "pipe:", "-c:v", "libx264", "-preset", "veryfast", "-crf", "12",
                           "-pix_fmt", "yuv420p", str(out)]
                encoder = subprocess.Popen(command, stdin=subprocess.PIPE)
            encoder.stdin.write(np.ascontiguousarray(frame).tobytes())
            small = cv2.resize(person_matte(frame), None, fx=MATTE_SCALE, fy=MATTE_SCALE, interpolation=cv2.INTER_AREA)
            mattes.append(np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8))
    finally:
        if encoder is not None:
            encoder.stdin.close()
            encoder.wait()
    if encoder is None or encoder.returncode:
        raise AvatarError("无法写入数字分身的背景视频", f"cannot write the twin's background video {out}")
    return np.stack(mattes)
