"""The script stage: a producer's news script (.txt, .md with front matter, .yaml, .json) -> :class:`Script`.

- ``model``: what a parsed script is (:class:`Script`, :class:`LowerThird`, :class:`BRoll`,
  :class:`ScriptCue`, :class:`Music`);
- ``cues``: the producer's cues, typed in the body (``[画面: a.jpg 全屏]``) or listed (``cues:``);
- ``parse``: reading and checking a file or text (:func:`load_script`, :func:`parse_script`);
  every problem is a :class:`~anchor.errors.ScriptError` in Chinese and English;
- ``stories``: one script per ``## `` story (:func:`split_stories`).
"""

from .model import FORMATS, LANGUAGES, STATUSES, BRoll, LowerThird, Music, Question, Script, ScriptCue, Speaker
from .parse import detect_language, load_script, parse_script
from .stories import split_stories

__all__ = ["BRoll", "FORMATS", "LANGUAGES", "LowerThird", "Music", "Question", "STATUSES", "Script", "ScriptCue", "Speaker",
           "detect_language", "load_script", "parse_script", "split_stories"]
