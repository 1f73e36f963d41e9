"""anchor: a news script in, a finished AI news-anchor clip out, offline.

    from anchor import render, RenderOptions
    clips = render("scripts/demo.md", "out", RenderOptions(aspects=("9:16", "16:9")))

``render`` returns one :class:`Clip` per story.  The stages behind it are the
sub-packages ``script``, ``speech``, ``avatar``, ``graphics``, ``render`` and
``export``; ``pipeline`` runs them in order; ``jobs`` and ``apps`` (CLI, studio,
HTTP API) sit on top.  The names below load on first use, so importing one stage
does not import every other.
"""

from .version import __version__

__all__ = ["render", "render_script", "RenderOptions", "Clip", "__version__"]


def __getattr__(name: str):
    if name in ("render", "render_script", "RenderOptions", "Clip"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'anchor' has no attribute {name!r}")
