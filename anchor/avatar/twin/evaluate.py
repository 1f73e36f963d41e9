"""How well a twin rebuilds its own presenter: leave one second out, rebuild it from the rest, compare with the truth.

For each held-out second of a real talking recording, the second's own measured lip
shapes are the targets, its real frames the background, and the mouths are chosen
from the rest of the recording only (``choose_mouths`` with those frames excluded)
and blended in as a render does.  Beside it, the photo warp of the issue before
(``warp``: one still frame's mouth moved by jaw and lip channels), driven by the same
shapes and blended in the same way.  Both are compared with the real frames:

* ``ssim``: structural similarity of the mouth region (grey, the lips' box with a
  margin), 1 = identical;
* ``lip_error``: the lip landmarks found again in the rebuilt frame against those of
  the real frame, mean distance in eye-corner distances (x100: per cent of it);
* ``seam``: the colour step across the mask's edge, mean over frames (RGB levels),
  beside the same step in the real frame (skin is not flat either);
* ``flicker``: how much that step changes from frame to frame (RGB levels, mean absolute).

What this does not show: realism at broadcast size (the one real talking clip that
ships inside a package is 176x144), or a script's new sentences (the targets here are
real shapes the speaker made).
"""

from __future__ import annotations

import numpy as np

from ..face import (
    LOWER_INNER_LIP,
    LOWER_OUTER_LIP,
    UPPER_INNER_LIP,
    UPPER_OUTER_LIP,
    Face,
)
from ..lipsync import Pose
from .blend import LowerFaceBlender
from .recording import Recording, measure
from .selection import choose_mouths
from .shape import GAP, POSE_SCALE, WIDTH, mouth_box

LIPS = sorted(set(UPPER_INNER_LIP + LOWER_INNER_LIP + UPPER_OUTER_LIP + LOWER_OUTER_LIP))


def leave_one_out(frames: list[np.ndarray], fps: float, recording: Recording | None = None,
                  folds: list[int] | None = None) -> dict:
    """The figures above for the twin and the photo warp, each the mean over the held-out seconds."""
    recording = recording or measure(frames, fps)
    second = int(round(fps))
    starts = folds if folds is not None else list(range(0, len(frames) - second + 1, second))
    rows = {"twin": [], "photo_warp": [], "real": []}
    for start in starts:
        held = np.zeros(len(frames), bool)
        held[start:start + second] = True
        index = np.flatnonzero(held)
        twin = rebuild_twin(frames, recording, held, index)
        photo = rebuild_photo(frames, recording, held, index)
        truth = [frames[i] for i in index]
        rows["twin"].append(_figures(twin, truth, recording, index))
        rows["photo_warp"].append(_figures(photo, truth, recording, index))
        rows["real"].append(_figures(truth, truth, recording, index))
    return {k: {m: round(float(np.mean([r[m] for r in v])), 4) for m in v[0]} for k, v in rows.items()} | \
        {"folds": len(starts), "frames_per_fold": second}


def rebuild_twin(frames, recording, held, index):
    choice = choose_mouths(recording, recording.shapes[index, :3], recording.poses[index], allowed=~held)
    blender = LowerFaceBlender()
    out = []
    for k, (t, c) in enumerate(zip(index, choice.frames)):
        crop = recording.mouth(int(c))
        crop_face = Face(recording.points[c] - recording.crop_origin[c].astype(np.float32))
        stretch = 0.0 if choice.close[k] else float(choice.residual[k, GAP])
        out.append(_paste(frames[t], blender.blend(frames[t], Face(recording.points[t]), crop, crop_face, stretch, k)))
    return out


def rebuild_photo(frames, recording, held, index):
    """The warp method on the still frame nearest in head pose among the idle ones (any frame, when none is idle)."""
    from ..warp import WarpLipSync

    rest = np.flatnonzero(~held & recording.idle) if (~held & recording.idle).any() else np.flatnonzero(~held)
    pose = np.median(recording.poses[index], axis=0)
    still = int(rest[np.argmin((((recording.poses[rest] - pose) / POSE_SCALE) ** 2).sum(axis=1))])
    face = Face(recording.points[still])
    picture = np.dstack([frames[still], np.full(frames[still].shape[:2], 255, np.uint8)])
    parts = WarpLipSync(eyes=False).parts(picture, face)
    speaker = recording.speaker
    blender = LowerFaceBlender()
    out = []
    for k, t in enumerate(index):
        gap, width = recording.shapes[t, GAP], recording.shapes[t, WIDTH]
        opening = float(np.clip((gap - speaker.gap_closed) / speaker.gap_span, 0, 1))
        spread = (width - speaker.width_mid) / max(speaker.width_wide - speaker.width_mid, 1e-3) if width >= \
            speaker.width_mid else (width - speaker.width_mid) / max(speaker.width_mid - speaker.width_narrow, 1e-3)
        pose = Pose(mouth_open=opening, mouth_width=float(np.clip(spread, -1, 1)),
                    viseme="closed" if opening < 0.04 else "mid", speaking=1.0, reading=1.0)
        rendered = picture[..., :3].copy()
        for x, y, pixels in parts.patches(pose):
            alpha = pixels[..., 3:4].astype(np.float32) / 255
            region = rendered[y:y + pixels.shape[0], x:x + pixels.shape[1]]
            region[:] = (pixels[..., :3] * alpha + region * (1 - alpha)).astype(np.uint8)
        out.append(_paste(frames[t], blender.blend(frames[t], Face(recording.points[t]), rendered, face, 0.0, k)))
    return out


