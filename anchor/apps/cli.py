"""``anchor`` command line: a thin layer over :mod:`anchor.pipeline`.

Exit codes: 0 done, 2 bad input (the message says what to fix), 1 any other
failure.  Progress goes to stderr; stdout carries one JSON line describing the
result, for the newsroom publish step: ``{"clips": [{"stem", "title", "duration",
"videos": {aspect: path}, "covers": {...}, "subtitles", "webvtt", "metadata"}],
"warnings": [...]}``, or for audio programmes (``--audio-only``, ``bulletin``)
``{"programmes": [{"stem", "title", "duration", "audio", "wav", "text", "metadata"}], "warnings": [...]}``.  Each subcommand sets ``run`` (``set_defaults``) to its handler.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from ..errors import AnchorError
from .cli_avatar import add_avatar_commands
from .cli_live import add_live_command

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
    render.add_argument("--template", help="画面模板 / graphics template: news, service, flash, wenzheng, desk-cut, "
                        "or a YAML path")
    render.add_argument("--aspect", help="画面比例，可多个 / aspect ratios, comma separated: 9:16,16:9,1:1")
    render.add_argument("--preset", help="平台预设 / platform preset: douyin, kuaishou, channels, bilibili, broadcast")
    render.add_argument("--split", action="store_true", help="按 ## 小标题拆成多条 / one clip per '## ' story")
    render.add_argument("--flash", action="store_true", help="快讯快速通道：快讯模板、无片头、快速编码 / breaking-news fast "
                        "path: the flash template, no title card, faster encoding")
    render.add_argument("--audio-only", action="store_true", help="只出音频节目 MP3（广播、应急喇叭）/ an audio "
                        "programme (MP3) for radio and loudspeakers instead of a video")
    render.add_argument("--audio", action="store_true", help="视频旁另出同一音频节目 MP3 / also the audio programme "
                        "(MP3) beside each video")
    _audio_arguments(render)
    render.add_argument("--quiet", action="store_true", help="不显示进度 / no progress output")
    render.set_defaults(run=_render)
    bulletin = commands.add_parser("bulletin", help="多篇稿件合成一档广播节目 / join several scripts into one radio "
                                   "bulletin (MP3 with chapters and a running order)")
    bulletin.add_argument("source", help="稿件文件夹或清单 CSV/JSONL/YAML / a folder of scripts or a manifest")
    bulletin.add_argument("--out", required=True, help="输出文件夹 / output folder")
    bulletin.add_argument("--name", default="bulletin", help="文件名（默认 bulletin）/ file name (default: bulletin)")
    bulletin.add_argument("--title", help="节目名称（默认：台名新闻 日期）/ programme title (default: station news, date)")
    bulletin.add_argument("--voice", help="语音预设 / voice preset name (see voices/)")
    bulletin.add_argument("--station", help="台标配置 / station.yaml path (brand kit)")
    _audio_arguments(bulletin)
    bulletin.add_argument("--quiet", action="store_true", help="不显示进度 / no progress output")
    bulletin.set_defaults(run=_bulletin)
    voices = commands.add_parser("voices", help="列出语音预设及其状态 / list voice presets and whether they can run")
    voices.add_argument("--language", choices=("zh", "en"), help="只列出该语言 / only this language")
    voices.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    voices.set_defaults(run=_voices)
    add_avatar_commands(commands)
    batch = commands.add_parser("batch", help="批量渲染：稿件文件夹、清单或收稿文件夹 / render many scripts, resumable")
    batch.add_argument("source", nargs="?", help="稿件文件夹、稿件或清单 CSV/JSONL/YAML / a folder of scripts or a manifest")
    batch.add_argument("--watch", metavar="INBOX", help="持续监视收稿文件夹 / render scripts as they land in INBOX")
    batch.add_argument("--out", required=True, help="输出文件夹（含任务记录）/ output folder (holds the job store)")
    batch.add_argument("--workers", type=int, default=1, help="并行渲染进程数，>1 用 Dask / worker processes (Dask when > 1)")
    batch.add_argument("--scheduler", help="已有 Dask 集群的地址 / address of a Dask scheduler, e.g. tcp://10.0.0.5:8786")
    batch.add_argument("--threads", type=int, default=0, help="每个任务的编码线程数 / ffmpeg threads per job (0: cores / workers)")
    batch.add_argument("--max-attempts", type=int, default=3, help="每条稿件最多尝试次数 / tries per job before it stays failed")
    batch.add_argument("--poll", type=float, default=2.0, help="监视时每隔几秒查看一次 / seconds between looks at INBOX")
    _webhook_arguments(batch, "每条稿件完成或失败后把结果 POST 到此地址 / POST each job's result here when it "
                       "finishes or fails (default: station.yaml's callback_url)")
    batch.add_argument("--quiet", action="store_true", help="不显示进度 / no progress bar or table")
    batch.set_defaults(run=_batch)
    add_live_command(commands)
    studio = commands.add_parser("studio", help="制作台网页和 HTTP API / the producer studio (web UI) and HTTP API")
    studio.add_argument("--host", default="127.0.0.1", help="监听地址（非本机需 --auth）/ address (other than 127.0.0.1 needs --auth)")
    studio.add_argument("--port", type=int, default=7860)
    studio.add_argument("--out", default="out/studio", help="成片与任务记录文件夹 / folder for clips and the job store")
    studio.add_argument("--auth", help="登录账号 用户名:密码（或 ANCHOR_STUDIO_AUTH）/ login user:password")
    studio.add_argument("--api-key", help="API 密钥（或 ANCHOR_API_KEY）/ key the HTTP API requires in X-API-Key")
    studio.add_argument("--workers", type=int, default=1, help="同时渲染数，>1 用 Dask / renders at a time (Dask when > 1)")
    studio.add_argument("--scheduler", help="Dask 集群地址 / address of a Dask scheduler")
    _webhook_arguments(studio, None)
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
    if args.audio_only:
        return _render_audio(args)
    from .ahead import SpeechAhead

    ahead = SpeechAhead(args.script, args.voice)  # first thing: it loads the voice while this process imports
    try:
        from ..pipeline import render, speech_jobs

        options = _render_options(args)
        ahead.send(speech_jobs(args.script, options))
        progress = None if args.quiet else _progress()
        return _done("clips", [_summary(clip) for clip in render(args.script, args.out, options, progress=progress,
                                                                 speech_ahead=ahead)])
    finally:
        ahead.close()


def _render_audio(args) -> int:
    from ..pipeline import render_audio

    options = _render_options(args)
    return _done("programmes", [_audio_summary(p) for p in render_audio(args.script, args.out, options, options.audio,
                                                                         None if args.quiet else _progress())])


def _render_options(args):
    from ..pipeline import RenderOptions, flash_options

    aspects = tuple(a for a in (args.aspect or "").split(",") if a.strip()) or None
    audio = _audio_options(args) if args.audio or args.audio_only else None
    options = RenderOptions(voice=args.voice, avatar=args.avatar, station=args.station, template=args.template,
                            aspects=aspects, preset=args.preset, split=args.split, audio=audio)
    return flash_options(options) if args.flash else options


def _bulletin(args) -> int:
    from dataclasses import replace

    from ..jobs import read_source
    from ..pipeline import RenderOptions, render_bulletin
    from ..script import load_script, parse_script

    scripts = []
    for job in read_source(args.source):
        script = load_script(job.source) if job.source else parse_script(job.text, job.fmt, stem=job.name,
                                                                         base_dir=job.base_dir or ".")
        scripts.append(replace(script, stem=job.name, voice=job.options.get("voice") or script.voice))
    options = RenderOptions(voice=args.voice, station=args.station)
    made = render_bulletin(scripts, args.out, args.name, args.title, options, _audio_options(args),
                           None if args.quiet else _progress())
    return _done("programmes", [_audio_summary(made)])


def _audio_arguments(parser) -> None:
    parser.add_argument("--wav", action="store_true", help="另出 24 位 WAV 母版 / also a 24-bit WAV master")
    parser.add_argument("--stereo", action="store_true", help="立体声（默认单声道，适合应急喇叭）/ stereo (default mono)")
    parser.add_argument("--loudness", type=float, metavar="LUFS", help="音频节目响度（默认 -23 LUFS，真峰值 ≤ -1 dBTP）/ "
                        "programme loudness (default -23 LUFS, true peak <= -1 dBTP)")
    parser.add_argument("--jingle", metavar="FILE|tone|none", help="片头片尾音乐：音频文件、tone（本软件的短提示音）或 none"
                        "（默认台标配置的 jingle）/ jingle before and after: a file, tone, or none (default: the station's)")


def _audio_options(args):
    from ..pipeline import AudioOptions

    return AudioOptions(wav=args.wav, stereo=args.stereo, loudness=args.loudness, jingle=args.jingle)


def _done(kind: str, summaries: list[dict]) -> int:
    """Warnings on stderr; on stdout one JSON line with every file made and the warnings."""
    warnings = list(dict.fromkeys(w for s in summaries for w in s.pop("warnings")))
    for warning in warnings:
        print(f"警告 / warning: {warning}", file=sys.stderr)
    print(json.dumps({kind: summaries, "warnings": warnings}, ensure_ascii=False))
    return 0


def _summary(clip) -> dict:
    """What the publish step needs to know about one clip: every file, by role."""
    return {"stem": clip.stem, "title": clip.info["title"], "duration": clip.info["duration"],
            "videos": {a: str(p) for a, p in clip.videos.items()}, "covers": {a: str(p) for a, p in clip.covers.items()},
            "subtitles": str(clip.subtitles), "webvtt": str(clip.webvtt), "metadata": str(clip.metadata),
            **({"audio": {k: str(p) for k, p in clip.audio.items()}} if clip.audio else {}),
            "warnings": clip.info["warnings"]}


def _audio_summary(made) -> dict:
    return {"stem": made.stem, "title": made.info["title"], "duration": made.info["duration"], "audio": str(made.audio),
            "wav": str(made.wav) if made.wav else None, "text": str(made.text), "metadata": str(made.metadata),
            "warnings": made.info["warnings"]}


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
        print(f"  {r['name']:<{width}}  {r['language']}  {r['engine']:<9}  {r['state_text']}{mark}{fallback}"
              f"  {r['title']}")
        if r["description"]:
            print(f"  {'':<{width}}      {r['description']}")
        print(f"  {'':<{width}}      {r['detail']}")
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
                           max_attempts=args.max_attempts, poll=args.poll, callback_url=args.callback_url,
                           webhook_secret=args.webhook_secret)
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


def _webhook_arguments(command, callback_help: str | None) -> None:
    if callback_help:
        command.add_argument("--callback-url", help=callback_help)
    command.add_argument("--webhook-secret", help="回调签名密钥（或 ANCHOR_WEBHOOK_SECRET）/ shared secret that signs "
                         "callbacks (HMAC-SHA256 in X-Anchor-Signature)")


def _studio(args) -> int:
    from .web import serve

    serve(args.host, args.port, args.out, args.auth, args.api_key, args.workers, args.scheduler, args.webhook_secret)
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
