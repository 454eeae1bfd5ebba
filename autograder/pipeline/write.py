"""What grading writes: each student's results.json, report.html and cached row; the class's
gradebook, similarity report and summary; and the cache that lets a rerun skip unchanged work."""
import functools
import hashlib
import json
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from .. import checks
from ..csvfile import write_csv
from ..files import atomic_write
from ..results import NO_GRADE, QuestionResult, Status, SubmissionResult, write_results_json
from ..text import safe_text
from .read import UnreadableSubmission, program_of, read_notebook

HERE = Path(__file__).resolve().parent.parent  # the grader's package
GRADEBOOK_COLUMNS = ["submission", "total", "possible", "status", *checks.ORDER, "late", "late_penalty"]


@functools.cache
def autograder_fingerprint():
    """Changes whenever anything that decides a grade changes: a rerun then regrades."""
    h = hashlib.sha256()
    for path in sorted(HERE.rglob("*")):
        if path.suffix in (".py", ".toml", ".j2") and "__pycache__" not in path.parts:
            h.update(path.relative_to(HERE).as_posix().encode())
            h.update(path.read_bytes())
    for path in sorted((HERE.parent / "assignment" / "tp1_support").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.read_bytes())
    from ..data import grading_secret

    secret = grading_secret()  # another secret, other hidden test sets
    h.update(hashlib.sha256(secret).digest() if secret else b"no secret")
    return h.hexdigest()


@dataclass
class ClassFolder:
    """Where `grade` writes each student's files: `folder`/<id>/, results.json with its question
    entries at `visibility` (autograder.results.VISIBILITIES)."""
    folder: Path
    visibility: str = "visible"

    def write(self, result, key=None):
        """The student's files (write_submission), then the cache marker (`key`; None: never reused). A
        result reused from an earlier run has its page and row already: only its results.json is
        written again, at this run's visibility."""
        if result.cached:
            write_results_json(result, Path(self.folder) / result.submission, self.visibility)
        else:
            write_submission(result, self.folder, self.visibility)
            remember(result, self.folder, key)


def write_submission(result, out_dir, visibility="visible"):
    """A student's results.json, report.html and the row a rerun reads back."""
    from ..reports import write_student_report

    folder = Path(out_dir) / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    write_results_json(result, folder, visibility)
    write_student_report(result, folder / "report.html")
    row = {"status": result.status, "detail": result.detail, "notes": result.notes, "seconds": result.seconds,
           "isolation": result.isolation, "questions": [q.__dict__ | {"figures": {}} for q in result.questions]}
    atomic_write(folder / "row.json", json.dumps(row))


def cache_key(path, identity=""):
    """What a rerun compares: the submission's bytes, the grader's fingerprint and what the student's
    page says besides the grade (`identity`: their name, their lateness); None when the file cannot be
    read: it is then graded, and its problem reported, every time."""
    try:
        return hashlib.sha256(Path(path).read_bytes() + autograder_fingerprint().encode()
                              + identity.encode("utf-8", "backslashreplace")).hexdigest()
    except OSError:
        return None


def remember(result, out_dir, key):
    """Let a rerun reuse this result while the file and the grader keep `key` (never for a grader
    failure, nor without a key)."""
    marker = Path(out_dir) / result.submission / ".cache-key"
    if key is None or result.internal_error:
        marker.unlink(missing_ok=True)
    else:
        atomic_write(marker, key)


def cached_result(sid, path, out_dir, key):
    """The result an earlier run wrote for this submission, if its key is still `key`; else None."""
    folder = Path(out_dir) / sid
    try:
        if key is None or (folder / ".cache-key").read_text() != key:
            return None
        row = json.loads((folder / "row.json").read_text())
        questions = [QuestionResult(**q) for q in row["questions"]]
        return SubmissionResult(sid, str(path), Status(row["status"]), row["detail"], questions,
                                row["notes"], row["seconds"], row.get("isolation", ""), cached=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_gradebook(results, out_dir):
    """grades.csv: one row per student, the questions' points, then `late` (yes when the LMS says the
    hand-in is late) and `late_penalty` (the points the late policy took off `total`)."""
    rows = [[safe_text(r.submission), r.total, r.possible, safe_text(r.status), *(q.score for q in r.questions),
             "yes" if r.late else "", r.late_penalty if r.late else ""]
            for r in sorted(results, key=lambda r: r.submission)]
    return write_csv(Path(out_dir) / "grades.csv", GRADEBOOK_COLUMNS, rows)


def check_writable(out_dir):
    """Create out_dir if needed and prove it is writable (SystemExit naming the problem otherwise),
    before any grading."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-test-"):
            pass
    except OSError as e:
        raise SystemExit(f"the output folder {safe_text(str(out_dir))} is not writable: {e.strerror or e}")


def class_similarity(items, results):
    """The similarity report of the class (autograder.similarity), from each readable notebook's code
    cells, the release notebook's own code excluded."""
    from .. import similarity

    readable = {r.submission for r in results if r.status not in NO_GRADE}
    cells = {r.submission: r.cells for r in results if r.submission in readable and r.cells is not None}
    for item in items:  # the results reused from an earlier run: read their notebooks again
        if item.path is not None and item.sid in readable and item.sid not in cells:
            try:
                cells[item.sid] = program_of(read_notebook(item.path)).cells
            except UnreadableSubmission:
                continue
    release = program_of(read_notebook(HERE.parent / "assignment" / "tp1_ab.ipynb")).cells
    return similarity.compare_class(cells, release)


def write_class_outputs(results, out_dir, failures, items=()):
    """grades.csv, the similarity report, then summary.html: each under its own guard (a failure is
    the grader's, reported)."""
    try:
        write_gradebook(results, out_dir)
    except Exception as e:  # noqa: BLE001
        failures.append(f"grades.csv: {type(e).__name__}: {e}\n{traceback.format_exc()}")
    report = None
    if len(results) > 1:
        try:
            from .. import similarity

            report = class_similarity(items, results)
            similarity.write_csv(report, Path(out_dir) / "similarity.csv")
        except Exception as e:  # noqa: BLE001
            failures.append(f"similarity report: {type(e).__name__}: {e}\n{traceback.format_exc()}")
    try:
        from ..reports import write_summary

        write_summary(results, out_dir, similarity=report)
    except Exception as e:  # noqa: BLE001
        failures.append(f"summary.html: {type(e).__name__}: {e}\n{traceback.format_exc()}")
