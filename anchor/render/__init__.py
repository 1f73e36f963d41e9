"""The render stage: a story's script, speech, look and anchor -> its frames and its sound.

- ``plan``: where the speech, stingers, lower thirds, ticker texts and B-roll sit on the
  clip's clock (:func:`plan_story` -> :class:`Plan`), once per story for every aspect;
- ``scene``: that plan laid out for one aspect: the studio with its anchor, the timed
  layers, the subtitles as they come up, the cover picture;
- ``compose``: every frame from the anchors' performances and the layers, redrawing only
  dirty rectangles, cutting between anchors where a desk's shots say;
- ``mix``: the clip's sound (speech on the clock, the idents' sound, a ducked music bed);
- ``programme``: an audio programme's sound (jingle, the spoken AI notice, items, beds between them).
"""

from .compose import Seat, Shot, compose_changes, compose_frames, one_opencv_thread
from .mix import clip_mix, load_audio, mix_music, place, speech_track
from .plan import Plan, Timing, paragraph_spans, plan_story, speaker_shots, stinger_seconds
from .programme import Part, Programme, build_programme, chime
from .scene import check_broll, cover_frame, scene_layers, studio_set, subtitle_layers

__all__ = ["Part", "Plan", "Programme", "Seat", "Shot", "Timing", "build_programme", "check_broll", "chime", "clip_mix",
           "compose_changes", "compose_frames", "cover_frame", "load_audio", "mix_music", "one_opencv_thread",
           "paragraph_spans", "place", "plan_story", "scene_layers", "speaker_shots", "speech_track", "stinger_seconds",
           "studio_set", "subtitle_layers"]
