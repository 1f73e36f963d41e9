"""What every tab of the studio shares: the service, the page's language, the anchor and voice lists, and
:func:`friendly`, which turns any failure of a callback into one readable sentence."""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

from ...errors import AnchorError
from .text import STATES, _t, job_status

ASPECTS = ("9:16", "16:9", "1:1")


def friendly(fn):
    """Run a UI callback; producers see one readable sentence, never a traceback."""
    import gradio as gr

    def message(error: Exception) -> str:
        if isinstance(error, AnchorError):
            return f"{error.zh} / {error.en}"
        return f"内部错误：{type(error).__name__} / internal error: {error}"

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapped_gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as e:
                raise gr.Error(message(e), print_exception=False) from None
        return wrapped_gen

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:
            raise gr.Error(message(e), print_exception=False) from None
    return wrapped


def stays(studio: "Studio", fn, others: int = 0):
    """``fn`` for a callback whose first output is a message beside its inputs: a mistake is said there, in the
    page's language, and stays until the next action (the ``others`` outputs are left as they are)."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapped(*args):
        try:
            return fn(*args)
        except AnchorError as e:
            message = studio.said_error(e)
        except Exception as e:
            message = studio.t("error", e=f"{type(e).__name__}: {e}")
        return (message, *[gr.update()] * others) if others else message
    return wrapped


class Studio:
    """One page of the studio (``lang`` zh or en) on ``service`` (an anchor.apps.service.RenderService)."""

    def __init__(self, service, lang: str):
        from ...speech import voices_table

        self.service = service
        self.lang = lang
        self.zh = lang == "zh"
        self.voices = voices_table()
        self.default_voice = next((v["name"] for v in self.voices if v["default"] and v["language"] == "zh"), None)
        self.avatar_list, self.avatar_rows = self.read_avatars()

    def t(self, key: str, **values) -> str:
        return _t(key, self.lang, **values)

    def pick(self, pair) -> str:
        """The page's half of a (zh, en) pair or of a "zh / en" sentence."""
        if isinstance(pair, str):
            parts = pair.split(" / ", 1)
            return parts[0] if self.zh or len(parts) == 1 else parts[1]
        return pair[0 if self.zh else 1]

    def said(self, warning: str | None) -> str:
        """A "zh / en" warning in this page's language, as a paragraph after a result ("" when there is none)."""
        return f"\n\n⚠️ {self.pick(warning)}" if warning else ""

    def said_error(self, error: AnchorError) -> str:
        """An error as the status line shows it, in the page's language; it stays until the next action."""
        return self.t("error", e=error.zh if self.zh else error.en)

    def status(self, job) -> str:
        return job_status(job, self.service.position(job.id), self.lang)

    def state(self, job) -> str:
        return STATES[job.state][0 if self.zh else 1]

    # -- voices ------------------------------------------------------------------

    def voice_choices(self) -> list[tuple[str, str]]:
        """"Automatic" first (the script's own voice, else its language's default), then every preset."""
        return [(self.t("voice_auto"), "")] + [(f"{self.pick((v['title'], v['title_en']))} · {self.pick((v['state_zh'], v['state_en']))}"
                 f"{'' if v['state'] == 'ready' else ' ⚠️'}", v["name"]) for v in self.voices]

    def voice_note(self, name: str | None) -> str:
        """Beside the voice list: nothing for a voice that will speak, else what will speak instead and why."""
        row = next((v for v in self.voices if v["name"] == name), None)
        if row is None or row["state"] == "ready":
            return ""
        stand_in = next((v for v in self.voices if v["name"] == (row["fallback"] or self.default_voice)), None)
        instead = self.pick((stand_in["title"], stand_in["title_en"])) if stand_in else "?"
        return self.t("voice_unready", voice=self.pick((row["title"], row["title_en"])),
                      state=self.pick((row["state_zh"], row["state_en"])), instead=instead)

    # -- anchors -------------------------------------------------------------------

    def read_avatars(self):
        """The anchor list as the packs on disk are now (another tab, the CLI or the API may have added one)."""
        from ...avatar import describe, list_avatars, load_avatar

        rows = [describe(load_avatar(name)) for name in list_avatars()]
        choices = [(f"{r['name']} ({r['id']}) · {self.pick(r['consent']['label'])}", r["id"]) for r in rows]
        self.avatar_list, self.avatar_rows = choices, rows
        return choices, rows

    def first_avatar(self) -> str | None:
        from ...avatar import DEFAULT_AVATAR

        ids = [i for _, i in self.avatar_list]
        return DEFAULT_AVATAR if DEFAULT_AVATAR in ids else (ids[0] if ids else None)  # the drawn anchor

    def thumbnail(self, avatar: str | None) -> str | None:
        row = next((r for r in self.avatar_rows if r["id"] == avatar), None)
        return row["thumbnail"] if row and Path(row["thumbnail"]).is_file() else None


def options_of(voice, avatar, template, aspects, preset, **more) -> dict:
    """The render options the compose tab's inputs stand for, by RenderOptions field name."""
    return {"voice": voice or None, "avatar": avatar or None, "template": template or None,
            "aspects": list(aspects) if aspects else None, "preset": preset or None,
            **{k: v for k, v in more.items() if v is not None}}
