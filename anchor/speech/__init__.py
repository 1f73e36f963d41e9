from .synthesis import Speech, synthesize
from .timeline import VISEMES, Phrase, Timeline, Viseme
from .voices import list_voices, load_voice, voices_dir, voices_table

__all__ = ["Phrase", "Speech", "Timeline", "VISEMES", "Viseme", "list_voices", "load_voice", "synthesize", "voices_dir", "voices_table"]
