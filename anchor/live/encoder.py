"""The channel's one encoder and the outputs it feeds.

:class:`LiveEncoder` runs one ffmpeg: rgb24 frames on stdin, 16-bit mono sound through a FIFO (written
from its own thread: ffmpeg opens its inputs one after the other, so a single writer would wait on
itself), H.264 with a key frame every 2 s and AAC out as MPEG-TS on stdout.  Each :class:`Output`
remuxes that stream without re-encoding (``-c copy``) in its own ffmpeg: the rolling HLS playlist, or
FLV pushed to an RTMP server.  An output that fails (the RTMP server goes away) is restarted with a
growing pause, from the stream as it is then; the encoder and the other outputs never wait for it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from ..audio import ffmpeg_exe
from ..errors import AnchorError
from ..export import widen_pipe
from .options import AUDIO_RATE, FPS, LiveOptions

TS_CHUNK = 188 * 64  # whole MPEG-TS packets, so an output that starts late starts on a packet
BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0)  # seconds before each retry of a failed output; then every 8 s
OUTPUT_BUFFER_S = 4.0  # an output further behind than this is dropped and restarted


class EncoderError(AnchorError):
    """The live encoder stopped (ffmpeg exited)."""


class LiveEncoder:
    def __init__(self, options: LiveOptions, service: dict[str, str], outputs: list["Output"]):
        self.options, self.service, self.outputs = options, service, outputs
        self.drop_frames = self.dup_frames = 0
        # the latest (monotonic) time stream time 0 could have gone on air, from ffmpeg's progress: when it said so,
        # less the seconds of stream it had encoded by then; later than the channel's start = behind the clock
        self.latest_start: float | None = None
        self._audio: queue.Queue[bytes | None] = queue.Queue(maxsize=4 * FPS)

    def start(self) -> "LiveEncoder":
        width, height = self.options.size
        self._fifo_dir = tempfile.mkdtemp(prefix="anchor-live-")
        fifo = os.path.join(self._fifo_dir, "audio.s16")
        os.mkfifo(fifo)
        gop = 2 * FPS
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:2",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(FPS),
               "-thread_queue_size", "64", "-i", "pipe:0",
               "-f", "s16le", "-ar", str(AUDIO_RATE), "-ac", "1", "-thread_queue_size", "256", "-i", fifo,
               "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", self.options.x264_preset,
               "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-g", str(gop), "-keyint_min", str(gop),
               "-sc_threshold", "0", "-b:v", self.options.video_bitrate, "-maxrate", self.options.video_bitrate,
               "-bufsize", _double(self.options.video_bitrate), "-c:a", "aac", "-b:a", "128k",
               "-ar", str(AUDIO_RATE)]
        for key, value in self.service.items():
            cmd += ["-metadata", f"{key}={value}"]
        cmd += ["-f", "mpegts", "-muxdelay", "0", "-muxpreload", "0", "-flush_packets", "1", "pipe:1"]
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        bufsize=0)
        widen_pipe(self.process.stdin)
        self.errors: list[str] = []
        self._threads = [threading.Thread(target=target, args=args, daemon=True, name=name) for target, args, name in (
            (self._write_audio, (fifo,), "live-audio"), (self._fan_out, (), "live-fan-out"),
            (self._read_progress, (), "live-progress"))]
        for thread in self._threads:
            thread.start()
        for output in self.outputs:
            output.start()
        return self

    def write(self, frame: np.ndarray, sound: np.ndarray) -> None:
        """One frame's picture (HxWx3 uint8) and sound (``AUDIO_RATE / FPS`` int16 samples)."""
        if self.process.poll() is not None:
            raise EncoderError("直播编码器意外退出：" + "; ".join(self.errors[-3:]),
                               "the live encoder exited: " + "; ".join(self.errors[-3:]))
        self._audio.put(sound.astype("<i2").tobytes())
        self.process.stdin.write(memoryview(np.ascontiguousarray(frame)).cast("B"))

    def close(self) -> None:
        """End the stream: the encoder flushes, each output writes its last segment or closes its connection."""
        self._audio.put(None)
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        for thread in self._threads:
            thread.join(timeout=5)
        for output in self.outputs:
            output.close()
        for name in os.listdir(self._fifo_dir):
            os.unlink(os.path.join(self._fifo_dir, name))
        os.rmdir(self._fifo_dir)

    def pids(self) -> list[int]:
        return [self.process.pid] + [o.process.pid for o in self.outputs if o.process is not None]

    def _write_audio(self, fifo: str) -> None:
        with open(fifo, "wb", buffering=0) as sink:
            while (chunk := self._audio.get()) is not None:
                try:
                    sink.write(chunk)
                except BrokenPipeError:
                    return

    def _fan_out(self) -> None:
        while chunk := self.process.stdout.read(TS_CHUNK):
            for output in self.outputs:
                output.feed(chunk)
        for output in self.outputs:
            output.feed(None)

    def _read_progress(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").strip()
            key, sep, value = line.partition("=")
            if sep and key in ("drop_frames", "dup_frames"):
                setattr(self, key, int(value))
            elif sep and key == "out_time_us" and value.lstrip("-").isdigit():
                start = time.monotonic() - int(value) / 1e6
                self.latest_start = start if self.latest_start is None else max(self.latest_start, start)
            elif not sep and line:
                self.errors.append(line)


class Output:
    """One destination of the stream (``hls`` or ``rtmp``): an ffmpeg remuxing MPEG-TS from its stdin."""

    def __init__(self, name: str, command: list[str], log=print):
        self.name, self.command, self.log = name, command, log
        self.process: subprocess.Popen | None = None
        self.restarts, self.ok, self.last_error = 0, False, ""
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=int(OUTPUT_BUFFER_S * 400_000 / TS_CHUNK) + 8)
        self._closed = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"live-{self.name}")
        self._thread.start()

    def feed(self, chunk: bytes | None) -> None:
        try:
            self._chunks.put_nowait(chunk)
        except queue.Full:  # it has stopped taking the stream: start it again from now
            self._drain()
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
            if chunk is not None:
                self._chunks.put_nowait(chunk)

    def close(self) -> None:
        self._closed.set()
        self.feed(None)
        self._thread.join(timeout=15)
        if self.process is not None and self.process.poll() is None:
            self.process.kill()

    def health(self) -> dict:
        return {"ok": self.ok, "restarts": self.restarts, "error": self.last_error}

    def _run(self) -> None:
        failures = 0
        while not self._closed.is_set():
            self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE, bufsize=0)
            started, ended = time.monotonic(), False
            self.ok = True
            while True:
                chunk = self._chunks.get()
                if chunk is None:
                    ended = True
                    break
                try:
                    self.process.stdin.write(chunk)
                except (BrokenPipeError, OSError):
                    break
            try:
                self.process.stdin.close()
            except OSError:
                pass
            code = self.process.wait() if ended else _reap(self.process)
            self.ok = False
            if ended or self._closed.is_set():
                return
            self.last_error = (self.process.stderr.read() or b"").decode("utf-8", "replace").strip()[-300:]
            failures = 0 if time.monotonic() - started > 30 else failures + 1
            pause = BACKOFF[min(failures, len(BACKOFF) - 1)]
            self.log(f"直播输出 {self.name} 中断（{code}），{pause:g} 秒后重连 / output {self.name} failed "
                     f"({code}: {self.last_error.splitlines()[-1] if self.last_error else ''}); retrying in {pause:g} s")
            self._closed.wait(pause)
            self._drain()  # reconnect on the live stream, not on what piled up while it was away
            self.restarts += 1

    def _drain(self) -> None:
        try:
            while True:
                if self._chunks.get_nowait() is None:
                    self._closed.set()
        except queue.Empty:
            pass


