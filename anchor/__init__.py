"""anchor: a news script in, a finished AI news-anchor clip out, offline."""

__version__ = "0.1.0"
