"""The speech stage: a script's body -> loudness-normalised 48 kHz audio and a :class:`Timeline` of what is said when.

Modules:

* ``normalize`` - text normalisation: what is written -> what a newsreader says (numbers, dates, ranges);
* ``lexicon`` - the station lexicon: how this newsroom says local place and person names;
* ``voices`` - voice presets (``voices/<name>.yaml``): engine, language, speed, loudness, fallback;
* ``engines`` - the speech engines behind one protocol, registered by name (one module per engine);
* ``catalog`` - every voice preset with whether it can speak here (``anchor voices``);
* ``words`` - word segmentation (jieba, a news dictionary, station and script words) for phrases and subtitles;
* ``phrasing`` - the body split into phrases at punctuation and pause marks, each with its spoken reading;
* ``shaping`` - the audio of one engine call: pauses made the right length, onsets and decays trimmed;
* ``store`` - :class:`Speech`, the stage's result, and the speech cache on disk;
* ``synthesis`` - :func:`synthesize`: phrases spoken sentence by sentence, fallback voices, the cache (overview there);
* ``timbre`` - a second speaker made from a voice (WORLD re-synthesis, a preset's ``shift``);
* ``dialogue`` - two anchors at a desk: each speaker's turns in their own voice, joined (:func:`synthesize_turns`);
* ``timeline`` - the timing hand-off (tokens, phrases, phones, visemes) read by subtitles, lip-sync and metadata;
* ``visemes`` - mouth shapes from what is spoken, for lip-sync;
* ``readings`` - the 读音 panel: a word's reading checked, heard with it applied, saved to the station lexicon.

Entry points: :func:`load_voice` / :func:`list_voices` pick a preset, :func:`synthesize` speaks a script with
it and returns a :class:`Speech`, :func:`voices_table` lists the presets with their state.
"""

from .catalog import voices_table
from .dialogue import PAIR_VOICES, Turn, pair_voice, speak, speaker_timeline, synthesize_turns
from .phrasing import split_phrases
from .readings import Reading, check_reading, hear_reading, save_reading
from .store import Speech
from .synthesis import load_engine, synthesize
from .timeline import VISEMES, Phrase, Timeline, Viseme
from .voices import list_voices, load_voice, voices_dir
from .words import jieba_words, script_words, segment

__all__ = ["PAIR_VOICES", "Phrase", "Reading", "Speech", "Timeline", "Turn", "VISEMES", "Viseme", "check_reading",
           "hear_reading", "jieba_words", "list_voices", "load_engine", "load_voice", "pair_voice", "save_reading",
           "script_words", "segment", "speak", "speaker_timeline", "split_phrases", "synthesize", "synthesize_turns",
           "voices_dir", "voices_table"]
