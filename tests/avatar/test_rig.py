"""The cut-out rig's compositing: a presenter over the studio, the same whichever way it is blended."""

import cv2
import numpy as np
import pytest

from anchor.avatar.rig import over


def _reference(rgba, backdrop):
    weight = rgba[..., 3:].astype(np.float64) / 255
    return np.round(rgba[..., :3] * weight + backdrop * (1 - weight))


@pytest.mark.parametrize("kind", ["cut-out", "soft", "opaque", "clear"])
def test_over_matches_straight_alpha_blending(kind):
    rng = np.random.default_rng(3)
    h, w = 240, 200
    rgba = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    backdrop = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    if kind == "cut-out":  # a figure with an anti-aliased edge: opaque inside, clear outside, soft between
        mask = np.zeros((h * 4, w * 4), np.uint8)
        cv2.ellipse(mask, (w * 2, h * 2), (w, h + 200), 10, 0, 360, 255, -1)
        rgba[..., 3] = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)
    elif kind == "soft":  # a glow: most pixels part-transparent
        rgba[..., 3] = np.linspace(0, 255, w).astype(np.uint8)[None, :]
    else:
        rgba[..., 3] = 255 if kind == "opaque" else 0
    alpha = rgba[..., 3]
    if kind == "cut-out":
        assert 0 < ((alpha > 0) & (alpha < 255)).mean() < 0.1 and (alpha == 0).any() and (alpha == 255).any()
    result = over(rgba, backdrop)
    assert result.shape == (h, w, 3) and result.dtype == np.uint8
    assert np.abs(result.astype(int) - _reference(rgba, backdrop)).max() <= 1
    if kind == "opaque":
        assert np.array_equal(result, rgba[..., :3])
    if kind == "clear":
        assert np.array_equal(result, backdrop)
