from .parse import FORMATS, LowerThird, Script, load_script, parse_script, split_stories

__all__ = ["FORMATS", "LowerThird", "Script", "load_script", "parse_script", "split_stories"]
