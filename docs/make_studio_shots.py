"""Regenerate the README's studio screenshots: docs/studio-{compose,avatars,batch,history}.png.

    .venv/bin/python docs/make_studio_shots.py            # writes into docs/
    .venv/bin/python docs/make_studio_shots.py --out /tmp/shots

Starts the studio (``app.py``) on a free local port in a background process, with a throwaway
``--out`` folder (so History lists only this run's render) and a copy of ``avatars/`` (nothing is
saved into the repository), then drives it with Playwright in Debian's headless Chromium
(/usr/bin/chromium), in the Chinese UI, 1400 px wide, full-page screenshots:

* Compose: a short two-sentence script, the default anchor (the drawn mascot, named from
  station.yaml's ``anchor_name``), 9:16, **生成视频**, waits for the finished clip and shows a
  frame of it read by the mascot.
* Avatars: the size rule, the example photo (the ``astronaut`` pack's public-domain NASA photo),
  labelled in the form as an example with no consent record, checked (**检查照片**) so the face
  check and the preview frame show; the consent upload and note fields are left empty.
* Batch: the tab as it is after the render (nothing queued).
* History: the render listed, picked, its clip and downloads shown.

A render takes about 30-60 s on a 2-core machine; the whole run a few minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
SCRIPT = "县图书馆延长开放时间\n从今天起，县图书馆每天开放到晚上九点。周末还将开设少儿阅读专区，欢迎市民前来阅读。"
EXAMPLE_NAME = "示例照片主播（仅作演示）"
EXAMPLE_LICENCE = "NASA 公有领域照片（skimage 示例）；无本人授权记录，不得播出"
WIDTH, HEIGHT = 1400, 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_studio(work: Path) -> tuple[subprocess.Popen, str]:
    """The studio in a background process on a free port, writing into ``work``; returns it and its URL."""
    import httpx

    avatars = work / "avatars"
    shutil.copytree(ROOT / "avatars", avatars)
    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "ANCHOR_AVATARS_DIR": str(avatars),
           "ANCHOR_STUDIO_AUTH": ""}
    log = open(work / "studio.log", "w")
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--out", str(work / "out")],
                              cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{url}/api/v1/jobs", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"the studio did not start:\n{(work / 'studio.log').read_text()[-2000:]}")
        time.sleep(0.5)


def _show_frame(page, selector: str, at: float) -> None:
    """Seek the clip in ``selector`` to ``at`` seconds (or its middle if shorter) and wait for that frame."""
    page.wait_for_function(f"() => {{ const v = document.querySelector('{selector} video');"
                           " return v && v.readyState >= 2; }", timeout=60_000)
    page.evaluate(f"""at => new Promise(done => {{
        const v = document.querySelector('{selector} video');
        v.pause();
        const t = Math.min(at, v.duration / 2);
        v.addEventListener('seeked', () => done(), {{once: true}});
        v.currentTime = t;
    }})""", at)
    page.wait_for_timeout(800)


def _shoot(page, folder: Path, name: str) -> Path:
    page.mouse.move(0, 0)  # no hover effects
    page.wait_for_timeout(500)
    assert not page.get_by_text("Traceback").count(), f"{name}: a traceback is showing"
    assert not page.locator(".toast-body.error, .toast-wrap .error").count(), f"{name}: an error toast is showing"
    path = folder / f"studio-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(path)
    return path


def shoot(url: str, folder: Path, work: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN")
        page.goto(url + "/")
        editor = page.locator("#script-editor textarea")
        editor.wait_for(timeout=60_000)

        # ---- Compose: the default anchor (the drawn mascot), 9:16, a finished clip
        editor.fill(SCRIPT)
        assert page.get_by_label("9:16").is_checked()
        for other in ("16:9", "1:1"):
            if page.get_by_label(other).is_checked():
                page.get_by_label(other).uncheck()
        page.locator("#render").click()
        video = page.locator("#result-video video")
        deadline = time.monotonic() + 600
        while not (video.count() and video.first.get_attribute("src")):
            if page.locator(".toast-body.error").count():
                raise SystemExit(f"the render failed: {page.locator('.toast-body').first.inner_text()}")
            if time.monotonic() > deadline:
                raise SystemExit("no clip after 10 minutes")
            page.wait_for_timeout(500)
        page.locator("#downloads a[download$='.mp4']").first.wait_for(timeout=60_000)
        _show_frame(page, "#result-video", 5.0)  # past the large AI label: the mascot reading, with subtitles
        _shoot(page, folder, "compose")

        # ---- Batch: as it is after the render
        page.get_by_role("tab", name="批量").click()
        page.get_by_role("button", name="开始批量生成").wait_for(timeout=30_000)
        _shoot(page, folder, "batch")

        # ---- History: the render listed, picked and shown
        page.get_by_role("tab", name="历史").click()
        page.wait_for_function("t => (document.querySelector('#history-table') || {}).textContent?.includes(t)",
                               arg="县图书馆延长开放时间", timeout=30_000)
        page.wait_for_timeout(1000)
        pick = page.locator("#history-pick input")
        pick.click()
        pick.fill("县图书馆")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.locator("#history-video video[src]").wait_for(timeout=30_000)
        _show_frame(page, "#history-video", 5.0)
        _shoot(page, folder, "history")

        # ---- Avatars: the size rule, the example photo labelled as an example without consent, checked
        import skimage.data
        from PIL import Image

        photo = work / "example-photo.jpg"
        Image.fromarray(skimage.data.astronaut()).resize((1400, 1400), Image.LANCZOS).save(photo, quality=92)
        page.get_by_role("tab", name="主播形象").click()
        page.locator("#avatar-size-rule").wait_for(timeout=30_000)
        page.locator("#avatar-photo input[type=file]").set_input_files([str(photo)])
        page.get_by_label("主播名字").fill(EXAMPLE_NAME)
        page.get_by_label("照片来源与授权").fill(EXAMPLE_LICENCE)
        page.get_by_role("button", name="检查照片").click()
        page.get_by_text("人脸检查通过").wait_for(timeout=180_000)
        page.locator("#avatar-preview img").wait_for(timeout=30_000)
        page.wait_for_timeout(1500)  # let the preview finish fading in
        _shoot(page, folder, "avatars")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default docs/)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: bash setup.sh test installs Debian's chromium")
    with tempfile.TemporaryDirectory(prefix="studio-shots-") as tmp:
        work = Path(tmp)
        server, url = start_studio(work)
        try:
            shoot(url, args.out, work)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
