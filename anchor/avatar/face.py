"""Face landmarks, head angles and presenter mattes, from models that ship inside packages.

The landmark, face-detection and segmentation models live inside the mediapipe
0.10.21 wheel (``modules/face_landmark``, ``modules/face_detection``,
``modules/selfie_segmentation``), so nothing is downloaded.  For an avatar they
run once, never per frame; :class:`FaceTracker` follows a face through a video
(a presenter loop, or a rendered clip being checked for sync).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import cv2
import numpy as np

from ..cache import cache_key, cached_arrays
from ..errors import AvatarError
from .framing import FILL_FACE_HEIGHT, FILL_FRAME, MIN_FACE_HEIGHT

#: what the cached analyses were made with; change it when the models or their settings change
MODELS = "mediapipe-0.10.21 face_mesh(468, refine=False, close-up) selfie_segmentation(0) matte-v1"

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Landmark indices of mediapipe's 468-point face mesh.
UPPER_INNER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LOWER_INNER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
UPPER_OUTER_LIP = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LOWER_OUTER_LIP = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
JAW = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361)
NOSE = (1, 2, 98, 327, 4, 5, 6, 195, 197)
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (362, 398, 384, 385, 386, 387, 388, 466, 263)
LEFT_EYE_LOWER = (362, 382, 381, 380, 374, 373, 390, 249, 263)
RIGHT_BROW = (70, 63, 105, 66, 107)
LEFT_BROW = (336, 296, 334, 293, 300)
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
#: points that move only with the whole head (eye corners, brows, nose bridge, temples): a rigid reference
UPPER_FACE = (33, 133, 362, 263, 70, 105, 107, 336, 334, 300, 6, 168, 197, 195, 5, 4, 1, 234, 454, 10, 151)

#: what a presenter photo must satisfy (``check_portrait``); the face height, MIN_FACE_HEIGHT, comes from ``framing``
MAX_YAW = 25.0  # degrees turned left or right
MAX_ROLL = 20.0  # degrees tilted towards a shoulder


@dataclass(frozen=True)
class Face:
    """468 face-mesh landmarks in pixel coordinates of the image they came from."""

    points: np.ndarray  # (468, 2) float32, x then y

    def at(self, indices) -> np.ndarray:
        return self.points[list(indices)]

    @property
    def height(self) -> float:
        """Forehead-to-chin height in pixels (along the face, so a tilted head measures the same)."""
        return float(np.linalg.norm(self.points[152] - self.points[10]))

    @property
    def mouth_opening(self) -> float:
        """Gap between the inner lips as a share of the face height (0 when closed)."""
        return float(np.linalg.norm(self.points[14] - self.points[13])) / max(self.height, 1.0)

    @property
    def yaw(self) -> float:
        """Degrees the head is turned sideways, from where the nose tip sits between the cheeks."""
        left, right, nose = (float(self.points[i, 0]) for i in (234, 454, 1))
        share = (nose - left) / max(right - left, 1.0)  # 0.5 when frontal
        return math.degrees(math.asin(float(np.clip(2 * share - 1, -1, 1))))

    @property
    def roll(self) -> float:
        """Degrees the head is tilted, from the line through the outer eye corners."""
        (x0, y0), (x1, y1) = self.points[33], self.points[263]
        return math.degrees(math.atan2(y1 - y0, x1 - x0))

    def scaled(self, scale: float, dx: float = 0.0, dy: float = 0.0) -> Face:
        return Face(self.points * scale + np.float32([dx, dy]))

    def transformed(self, matrix: np.ndarray) -> Face:
        """The face moved by a 2x3 affine ``matrix``."""
        return Face(cv2.transform(self.points[None], np.float32(matrix))[0])


def analyse(image: np.ndarray) -> tuple[Face, np.ndarray]:
    """The face and the person matte of a presenter picture, cached on disk by the picture's content.

    The landmark and segmentation models run once per picture, ever: later renders (and
    other worker processes) read the stored result without even importing mediapipe.
    """
    image = np.ascontiguousarray(image)
    key = cache_key("face-analysis", MODELS, list(image.shape), image.tobytes())

    def compute() -> dict[str, np.ndarray]:
        return {"points": find_face(image).points, "matte": person_matte(image)}

    stored = cached_arrays("faces", key, compute)
    return Face(stored["points"].astype(np.float32)), stored["matte"].astype(np.float32)


def find_face(image: np.ndarray) -> Face:
    """The single face in an RGB image; an :class:`AvatarError` when there is none or several.

    A face small in a large picture (a presenter framed small in a whole video frame), which the
    landmark model's own detector misses, is found with the full-range detector and looked at close up.
    """
    faces = _mesh_faces(image) or _close_up(image)
    if not faces:
        raise AvatarError("照片中找不到人脸，请换一张正面、清晰的照片", "no face found in the photo; use a clear frontal portrait")
    if len(faces) > 1:
        raise AvatarError("照片中有多张人脸，请使用只有一位主播的照片", "several faces in the photo; use a photo of one presenter")
    return _refined(image, faces[0])


def _refined(image: np.ndarray, face: Face) -> Face:
    """``face`` measured again in a crop around it when it is small in the picture (its landmarks are then
    placed from a coarse detection, several pixels out); as it was when the crop shows no single face."""
    if face.height >= 0.3 * min(image.shape[:2]):
        return face
    (x0, y0), (x1, y1) = face.points.min(axis=0), face.points.max(axis=0)
    pad = 0.6 * face.height
    left, top = max(int(x0 - pad), 0), max(int(y0 - pad), 0)
    again = _mesh_faces(image[top:int(y1 + pad), left:int(x1 + pad)])
    return again[0].scaled(1.0, left, top) if len(again) == 1 else face


def _mesh_faces(image: np.ndarray) -> list[Face]:
    """Up to two faces the landmark model finds in ``image`` by itself."""
    from mediapipe.python.solutions import face_mesh

    h, w = image.shape[:2]
    with face_mesh.FaceMesh(static_image_mode=True, max_num_faces=2, refine_landmarks=False) as mesh:
        result = mesh.process(np.ascontiguousarray(image))
    return [Face(np.array([(p.x * w, p.y * h) for p in f.landmark[:468]], dtype=np.float32))
            for f in result.multi_face_landmarks or []]


def _close_up(image: np.ndarray) -> list[Face]:
    """The faces in a crop around the largest face the full-range detector finds, in ``image``'s coordinates."""
    boxes = face_boxes(image)
    if not boxes:
        return []
    x, y, w, h = boxes[0]
    x0, y0 = max(x - w, 0), max(y - h, 0)
    return [f.scaled(1.0, x0, y0) for f in _mesh_faces(image[y0:y + 2 * h, x0:x + 2 * w])]


