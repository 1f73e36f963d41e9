"""Serving the studio: the HTTP API with the Gradio UI mounted on it (Chinese at ``/``, English at ``/en``),
and the rule that only 127.0.0.1 may be served without a login.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile

from ..errors import InputError
from .studio import LOCALE_HEAD, build_ui

MAX_UPLOAD = "20mb"
FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "sans-serif"]


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` -> (user, password); refuses an empty user or password."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise InputError("登录账号格式应为 用户名:密码", "authentication must look like user:password")
    return user, password


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, auth: tuple[str, str] | None) -> None:
    """Only 127.0.0.1 may be served without a login: anything else reaches other machines."""
    if not is_loopback(host) and auth is None:
        raise InputError(f"在 {host} 上提供服务会让其他电脑访问制作台，请先用 --auth 用户名:密码"
                         f"（或环境变量 ANCHOR_STUDIO_AUTH）设置登录账号",
                         f"serving on {host} lets other machines reach the studio: set a login first with "
                         f"--auth user:password (or the ANCHOR_STUDIO_AUTH environment variable)")


def create_app(service, auth: tuple[str, str] | None = None, api_key: str | None = None):
    """The API with the studio UI mounted on it: Chinese at ``/``, English at ``/en``."""
    import gradio as gr

    from .api import create_api
    from ..avatar import avatars_dir

    app = create_api(service, api_key, auth)
    theme = gr.themes.Soft(font=FONTS, font_mono=["Noto Sans Mono CJK SC", "monospace"])
    allowed = [str(service.out_dir), str(avatars_dir()), tempfile.gettempdir()]
    for lang, path in (("en", "/en"), ("zh", "/")):
        gr.mount_gradio_app(app, build_ui(service, lang), path=path, auth=auth, allowed_paths=allowed,
                            max_file_size=MAX_UPLOAD, theme=theme, show_error=True, ssr_mode=False,
                            footer_links=[], pwa=False, mcp_server=False)
    pin_language(app)
    return app


def pin_language(app) -> None:
    """Each page's HTML states its language before Gradio's scripts run (see ``LOCALE_HEAD``): Gradio's own
    words (upload areas, the login page) are then Chinese on ``/`` and English on ``/en`` in any browser."""
    from starlette.responses import Response

    @app.middleware("http")
    async def pinned(request, call_next):
        response = await call_next(request)
        if request.method != "GET" or not response.headers.get("content-type", "").startswith("text/html"):
            return response
        lang = "en" if request.url.path == "/en" or request.url.path.startswith("/en/") else "zh"
        body = b"".join([chunk async for chunk in response.body_iterator])
        code = b"zh-CN" if lang == "zh" else b"en"
        body = body.replace(b'lang="en"', b'lang="' + code + b'"', 1).replace(
            b"<head>", b"<head>" + LOCALE_HEAD[lang].encode(), 1)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(body, status_code=response.status_code, headers=headers)


def serve(host: str = "127.0.0.1", port: int = 7860, out_dir: str | os.PathLike = "out/studio",
          auth: str | None = None, api_key: str | None = None, workers: int = 1, scheduler: str | None = None,
          webhook_secret: str | None = None) -> None:
    """Run the studio and the API until Ctrl-C."""
    import sys

    import uvicorn

    from .service import RenderService

    login = parse_auth(auth or os.environ.get("ANCHOR_STUDIO_AUTH"))
    check_binding(host, login)
    api_key = api_key or os.environ.get("ANCHOR_API_KEY") or None
    from .. import pipeline  # noqa: F401  (heavy imports once, on this thread, before any worker thread)

    service = RenderService(out_dir, workers, scheduler, webhook_secret=webhook_secret)
    try:
        app = create_app(service, login, api_key)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        print(f"制作台 / studio: http://{shown}:{port}/  ·  API: http://{shown}:{port}/api/v1/docs  ·  "
              f"输出 / output: {service.out_dir}", file=sys.stderr, flush=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        service.close()
