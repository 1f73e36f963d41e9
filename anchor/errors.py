"""Errors a producer can act on.

Every error carries a Chinese and an English sentence; the CLI prints both on
one line and exits with ``exit_code`` (2 for bad input, 1 for anything else).
"""

from __future__ import annotations


class AnchorError(Exception):
    """Something went wrong while making a clip (exit code 1)."""

    exit_code = 1

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en

    def __reduce__(self):
        # raised in a worker process (a live channel's renderer, a Dask worker), it arrives whole: the default
        # pickling would call __init__ with the joined message alone and fail in the parent
        return type(self), (self.zh, self.en)


class InputError(AnchorError):
    """The producer's input needs fixing (exit code 2)."""

    exit_code = 2


class ScriptError(InputError):
    """The news script is missing, unreadable, empty or malformed."""


class VoiceError(InputError):
    """Unknown voice preset, or no engine speaks the script's language."""


class AvatarError(InputError):
    """Unknown avatar pack, or its photo has no usable face."""


class SpeechError(AnchorError):
    """A speech engine failed while synthesising."""


class RenderError(AnchorError):
    """Compositing or encoding the clip failed."""


class ConsentError(AvatarError):
    """A real person's face without a valid consent record, where the job requires one (batch, API, studio)."""
