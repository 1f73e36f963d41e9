"""One script per ``## `` story of a Markdown script (``--split``)."""

from __future__ import annotations

from dataclasses import replace

from ..errors import ScriptError
from .model import Script

def split_stories(script: Script) -> list[Script]:
    """One script per ``## `` story (``--split``), named ``<stem>-01``, ``<stem>-02``, ... in order.

    Paragraphs before the first heading form a first story under the script's own title.
    A script without story headings comes back as it is.
    """
    if not script.stories:
        return [script]
    if getattr(script, "recording", None):
        raise ScriptError("使用真人录音的稿件不能按小标题拆分（录音无法对应到各条）",
                          "a script read from a recording cannot be split into stories (the recording is one piece)")
    paragraphs = script.paragraphs
    starts = [(0, script.title)] if script.stories[0][0] > 0 else []
    starts += list(script.stories)
    stories = []
    for k, (first, title) in enumerate(starts):
        last = starts[k + 1][0] if k + 1 < len(starts) else len(paragraphs)
        if last <= first:
            raise ScriptError(f"稿件中的小标题“{title}”下面没有正文", f"the story heading {title!r} has no body text")
        cues = tuple(replace(c, paragraph=c.paragraph - first) for c in script.cues if first <= c.paragraph < last)
        turns = script.turns[first:last] if script.turns else ()
        stories.append(replace(script, title=title, body="\n\n".join(paragraphs[first:last]), cues=cues, stories=(),
                               turns=turns,
                               stem=f"{script.stem}-{k + 1:02d}",
                               lower_third=script.lower_third if k == 0 else None))
    return stories
