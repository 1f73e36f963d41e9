from .canvas import Sprite, blend
from .layers import (
    Z_AI_LABEL, Z_BRAND, Z_BROLL_FULL, Z_BROLL_PIP, Z_CORNER_MARK, Z_DESK, Z_HEADLINE, Z_SUBTITLES, ImageBRoll,
    Layer, LowerThirdLayer, SpriteLayer, Stinger, TickerLayer, VideoBRoll, contains, intersect, paste, pip_frame,
    video_duration,
)
from .layout import SUPPORTED, Box, Layout, aspect_size, layout_for
from .overlays import (
    ai_label_sprite, brand_sprite, corner_mark_sprite, cover_image, headline_sprite, lower_third_sprite,
    subtitle_sprite, ticker_art, title_card,
)
from .station import load_station
from .studio import desk_sprite, studio_background
from .subtitles import build_cues, to_srt, to_vtt
from .template import Look, list_templates, load_look

__all__ = ["Box", "ImageBRoll", "Layer", "Layout", "Look", "LowerThirdLayer", "SUPPORTED", "Sprite", "SpriteLayer", "Stinger", "TickerLayer", "VideoBRoll", "Z_AI_LABEL", "Z_BRAND", "Z_BROLL_FULL", "Z_BROLL_PIP", "Z_CORNER_MARK", "Z_DESK", "Z_HEADLINE", "Z_SUBTITLES", "ai_label_sprite", "aspect_size", "blend", "brand_sprite", "build_cues", "contains", "corner_mark_sprite", "cover_image", "desk_sprite", "headline_sprite", "intersect", "layout_for", "list_templates", "load_look", "load_station", "lower_third_sprite", "paste", "pip_frame", "studio_background", "subtitle_sprite", "ticker_art", "title_card", "to_srt", "to_vtt", "video_duration"]
