"""``anchor`` command line: a thin layer over :mod:`anchor.pipeline`.

Exit codes: 0 done, 2 bad input (the message says what to fix), 1 any other
failure.  Progress goes to stderr; stdout carries one JSON line describing the
result, for the newsroom publish step: ``{"clips": [{"stem", "title", "duration",
"videos": {aspect: path}, "covers": {...}, "subtitles", "webvtt", "metadata"}],
"warnings": [...]}``.  Each subcommand sets ``run`` (``set_defaults``) to its handler.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from ..errors import AnchorError

STAGES = {"speech": "语音合成 speech", "avatar": "主播形象 avatar", "render": "渲染编码 render"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="anchor", description="AI 数字人新闻主播 / AI news anchor clips")
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="把一篇稿件渲染成视频 / render one news script to a clip")
    render.add_argument("script", help="稿件文件 .txt/.md/.yaml/.json")
    render.add_argument("--out", required=True, help="输出文件夹 / output folder")
    render.add_argument("--voice", help="语音预设 / voice preset name (see voices/)")
    render.add_argument("--avatar", help="主播形象 / avatar pack name (see avatars/)")
    render.add_argument("--station", help="台标配置 / station.yaml path (brand kit)")
    render.add_argument("--template", help="画面模板 / graphics template: news, service, or a YAML path")
    render.add_argument("--aspect", help="画面比例，可多个 / aspect ratios, comma separated: 9:16,16:9,1:1")
    render.add_argument("--preset", help="平台预设 / platform preset: douyin, kuaishou, channels, bilibili, broadcast")
    render.add_argument("--split", action="store_true", help="按 ## 小标题拆成多条 / one clip per '## ' story")
    render.add_argument("--quiet", action="store_true", help="不显示进度 / no progress output")
    render.set_defaults(run=_render)
    voices = commands.add_parser("voices", help="列出语音预设及其状态 / list voice presets and whether they can run")
    voices.add_argument("--language", choices=("zh", "en"), help="只列出该语言 / only this language")
    voices.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    voices.set_defaults(run=_voices)
    avatars = commands.add_parser("avatars", help="列出主播形象及缩略图 / list avatar packs with a thumbnail path")
    avatars.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    avatars.set_defaults(run=_avatars)
    avatar = commands.add_parser("avatar", help="管理主播形象 / manage avatar packs")
    avatar_commands = avatar.add_subparsers(dest="avatar_command", required=True)
    add = avatar_commands.add_parser("add", help="用一张照片新建主播形象 / make a new anchor from a photo")
    add.add_argument("photo", help="正面、清晰的单人照片 / a clear frontal photo of one presenter")
    _presenter_arguments(add, ("照片", "photo"))
    add.set_defaults(run=_avatar_add)
    twin = avatar_commands.add_parser("add-twin", help="用主播本人的录像新建数字分身 / make a digital twin of the "
                                      "presenter from their own recording")
    twin.add_argument("recording", help="主播正对镜头坐着朗读的录像，至少 30 秒，建议 2–3 分钟，含 10–20 秒闭嘴静坐 / a "
                      "frontal, seated recording of the presenter reading, 30 s at least, 2-3 min recommended, with "
                      "10-20 s sitting still, mouth closed")
    _presenter_arguments(twin, ("录像", "recording"))
    twin.set_defaults(run=_avatar_add_twin)
    mascot = avatar_commands.add_parser("add-mascot", help="用设计师的分层美术稿新建吉祥物主播 / make a mascot anchor "
                                        "from a designer's layered artwork")
    mascot.add_argument("artwork", help="分层 PSD 文件或 PNG 图层文件夹 / a layered PSD file or a folder of PNG layers")
    mascot.add_argument("--name", required=True, help="吉祥物名字 / the mascot's name, e.g. 融融")
    mascot.add_argument("--id", help="形象编号（默认由名字生成）/ pack id (default: from the name, 融融 -> rong-rong)")
    mascot.add_argument("--licence", help="美术稿来源与授权 / where the artwork comes from (default: the station's own)")
    mascot.add_argument("--tint", action="append", default=[], metavar="PART=COLOUR", type=_tint,
                        help="用台标颜色给部件染色，可多次 / tint a part: body=primary, head=#ffcc00 (repeatable)")
    mascot.add_argument("--force", action="store_true", help="覆盖同名形象 / replace a pack with the same id")
    mascot.set_defaults(run=_avatar_add_mascot)
    batch = commands.add_parser("batch", help="批量渲染：稿件文件夹、清单或收稿文件夹 / render many scripts, resumable")
    batch.add_argument("source", nargs="?", help="稿件文件夹、稿件或清单 CSV/JSONL/YAML / a folder of scripts or a manifest")
    batch.add_argument("--watch", metavar="INBOX", help="持续监视收稿文件夹 / render scripts as they land in INBOX")
    batch.add_argument("--out", required=True, help="输出文件夹（含任务记录）/ output folder (holds the job store)")
    batch.add_argument("--workers", type=int, default=1, help="并行渲染进程数，>1 用 Dask / worker processes (Dask when > 1)")
    batch.add_argument("--scheduler", help="已有 Dask 集群的地址 / address of a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    batch.add_argument("--threads", type=int, default=0, help="每个任务的编码线程数 / ffmpeg threads per job (0: cores / workers)")
    batch.add_argument("--max-attempts", type=int, default=3, help="每条稿件最多尝试次数 / tries per job before it stays failed")
    batch.add_argument("--poll", type=float, default=2.0, help="监视时每隔几秒查看一次 / seconds between looks at INBOX")
    batch.add_argument("--quiet", action="store_true", help="不显示进度 / no progress bar or table")
    batch.set_defaults(run=_batch)
    studio = commands.add_parser("studio", help="制作台网页和 HTTP API / the producer studio (web UI) and HTTP API")
    studio.add_argument("--host", default="127.0.0.1", help="监听地址（非本机需 --auth）/ address (other than 127.0.0.1 needs --auth)")
    studio.add_argument("--port", type=int, default=7860)
    studio.add_argument("--out", default="out/studio", help="成片与任务记录文件夹 / folder for clips and the job store")
    studio.add_argument("--auth", help="登录账号 用户名:密码（或 ANCHOR_STUDIO_AUTH）/ login user:password")
    studio.add_argument("--api-key", help="API 密钥（或 ANCHOR_API_KEY）/ key the HTTP API requires in X-API-Key")
    studio.add_argument("--workers", type=int, default=1, help="同时渲染数，>1 用 Dask / renders at a time (Dask when > 1)")
    studio.add_argument("--scheduler", help="Dask 集群地址 / address of a Dask scheduler")
    studio.set_defaults(run=_studio)
    args = parser.parse_args(argv)
    _quiet_native_logs()
    try:
        return args.run(args)
    except AnchorError as e:
        print(f"错误：{e.zh} / error: {e.en}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("已取消 / cancelled", file=sys.stderr)
        return 130
    except Exception as e:  # anything unexpected: one clear line, traceback only on request
        if os.environ.get("ANCHOR_DEBUG"):
            traceback.print_exc()
        print(f"内部错误：{type(e).__name__} / internal error: {e} (set ANCHOR_DEBUG=1 for details)", file=sys.stderr)
        return 1


def _quiet_native_logs() -> None:
    """Keep C-level log lines (TensorFlow Lite, mediapipe) off the producer's terminal.

    Those libraries write straight to file descriptor 2, bypassing Python.  Python's own
    ``sys.stderr`` moves to a copy of the terminal's descriptor, and descriptor 2 goes to
    /dev/null, so progress and errors still show and nothing else does.  ``ANCHOR_DEBUG=1``
    keeps everything.
    """
    if os.environ.get("ANCHOR_DEBUG"):
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    sys.stderr = os.fdopen(terminal, "w", encoding="utf-8", errors="replace", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _render(args) -> int:
    from ..pipeline import RenderOptions, render

    aspects = tuple(a for a in (args.aspect or "").split(",") if a.strip()) or None
    options = RenderOptions(voice=args.voice, avatar=args.avatar, station=args.station, template=args.template,
                            aspects=aspects, preset=args.preset, split=args.split)
    clips = render(args.script, args.out, options, progress=None if args.quiet else _progress())
    warnings = [w for clip in clips for w in clip.info["warnings"]]
    for warning in dict.fromkeys(warnings):
        print(f"警告 / warning: {warning}", file=sys.stderr)
    print(json.dumps({"clips": [_summary(clip) for clip in clips], "warnings": list(dict.fromkeys(warnings))},
                     ensure_ascii=False))
    return 0


def _summary(clip) -> dict:
    """What the publish step needs to know about one clip: every file, by role."""
    return {"stem": clip.stem, "title": clip.info["title"], "duration": clip.info["duration"],
            "videos": {a: str(p) for a, p in clip.videos.items()}, "covers": {a: str(p) for a, p in clip.covers.items()},
            "subtitles": str(clip.subtitles), "webvtt": str(clip.webvtt), "metadata": str(clip.metadata)}


def _voices(args) -> int:
    from ..speech import voices_table

    rows = voices_table(args.language)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    from ..speech import voices_dir

    print(f"语音预设 / voice presets: {voices_dir()}")
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        mark = " *默认 default" if r["default"] else ""
        fallback = f" -> {r['fallback']}" if r["fallback"] else ""
        print(f"  {r['name']:<{width}}  {r['language']}  {r['engine']:<9}  {r['state_text']}{mark}{fallback}")
        if r["description"]:
            print(f"  {'':<{width}}      {r['description']}")
        print(f"  {'':<{width}}      {r['detail']}")
    return 0


def _avatars(args) -> int:
    from ..avatar import avatars_dir, describe, list_avatars, load_avatar

    rows = [describe(load_avatar(name)) for name in list_avatars()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"主播形象 / avatar packs: {avatars_dir()}")
    width = max((len(r["id"]) for r in rows), default=4)
    for r in rows:
        print(f"  {r['id']:<{width}}  {r['kind']:<10}  {r['name']}")
        zh, en = r["consent"]["label"].split(" / ", 1)
        until = r["consent"].get("until")
        print(f"  {'':<{width}}  " + (f"{zh}（至 {until}）/ {en} (until {until})" if until else f"{zh} / {en}"))
        print(f"  {'':<{width}}  {r['thumbnail']}")
    return 0


def _presenter_arguments(parser, material: tuple[str, str]) -> None:
    """A real presenter's new pack: name, id, licence, --force and their consent."""
    parser.add_argument("--name", required=True, help="主播名字 / the presenter's name, e.g. 张明")
    parser.add_argument("--id", help="形象编号（默认由名字生成）/ pack id (default: from the name, 张明 -> zhang-ming)")
    parser.add_argument("--licence", help=f"{material[0]}来源与授权 / where the {material[1]} comes from and on what terms")
    parser.add_argument("--force", action="store_true", help="覆盖同名形象 / replace a pack with the same id")
    parser.add_argument("--consent", metavar="FILE", help="本人签字的授权书（PDF/图片/文本），复制进形象 / the "
                        "presenter's signed authorisation, copied into the pack (this or --consent-note is required)")
    parser.add_argument("--consent-note", help="本台自测时代替授权书：谁、何时同意 / instead of a document, for a "
                        "station's own test: who agreed, and when")
    parser.add_argument("--consent-by", help="同意者（默认 --name）/ who consented (default: --name)")
    parser.add_argument("--consent-use", help="同意的用途 / what they agreed to (default: 本台新闻播报 / news reading for "
                        "this station)")
    parser.add_argument("--consent-date", metavar="YYYY-MM-DD", help="同意日期（默认今天）/ when they agreed (default: today)")
    parser.add_argument("--consent-until", metavar="YYYY-MM-DD", help="授权有效期至（默认一年）/ last day covered "
                        "(default: a year on)")


