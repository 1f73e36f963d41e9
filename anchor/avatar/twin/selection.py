"""Which recorded mouth each output frame shows: unit selection by a target cost and a join cost, chosen by Viterbi.

As in sample-based visual speech (Video Rewrite; Cosatto and Graf's talking heads;
Wang et al.'s photo-real talking head), every output frame has a target (the lip
and jaw shape the script asks for, in this speaker's own range) and the candidates
are the recording's frames.  A candidate's *target cost* is how far its shape is from
the target, plus how far its head pose is from the background frame it will be
pasted on.  Going from one frame to the next costs nothing when the second is the
recording's own next frame, so long real runs win; any other join costs a fixed
amount plus how different the two mouths are in shape and look.  Viterbi finds the
cheapest path through a lattice of the best few candidates per frame (and the
successors of the last frame's candidates, so runs are never cut off by the pruning).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .recording import Recording
from .shape import GAP, POSE_SCALE, WIDTH

CANDIDATES = 24  # best candidates per frame by target cost
#: a chosen mouth is a close match when its opening is within this share of the speaker's opening range and its
#: width within this share of the width range: about 2 px of lip gap on a broadcast face (a 290 px head opens
#: about 18 px), under the frame-to-frame jitter of the speaker's own recorded mouth
CLOSE_GAP = 0.12
CLOSE_WIDTH = 0.2
#: below this share of close matches a clip warns: more than one frame in seven is warped toward its shape, and a
#: longer recording (2 to 3 min of reading) covers the shapes Mandarin needs
MIN_COVERAGE = 0.85
#: gap, width and jaw (each in the speaker's own range) in the target cost, and in the join cost of a jump.  Tuned
#: on the carphone leave-one-out and a 30 s recording: a jump costs about what 0.16 of the opening range missed for
#: one frame does, so real runs last 3 to 4 frames (as long as a syllable's mouth) and 93% of frames match closely;
#: a dearer jump (0.3) made 20-frame runs that drifted out of sync (coverage 72%)
TARGET_WEIGHTS = np.float32([4.0, 2.0, 1.2])
JOIN_WEIGHTS = np.float32([1.0, 0.5, 0.3])
JOIN = 0.1  # what any jump costs, besides how far apart the two mouths are
CLOSING = np.float32([4.0, 1.0, 1.0])  # a closure (b, p, m) weighs its opening four times: lips that must meet do
POSE_WEIGHT = 0.05
LOOK_WEIGHT = 0.4
OWN_BONUS = 0.05  # the background's own frame, on a tie: shown as recorded, it has no seam at all


@dataclass(frozen=True, eq=False)
class Choice:
    frames: np.ndarray  # (T,) recording frame shown in each output frame
    residual: np.ndarray  # (T, 3) target minus chosen (gap, width, jaw), head units
    close: np.ndarray  # (T,) bool: the chosen mouth is a close match
    runs: float  # mean length of the real runs used, frames

    @property
    def coverage(self) -> float:
        return float(self.close.mean()) if len(self.close) else 1.0


def choose_mouths(recording: Recording, targets: np.ndarray, background_poses: np.ndarray,
                  allowed: np.ndarray | None = None, own: np.ndarray | None = None) -> Choice:
    """The recording frame for each of ``len(targets)`` output frames.

    ``targets`` is (T, 3) gap, width and jaw (``SpeakerRange.targets``); ``background_poses`` (T, 3) the
    head pose of the background frame each output frame is pasted on; ``allowed`` limits which recording
    frames may lend a mouth (default: the usable ones); ``own`` (T,) is the background's own recording
    frame, always a candidate (in a pause the background's own closed mouth is the natural choice).
    """
    speaker = recording.speaker
    pool = np.flatnonzero(recording.usable if allowed is None else allowed & recording.usable)
    if len(pool) == 0:
        raise ValueError("no usable frames in the recording")
    scale = np.float32([speaker.gap_span, speaker.width_span, max(speaker.gap_span * abs(speaker.jaw_per_gap), 1e-3)])
    shapes = recording.shapes[:, :3] / scale
    wanted = targets / scale
    n_frames, n = len(targets), len(recording)
    usable = recording.usable if allowed is None else allowed & recording.usable
    lattice, back = [], []
    total = np.zeros(0)
    carried = np.zeros(0, np.int64)  # successors of the best paths so far: a real run is never pruned away
    closing = targets[:, GAP] <= speaker.gap_closed + 1e-6  # b, p, m: the lips must meet
    for t in range(n_frames):
        weights = TARGET_WEIGHTS * (CLOSING if closing[t] else 1.0)
        cost_all = _target_cost(shapes[pool], wanted[t], recording.poses[pool], background_poses[t], weights)
        best = pool[np.argpartition(cost_all, min(CANDIDATES, len(pool) - 1))[:CANDIDATES]]
        extra = [carried] + ([np.int64([own[t]])] if own is not None else [])
        now = np.unique(np.concatenate([best, *extra]))
        now = now[usable[now]]
        cost = _target_cost(shapes[now], wanted[t], recording.poses[now], background_poses[t], weights)
        if own is not None:
            cost[now == own[t]] -= OWN_BONUS
        if t == 0:
            total, arg = cost.astype(np.float64), np.zeros(len(now), np.int64)
        else:
            before = lattice[-1]
            nxt = np.minimum(before + 1, n - 1)
            shape_jump = (((shapes[nxt][:, None, :] - shapes[now][None, :, :]) ** 2) * JOIN_WEIGHTS).sum(axis=2)
            look_jump = ((recording.looks[nxt][:, None, :] - recording.looks[now][None, :, :]) ** 2).mean(axis=2)
            join = JOIN + shape_jump + LOOK_WEIGHT * look_jump
            join[(before + 1)[:, None] == now[None, :]] = 0.0  # the recording's own next frame
            step = total[:, None] + join
            arg = np.argmin(step, axis=0)
            total = step[arg, np.arange(len(now))] + cost
        lattice.append(now)
        back.append(arg)
        leaders = now[np.argsort(total)[:CANDIDATES]] + 1
        carried = leaders[leaders < n]
    k = int(np.argmin(total))
    path = [lattice[-1][k]]
    for t in range(n_frames - 1, 0, -1):
        k = int(back[t][k])
        path.append(lattice[t - 1][k])
    path = np.int64(path[::-1])
    chosen = recording.shapes[path, :3]
    residual = (targets - chosen).astype(np.float32)
    close = (np.abs(residual[:, GAP]) <= CLOSE_GAP * speaker.gap_span) & \
            (np.abs(residual[:, WIDTH]) <= CLOSE_WIDTH * speaker.width_span)
    jumps = 1 + int(np.count_nonzero(np.diff(path) != 1))
    return Choice(path, residual, close, n_frames / jumps)


def _target_cost(shapes, wanted, poses, pose, weights) -> np.ndarray:
    shape = (((shapes - wanted) ** 2) * weights).sum(axis=1)
    turn = (((poses - pose) / POSE_SCALE) ** 2).sum(axis=1)
    return shape + POSE_WEIGHT * turn
