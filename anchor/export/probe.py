"""Read a finished MP4 back: stream parameters, tags, faststart, frames and audio.

Used by the tests and by the CLI's self-check.  Pure Python plus PyAV (the
FFmpeg libraries bundled in the ``av`` wheel); no ffprobe needed.

``format_tags`` is what ``ffprobe -show_format`` lists under TAGS: PyAV's
``container.metadata`` comes from the same libavformat MP4 demuxer, which
reads the ``moov/udta/meta`` keys written with ``-movflags use_metadata_tags``
(the ``AIGC`` label among them).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path

import av
import numpy as np

# FFmpeg's enum values (libavutil/pixfmt.h) -> the names ffprobe prints
_PRIMARIES = {1: "bt709", 2: "unknown", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film",
              9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
_TRC = {1: "bt709", 2: "unknown", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "linear",
        11: "iec61966-2-4", 13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084",
        18: "arib-std-b67"}
_SPACE = {0: "gbr", 1: "bt709", 2: "unknown", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
          8: "ycgco", 9: "bt2020nc", 10: "bt2020c"}
_RANGE = {0: "unknown", 1: "tv", 2: "pc"}


def _name(table: dict[int, str], value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, str):
        return value
    return table.get(int(value), str(int(value)))


@dataclass(frozen=True)
class ProbeResult:
    width: int
    height: int
    fps: float
    video_codec: str
    profile: str | None
    pix_fmt: str | None
    color_primaries: str
    color_trc: str
    colorspace: str
    color_range: str
    video_duration: float
    video_frames: int
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None
    audio_duration: float | None
    format_tags: dict[str, str] = field(default_factory=dict)
    faststart: bool = False
    top_level_boxes: tuple[str, ...] = ()
    size_bytes: int = 0


def top_level_boxes(path: str | os.PathLike) -> list[tuple[str, int, int]]:
    """(type, offset, size) of each top-level ISO-BMFF box, read from the headers only."""
    boxes = []
    size_total = os.path.getsize(path)
    with open(path, "rb") as f:
        offset = 0
        while offset + 8 <= size_total:
            f.seek(offset)
            size, kind = struct.unpack(">I4s", f.read(8))
            if size == 1:  # 64-bit size follows
                (size,) = struct.unpack(">Q", f.read(8))
            elif size == 0:  # box runs to the end of the file
                size = size_total - offset
            if size < 8:
                break  # corrupt: stop rather than loop
            boxes.append((kind.decode("latin-1"), offset, size))
            offset += size
    return boxes


def is_faststart(path: str | os.PathLike) -> bool:
    """True when the top-level ``moov`` box comes before the first ``mdat`` (playable while downloading)."""
    kinds = [k for k, _, _ in top_level_boxes(path)]
    return "moov" in kinds and "mdat" in kinds and kinds.index("moov") < kinds.index("mdat")


def _seconds(value, time_base) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _stream_duration(container, stream) -> float:
    """Stream duration from its header; failing that, from the last packet's pts + duration."""
    d = _seconds(stream.duration, stream.time_base)
    if d:
        return d
    end = 0.0
    for packet in container.demux(stream):
        if packet.pts is not None:
            end = max(end, float((packet.pts + (packet.duration or 0)) * stream.time_base))
    container.seek(0)
    return end - (_seconds(stream.start_time, stream.time_base) or 0.0)


def probe(path: str | os.PathLike) -> ProbeResult:
    path = Path(path)
    with av.open(str(path)) as container:
        tags = {str(k): str(v) for k, v in (container.metadata or {}).items()}
        v = container.streams.video[0]
        cc = v.codec_context
        rate = v.average_rate or v.guessed_rate or v.base_rate
        video_duration = _stream_duration(container, v)
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_duration = _stream_duration(container, audio) if audio is not None else None
        result = ProbeResult(
            width=cc.width, height=cc.height, fps=float(rate) if rate else 0.0,
            video_codec=cc.name, profile=cc.profile, pix_fmt=cc.pix_fmt,
            color_primaries=_name(_PRIMARIES, cc.color_primaries), color_trc=_name(_TRC, cc.color_trc),
            colorspace=_name(_SPACE, cc.colorspace), color_range=_name(_RANGE, cc.color_range),
            video_duration=video_duration, video_frames=int(v.frames or 0),
            audio_codec=audio.codec_context.name if audio is not None else None,
            audio_rate=audio.codec_context.sample_rate if audio is not None else None,
            audio_channels=audio.codec_context.channels if audio is not None else None,
            audio_duration=audio_duration,
            format_tags=tags,
        )
    boxes = top_level_boxes(path)
    kinds = tuple(k for k, _, _ in boxes)
    return replace(result, faststart=is_faststart(path), top_level_boxes=kinds, size_bytes=path.stat().st_size)


