"""What a render is asked to make: :class:`RenderOptions` for clips, :class:`AudioOptions` for audio programmes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

from ..export import ExportPreset

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class AudioOptions:
    """An audio programme (``--audio-only``, ``anchor bulletin``) or the audio master beside a clip (``--audio``)."""

    wav: bool = False  # a 24-bit WAV master beside the MP3
    stereo: bool = False  # default mono, for emergency-broadcast loudspeakers
    loudness: float | None = None  # LUFS; default: the broadcast preset's (-23)
    jingle: str | None = None  # an audio file or "tone"; default: the station's jingle (none unless it names one)
    notice_at_end: bool | None = None  # the AI notice spoken again at the end; default: the station's choice


@dataclass(frozen=True)
class RenderOptions:
    voice: str | None = None  # overrides the script's voice preset
    avatar: str | None = None  # overrides the script's avatar pack
    station: str | None = None  # path to a station.yaml (brand kit); default: the repo's
    template: str | None = None  # graphics template (name or YAML path); default: the script's, then the station's
    aspects: tuple[str, ...] | None = None  # "9:16", "16:9", "1:1"; default: the preset's, else 9:16
    preset: str | None = None  # platform preset: douyin, kuaishou, channels, bilibili, broadcast
    split: bool = False  # one clip per "## " story of a Markdown script
    lead_in: float = 0.4  # seconds of the anchor at rest before speaking
    lead_out: float = 0.8  # ... and after
    export: ExportPreset = field(default_factory=ExportPreset)  # encoder settings (crf, x264 preset, threads)
    require_consent: bool = False  # refuse a real face without valid consent (batch, studio, API), unless the station allows
    audio: AudioOptions | None = None  # also an audio master (MP3, its AI notice spoken first) beside each clip
    # a producer's corrected subtitle texts, one per cue of the clip (a one-story render), in order; times are kept
    # and the speech (its text unchanged) comes from the speech cache: only the picture is drawn again
    cue_texts: tuple[str, ...] | None = None


FLASH_TEMPLATE = "flash"
FLASH_X264_PRESET = "superfast"  # a flash is out in minutes; x264's faster preset costs a little bitrate, not quality


def flash_options(options: RenderOptions) -> RenderOptions:
    """The breaking-news fast path (``--flash``): the flash template unless another is named, short lead-in
    and lead-out, and the faster encoder preset."""
    return replace(options, template=options.template or FLASH_TEMPLATE, lead_in=0.2, lead_out=0.5,
                   export=replace(options.export, x264_preset=FLASH_X264_PRESET))
