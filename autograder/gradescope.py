"""Grading on Gradescope: the autograder zip (`make assign`) and what its `run_autograder` runs.

Gradescope builds an image from the zip once (its `setup.sh`), then, for each submission, puts the
student's files in /autograder/submission, runs /autograder/run_autograder and reads
/autograder/results/results.json. `run_autograder` runs

    python -m autograder.gradescope [--root /autograder]

which finds the notebook (or the zip the notebook's export cell makes) in ROOT/submission, grades it
with the kit's engine exactly as `python -m autograder grade` does (same sandbox, checks and scores),
and writes ROOT/results/results.json: one entry per question id whose score and feedback students see
as `[gradescope] hidden_visibility` in points.toml says (default: when the grades are published),
after one visible entry that says only what the student can already know (whether each function was
found and ran on the grader's inputs; never a score or an expected value), and the status and notes
on the notebook's cells, visible at once.

The zip itself is built with the rest of the release (`autograder.build.write_gradescope_zip`).
"""
import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

from .files import atomic_write
from .results import results_json

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FILES = HERE / "gradescope_files"
NOTEBOOK_NAME = "tp1_ab.ipynb"
class NoSubmission(Exception):
    """The submission folder holds no single notebook or export zip."""


def hidden_visibility():
    """`[gradescope] hidden_visibility` of points.toml: when students see scores and hidden feedback."""
    from .config import load

    return load().hidden_visibility


def unreadable_result(message, path=""):
    """A SubmissionResult for a submission folder with nothing to grade."""
    from .results import Status, zero_result

    return zero_result("submission", path, Status.UNREADABLE, message)


def find_submission(folder):
    """The notebook in the submission folder (Gradescope unpacks an uploaded zip), else the export zip.
    Hidden files (Otter's .OTTER_LOG), checkpoints and symbolic links are never read."""
    folder = Path(folder)
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):  # does not follow symbolic links
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__MACOSX")
        files += [Path(dirpath) / f for f in sorted(filenames)
                  if not f.startswith(".") and not (Path(dirpath) / f).is_symlink()]
    for suffix in (".ipynb", ".zip"):
        found = [f for f in files if f.suffix.lower() == suffix]
        named = [f for f in found if f.name == NOTEBOOK_NAME]
        if len(found) == 1 or len(named) == 1:
            return found[0] if len(found) == 1 else named[0]
        if found:
            raise NoSubmission(f"the submission holds {len(found)} {suffix} files "
                               f"({', '.join(sorted(f.name for f in found))}): hand in one notebook, "
                               f"{NOTEBOOK_NAME}, or the zip its last cell makes")
    raise NoSubmission(f"the submission holds no notebook: hand in {NOTEBOOK_NAME} or the zip its last cell makes")


def write_results(data, results_dir):
    atomic_write(Path(results_dir) / "results.json", json.dumps(data, indent=1, ensure_ascii=False))


class ResultsFolder:
    """Where Gradescope reads its one submission's result: `folder`/results.json, the question entries
    at `visibility`, with the run's time and the log hidden (it names every score). The grading's
    write step (autograder.pipeline) writes it, once; `data` is what it wrote."""

    def __init__(self, folder, visibility, start):
        self.folder, self.visibility, self.start, self.data = Path(folder), visibility, start, None

    def write(self, result, key=None):  # no cache key: Gradescope grades each submission afresh
        data = results_json(result, self.visibility)
        data["execution_time"] = round(time.monotonic() - self.start, 1)
        data["stdout_visibility"] = "hidden"  # the log below names every score
        write_results(data, self.folder)
        self.data = data


def run(root, visibility=None, allow_unsafe=True):
    """Grade ROOT/submission and write ROOT/results/results.json; returns what was written. Where
    bubblewrap cannot isolate (a container that forbids namespaces), the engine says so and grades
    with limits and a user id of its own."""
    from . import grade

    root, start = Path(root), time.monotonic()
    visibility = visibility or hidden_visibility()
    print(f"engine: {HERE}\nvisibility of the question entries: {visibility}")
    output = ResultsFolder(root / "results", visibility, start)
    try:
        path = find_submission(root / "submission")
    except NoSubmission as e:
        result = unreadable_result(str(e))
        output.write(result)
    else:
        print(f"submission: {path.relative_to(root)}")
        [result] = grade.grade_all([path], output.folder, jobs=1, allow_unsafe=allow_unsafe, progress=False,
                                   use_cache=False, output=output)
    data = output.data
    print(f"status: {result.status} {result.detail}\nscore: {result.total} / {result.possible} "
          f"in {data['execution_time']} s")
    for q in result.questions:
        print(f"  {q.id:<22} {q.score:>6} / {q.max_score:<5} {q.output.splitlines()[0] if q.output else ''}")
    return data


def main(argv=None):
    from .results import VISIBILITIES

    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("/autograder"),
                        help="Gradescope's folder, holding submission/ and results/ (default: /autograder)")
    parser.add_argument("--visibility", choices=VISIBILITIES,
                        help="visibility of the question entries (default: points.toml [gradescope])")
    parser.add_argument("--require-isolation", action="store_true",
                        help="refuse to grade where bubblewrap cannot isolate (default: grade with Landlock, "
                             "seccomp, limits and a user id of its own, and say so in the results)")
    args = parser.parse_args(argv)
    try:
        run(args.root, args.visibility, allow_unsafe=not args.require_isolation)
    except Exception:  # noqa: BLE001 - Gradescope must still get a results.json, the instructor the trace
        traceback.print_exc(file=sys.stdout)
        write_results({"score": 0.0, "output": "The autograder failed on this submission; your instructor "
                       "can see why and will regrade it.", "stdout_visibility": "hidden",
                       "tests": []}, args.root / "results")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
