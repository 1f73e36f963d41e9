"""The producer studio: a Gradio UI (Chinese at ``/``, English at ``/en``), served with the HTTP API in one process.

:func:`anchor.apps.web.serve` starts it (``anchor studio`` and ``python app.py``).  The UI is a thin layer: every
button calls :class:`anchor.apps.service.RenderService` (the job queue and history the HTTP API shares) or the
library; a mistake is said in the page's language where it stays, beside what caused it.

One module per tab: :mod:`.compose` (script, voice, anchor, template, aspects, platform, a frame preview, 试听,
生成视频 with its progress, a player per aspect) with :mod:`.fix` under it (the subtitles edited and rendered
again on the same speech; the 读音 panel), :mod:`.avatars` (photo or recording -> a new anchor, with consent),
:mod:`.batch`, :mod:`.live` (直播: the live channel started and stopped, its queue, health and stream),
:mod:`.history`, and :mod:`.brand` (台标与品牌: the station's name, code, colours, logo, fonts,
AI label and credit).  :mod:`.text` holds the words in both languages.

Offline: analytics are off, no web fonts (the theme names local fonts), no share links.  Gradio's own words
(upload areas, the login page) follow the browser's language, so :data:`LOCALE_HEAD` pins each page's.
"""

from __future__ import annotations

import os

for _name, _value in (("GRADIO_ANALYTICS_ENABLED", "False"), ("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1")):
    os.environ.setdefault(_name, _value)

# Gradio picks its own strings' language from navigator.language; a producer's browser may be set to English
# while they work on the Chinese page, so each page states its language before Gradio's scripts run.
LOCALE_HEAD = {lang: ("<script>(() => { const l = '%s'; for (const k of ['language', 'languages']) "
                      "Object.defineProperty(navigator, k, {get: () => (k === 'language' ? l : [l])}); })();</script>")
               % code for lang, code in (("zh", "zh-CN"), ("en", "en"))}


def build_ui(service, lang: str = "zh"):
    """The studio's Gradio Blocks in ``lang`` (zh or en), on ``service`` (an anchor.apps.service.RenderService)."""
    import gradio as gr

    from . import avatars, batch, brand, compose, fix, history, live
    from .common import Studio

    studio = Studio(service, lang)
    t = studio.t
    with gr.Blocks(title=t("title"), analytics_enabled=False) as blocks:
        with gr.Row():
            gr.Markdown(f"## {t('title')}")
            gr.Markdown(t("switch"), elem_id="language-switch")
        with gr.Tabs() as tabs:
            with gr.Tab(t("compose"), id="compose"):
                composed = compose.build(studio)
                fix.build(studio, composed)
            with gr.Tab(t("avatars"), id="avatars"):
                avatars.build(studio, composed)
            with gr.Tab(t("batch"), id="batch"):
                batch.build(studio, composed)
            with gr.Tab(t("live"), id="live"):
                live_timer, live_refresh, live_shown = live.build(studio)
            with gr.Tab(t("history"), id="history") as history_tab:
                rows, shown = history.build(studio, composed, tabs)
            with gr.Tab(t("brand"), id="brand"):
                station, station_shown = brand.build(studio)
        history_tab.select(rows, None, shown)

        def live_shown_now(evt: gr.SelectData):
            """The live tab reads its channel every 2 s while it is shown, and at once when it is opened."""
            if evt.value != t("live"):
                return gr.Timer(active=False), *[gr.update()] * len(live_shown)
            return gr.Timer(active=True), *live_refresh()

        live_shown_now.__annotations__["evt"] = gr.SelectData  # gr is imported here, not where Gradio looks
        tabs.select(live_shown_now, None, [live_timer, *live_shown])

        def current_avatars(chosen):
            """Every page load reads the packs on disk: an anchor saved anywhere is listed here."""
            studio.read_avatars()
            ids = [i for _, i in studio.avatar_list]
            return gr.update(choices=studio.avatar_list, value=chosen if chosen in ids else studio.first_avatar())

        blocks.load(current_avatars, composed.avatar, composed.avatar).then(*composed.preview)
        blocks.load(station, None, station_shown)  # the station as it is on disk (saved in another tab: seen here)
    return blocks
