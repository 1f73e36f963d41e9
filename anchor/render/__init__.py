from .compose import compose_frames
from .mix import load_audio, mix_music, place

__all__ = ["compose_frames", "load_audio", "mix_music", "place"]
