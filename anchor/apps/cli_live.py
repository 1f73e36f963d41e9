"""The ``anchor live`` command: a playlist streamed as HLS and/or RTMP (see :mod:`anchor.live`)."""

from __future__ import annotations

import json


def add_live_command(commands) -> None:
    live = commands.add_parser("live", help="直播频道：播单实时推流为 HLS / RTMP / a live channel: a playlist "
                               "streamed as HLS and/or RTMP in real time")
    live.add_argument("playlist", help="播单：监视的稿件文件夹，或清单 CSV/JSONL/YAML / a watched folder of scripts, "
                      "or a manifest")
    live.add_argument("--hls", metavar="DIR", help="HLS 输出文件夹（index.m3u8）/ write an HLS stream here")
    live.add_argument("--rtmp", metavar="URL", help="RTMP 推流地址 / push FLV to this RTMP ingest URL")
    live.add_argument("--out", default="out/live", help="队列、已备播成片与状态 live.json 的文件夹 / folder for the "
                      "queue, the clips made for air and the health file live.json")
    live.add_argument("--aspect", default="9:16", choices=("9:16", "16:9"), help="画面 / 1080x1920 or 1920x1080")
    live.add_argument("--loop", action="store_true", help="播完回到队尾循环播出 / loop the playlist")
    live.add_argument("--segment", type=int, default=4, help="HLS 分片秒数（2–6，偶数）/ HLS segment seconds")
    live.add_argument("--window", type=int, default=6, help="HLS 播放列表保留的分片数 / segments in the HLS playlist")
    live.add_argument("--max-silence", type=float, default=1.0, help="成片中超过此秒数的静音段垫上音乐 / a quiet "
                      "stretch of a clip this long or longer gets the music bed under it")
    live.add_argument("--bitrate", default="3M", help="视频码率 / video bitrate")
    live.add_argument("--voice", help="语音预设 / voice preset for every item")
    live.add_argument("--avatar", help="主播形象 / avatar pack for every item and the interval")
    live.add_argument("--station", help="台标配置 / station.yaml path")
    live.add_argument("--seconds", type=float, help="播出多少秒后停止（测试、基准）/ stop after this many seconds")
    live.set_defaults(run=_live)


def _live(args) -> int:
    from ..live import LiveOptions, run_live

    options = LiveOptions(hls_dir=args.hls, rtmp_url=args.rtmp, aspect=args.aspect, loop=args.loop,
                          segment_seconds=args.segment, window=args.window, max_silence=args.max_silence,
                          video_bitrate=args.bitrate, voice=args.voice, avatar=args.avatar, station=args.station)
    health = run_live(args.playlist, args.out, options, args.seconds)
    print(json.dumps({k: health[k] for k in ("seconds", "frames", "frames_late", "frames_dropped", "max_lag_ms",
                                             "encoder_behind_ms", "cpu_mean", "outputs", "latency")},
                     ensure_ascii=False))
    return 0
