"""The graphics stage: everything drawn over the studio, in a station's brand kit and a template's style.

Modules, lowest first:

* ``station``   — the brand kit: name, colours, logo, fonts and the AI labels a station shows;
* ``brand``     — saving a producer's edits to the brand kit (station file, logo, fonts), with history;
* ``template``  — graphics templates (YAML) and :class:`Look`, a template applied to a brand kit;
* ``layout``    — where every element sits, for each supported aspect;
* ``linebreak`` — balanced line breaking for subtitles, headlines and title cards;
* ``fonts``     — finding and loading the CJK fonts, measuring and fitting text;
* ``canvas``    — sprites, :func:`blend`, the painting canvas and mask shapes;
* ``subtitles`` — subtitle cues from the speech timeline, SRT and WebVTT text;
* ``labels``    — the visible AI label, its corner mark, the station bug and a live channel's 直播 mark;
* ``titles``    — headline, lower third, ticker, subtitle sprites, title cards and the cover;
* ``flash``     — a breaking-news flash's sting card and urgent band;
* ``wenzheng``  — a 问政 reply's question card;
* ``studio``    — the studio backdrop and the desk;
* ``layers``    — timed layers (still, sliding, scrolling, B-roll, stingers) the compositor draws.

Entry points: :func:`load_station` and :func:`load_look` for the style, :func:`save_station` to edit the brand kit,
:func:`layout_for` for the boxes, :func:`build_cues` for subtitles, the ``*_sprite`` functions,
:func:`ticker_art`, :func:`title_card`, :func:`flash_card`, :func:`question_card` and :func:`cover_image` for the elements, :func:`studio_background`
and :func:`desk_sprite` for the set, and the layer classes for the compositor.
"""

from .brand import brand_fields, save_station, station_file
from .canvas import Sprite, blend
from .flash import flash_card, urgent_band_sprite
from .labels import ai_label_sprite, brand_sprite, corner_mark_sprite, live_mark_sprite
from .layers import (
    Z_AI_LABEL, Z_BRAND, Z_BROLL_FULL, Z_BROLL_PIP, Z_CORNER_MARK, Z_DESK, Z_HEADLINE, Z_SUBTITLES, Z_TICKER, ImageBRoll,
    Layer, LowerThirdLayer, SpriteLayer, Stinger, TickerLayer, VideoBRoll, contains, intersect, paste, pip_frame,
    video_duration,
)
from .layout import SUPPORTED, Box, Layout, aspect_size, layout_for
from .station import Station, load_station
from .studio import desk_sprite, studio_background
from .subtitles import Cue, build_cues, cue_records, with_texts
from .template import Look, list_templates, load_look
from .wenzheng import question_card, question_seconds
from .titles import cover_image, headline_sprite, lower_third_sprite, subtitle_sprite, ticker_art, title_card

__all__ = ["Cue", "Box", "ImageBRoll", "Layer", "Layout", "Look", "LowerThirdLayer", "SUPPORTED", "Sprite",
           "SpriteLayer", "Stinger", "TickerLayer", "VideoBRoll", "Z_AI_LABEL", "Z_BRAND", "Z_BROLL_FULL",
           "Z_BROLL_PIP", "Z_CORNER_MARK", "Z_DESK", "Z_HEADLINE", "Z_SUBTITLES", "Z_TICKER", "ai_label_sprite",
           "aspect_size", "blend", "brand_fields", "brand_sprite", "build_cues", "contains", "corner_mark_sprite", "cover_image",
           "cue_records", "desk_sprite", "flash_card",
           "headline_sprite", "intersect", "layout_for", "list_templates", "load_look", "load_station", "Station",
           "live_mark_sprite", "lower_third_sprite", "paste", "pip_frame", "question_card", "question_seconds", "save_station", "station_file", "studio_background", "subtitle_sprite", "ticker_art",
           "title_card", "urgent_band_sprite", "video_duration", "with_texts"]
