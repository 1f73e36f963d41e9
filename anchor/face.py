"""Face landmarks and a person matte from the models mediapipe 0.10.21 ships.

Both models live inside the mediapipe wheel (``modules/face_landmark`` and
``modules/selfie_segmentation``), so nothing is downloaded.  They run once per
avatar, never per frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from .cache import cache_key, cached_arrays
from .errors import AvatarError

#: what the cached analyses were made with; change it when the models or their settings change
MODELS = "mediapipe-0.10.21 face_mesh(468, refine=False) selfie_segmentation(0) matte-v1"

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


@dataclass(frozen=True)
class Face:
    """468 face-mesh landmarks in pixel coordinates of the image they came from."""

    points: np.ndarray  # (468, 2) float32, x then y

    def at(self, indices) -> np.ndarray:
        return self.points[list(indices)]

    @property
    def height(self) -> float:
        """Forehead-to-chin height in pixels."""
        return float(self.points[152, 1] - self.points[10, 1])

    def scaled(self, scale: float, dx: float = 0.0, dy: float = 0.0) -> "Face":
        return Face(self.points * scale + np.float32([dx, dy]))


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
    """The single face in an RGB image; an :class:`AvatarError` when there is none or several."""
    from mediapipe.python.solutions import face_mesh

    h, w = image.shape[:2]
    with face_mesh.FaceMesh(static_image_mode=True, max_num_faces=2, refine_landmarks=False) as mesh:
        result = mesh.process(np.ascontiguousarray(image))
    faces = result.multi_face_landmarks or []
    if not faces:
        raise AvatarError("照片中找不到人脸，请换一张正面、清晰的照片", "no face found in the photo; use a clear frontal portrait")
    if len(faces) > 1:
        raise AvatarError("照片中有多张人脸，请使用只有一位主播的照片", "several faces in the photo; use a photo of one presenter")
    points = np.array([(p.x * w, p.y * h) for p in faces[0].landmark[:468]], dtype=np.float32)
    return Face(points)


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
