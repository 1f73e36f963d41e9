"""The apps stage: the ways people and newsroom systems reach the pipeline, each a thin layer over it.

Modules:

* ``cli``: the ``anchor`` command (render, its audio programmes, bulletin, voices, batch, studio);
  :func:`anchor.apps.cli.main`
* ``cli_avatar``: its ``avatars`` and ``avatar add | add-twin | add-mascot`` subcommands; ``cli_live``: ``anchor live``
* ``ahead``: ``anchor render``'s speech made in a short-lived process of its own while the render prepares the anchor
* ``service``: :class:`~anchor.apps.service.RenderService`, the one job queue and history the studio and the API share
* ``intake``: what producers send in (scripts, uploads, photos, manifests, options), checked before a job is queued
* ``api``: the publish-step HTTP API (FastAPI) on the service, :func:`~anchor.apps.api.create_api`
* ``studio``: the producer studio's Gradio UI, :func:`~anchor.apps.studio.build_ui`, one module per tab
  (compose, fixes, avatars, batch, live, history, brand) and its words in Chinese and English (``studio.text``)
* ``web``: the API with the studio mounted on it, and the login rule; :func:`~anchor.apps.web.serve`

Entry points: ``anchor.apps.cli:main`` (the ``anchor`` console script and ``python app.py``) and
:func:`anchor.apps.web.serve` (``anchor studio``).  Nothing in the package imports this stage.
"""