def hls_output(folder: str | Path, options: LiveOptions, log=print) -> Output:
    """The rolling HLS playlist ``folder/index.m3u8``: ``options.window`` segments of ``segment_seconds``;
    a restarted channel appends to the playlist it left (numbering continues, a discontinuity marked)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    flags = "delete_segments+independent_segments+program_date_time+temp_file"
    if (folder / "index.m3u8").exists():
        flags += "+append_list+discont_start"
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "mpegts", "-i", "pipe:0", "-c", "copy",
           "-f", "hls", "-hls_time", str(options.segment_seconds), "-hls_list_size", str(options.window),
           "-hls_delete_threshold", "2", "-hls_flags", flags,
           "-hls_segment_filename", str(folder / "seg-%06d.ts"), str(folder / "index.m3u8")]
    return Output("hls", cmd, log)


def rtmp_output(url: str, metadata: dict[str, str], log=print) -> Output:
    """FLV to an RTMP ingest; the AIGC label rides in the stream's onMetaData."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "mpegts", "-i", "pipe:0", "-c", "copy"]
    for key, value in metadata.items():
        cmd += ["-metadata", f"{key}={value}"]
    return Output("rtmp", cmd + ["-f", "flv", "-flvflags", "no_duration_filesize", url], log)


def write_label(folder: str | Path, label: dict) -> None:
    """The implicit AIGC label beside the HLS playlist (MPEG-TS has no field for it)."""
    (Path(folder) / "aigc.json").write_text(json.dumps(label, ensure_ascii=False, indent=1), encoding="utf-8")


def _double(rate: str) -> str:
    number, unit = (rate[:-1], rate[-1]) if rate[-1].isalpha() else (rate, "")
    return f"{2 * float(number):g}{unit}"


def _reap(process: subprocess.Popen) -> int:
    try:
        return process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
