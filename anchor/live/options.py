"""What a live channel is asked to do: :class:`LiveOptions`."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError

LIVE_ASPECTS = ("9:16", "16:9")
FPS = 25
AUDIO_RATE = 48000


@dataclass(frozen=True)
class LiveOptions:
    """One channel: where it streams, its picture, and how its playlist is run."""

    hls_dir: str | None = None  # an HLS stream written here (index.m3u8 and its segments)
    rtmp_url: str | None = None  # and/or pushed as FLV to this RTMP ingest
    aspect: str = "9:16"  # 1080x1920, or 16:9 for 1920x1080
    loop: bool = False  # an aired item goes back to the end of the queue
    segment_seconds: int = 4  # HLS target segment length (2-6 s)
    window: int = 6  # segments kept in the rolling HLS playlist; older ones are deleted
    max_silence: float = 1.0  # a quiet stretch of a clip this long (title card, outro) gets the music bed under it
    video_bitrate: str = "3M"
    x264_preset: str = "veryfast"
    voice: str | None = None  # overrides each script's voice (RenderOptions.voice)
    avatar: str | None = None  # the anchor of every item and of the interval
    station: str | None = None  # station.yaml; default: the repo's (or ANCHOR_STATION)
    poll: float = 1.0  # seconds between looks at a watched folder
    render_nice: int = 10  # the renderer runs at this lower priority so the playout never waits for a core
    lead_seconds: float = 1.0  # frames reach the encoder up to this far ahead of their air time

    def __post_init__(self) -> None:
        if not self.hls_dir and not self.rtmp_url:
            raise InputError("请指定 --hls 文件夹或 --rtmp 地址（或两者）", "give --hls DIR and/or --rtmp URL")
        if self.aspect not in LIVE_ASPECTS:
            raise InputError(f"直播画面比例只能是 {' 或 '.join(LIVE_ASPECTS)}，收到 {self.aspect}",
                             f"a live channel is {' or '.join(LIVE_ASPECTS)}, not {self.aspect}")
        if not 2 <= self.segment_seconds <= 6:
            raise InputError(f"HLS 分片时长应为 2–6 秒，收到 {self.segment_seconds}",
                             f"HLS segments are 2-6 s long, not {self.segment_seconds}")
        if self.segment_seconds % 2:
            raise InputError("HLS 分片时长应为偶数秒（每 2 秒一个关键帧）",
                             "HLS segment length must be a whole number of 2 s key-frame intervals")
        if self.window < 3:
            raise InputError("HLS 播放列表至少保留 3 个分片", "the HLS playlist keeps at least 3 segments")
        if not 0.5 <= self.max_silence <= 5:
            raise InputError(f"最长静音应为 0.5–5 秒，收到 {self.max_silence}",
                             f"the longest silence is 0.5-5 s, not {self.max_silence}")
        if not 0 <= self.lead_seconds <= 5:
            raise InputError(f"提前量应为 0–5 秒，收到 {self.lead_seconds}", f"the lead is 0-5 s, not {self.lead_seconds}")
        if self.rtmp_url and not self.rtmp_url.startswith(("rtmp://", "rtmps://")):
            raise InputError(f"RTMP 地址应以 rtmp:// 开头：{self.rtmp_url}",
                             f"an RTMP URL starts with rtmp://: {self.rtmp_url}")

    @property
    def size(self) -> tuple[int, int]:
        return (1080, 1920) if self.aspect == "9:16" else (1920, 1080)
