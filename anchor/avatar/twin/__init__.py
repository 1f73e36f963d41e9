"""The digital twin: the station's own presenter re-using their recorded mouths to read a new script.

Entry points: ``add_twin_avatar`` (in ``pack``) makes a twin pack from a recording; a twin pack's
``AvatarPack.rig`` is ``rig.twin_rig``; ``evaluate.leave_one_out`` measures how well a recording
rebuilds itself.  This file imports nothing, so the avatar stage's pack module may import the rig
lazily without a circle.

Modules, lowest first:

* ``shape`` - a presenter's mouth as numbers: lip and jaw shape, head pose, the mouth's look, the speaker's range;
* ``recording`` - a presenter's recording measured once: landmarks, shapes, looks, poses, speech, lower-face crops;
* ``selection`` - unit selection: each output frame's recorded mouth, by target and join costs and Viterbi;
* ``blend`` - a recorded lower face laid onto a background frame: aligned, stretched, feathered, colour-matched;
* ``rig`` - the twin's rig: the recording's background loop with the chosen mouths laid on;
* ``pack`` - adding a twin from a recording: the checks, the background loop span, the pack;
* ``evaluate`` - leave-one-out: how well a recording rebuilds itself, beside the photo warp.
"""