def read_frames(path: str | os.PathLike, times: list[float]) -> list[np.ndarray]:
    """HxWx3 uint8 RGB frames nearest each of ``times`` (seconds), in the order asked.

    Decodes once, from the keyframe before the earliest time, converting only the frames asked for.
    """
    if not times:
        return []
    with av.open(str(path)) as container:
        v = container.streams.video[0]
        v.thread_type = "AUTO"
        fps = float(v.average_rate or v.guessed_rate)
        tb = v.time_base
        start = _seconds(v.start_time, tb) or 0.0
        n = int(v.frames or 0)
        last = n - 1 if n else None
        wanted: dict[int, list[int]] = {}
        for i, t in enumerate(times):
            index = max(0, round(float(t) * fps))
            if last is not None:
                index = min(index, last)
            wanted.setdefault(index, []).append(i)
        first = min(wanted)
        if first / fps > 1.0:
            container.seek(int((start + first / fps - 0.5) / tb), stream=v, backward=True, any_frame=False)
        out: list[np.ndarray | None] = [None] * len(times)
        latest = None
        for frame in container.decode(v):
            index = round(((frame.time or 0.0) - start) * fps)
            latest = frame
            if index in wanted:
                rgb = frame.to_ndarray(format="rgb24")
                for i in wanted.pop(index):
                    out[i] = rgb
            if not wanted or index > max(wanted):
                break
        if wanted:  # asked past the end: give the last frame
            rgb = latest.to_ndarray(format="rgb24") if latest is not None else None
            for indices in wanted.values():
                for i in indices:
                    out[i] = rgb
    if any(f is None for f in out):
        raise ValueError(f"could not decode frames at {times} from {path}")
    return out  # type: ignore[return-value]


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """The first audio stream decoded to mono float32 (mean of the channels) and its sample rate.

    Trimmed to the stream's duration, so the AAC encoder's padding is not included.
    """
    with av.open(str(path)) as container:
        a = container.streams.audio[0]
        rate = a.codec_context.sample_rate
        chunks = []
        for frame in container.decode(a):
            x = frame.to_ndarray()
            if np.issubdtype(x.dtype, np.integer):  # s16/s32 decoders: scale to -1..1
                x = x.astype(np.float32) / np.float32(np.iinfo(x.dtype).max + 1)
            if frame.format.is_planar:  # (channels, samples)
                mono = x.mean(axis=0) if x.shape[0] > 1 else x[0]
            else:  # packed: (1, samples * channels)
                ch = len(frame.layout.channels)
                mono = x.reshape(-1, ch).mean(axis=1)
            chunks.append(np.asarray(mono, dtype=np.float32))
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        duration = _seconds(a.duration, a.time_base)
        if duration:
            samples = samples[: round(duration * rate)]
    if samples.dtype != np.float32:
        samples = samples.astype(np.float32)
    return samples, int(rate)


__all__ = ["ProbeResult", "probe", "read_frames", "read_audio", "is_faststart", "top_level_boxes"]


def loudness(path: str | os.PathLike) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of a file's audio as a player hears it
    (all channels, ITU-R BS.1770 / EBU R128), measured by the bundled ffmpeg's ebur128 filter."""
    import re
    import subprocess

    from ..audio import ffmpeg_exe

    err = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
                          "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    summary = err[err.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    p = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    if not i or not p:
        raise ValueError(f"no loudness summary for {path}: {err.strip()[-300:]}")
    return float(i.group(1)), float(p.group(1))
