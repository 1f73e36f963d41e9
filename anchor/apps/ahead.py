"""``anchor render``'s speech, made ahead in a short-lived process of its own.

A cold ``anchor render`` normalised the text, loaded the speech model and synthesised on its critical path,
before any frame, and then held the model and the text-normalisation grammars to the end.  Now the command
starts this process first thing, with the script's path and the ``--voice`` asked for.  While the command
imports the pipeline, it imports only the speech stage and loads the engine of the voice the script will most
likely be read in; then it takes, on stdin, each story as the render will speak it with its voices
(:func:`anchor.pipeline.speech_jobs`), speaks them into the speech cache (:func:`anchor.speech.speak`),
prints for each story whether its speech was in the cache already, and exits.  Meanwhile the render
prepares the anchor and the graphics, then waits for it and reads the speech from the cache, which needs
neither the model nor text normalisation.  If this process fails or is killed, the render speaks for itself
as it always did: the speech, its warnings and its errors are the same either way.

Nothing is shared but the speech cache, whose entries are written whole or not at all.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

WAIT_S = 600.0  # the longest the render waits for it before speaking itself


class SpeechAhead:
    """The process, started at once; :meth:`send` gives it the stories, the render calls :meth:`wait`."""

    def __init__(self, script: str, voice: str | None = None):
        self.process = subprocess.Popen([sys.executable, "-m", __name__, str(script), voice or ""],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.cached: list[bool] | None = None  # per story: its speech was in the cache before this process ran
        self._ended = False

    def send(self, jobs: list) -> None:
        """Each story with its voices (:func:`anchor.pipeline.speech_jobs`)."""
        try:
            self.process.stdin.write(pickle.dumps(jobs))
            self.process.stdin.close()
        except OSError:  # it has already gone: the render speaks for itself
            pass

    def wait(self, timeout: float = WAIT_S) -> bool:
        """Until it has finished (once); True when every story's speech is in the cache."""
        if not self._ended:
            self._ended = True
            try:
                code = self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.close()
                return False
            if code == 0:
                lines = self.process.stdout.read().decode("utf-8", "replace").strip().splitlines()
                try:  # its last line: a library may print to stdout before it
                    self.cached = json.loads(lines[-1]) if lines else None
                except ValueError:
                    pass
        return self.cached is not None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def _load_engine(script: str, voice: str | None) -> None:
    """The engine of the voice a plain script would be read in (a desk's first voice is one of its own): loaded
    while the render prepares the stories.  A mistake here is the render's to report, so it is passed over."""
    from ..errors import AnchorError
    from ..script import load_script
    from ..speech import load_engine, load_voice

    try:
        story = load_script(script)
        load_engine(load_voice(voice or story.voice, story.language))
    except AnchorError:
        pass


def _main(script: str, voice: str) -> int:
    from ..speech import speak

    _load_engine(script, voice or None)
    jobs = pickle.loads(sys.stdin.buffer.read())
    print(json.dumps([speak(story, voices)[0].cached for story, voices in jobs]))
    return 0


if __name__ == "__main__":
    sys.exit(_main(*sys.argv[1:3]))
