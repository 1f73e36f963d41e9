"""One call from a news script to finished files; this package only wires the stages.

- ``clip``: :func:`render` and :func:`render_script`, a script to video clips (one per story
  and aspect) with their covers, subtitles and metadata, and :func:`speech_jobs`, what a process
  speaking ahead of the render needs (``anchor render``);
- ``audio``: :func:`render_audio`, a script to audio programmes for radio and loudspeakers,
  and :func:`render_bulletin`, several scripts joined into one bulletin;
- ``preview``: :func:`preview_stills`, stills of the clip a render would make (opening, lower third)
  in about a second, timed from the text instead of synthesised speech;
- ``options``: what is asked for, :class:`RenderOptions` and :class:`AudioOptions`, and
  :func:`flash_options`, the breaking-news fast path.
"""

from .audio import render_audio, render_bulletin
from .clip import render, render_script, speech_jobs
from .options import AudioOptions, RenderOptions, flash_options
from .preview import Still, preview_stills

__all__ = ["AudioOptions", "RenderOptions", "Still", "flash_options", "preview_stills", "render", "render_audio",
           "render_bulletin", "render_script", "speech_jobs"]
