"""Serving the studio: the HTTP API with the Gradio UI mounted on it (Chinese at ``/``, English at ``/en``),
and the rule that only 127.0.0.1 may be served without a login.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile

from starlette.requests import Request  # a real class: FastAPI reads the annotation below

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
    live_routes(app, service.out_dir, auth, api_key)
    theme = gr.themes.Soft(font=FONTS, font_mono=["Noto Sans Mono CJK SC", "monospace"])
    allowed = [str(service.out_dir), str(avatars_dir()), tempfile.gettempdir()]
    for lang, path in (("en", "/en"), ("zh", "/")):
        gr.mount_gradio_app(app, build_ui(service, lang), path=path, auth=auth, allowed_paths=allowed,
                            max_file_size=MAX_UPLOAD, theme=theme, show_error=True, ssr_mode=False,
                            footer_links=[], pwa=False, mcp_server=False)
    pin_language(app)
    return app


def live_routes(app, out_dir, auth: tuple[str, str] | None = None, api_key: str | None = None) -> None:
    """The 直播 tab's player and stream: ``/live-player/hls.min.js`` (hls.js, bundled by setup.sh) and
    ``/live/hls/{name}`` (the channel's playlist and segments, from ``<out>/live/hls``), each also under ``/en``
    (the English page's login cookie is only sent there).  With a login set, a request needs the studio's login
    cookie (either page's), its user and password as HTTP Basic, or the API key."""
    import re
    import secrets

    from fastapi import Depends, HTTPException
    from fastapi.responses import FileResponse

    from .studio.live import PLAYER_JS, live_dirs

    hls_dir = live_dirs(out_dir)[2]
    names = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.(m3u8|ts)")

    def logged_in(request: Request) -> None:
        if not auth and not api_key:
            return
        import base64

        key = request.headers.get("x-api-key")
        if api_key and key and secrets.compare_digest(key.encode(), api_key.encode()):
            return
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if auth and scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                user = password = ""
            if secrets.compare_digest(user.encode(), auth[0].encode()) and \
                    secrets.compare_digest(password.encode(), auth[1].encode()):
                return
        for gradio_app in _gradio_apps(app):  # the studio's own login, on / or /en
            for cookie in (f"access-token-{gradio_app.cookie_id}", f"access-token-unsecure-{gradio_app.cookie_id}"):
                if request.cookies.get(cookie) in gradio_app.tokens:
                    return
        raise HTTPException(401, detail={"detail": "log in to the studio first", "zh": "请先登录制作台",
                                         "en": "log in to the studio first"})

    def player():
        if not PLAYER_JS.is_file():
            raise HTTPException(404, detail={"detail": "hls.js is missing: run bash setup.sh",
                                             "zh": "缺少播放器 hls.js：请运行 bash setup.sh",
                                             "en": "hls.js is missing: run bash setup.sh"})
        return FileResponse(PLAYER_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})

    def stream(name: str):
        path = hls_dir / name
        if not names.fullmatch(name) or not path.is_file():
            raise HTTPException(404, detail={"detail": "no such stream file", "zh": "没有这个直播文件",
                                             "en": "no such stream file"})
        if name.endswith(".m3u8"):
            return FileResponse(path, media_type="application/vnd.apple.mpegurl",
                                headers={"Cache-Control": "no-cache, no-store, must-revalidate"})
        return FileResponse(path, media_type="video/mp2t", headers={"Cache-Control": "max-age=60"})

    for root in ("", "/en"):
        app.add_api_route(f"{root}/live-player/hls.min.js", player, methods=["GET"], include_in_schema=False,
                          dependencies=[Depends(logged_in)])
        app.add_api_route(f"{root}/live/hls/{{name}}", stream, methods=["GET"], include_in_schema=False,
                          dependencies=[Depends(logged_in)])


def _gradio_apps(app) -> list:
    from gradio.routes import App

    return [route.app for route in app.routes if isinstance(getattr(route, "app", None), App)]


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