def _consent_of(args):
    from ..avatar import consent_request

    return consent_request(args.consent, args.consent_note, args.consent_by or args.name, args.consent_use,
                           args.consent_until, args.consent_date)


def _added(pack, consent, args, what: tuple[str, str] = ("主播形象", "avatar")) -> dict:
    from ..avatar import describe

    row = describe(pack)
    print(f"已添加{what[0]} / added {what[1]} {row['id']}: {pack.folder}", file=sys.stderr)
    print(f"本人授权有效期至 {consent.until} / consent valid until {consent.until}"
          + ("" if args.consent_until else "（默认一年，可用 --consent-until 修改 / a year by default: --consent-until)"),
          file=sys.stderr)
    return row


def _avatar_add_twin(args) -> int:
    from ..avatar import add_twin_avatar

    consent = _consent_of(args)
    print("正在分析录像（约为录像时长的一半）… / analysing the recording (about half its length)...", file=sys.stderr)
    pack = add_twin_avatar(args.recording, args.name, args.id, args.licence, args.force, consent=consent)
    row = _added(pack, consent, args, ("数字分身", "twin"))
    print(json.dumps({**row, "folder": str(pack.folder), "recording": pack.recording, "warnings": []},
                     ensure_ascii=False))
    return 0


def _avatar_add(args) -> int:
    from ..avatar import add_photo_avatar, size_warning

    consent = _consent_of(args)
    pack = add_photo_avatar(args.photo, args.name, args.id, args.licence, args.force, consent=consent)
    row = _added(pack, consent, args)
    warning = size_warning(pack)  # a face too small to fill every frame: framed smaller, and what size fills it
    if warning:
        print(f"注意 / warning: {warning}", file=sys.stderr)
    print(json.dumps({**row, "folder": str(pack.folder), "warnings": [warning] if warning else []}, ensure_ascii=False))
    return 0


