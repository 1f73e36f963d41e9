"""The photo anchor's mouth: the face mesh moved by jaw and lip channels, and the inside of the mouth.

Material: the NASA portrait (a smiling mouth that shows its teeth), the same portrait enlarged
three times (a large photo: more pixels to measure), and a closed-mouth photo the tests make
from it by pressing its lips together (so the teeth must be drawn, not reused).
"""

import cv2
import numpy as np
import pytest
import skimage.data

from anchor.avatar.face import analyse, find_face
from anchor.avatar.lipsync import Pose
from anchor.avatar.mouthmesh import LOWER_INNER, LOWER_OUTER, UPPER_INNER, UPPER_OUTER
from anchor.avatar.articulation import articulate
from anchor.avatar.warp import MeshMouth

SPEAKING = dict(speaking=1.0, reading=1.0)  # mid-read
OPEN = Pose(1.0, 0.0, viseme="open", **SPEAKING)
ROUND = Pose(0.6, -1.0, viseme="round", **SPEAKING)
WIDE = Pose(0.5, 1.0, viseme="wide", **SPEAKING)
CLOSED = Pose(0.0, 0.0, viseme="closed", **SPEAKING)
F = Pose(0.15, 0.3, viseme="teeth", **SPEAKING)


def _opaque(image):
    return np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])


def _paste(picture, mouth, pose):
    out = picture[..., :3].copy()
    x, y, w, h = mouth.rect
    out[y:y + h, x:x + w] = mouth.picture(pose)[..., :3]
    return out


@pytest.fixture(scope="module")
def smiling():
    """The portrait enlarged 3x (a 1536 px photo, face ~310 px): a smile showing the teeth."""
    image = cv2.resize(skimage.data.astronaut(), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    face, _ = analyse(image)
    picture = _opaque(image)
    return picture, face, MeshMouth(picture, face)


@pytest.fixture(scope="module")
def closed_lips(smiling):
    """A photo of the same face with the lips together (made by pressing them shut): no teeth show."""
    picture, _, mouth = smiling
    image = _paste(picture, mouth, Pose(0.0, viseme="closed"))
    face, _ = analyse(image)
    picture = _opaque(image)
    return picture, face, MeshMouth(picture, face)


def _luma(rgb):
    return rgb.astype(np.float32) @ np.float32([0.299, 0.587, 0.114])


def _rows(mouth, pose, x):
    """(upper outer, upper inner, lower inner, lower outer) lip rows at column x (patch coordinates) for ``pose``."""
    moved = mouth.mesh.place(articulate(pose))
    return [float(mouth.mesh.row_at(moved, r, np.float32([x]))[0]) for r in (UPPER_OUTER, UPPER_INNER, LOWER_INNER, LOWER_OUTER)]


def _column(mouth, pose, x, top, bottom):
    patch = mouth.picture(pose)[..., :3]
    return _luma(patch[int(top):int(np.ceil(bottom)) + 1, int(round(x))])


def test_rest_is_the_photo_and_only_the_lower_face_changes(smiling):
    picture, face, mouth = smiling
    x, y, w, h = mouth.rect
    assert np.array_equal(mouth.picture(Pose()), picture[y:y + h, x:x + w])
    assert y >= face.points[2, 1] - 0.1 * face.height  # starts at the base of the nose: eyes and nose never move
    for pose in (OPEN, ROUND, WIDE, CLOSED, F):
        state = mouth.picture(pose).astype(int)
        rest = picture[y:y + h, x:x + w].astype(int)
        # the warp fades out before the patch's edges, so it joins the untouched picture seamlessly
        for edge in (state[0] - rest[0], state[-1] - rest[-1], state[:, 0] - rest[:, 0], state[:, -1] - rest[:, -1]):
            assert np.abs(edge).max() <= 2, pose


def test_open_mouth_shows_upper_teeth_then_a_cavity_darker_at_its_corners(smiling, closed_lips):
    for picture, face, mouth in (smiling, closed_lips):
        cx = mouth.mesh.centre_x
        _, up, lo, _ = _rows(mouth, OPEN, cx)
        assert lo - up > 0.25 * mouth.mesh.width  # the jaw dropped and the lips parted
        tooth = cx + 0.05 * mouth.mesh.width  # a central incisor, beside the gap between the two
        _, up, lo, _ = _rows(mouth, OPEN, tooth)
        column = _column(mouth, OPEN, tooth, up, lo)
        teeth = column[1:1 + max(int(0.02 * mouth.mesh.width), 3)]
        assert teeth.mean() > 150, column  # a bright band just under the upper lip
        opening = mouth.picture(OPEN)[..., :3]

        def cavity_at(share):  # luma halfway between the lips, this far from the centre toward the corners
            values = []
            for side in ((1,) if share == 0 else (-1, 1)):
                x = cx + side * share * mouth.mesh.inner_half
                _, up, lo, _ = _rows(mouth, OPEN, x)
                values.append(_luma(opening[int(up + 0.5 * (lo - up)), int(round(x))]))
            return float(np.mean(values))

        centre, corners = cavity_at(0.0), cavity_at(0.8)
        assert corners < 90 and corners < 0.8 * centre, (centre, corners)


def test_own_teeth_are_reused_and_stay_with_the_skull(smiling):
    picture, _, mouth = smiling
    assert mouth.style.shows_own_teeth
    x, y, w, h = mouth.rect
    cx = mouth.mesh.centre_x
    _, rest_up, rest_lo, _ = _rows(mouth, Pose(), cx)
    _, up, _, _ = _rows(mouth, OPEN, cx)
    top, bottom = int(max(rest_up, up)) + 3, int(rest_lo) - 2
    photo = picture[y:y + h, x:x + w, :3]
    shown = mouth.picture(OPEN)[..., :3]
    teeth = slice(top, bottom), slice(int(cx - 0.3 * mouth.mesh.inner_half), int(cx + 0.3 * mouth.mesh.inner_half))
    # where the photo shows teeth, the open mouth shows the same teeth at the same place (not moved with the jaw)
    assert np.abs(shown[teeth].astype(int) - photo[teeth].astype(int)).mean() < 12


def test_drawn_teeth_match_the_photo(closed_lips):
    picture, face, mouth = closed_lips
    assert not mouth.style.shows_own_teeth
    whites = []
    for outer, inner in ((33, 133), (263, 362)):  # a fifth of the way in from each eye's outer corner
        a, b = face.points[outer], face.points[inner]
        whites.append(picture[int((a[1] + b[1]) / 2), int(a[0] + 0.2 * (b[0] - a[0])), :3])
    white, teeth = _luma(np.float32(whites)).mean(), _luma(mouth.style.teeth[None])[0]
    assert 0.75 * white <= teeth <= 1.25 * white, (white, teeth)  # lit like the eye whites, not pasted-on white



def test_painted_mouth_carries_the_photos_grain(smiling):
    from anchor.avatar import load_avatar

    # the portrait as shipped (JPEG grain) against the same portrait enlarged (smooth): the painted
    # inside of the mouth is no cleaner than the photo around it, and no noisier
    pack = load_avatar("astronaut")
    picture, face = pack.cut_out(1080, 1000, "vertical")
    grainy, smooth = MeshMouth(picture, face).style.grain.std(), smiling[2].style.grain.std()
    assert grainy > 1.0 and smooth < 0.5 * grainy, (grainy, smooth)


def test_lips_press_together_for_b_p_m(smiling, closed_lips):
    for picture, face, mouth in (smiling, closed_lips):
        width = mouth.mesh.width
        for share in (-0.4, 0.0, 0.4):
            x = mouth.mesh.centre_x + share * mouth.mesh.inner_half
            top, up, lo, bottom = _rows(mouth, CLOSED, x)
            assert lo - up < 1.0
            column = _column(mouth, CLOSED, x, top + 1, bottom - 1)
            lip = np.median(column)
            # lips all the way: no teeth showing (bright) and no gap (a dark run longer than the seam)
            assert column.max() < max(lip + 45, 0.92 * 255), column
            dark = column < 0.6 * lip
            runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(int), [0]]))))[::2]
            assert (runs.max() if len(runs) else 0) <= max(2, 0.02 * width), column


