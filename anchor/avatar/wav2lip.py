"""Neural lip-sync: a Wav2Lip-compatible network (the ``neural`` extra: torch), driven by the speech audio.

The network is defined here, layer for layer as in Prajwal et al., "A Lip Sync
Expert Is All You Need" (ACM MM 2020), so a user's Wav2Lip checkpoint
(``wav2lip.pth`` / ``wav2lip_gan.pth``, trained by them or licensed to them)
loads as it is.  No weights ship with anchor and none are downloaded: an avatar
pack names the checkpoint::

    lipsync: wav2lip
    wav2lip:
      checkpoint: models/wav2lip_gan.pth   # relative to the pack folder
      device: auto                          # auto (CUDA when there is one) | cpu | cuda
      batch_size: 32

Per video frame the network sees the face crop (96x96, its lower half masked,
beside the same face unmasked) and 0.2 s of mel spectrogram around the frame
(80 bands x 16 steps); it paints the lower half of the face.  Frames are
computed in batches ahead of the renderer; the new lower face is pasted back
with a feathered edge so no seam shows, and the eyes still blink (``warp``).
``width`` scales every layer's channels: 1.0 is the published network, tests
build a tiny random one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import AvatarError
from .face import Face
from .lipsync import Paste, Pose, Rect, SpeechAudio
from .warp import WarpLipSync

FACE_SIZE = 96
MEL_STEPS = 16  # mel frames per video frame's window (0.2 s)
MEL_RATE = 80  # mel frames per second (16 kHz audio, hop 200)


# -- audio: the mel spectrogram Wav2Lip was trained on (hparams of the original repository) --------

@dataclass(frozen=True)
class MelSettings:
    sample_rate: int = 16000
    n_fft: int = 800
    hop: int = 200
    win: int = 800
    n_mels: int = 80
    fmin: float = 55.0
    fmax: float = 7600.0
    preemphasis: float = 0.97
    min_level_db: float = -100.0
    ref_level_db: float = 20.0
    max_abs_value: float = 4.0


def melspectrogram(samples: np.ndarray, sample_rate: int, s: MelSettings = MelSettings()) -> np.ndarray:
    """(80, T) normalised log-mel spectrogram in [-4, 4], T = 80 per second of audio."""
    from math import gcd

    from scipy.signal import lfilter, resample_poly

    x = np.asarray(samples, np.float64)
    if sample_rate != s.sample_rate:
        g = gcd(sample_rate, s.sample_rate)
        x = resample_poly(x, s.sample_rate // g, sample_rate // g)
    x = lfilter([1, -s.preemphasis], [1], x)
    x = np.pad(x, s.n_fft // 2, mode="reflect") if len(x) > s.n_fft // 2 else np.pad(x, s.n_fft // 2)
    frames = np.lib.stride_tricks.sliding_window_view(x, s.n_fft)[::s.hop]
    window = np.hanning(s.win + 1)[:-1]  # periodic Hann, as librosa uses
    magnitude = np.abs(np.fft.rfft(frames * window, axis=1)).T
    mel = mel_filters(s) @ magnitude
    db = 20 * np.log10(np.maximum(10 ** (s.min_level_db / 20), mel)) - s.ref_level_db
    m = s.max_abs_value
    return np.clip(2 * m * (db - s.min_level_db) / -s.min_level_db - m, -m, m).astype(np.float32)


def mel_filters(s: MelSettings = MelSettings()) -> np.ndarray:
    """Slaney-style mel filterbank (n_mels, n_fft/2 + 1), area-normalised (librosa's default)."""
    def hz_to_mel(f):
        f = np.asarray(f, np.float64)
        linear = f / (200.0 / 3)
        return np.where(f >= 1000, 15 + np.log(np.maximum(f, 1e-10) / 1000) / (np.log(6.4) / 27), linear)

    def mel_to_hz(m):
        m = np.asarray(m, np.float64)
        return np.where(m >= 15, 1000 * np.exp((np.log(6.4) / 27) * (m - 15)), m * (200.0 / 3))

    edges = mel_to_hz(np.linspace(hz_to_mel(s.fmin), hz_to_mel(s.fmax), s.n_mels + 2))
    bins = np.linspace(0, s.sample_rate / 2, s.n_fft // 2 + 1)
    lower = (bins[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    upper = (edges[2:, None] - bins[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def mel_window(mel: np.ndarray, frame: int, fps: float) -> np.ndarray:
    """The (80, 16) mel window the network hears for video frame ``frame``: from 1/fps * frame seconds on."""
    start = int(MEL_RATE / fps * frame)
    if start + MEL_STEPS > mel.shape[1]:
        start = max(mel.shape[1] - MEL_STEPS, 0)
    window = mel[:, start:start + MEL_STEPS]
    if window.shape[1] < MEL_STEPS:  # shorter than 0.2 s of audio in all
        window = np.pad(window, ((0, 0), (0, MEL_STEPS - window.shape[1])), constant_values=-MelSettings.max_abs_value)
    return window


# -- the network ---------------------------------------------------------------------------

def build_network(width: float = 1.0):
    """The Wav2Lip generator with every layer's channels scaled by ``width`` (1.0: the published one)."""
    import torch
    from torch import nn

    def c(n: int) -> int:
        return max(int(round(n * width)), 1)

    class Conv(nn.Module):  # conv + batch norm + ReLU, optionally residual (named as in the original)
        def __init__(self, cin, cout, kernel, stride, padding, residual=False, transpose=False, output_padding=0):
            super().__init__()
            conv = (nn.ConvTranspose2d(cin, cout, kernel, stride, padding, output_padding) if transpose
                    else nn.Conv2d(cin, cout, kernel, stride, padding))
            self.conv_block = nn.Sequential(conv, nn.BatchNorm2d(cout))
            self.act = nn.ReLU()
            self.residual = residual

        def forward(self, x):
            out = self.conv_block(x)
            return self.act(out + x if self.residual else out)

    def down(cin, cout, stride, residuals, kernel=3, padding=1):
        """A stride-``stride`` conv then ``residuals`` same-size residual convs."""
        return [Conv(cin, cout, kernel, stride, padding)] + \
            [Conv(cout, cout, 3, 1, 1, residual=True) for _ in range(residuals)]

    def up(cin, cout, stride, residuals, padding=1, output_padding=1):
        return [Conv(cin, cout, 3, stride, padding, transpose=True, output_padding=output_padding)] + \
            [Conv(cout, cout, 3, 1, 1, residual=True) for _ in range(residuals)]

    class Wav2Lip(nn.Module):
        def __init__(self):
            super().__init__()
            f = [c(n) for n in (16, 32, 64, 128, 256, 512)]
            self.face_encoder_blocks = nn.ModuleList([
                nn.Sequential(Conv(6, f[0], 7, 1, 3)),  # 96x96
                nn.Sequential(*down(f[0], f[1], 2, 2)),  # 48
                nn.Sequential(*down(f[1], f[2], 2, 3)),  # 24
                nn.Sequential(*down(f[2], f[3], 2, 2)),  # 12
                nn.Sequential(*down(f[3], f[4], 2, 2)),  # 6
                nn.Sequential(*down(f[4], f[5], 2, 1)),  # 3
                nn.Sequential(Conv(f[5], f[5], 3, 1, 0), Conv(f[5], f[5], 1, 1, 0)),  # 1
            ])
            a = [c(n) for n in (32, 64, 128, 256, 512)]
            self.audio_encoder = nn.Sequential(
                *down(1, a[0], 1, 2), *down(a[0], a[1], (3, 1), 2), *down(a[1], a[2], 3, 2),
                *down(a[2], a[3], (3, 2), 1), Conv(a[3], a[4], 3, 1, 0), Conv(a[4], a[4], 1, 1, 0))
            d = [c(n) for n in (512, 512, 512, 384, 256, 128, 64)]
            self.face_decoder_blocks = nn.ModuleList([
                nn.Sequential(Conv(a[4], d[0], 1, 1, 0)),
                nn.Sequential(*up(d[0] + f[5], d[1], 1, 1, padding=0, output_padding=0)),  # 3x3
                nn.Sequential(*up(d[1] + f[5], d[2], 2, 2)),  # 6
                nn.Sequential(*up(d[2] + f[4], d[3], 2, 2)),  # 12
                nn.Sequential(*up(d[3] + f[3], d[4], 2, 2)),  # 24
                nn.Sequential(*up(d[4] + f[2], d[5], 2, 2)),  # 48
                nn.Sequential(*up(d[5] + f[1], d[6], 2, 2)),  # 96
            ])
            self.output_block = nn.Sequential(Conv(d[6] + f[0], c(32), 3, 1, 1), nn.Conv2d(c(32), 3, 1, 1, 0),
                                              nn.Sigmoid())

        def forward(self, audio, faces):
            """audio (B, 1, 80, 16), faces (B, 6, 96, 96) -> lower-face pictures (B, 3, 96, 96) in [0, 1];
            or sequences: audio (B, T, 1, 80, 16), faces (B, 6, T, 96, 96) -> (B, 3, T, 96, 96)."""
            batch = audio.size(0)
            sequence = faces.dim() > 4
            if sequence:
                audio = torch.cat([audio[:, t] for t in range(audio.size(1))], dim=0)
                faces = torch.cat([faces[:, :, t] for t in range(faces.size(2))], dim=0)
            x = self.audio_encoder(audio)
            skips = []
            y = faces
            for block in self.face_encoder_blocks:
                y = block(y)
                skips.append(y)
            for block in self.face_decoder_blocks:
                x = torch.cat((block(x), skips.pop()), dim=1)
            out = self.output_block(x)
            return torch.stack(torch.split(out, batch, dim=0), dim=2) if sequence else out

    return Wav2Lip()


def load_network(checkpoint: Path, device: str = "auto"):
    """A Wav2Lip network with the weights in ``checkpoint`` (its width read from them), in eval mode."""
    try:
        import torch
    except ImportError:
        raise AvatarError("神经网络口型需要安装 neural 扩展：pip install 'anchor[neural]'",
                          "neural lip-sync needs the neural extra: pip install 'anchor[neural]'") from None
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise AvatarError(f"找不到 Wav2Lip 模型文件：{checkpoint}（本软件不附带、也不下载模型）",
                          f"Wav2Lip checkpoint not found: {checkpoint} (anchor ships and downloads none)")
    device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    try:
        stored = torch.load(checkpoint, map_location="cpu", weights_only=True)
        state = stored.get("state_dict", stored) if isinstance(stored, dict) else stored
        state = {k.removeprefix("module."): v for k, v in state.items()}
        width = state["face_encoder_blocks.0.0.conv_block.0.weight"].shape[0] / 16
        network = build_network(width)
        network.load_state_dict(state)
    except (KeyError, RuntimeError, ValueError, AttributeError, OSError) as e:
        raise AvatarError(f"Wav2Lip 模型文件无法使用：{checkpoint}（{str(e)[:200]}）",
                          f"not a usable Wav2Lip checkpoint: {checkpoint} ({str(e)[:200]})") from None
    return network.to(device).eval(), device


# -- the lip-sync method -------------------------------------------------------------------

class Wav2LipSync:
    """``lipsync: wav2lip``: the network paints the lower face; the warp method blinks the eyes."""

    name = "wav2lip"

    def __init__(self, checkpoint: str | Path, device: str = "auto", batch_size: int = 32, network=None):
        self.batch_size = int(batch_size)
        if network is None:
            self.network, self.device = load_network(Path(checkpoint), device)
        else:  # an already built network (tests, or a caller sharing one between avatars)
            self.network, self.device = network, next(network.parameters()).device.type

    def parts(self, picture: np.ndarray, face: Face) -> Wav2LipParts:
        eyes = WarpLipSync(mouth=False).parts(picture, face)
        return Wav2LipParts(picture, face, self.network, self.device, self.batch_size, eyes)


def face_box(face: Face, shape: tuple) -> Rect:
    """The square crop the network expects: brows to just below the chin, cheek to cheek."""
    (x0, y0), (x1, y1) = face.points.min(axis=0), face.points.max(axis=0)
    size = max(x1 - x0, (y1 - y0) * 1.05)
    cx, top = (x0 + x1) / 2, y0 + 0.12 * (y1 - y0)  # the mesh's top is the forehead; the network's crop starts lower
    x, y = int(round(cx - size / 2)), int(round(top))
    size = int(round(size))
    x, y = min(max(x, 0), shape[1] - size), min(max(y, 0), shape[0] - size)
    return x, y, size, size


class Wav2LipParts:
    """Lower-face patches painted by the network for each frame, computed ``batch_size`` frames at a time."""

    def __init__(self, picture: np.ndarray, face: Face, network, device: str, batch_size: int, eyes):
        import torch

        self.network, self.device, self.batch_size, self.eyes = network, device, max(batch_size, 1), eyes
        self.box = face_box(face, picture.shape)
        x, y, size, _ = self.box
        self.crop = picture[y:y + size, x:x + size].copy()  # RGBA
        self.top = int(size * 0.45)  # the patch covers the box from here down: mouth, jaw and chin
        face96 = cv2.resize(cv2.cvtColor(self.crop, cv2.COLOR_RGBA2BGR), (FACE_SIZE, FACE_SIZE),
                            interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        masked = face96.copy()
        masked[FACE_SIZE // 2:] = 0  # the network must paint the lower half itself
        faces = np.concatenate([masked, face96], axis=2).transpose(2, 0, 1)
        self.face_input = torch.from_numpy(np.ascontiguousarray(faces))[None]
        self.weight = _feather(size, self.top)
        self._mel: tuple[SpeechAudio, np.ndarray] | None = None
        self._done: dict[int, np.ndarray] = {}
        self.batches_run = 0

    def rects(self) -> list[Rect]:
        x, y, size, _ = self.box
        return [(x, y + self.top, size, size - self.top), *self.eyes.rects()]

    def patches(self, pose: Pose) -> Iterator[Paste]:
        if pose.audio is not None:
            x, y, size, _ = self.box
            yield x, y + self.top, self.lower_face(pose.frame, pose.audio)
        yield from self.eyes.patches(pose)

    def lower_face(self, frame: int, audio: SpeechAudio) -> np.ndarray:
        """The painted lower face for ``frame`` (RGBA), running the next batch when it is not ready."""
        if frame not in self._done:
            self._run_batch(frame, audio)
        return self._done[frame]

    def mel(self, audio: SpeechAudio) -> np.ndarray:
        if self._mel is None or self._mel[0] is not audio:
            self._mel = (audio, melspectrogram(audio.samples, audio.sample_rate))
        return self._mel[1]

    def _run_batch(self, first: int, audio: SpeechAudio) -> None:
        import torch

        mel = self.mel(audio)
        last_frame = max(int(len(audio.samples) / audio.sample_rate * audio.fps), first + 1)
        frames = list(range(first, min(first + self.batch_size, last_frame)))
        windows = np.stack([mel_window(mel, i, audio.fps) for i in frames])[:, None]  # (B, 1, 80, 16)
        with torch.no_grad():
            out = self.network(torch.from_numpy(windows).to(self.device),
                               self.face_input.expand(len(frames), -1, -1, -1).to(self.device))
        painted = (out.permute(0, 2, 3, 1).cpu().numpy() * 255).clip(0, 255).astype(np.uint8)
        self.batches_run += 1
        self._done = {i: self._paste_back(p) for i, p in zip(frames, painted)}

    def _paste_back(self, painted_bgr: np.ndarray) -> np.ndarray:
        """The network's 96x96 face scaled to the crop, feathered into the original lower face."""
        size = self.crop.shape[0]
        painted = cv2.resize(cv2.cvtColor(painted_bgr, cv2.COLOR_BGR2RGB), (size, size), interpolation=cv2.INTER_CUBIC)
        lower = self.crop[self.top:]
        rgb = cv2.blendLinear(painted[self.top:], cv2.cvtColor(lower, cv2.COLOR_RGBA2RGB), self.weight, 1 - self.weight)
        return cv2.merge([*cv2.split(rgb), lower[..., 3]])


def _feather(size: int, top: int) -> np.ndarray:
    """Paste weight over the lower face: 0 at every edge of the patch, 1 over mouth and chin."""
    ys = np.arange(top, size, dtype=np.float32)
    xs = np.arange(size, dtype=np.float32)
    rise = np.clip((ys - top) / (0.12 * size), 0, 1) * np.clip((size - 1 - ys) / (0.06 * size), 0, 1)
    side = np.clip(np.minimum(xs, size - 1 - xs) / (0.14 * size), 0, 1)
    weight = np.outer(rise, side)
    return (weight * weight * (3 - 2 * weight)).astype(np.float32)