def _tint(text: str) -> tuple[str, str]:
    part, _, colour = text.partition("=")
    if not part or not colour:
        raise argparse.ArgumentTypeError(f"写成 部件=颜色 / expected PART=COLOUR, e.g. body=primary, not {text!r}")
    return part.strip(), colour.strip()


def _avatar_add_mascot(args) -> int:
    from ..avatar import add_mascot_avatar, describe

    pack = add_mascot_avatar(args.artwork, args.name, args.id, args.licence, args.force, dict(args.tint))
    row = describe(pack)
    print(f"已添加吉祥物主播 / added mascot {row['id']}: {pack.folder}", file=sys.stderr)
    print(json.dumps({**row, "folder": str(pack.folder)}, ensure_ascii=False))
    return 0


def _batch(args) -> int:
    import signal
    import threading

    from ..jobs import BatchOptions, batch, exit_code, summary_table, watch
    from ..errors import InputError

    if bool(args.source) == bool(args.watch):
        raise InputError("请给出稿件来源，或用 --watch 指定收稿文件夹（二选一）",
                         "give either a SOURCE (folder or manifest) or --watch INBOX, not both")
    if args.workers < 1 or args.threads < 0 or args.max_attempts < 1:
        raise InputError("--workers、--max-attempts 至少为 1，--threads 不能为负",
                         "--workers and --max-attempts must be at least 1, --threads not negative")
    options = BatchOptions(workers=args.workers, scheduler=args.scheduler, threads=args.threads,
                           max_attempts=args.max_attempts, poll=args.poll)
    if args.watch:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(f"正在监视 {args.watch}（Ctrl-C 停止）/ watching {args.watch} (Ctrl-C stops)", file=sys.stderr)
        try:
            watch(args.watch, args.out, options, stop=stop, show_progress=not args.quiet)
        except KeyboardInterrupt:
            pass
        print("已停止监视 / stopped watching", file=sys.stderr)
        return 0
    report = batch(args.source, args.out, options, show_progress=not args.quiet and sys.stderr.isatty())
    if not args.quiet:
        print(summary_table(report), file=sys.stderr)
    totals = report["totals"]
    print(json.dumps({"report": os.path.join(report["out"], "batch-report.json"), **totals}, ensure_ascii=False))
    return exit_code(report)


def _studio(args) -> int:
    from .web import serve

    serve(args.host, args.port, args.out, args.auth, args.api_key, args.workers, args.scheduler)
    return 0


def _progress():
    """Speech as a progress bar (tqdm, on stderr); the other stages as a line every 10%."""
    from tqdm import tqdm

    last = {}
    bar = {}

    def report(stage: str, fraction: float) -> None:
        if stage == "speech":
            if "speech" not in bar or fraction < bar["speech"].n / 100:
                _close(bar)
                bar["speech"] = tqdm(total=100, desc=STAGES["speech"], file=sys.stderr, leave=True,
                                     bar_format="[{desc}] {percentage:3.0f}%|{bar:30}| {elapsed}<{remaining}")
            bar["speech"].update(round(fraction * 100) - bar["speech"].n)
            if fraction >= 1.0:
                _close(bar)
            return
        step = int(fraction * 10)
        if last.get(stage) == step:
            return
        last[stage] = step
        line = f"[{STAGES.get(stage, stage)}] {fraction:4.0%}"
        if bar:
            tqdm.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    return report


def _close(bar: dict) -> None:
    if "speech" in bar:
        bar.pop("speech").close()


if __name__ == "__main__":
    sys.exit(main())
