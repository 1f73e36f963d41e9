"""The release number: in the clip's metadata, the speech cache's key and the API's /health."""

__version__ = "0.1.0"