def test_lower_lip_tucks_under_the_upper_teeth_for_f(closed_lips):
    picture, face, mouth = closed_lips
    cx = mouth.mesh.centre_x
    _, up, lo, bottom = _rows(mouth, F, cx)
    edge = float(mouth.mesh.teeth_edge(np.float32([cx]))[0])
    assert up < edge and lo < edge  # the lower lip starts above the teeth's edge: the teeth overlap it
    column = _column(mouth, F, cx, up, bottom)
    n = int(edge - up)
    assert column[max(n - 2, 1)] > 140 and column[: n].min() > 90  # teeth down to their edge, no dark gap


def test_rounded_lips_are_narrower_and_spread_lips_wider(smiling):
    picture, face, mouth = smiling

    def corners(pose):
        found = find_face(_paste(picture, mouth, pose))
        return float(found.points[291, 0] - found.points[61, 0])

    rest, rounded, spread = corners(Pose(0.5, 0.0, viseme="mid", **SPEAKING)), corners(ROUND), corners(WIDE)
    assert rounded < rest - 0.06 * mouth.mesh.width and spread > rest, (rounded, rest, spread)


def test_smile_relaxes_while_speaking(smiling):
    picture, face, mouth = smiling
    assert mouth.mesh.smile > 0.05  # the portrait smiles: its corners sit well above the lips' centre line

    def corner_drop(pose):
        found = find_face(_paste(picture, mouth, pose))
        p = found.points
        centre = (p[13, 1] + p[14, 1]) / 2
        return float(((p[61, 1] + p[291, 1]) / 2 - centre) / found.height)

    at_rest, speaking = corner_drop(Pose()), corner_drop(Pose(0.0, **SPEAKING))
    assert speaking > at_rest + 0.008, (at_rest, speaking)


def test_tongue_tip_shows_for_d_t_n_l(closed_lips):
    picture, face, mouth = closed_lips
    cx = mouth.mesh.centre_x
    plain, tip = Pose(0.45, 0.0, viseme="mid", **SPEAKING), Pose(0.45, 0.0, viseme="mid", tongue=1.0, **SPEAKING)
    edge = float(mouth.mesh.teeth_edge(np.float32([cx]))[0])
    below = slice(int(edge) + 2, int(edge) + 2 + max(int(0.04 * mouth.mesh.width), 2)), slice(int(cx) - 2, int(cx) + 3)

    def redness(pose):
        rgb = mouth.picture(pose)[..., :3][below].astype(np.float32)
        return float((rgb[..., 0] - rgb[..., 1]).mean()), float(_luma(rgb).mean())

    (red_plain, light_plain), (red_tip, light_tip) = redness(plain), redness(tip)
    assert red_tip > red_plain + 15 and light_tip > light_plain + 15, (red_plain, red_tip, light_plain, light_tip)
