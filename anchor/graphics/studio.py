"""The set: the studio backdrop behind the presenter and the desk in front of them."""

from __future__ import annotations

import math
import zlib

import cv2
import numpy as np

from ..cache import cache_key, cached_arrays
from .canvas import Canvas, Sprite, mix, polygon, rounded_rect, shade, vgradient
from .layout import Layout
from .station import Station
from .template import Look


def studio_background(layout: Layout, look: Look) -> np.ndarray:
    """The set behind the presenter (HxWx3 uint8), as the template asks: the drawn news studio
    (lit video wall, blurred skyline, stage floor, station-colour light) or a plain soft gradient.

    Drawn once per station look and frame size, then read from the disk cache (~1 s saved per render).
    """
    station, kind = look.station, look.template.backdrop
    colours = [station.backdrop, station.primary, station.secondary, station.code]
    key = cache_key("studio-background-v2", kind, colours, layout.width, layout.height,
                    list(layout.avatar.__dict__.values()))
    draw = _draw_studio if kind == "studio" else _draw_plain
    return cached_arrays("backdrops", key, lambda: {"rgb": draw(layout, station)})["rgb"]


def _draw_plain(layout: Layout, station: Station) -> np.ndarray:
    """A calm gradient in a light tint of the backdrop colour, with a soft light behind the head."""
    W, H = layout.width, layout.height
    av = layout.avatar
    base = np.asarray(station.rgb("backdrop"), np.float32)
    top, bottom = mix(base, (255, 255, 255), 0.78), mix(base, (255, 255, 255), 0.55)
    img = np.array(vgradient(W, H, top, bottom), np.float32)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    hx, hy = av.x + av.w / 2, av.y + av.h * 0.36
    r = 0.6 * max(av.w, av.h * 0.6)
    glow = np.exp(-(((xx - hx) / r) ** 2 + ((yy - hy) / (r * 1.2)) ** 2))
    img += glow[..., None] * 18.0
    accent = np.asarray(station.rgb("primary"), np.float32)
    band = np.exp(-(((yy - H * 0.93) / (H * 0.04)) ** 2))  # a faint brand-colour sweep low in the frame
    img = img * (1 - 0.08 * band[..., None]) + accent * 0.08 * band[..., None]
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def _draw_studio(layout: Layout, station: Station) -> np.ndarray:
    W, H = layout.width, layout.height
    av = layout.avatar
    base = np.asarray(station.rgb("backdrop"), np.float32)
    primary = np.asarray(station.rgb("primary"), np.float32)
    secondary = np.asarray(station.rgb("secondary"), np.float32)
    rng = np.random.default_rng(zlib.crc32(station.code.encode()) & 0xFFFF)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)

    # the set is split into a back wall and a glossy floor at the presenter's desk line
    floor_y = av.y + int(av.h * 0.86) if layout.orientation == "vertical" else int(H * 0.80)
    img = np.zeros((H, W, 3), np.float32)
    wall = vgradient(W, floor_y, shade(base, 0.35), shade(base, 1.05), 0, floor_y)
    img[:floor_y] = wall
    img[floor_y:] = vgradient(W, H - floor_y, shade(base, 0.55), shade(base, 0.18), 0, (H - floor_y) * 0.9)

    # a big soft key light on the wall behind the presenter's head
    hx, hy = av.x + av.w / 2, av.y + av.h * 0.36
    r = 0.55 * max(av.w, av.h * 0.6)
    glow = np.exp(-(((xx - hx) / r) ** 2 + ((yy - hy) / (r * 1.15)) ** 2))
    glow[floor_y:] = 0
    img += glow[..., None] * (shade(base, 1.45) - shade(base, 0.5)) * 0.85

    # video-wall panels: faint seams in a grid, a little brighter near the light, fading upwards
    wall_mask = np.zeros((H, W), np.float32)
    step = max(80, int(round(W / 6)))
    for gx in range((W % step) // 2, W + 1, step):
        wall_mask[:floor_y, max(gx - 1, 0) : gx + 1] = 1
    for gy in range(floor_y - step, 0, -step):
        wall_mask[gy : gy + 2, :] = 1
    wall_mask = cv2.GaussianBlur(wall_mask, (0, 0), 0.8) * np.clip(yy / (floor_y * 0.6), 0.25, 1)
    img += wall_mask[..., None] * (10 + 34 * glow[..., None]) * np.array([0.55, 0.75, 1.0], np.float32)

    # a blurred, lit city skyline on the wall behind the presenter's shoulders
    sky = np.zeros((H, W), np.float32)
    lights = np.zeros((H, W), np.float32)
    x = -int(rng.integers(0, 40))
    horizon = floor_y - int(layout.height * 0.015)
    max_h = int(min(av.h * 0.42, floor_y * 0.5))
    while x < W:
        bw = int(rng.integers(int(W * 0.035), int(W * 0.09)))
        distance = abs(x + bw / 2 - W / 2) / (W / 2)
        bh = int(rng.integers(int(max_h * 0.25), max_h) * (0.55 + 0.6 * distance))
        top = max(horizon - bh, 0)
        sky[top:horizon, max(x, 0) : x + bw] = 1
        if rng.random() < 0.3:  # an antenna or a spire
            sky[max(top - bh // 6, 0) : top, max(x + bw // 2 - 1, 0) : x + bw // 2 + 2] = 1
        for wy in range(top + 10, horizon - 8, 14):
            for wx in range(x + 6, x + bw - 6, 12):
                if 0 <= wx < W and rng.random() < 0.32:
                    lights[wy : wy + 5, wx : wx + 5] = rng.uniform(0.4, 1.0)
        x += bw + int(rng.integers(0, 8))
    sky = cv2.GaussianBlur(sky, (0, 0), 2.5)
    lights = cv2.GaussianBlur(lights, (0, 0), 2.0) * sky
    img = img * (1 - 0.35 * sky[..., None]) + sky[..., None] * 0.35 * shade(base, 0.7)
    img += lights[..., None] * mix(secondary, (255, 255, 255), 0.35) * 0.55

    # coloured light beams from the top corners in the station colours
    for cx, colour, sign in ((0.0, primary, 1), (W * 1.0, secondary, -1)):
        angle = (yy * 0.42 * sign + (xx - cx)) * sign
        beam = np.exp(-((angle - W * 0.16) / (W * 0.07)) ** 2) * np.clip(1 - yy / (floor_y * 1.05), 0, 1) ** 1.5
        img += beam[..., None] * colour * 0.16

    # desk-line LED strip and the floor's reflection of it
    strip = np.exp(-(((yy - floor_y) / 3.0) ** 2)) * (0.6 + 0.4 * np.exp(-(((xx - W / 2) / (W * 0.5)) ** 2)))
    img += strip[..., None] * mix(primary, (255, 255, 255), 0.25) * 0.9
    refl = np.exp(-np.clip(yy - floor_y, 0, None) / (H * 0.05)) * (yy > floor_y) * np.exp(-(((xx - hx) / (W * 0.45)) ** 2))
    img += refl[..., None] * primary * 0.22
    # perspective lines on the floor
    floor_lines = np.zeros((H, W), np.float32)
    vx, vy = W / 2, floor_y - H * 0.25
    for k in range(-8, 9):
        bx = W / 2 + k * W * 0.17
        t = (H - vy) / (floor_y - vy)
        p0 = (vx + (bx - vx) * 1.0, floor_y)
        p1 = (vx + (bx - vx) * t, H)
        cv2.line(floor_lines, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), 1.0, 2, cv2.LINE_AA)
    floor_lines = cv2.GaussianBlur(floor_lines, (0, 0), 1.0) * np.clip((yy - floor_y) / (H * 0.2), 0, 1) ** 0.5
    floor_lines *= np.exp(-np.clip(yy - floor_y, 0, None) / (H * 0.12))
    img += floor_lines[..., None] * shade(base, 1.6) * 0.22

    # bokeh: soft out-of-focus lights on the wall
    bokeh = np.zeros((H, W, 3), np.float32)
    for _ in range(26):
        bx, by = rng.uniform(0, W), rng.uniform(floor_y * 0.15, floor_y * 0.95)
        rad = rng.uniform(layout.short_side * 0.012, layout.short_side * 0.035)
        colour = secondary if rng.random() < 0.55 else mix(base, (255, 255, 255), 0.7)
        cv2.circle(bokeh, (int(bx), int(by)), int(rad), tuple(float(c) * rng.uniform(0.08, 0.2) for c in colour), -1, cv2.LINE_AA)
    img += cv2.GaussianBlur(bokeh, (0, 0), layout.short_side * 0.004)

    # vignette
    v = ((xx - W / 2) / (W * 0.75)) ** 2 + ((yy - H * 0.45) / (H * 0.75)) ** 2
    img *= (1 - 0.45 * np.clip(v, 0, 1))[..., None]
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def desk_sprite(layout: Layout, look: Look) -> Sprite | None:
    """The front of a news desk over the bottom edge of the presenter's picture (vertical layout):
    glossy and lit for the studio set, a flat light panel for a plain one."""
    box = layout.desk
    if box is None:
        return None
    station = look.station
    w, h = box.w, box.h
    if look.template.backdrop == "plain":
        c = Canvas(w, h)
        c.paint(rounded_rect(w, h, 0, 0, w, h + 40, 28), (255, 255, 255), 0.94)
        c.paint(polygon(w, h, [(0, 0), (w, 0), (w, 6), (0, 6)]) * rounded_rect(w, h, 0, 0, w, h + 40, 28),
                station.rgb("primary"))
        return c.sprite(box.x, box.y, 0.0, math.inf, kind="desk")
    base = station.rgb("backdrop")
    primary, secondary = station.rgb("primary"), station.rgb("secondary")
    c = Canvas(w, h)
    top_h = max(18, h // 18)
    inset = int(w * 0.04)
    # desk top: a light glossy surface seen slightly from above
    c.paint(polygon(w, h, [(inset, 0), (w - inset, 0), (w, top_h), (0, top_h)]),
            vgradient(w, h, mix(shade(base, 1.5), (255, 255, 255), 0.25), shade(base, 1.1), 0, top_h))
    c.paint(polygon(w, h, [(inset, 0), (w - inset, 0), (w - inset + 2, 2), (inset - 2, 2)]), (255, 255, 255), 0.55)
    # front panel: dark, glossy, with a station-colour light line under the top
    c.paint(polygon(w, h, [(0, top_h), (w, top_h), (w, h), (0, h)]), vgradient(w, h, shade(base, 0.62), shade(base, 0.12), top_h, h * 0.7))
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    led = np.exp(-(((yy - top_h - 5) / 2.2) ** 2)) * (0.55 + 0.45 * np.exp(-(((xx - w / 2) / (w * 0.45)) ** 2)))
    c.paint(np.broadcast_to(led, (h, w)), mix(primary, (255, 255, 255), 0.2), 0.95)
    halo = np.exp(-np.clip(yy - top_h - 5, 0, None) / (h * 0.06)) * (yy > top_h + 5) * np.exp(-(((xx - w / 2) / (w * 0.5)) ** 2))
    c.paint(np.broadcast_to(halo, (h, w)), primary, 0.22)
    # a gold pin-stripe low on the front
    stripe_y = top_h + int(h * 0.42)
    c.paint(polygon(w, h, [(0, stripe_y), (w, stripe_y), (w, stripe_y + 3), (0, stripe_y + 3)]), secondary, 0.28)
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="desk")