def face_boxes(image: np.ndarray, min_score: float = 0.6) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of every face the full-range detector finds, largest first (small, distant faces too)."""
    from mediapipe.python.solutions import face_detection

    h, w = image.shape[:2]
    with face_detection.FaceDetection(model_selection=1, min_detection_confidence=min_score) as detector:
        found = detector.process(np.ascontiguousarray(image)).detections or []
    boxes = []
    for d in found:
        b = d.location_data.relative_bounding_box
        boxes.append((int(b.xmin * w), int(b.ymin * h), int(b.width * w), int(b.height * h)))
    return sorted(boxes, key=lambda b: -b[2] * b[3])


def check_portrait(image: np.ndarray) -> Face:
    """The presenter's face in a photo offered as a new anchor, or an :class:`AvatarError` saying what is wrong.

    Rejects photos with no face, with another person's face (one at least 40% the size of the
    largest), a face under :data:`~anchor.avatar.framing.MIN_FACE_HEIGHT` pixels high (the
    smallest that fills a supported frame, enlarged at most 1.3x), or a head turned or tilted too far
    for the mouth to be animated convincingly.
    """
    boxes = face_boxes(image)
    if not boxes:
        raise AvatarError("照片中找不到人脸，请换一张正面、清晰的照片", "no face found in the photo; use a clear frontal portrait")
    others = [b for b in boxes[1:] if b[3] >= 0.4 * boxes[0][3]]
    if others:
        raise AvatarError(f"照片中有 {1 + len(others)} 张人脸，请使用只有一位主播的照片",
                          f"{1 + len(others)} faces in the photo; use a photo of one presenter")
    x, y, w, h = boxes[0]
    if h < MIN_FACE_HEIGHT * 0.85:  # the detector's box runs a little shorter than forehead-to-chin
        raise _too_small(h)
    # the landmark model works best on a crop around the face it is given
    x0, y0 = max(x - w, 0), max(y - h, 0)
    crop = image[y0:y + 2 * h, x0:x + 2 * w]
    try:
        face = find_face(crop).scaled(1.0, x0, y0)
    except AvatarError:
        raise AvatarError("照片中的人脸不够清晰，无法定位五官，请换一张正面、清晰的照片",
                          "the face is too unclear to find the eyes and mouth; use a sharper frontal portrait") from None
    if face.height < MIN_FACE_HEIGHT:
        raise _too_small(face.height)
    if abs(face.yaw) > MAX_YAW:
        side = "左" if face.yaw < 0 else "右"
        raise AvatarError(f"照片中的人脸向{side}侧转了约 {abs(face.yaw):.0f}°（最多 {MAX_YAW:.0f}°），请使用正对镜头的照片",
                          f"the face is turned about {abs(face.yaw):.0f}° to the side (at most {MAX_YAW:.0f}°); "
                          f"use a photo looking into the camera")
    if abs(face.roll) > MAX_ROLL:
        raise AvatarError(f"照片中的头部倾斜了约 {abs(face.roll):.0f}°（最多 {MAX_ROLL:.0f}°），请使用头部端正的照片",
                          f"the head is tilted about {abs(face.roll):.0f}° (at most {MAX_ROLL:.0f}°); use an upright photo")
    return face


def _too_small(height: float) -> AvatarError:
    frame, height = "{}x{}".format(*FILL_FRAME), int(height)  # rounded down: never shown as the minimum itself
    return AvatarError(f"照片中的人脸太小（额头到下巴约 {height} 像素高，至少需要 {MIN_FACE_HEIGHT} 像素，"
                       f"{FILL_FACE_HEIGHT} 像素可填满 {frame} 画面），请使用更近、更清晰的照片",
                       f"the face is too small ({height} px high, at least {MIN_FACE_HEIGHT} px needed from forehead "
                       f"to chin; {FILL_FACE_HEIGHT} px fills a {frame} frame); use a closer, sharper photo")


class FaceTracker:
    """Follows one face through consecutive video frames (the landmark model in tracking mode)."""

    def __init__(self):
        from mediapipe.python.solutions import face_mesh

        self._mesh = face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=False,
                                        min_detection_confidence=0.5, min_tracking_confidence=0.5)

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc) -> None:
        self._mesh.close()

    def find(self, frame: np.ndarray) -> Face | None:
        """The face in this frame, or None where there is none."""
        h, w = frame.shape[:2]
        faces = self._mesh.process(np.ascontiguousarray(frame)).multi_face_landmarks
        if not faces:  # perhaps too small in the frame for the tracker's detector: look close up
            close = _close_up(frame)
            return close[0] if close else None
        return Face(np.array([(p.x * w, p.y * h) for p in faces[0].landmark[:468]], dtype=np.float32))


def head_motion(reference: Face, face: Face) -> np.ndarray:
    """The 2x3 similarity transform carrying ``reference``'s upper face onto ``face``'s (how the head moved)."""
    matrix, _ = cv2.estimateAffinePartial2D(reference.at(UPPER_FACE), face.at(UPPER_FACE), method=cv2.LMEDS)
    return matrix.astype(np.float32) if matrix is not None else np.float32([[1, 0, 0], [0, 1, 0]])


def person_matte(image: np.ndarray) -> np.ndarray:
    """Soft foreground matte (H, W) float32 in [0, 1] separating the presenter from the backdrop."""
    from mediapipe.python.solutions import selfie_segmentation

    with selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
        mask = seg.process(np.ascontiguousarray(image)).segmentation_mask
    mask = np.clip(mask.astype(np.float32), 0.0, 1.0)
    # Keep only the presenter: the largest solid region (props in the backdrop can leak in).
    count, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0.5).astype(np.uint8))
    if count > 2:
        keep = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
        keep = cv2.dilate(keep, np.ones((5, 5), np.uint8)).astype(np.float32)
        mask *= cv2.GaussianBlur(keep, (0, 0), 1.5)
    # Pull the soft edge in a little so the old backdrop does not fringe the hair.
    return np.clip((mask - 0.2) / 0.75, 0.0, 1.0)


def chroma_matte(image: np.ndarray, key_rgb: tuple[int, int, int], tolerance: float = 0.12,
                 softness: float = 0.10) -> tuple[np.ndarray, np.ndarray]:
    """Key out a green (or blue) screen: the matte (H, W) float32 and the picture with the screen's spill removed.

    Distance from the screen colour is measured in the chroma plane (Cr, Cb), so shadows and
    creases on the screen key out with it; pixels within ``tolerance`` are background and the
    next ``softness`` fades in.  The spill (screen light bounced onto hair and shoulders, and
    the colour smear of 4:2:0 video) is removed by capping the screen's channel at the other
    two.
    """
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb).astype(np.float32) / 255.0
    key = cv2.cvtColor(np.uint8([[key_rgb]]), cv2.COLOR_RGB2YCrCb)[0, 0].astype(np.float32) / 255.0
    distance = np.hypot(ycc[..., 1] - key[1], ycc[..., 2] - key[2])
    matte = np.clip((distance - tolerance) / max(softness, 1e-3), 0.0, 1.0)
    # a clean edge: drop isolated specks, shave half a pixel of the screen's colour bleed, feather
    matte = cv2.morphologyEx(matte, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    matte = cv2.GaussianBlur(cv2.erode(matte, np.ones((2, 2), np.uint8)), (0, 0), 0.8)
    channel = int(np.argmax(key_rgb))
    others = image[..., [c for c in range(3) if c != channel]].astype(np.float32)
    own = image[..., channel].astype(np.float32)
    # everywhere, the screen's colour may not dominate (a grey prop seen through green turns grey again);
    # near the screen it is held down to the mean of the others, as spill is strongest there, while
    # deep inside the presenter warm hair and skin keep their colour
    near = np.clip(3.0 * cv2.GaussianBlur(1.0 - matte, (0, 0), 6.0), 0.0, 1.0)
    limit = others.max(axis=2) * (1 - near) + others.mean(axis=2) * near
    clean = image.copy()
    clean[..., channel] = np.clip(np.minimum(own, limit) + 0.5, 0, 255).astype(np.uint8)
    return matte, clean
