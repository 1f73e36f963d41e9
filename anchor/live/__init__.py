"""The live channel (``anchor live``): a rolling programme streamed as HLS and/or RTMP in real time.

- ``options``: :class:`LiveOptions`, what a channel is asked to do;
- ``queue``: :class:`LiveQueue`, the running order in SQLite (resumes after a crash; the studio edits it);
- ``prerender``: the queue's clips made ahead of air in a lower-priority worker process;
- ``scenes``: what goes on air, a finished clip or the interval (the anchor at rest, what comes next);
- ``encoder``: one H.264/AAC encoder and its outputs (the rolling HLS playlist, RTMP with reconnection);
- ``channel``: :func:`run_live`, the playout paced on the wall clock, with its health in ``live.json``.
"""

from .channel import Channel, run_live
from .options import LiveOptions
from .queue import PENDING, Item, LiveQueue

__all__ = ["PENDING", "Channel", "Item", "LiveOptions", "LiveQueue", "run_live"]
