"""The export stage: frames and sound -> the files a newsroom publishes.

- ``writer``: H.264/AAC MP4 through the ffmpeg binary (:class:`ClipWriter`, :class:`ExportPreset`);
- ``presets``: platform presets (Douyin, Kuaishou, Channels, Bilibili, broadcast) and the
  encoder settings per aspect;
- ``sidecars``: a finished :class:`Clip`'s files: subtitles (SRT, WebVTT), the cover JPEG, the metadata JSON;
- ``audiofile``: an audio programme's MP3 and WAV master, mastered to broadcast loudness, with ID3 tags,
  the AIGC label and chapters (:func:`write_audio_master`, :class:`AudioMaster`, :class:`AudioClip`);
- ``aigc``: the implicit AI-generated label (the ``AIGC`` tag of 《人工智能生成合成内容标识办法》);
- ``probe``: reading a finished file back (streams, frames, audio) without ffprobe;
- ``syncheck``: how well a finished clip's mouth follows its sound.
"""

from .aigc import aigc_json, aigc_label
from .audiofile import AudioClip, AudioMaster, Chapter, write_audio_master
from .presets import Platform, export_settings, list_platforms, load_platform
from .sidecars import Clip, file_entry, to_srt, to_vtt, write_cover, write_metadata, write_subtitles
from .writer import ClipWriter, ExportPreset, widen_pipe

__all__ = ["AudioClip", "AudioMaster", "Chapter", "Clip", "ClipWriter", "ExportPreset", "Platform", "aigc_json",
           "aigc_label", "export_settings", "file_entry", "list_platforms", "load_platform", "to_srt", "to_vtt",
           "write_audio_master", "write_cover", "write_metadata", "write_subtitles", "widen_pipe"]