def _paste(frame: np.ndarray, paste) -> np.ndarray:
    out = frame.copy()
    if paste is not None:
        x, y, pixels = paste
        out[y:y + pixels.shape[0], x:x + pixels.shape[1]] = pixels
    return out


def _figures(rebuilt, truth, recording, index) -> dict:
    import cv2
    from skimage.metrics import structural_similarity

    again = measure(rebuilt, recording.fps)
    scores, errors, steps = [], [], []
    for k, t in enumerate(index):
        real = recording.points[t]
        x, y, w, h = mouth_box(real, margin=0.35)
        x, y = max(x, 0), max(y, 0)
        a = cv2.cvtColor(rebuilt[k][y:y + h, x:x + w], cv2.COLOR_RGB2GRAY)
        b = cv2.cvtColor(truth[k][y:y + h, x:x + w], cv2.COLOR_RGB2GRAY)
        scores.append(structural_similarity(a, b, win_size=min(7, min(a.shape) // 2 * 2 - 1), data_range=255))
        eye = float(np.linalg.norm(real[263] - real[33]))
        errors.append(float(np.linalg.norm(again.points[k][LIPS] - real[LIPS], axis=1).mean()) / eye)
        steps.append(_seam(rebuilt[k], Face(real)))
    steps = np.float32(steps)
    return {"ssim": float(np.mean(scores)), "lip_error_pct": 100 * float(np.mean(errors)),
            "seam": float(np.abs(steps).mean()),
            "flicker": float(np.abs(np.diff(steps, axis=0)).mean()) if len(steps) > 1 else 0.0}


def _seam(frame: np.ndarray, face: Face) -> np.ndarray:
    """Mean RGB just inside minus just outside the lower-face mask's edge (where a paste's seam would lie)."""
    import cv2

    from .blend import FEATHER, lower_face_polygon

    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(lower_face_polygon(face)).astype(np.int32)], 255)
    r = max(int(round(FEATHER * face.height)), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    edge = cv2.erode(mask, kernel)  # the seam sits this far inside the polygon
    inner = (edge > 0) & (cv2.erode(edge, kernel) == 0)
    outer = (edge == 0) & (cv2.dilate(edge, kernel) > 0) & (mask > 0)
    if inner.sum() == 0 or outer.sum() == 0:
        return np.zeros(3, np.float32)
    return frame[inner].astype(np.float32).mean(axis=0) - frame[outer].astype(np.float32).mean(axis=0)


def record_reading(pack, path, text: str, language: str = "zh", size: tuple[int, int] = (720, 960),
                   lead: float = 3.0, tail: float = 2.5, fps: int = 25, backdrop: np.ndarray | None = None):
    """A recording of ``pack``'s anchor reading ``text`` aloud (with its sound), sitting still for ``lead`` seconds
    before and ``tail`` after, over ``backdrop`` (default: a brick wall, so a camera could be seen to move): the
    material tests, benchmarks and docs make a twin from when no real presenter's recording may be used."""
    import cv2
    import skimage.data

    from ...script import Script
    from ...speech import load_voice, synthesize
    from ..performance import perform
    from ..videoloop import record_performance

    w, h = size
    if backdrop is None:
        wall = cv2.cvtColor(skimage.data.brick(), cv2.COLOR_GRAY2RGB)
        backdrop = cv2.resize(np.tile(wall, (3, 3, 1)), (w, h), interpolation=cv2.INTER_AREA)
    speech = synthesize(Script(title="-", body=text, language=language), load_voice(None, language))
    seconds = lead + speech.duration + tail
    n = int(round(seconds * fps))
    samples = np.zeros(int(round(seconds * speech.sample_rate)), np.float32)
    at = int(lead * speech.sample_rate)
    samples[at:at + len(speech.samples)] = speech.samples[:len(samples) - at]
    performance = perform(speech.timeline.shifted(lead), language, n, fps, samples, speech.sample_rate, seed=1)
    rig = pack.rig(np.ascontiguousarray(backdrop), "square" if abs(w - h) < 0.1 * h else None)
    return record_performance(rig, path, performance, (samples, speech.sample_rate))
