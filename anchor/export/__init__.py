from .aigc import aigc_json, aigc_label
from .presets import Platform, list_platforms, load_platform
from .writer import ClipWriter, ExportPreset

__all__ = ["ClipWriter", "ExportPreset", "Platform", "aigc_json", "aigc_label", "list_platforms", "load_platform"]
