"""What a render resolves and checks before any slow work, shared by a render and its frame preview.

:func:`prepare` turns a script and :class:`RenderOptions` into the stories (split, headline read or not,
the anchors' names in their lower thirds), the look (the options' template, else the script's, else a 问政
reply's, else the station's), the platform, the encoder settings per aspect and each story's cast; a real
face without consent (when it is required) and a B-roll file that cannot be read fail here, before anything
is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..avatar import check_consent, lower_third_names
from ..export import ExportPreset, Platform, export_settings, load_platform
from ..graphics import Look, load_look, load_station
from ..render import check_broll
from ..script import Script, split_stories
from .cast import Cast, cast_of
from .options import RenderOptions


@dataclass(frozen=True)
class Prepared:
    """Everything resolved and checked before rendering starts."""

    stories: list[Script]
    look: Look
    platform: Platform | None
    exports: dict[str, ExportPreset]  # aspect -> encoder settings
    casts: list[Cast]  # per story: each seat's avatar and voice (two at a desk)
    options: RenderOptions


def prepare(script: Script, options: RenderOptions) -> Prepared:
    stories = split_stories(script) if options.split else [script]
    station = load_station(options.station)
    stories = [s.with_read_title(station.read_title) for s in stories]
    look = load_look(options.template or script.template or ("wenzheng" if script.question else None), station)
    platform = load_platform(options.preset) if options.preset else None
    exports = export_settings(options.aspects or (platform.aspects if platform else ("9:16",)), platform,
                              options.export)
    casts = [cast_of(s, options) for s in stories]
    stories = [s.with_anchor_name(*lower_third_names(c.avatars[0], station)) for s, c in zip(stories, casts)]
    for avatar in (a for c in casts for a in c.avatars):
        check_consent(avatar, station, options.require_consent)  # a ConsentError before any work
    for story in stories:
        check_broll(story)
    return Prepared(stories, look, platform, exports, casts, options)
