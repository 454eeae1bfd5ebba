"""python -m autograder grade PATH... --out DIR [--jobs N]

Two phases per submission: the untrusted phase (autograder.sandbox) runs the student's definitions
and the probes in a child process; the trusted phase, here, judges what came back with the checks
(autograder.checks), which the child never sees. Writes DIR/grades.csv, DIR/<id>/results.json,
DIR/<id>/report.html and DIR/summary.html. Exits 0 whenever every submission got a row.
"""
import argparse
import concurrent.futures
import csv
import functools
import hashlib
import json
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import checks, sandbox
from .mistakes import CATALOGUE
from .submission import UnreadableSubmission, load, submission_id

HERE = Path(__file__).resolve().parent
SUBMISSION_SUFFIXES = (".ipynb", ".zip")
BASE_SEED = 20_240_917


@dataclass
class QuestionResult:
    id: str
    score: float
    max_score: float
    output: str
    mistakes: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)


@dataclass
class SubmissionResult:
    submission: str
    path: str
    status: str
    detail: str
    questions: list  # of QuestionResult, in checks.ORDER
    notes: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self):
        return round(sum(q.score for q in self.questions), 2)

    @property
    def possible(self):
        return round(sum(q.max_score for q in self.questions), 2)


def find_submissions(paths):
    """The submission files under the given paths, sorted; raises SystemExit on a bad path."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.suffix in SUBMISSION_SUFFIXES and f.is_file()
                            and ".ipynb_checkpoints" not in f.parts)
        elif p.is_file():
            found.append(p)
        else:
            raise SystemExit(f"no such file or folder: {p}")
    ids = {}
    for f in found:
        ids.setdefault(submission_id(f), []).append(f)
    clashes = {k: v for k, v in ids.items() if len(v) > 1}
    if clashes:
        raise SystemExit("two submissions share a student id: " +
                         "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in clashes.items()))
    return found


@functools.cache
def grading_inputs():
    """The probes' inputs and the request, the same for every submission (determinism)."""
    arrays, request_questions, per_question = {}, [], {}
    for i, q in enumerate(checks.QUESTIONS):
        seed = BASE_SEED + 7919 * i
        q_arrays, params = q.make_inputs(seed)
        per_question[q.id] = (q_arrays, params)
        arrays.update({f"{q.id}/{k}": v for k, v in q_arrays.items()})
        request_questions.append({"id": q.id, "seconds": q.seconds, "seed": seed, "params": params})
    request = {"definitions_seconds": 30, "questions": request_questions}
    return arrays, request, per_question


@functools.cache
def autograder_fingerprint():
    """Changes whenever anything that decides a grade changes: a rerun then regrades."""
    h = hashlib.sha256()
    for path in sorted(HERE.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            h.update(path.relative_to(HERE).as_posix().encode())
            h.update(path.read_bytes())
    for path in sorted((HERE.parent / "assignment" / "tp1_support").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.read_bytes())
    return h.hexdigest()


def _feedback(verdict):
    lines = [f"✗ {c.message or c.name}" for c in verdict.checks if not c.passed]
    for mistake in verdict.mistakes:
        lines.append(f"Likely mistake — {CATALOGUE[mistake].title}: {CATALOGUE[mistake].feedback}")
    lines += verdict.notes
    return lines


def judge_all(run_result):
    _, _, per_question = grading_inputs()
    results = {}
    for q in checks.QUESTIONS:
        max_score = checks.points(q.id)
        got = run_result.results.get(q.id)
        if got is None:
            why = {"timeout": "not reached: the notebook ran out of time before this question",
                   "memory": "not reached: the notebook ran out of memory",
                   "output": "not reached: the notebook wrote too much output",
                   }.get(run_result.status, f"not reached: {run_result.detail or 'the grading process stopped'}")
            results[q.id] = QuestionResult(q.id, 0.0, max_score, why)
            continue
        arrays, meta = got
        status = meta.get("status")
        if status != "ok":
            text = {"timeout": f"✗ {q.id} took longer than its {q.seconds:g} s budget (an infinite loop?)",
                    "missing": f"✗ {meta.get('error', 'missing')}",
                    }.get(status, f"✗ calling {q.id} raised {meta.get('error', 'an error')}")
            results[q.id] = QuestionResult(q.id, 0.0, max_score, text)
            continue
        q_arrays, params = per_question[q.id]
        try:
            verdict = checks.judge(q, q_arrays, params, arrays, meta)
        except Exception as e:  # noqa: BLE001 - outputs of an unexpected form: this question scores 0
            results[q.id] = QuestionResult(q.id, 0.0, max_score, f"✗ the values returned could not be checked "
                                           f"({type(e).__name__}: {str(e)[:200]})")
            continue
        score = round(max_score * verdict.fraction, 2)
        lines = _feedback(verdict)
        if score == max_score and not lines:
            lines = ["✓ all hidden tests passed"]
        results[q.id] = QuestionResult(q.id, score, max_score, "\n".join(lines), list(verdict.mistakes),
                                       verdict.figures)
    return [results[qid] for qid in checks.ORDER]


def grade_one(path, worker):
    """Grade one submission with a warm sandbox.Worker."""
    sid = submission_id(path)
    start = time.monotonic()
    try:
        program = load(path)
    except UnreadableSubmission as e:
        questions = [QuestionResult(qid, 0.0, checks.points(qid), f"✗ {e}") for qid in checks.ORDER]
        return SubmissionResult(sid, str(path), "unreadable", str(e), questions, seconds=time.monotonic() - start)
    run = worker.run(program)
    definitions = run.results.get("_definitions", ({}, {}))[1]
    notes = program.notes + list(definitions.get("notes", []))[:20]
    questions = judge_all(run)
    status, detail = ("graded", "") if run.status == "ok" else (run.status, run.detail)
    timed_out = [qid for qid, (_, meta) in run.results.items() if meta.get("status") == "timeout"]
    if timed_out and status == "graded":
        status, detail = "timeout", "stopped after its time budget: " + ", ".join(timed_out)
    return SubmissionResult(sid, str(path), status, detail, questions, notes, time.monotonic() - start)


VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's


def results_json(result, visibility="visible"):
    """Gradescope's results.json schema: one test per question id, with its score and the hidden
    checks' feedback, at `visibility`. The status and the notes on the notebook's cells (top-level
    `output`) are always visible; when the questions are not, a visible entry comes first that says
    only what the student already knows (autograder.gradescope.public_entry)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    data = {
        "score": result.total,
        "output": (f"Status: {result.status}. {result.detail}".strip() + ("\n" + "\n".join(result.notes)
                                                                            if result.notes else "")),
        "tests": [{"name": q.id, "score": q.score, "max_score": q.max_score, "output": q.output,
                   "visibility": visibility} for q in result.questions],
    }
    if visibility != "visible":
        from .gradescope import public_entry

        data["tests"].insert(0, public_entry(result, visibility))
    return data


def write_results_json(result, folder, visibility="visible"):
    (Path(folder) / "results.json").write_text(json.dumps(results_json(result, visibility), indent=1,
                                                          ensure_ascii=False))


def write_submission(result, out_dir):
    from .reports import write_student_report

    folder = Path(out_dir) / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    write_results_json(result, folder)
    write_student_report(result, folder / "report.html")
    row = {"status": result.status, "detail": result.detail, "notes": result.notes, "seconds": result.seconds,
           "questions": [q.__dict__ | {"figures": {}} for q in result.questions]}
    (folder / "row.json").write_text(json.dumps(row))


def _cache_key(path):
    return hashlib.sha256(Path(path).read_bytes() + autograder_fingerprint().encode()).hexdigest()


def _cached(path, out_dir):
    folder = Path(out_dir) / submission_id(path)
    try:
        if (folder / ".cache-key").read_text() != _cache_key(path):
            return None
        row = json.loads((folder / "row.json").read_text())
        questions = [QuestionResult(**q) for q in row["questions"]]
        return SubmissionResult(submission_id(path), str(path), row["status"], row["detail"], questions,
                                row["notes"], row["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_gradebook(results, out_dir):
    path = Path(out_dir) / "grades.csv"
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["submission", "total", "possible", "status", *checks.ORDER])
        for r in sorted(results, key=lambda r: r.submission):
            w.writerow([r.submission, r.total, r.possible, r.status, *(q.score for q in r.questions)])
    os.replace(tmp, path)
    return path


def grade_all(paths, out_dir, jobs=1, isolate=True, progress=True, use_cache=True):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    hide = sorted({str(p.parent.resolve()) for p in paths} | {str(out_dir.resolve())})
    arrays, request, _ = grading_inputs()  # once, before the threads
    from .reports import ENV

    for template in ENV.list_templates():  # compiled once here: compiling in two threads at once
        ENV.get_template(template)        # trips CPython 3.11's shared AST recursion counter
    workers = queue.SimpleQueue()  # warm, one per thread, started on first use
    started = []
    lock = threading.Lock()
    done = []

    def work(path):
        result = _cached(path, out_dir) if use_cache else None
        if result is None:
            worker = None
            try:
                try:
                    worker = workers.get_nowait()
                except queue.Empty:
                    worker = sandbox.Worker(arrays, request, hide=hide, isolate=isolate)
                    with lock:
                        started.append(worker)
                result = grade_one(path, worker)
                workers.put(worker)
            except Exception as e:  # noqa: BLE001 - a grader bug must still leave a row
                result = SubmissionResult(submission_id(path), str(path), "crashed",
                                          f"internal grader error: {type(e).__name__}: {e}",
                                          [QuestionResult(q, 0.0, checks.points(q), "not graded") for q in checks.ORDER])
            write_submission(result, out_dir)
            (out_dir / result.submission / ".cache-key").write_text(_cache_key(path))
        with lock:
            done.append(result)
            if progress:
                bar = "#" * (30 * len(done) // len(paths))
                print(f"\r[{bar:<30}] {len(done)}/{len(paths)} {result.submission[:30]:<30}",
                      end="" if len(done) < len(paths) else "\n", file=sys.stderr, flush=True)
        return result

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(work, paths))
    finally:
        for worker in started:
            worker.close()
    write_gradebook(results, out_dir)
    from .reports import write_summary

    write_summary(results, out_dir)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="submissions (.ipynb, .zip) or folders of them")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel submissions (default: cores)")
    parser.add_argument("--no-cache", action="store_true", help="regrade even unchanged submissions")
    parser.add_argument("--no-isolation", action="store_true",
                        help="do not use bubblewrap even where available (resource limits only)")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                        help="Gradescope visibility of the question entries in results.json (default: visible; "
                             "Gradescope's run uses points.toml [gradescope] hidden_visibility)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    paths = find_submissions(args.paths)
    if not paths:
        parser.error("no submissions (.ipynb or .zip) found in " + ", ".join(args.paths))
    results = grade_all(paths, args.out, args.jobs, isolate=not args.no_isolation, use_cache=not args.no_cache)
    if args.visibility != "visible":
        for result in results:
            write_results_json(result, args.out / result.submission, args.visibility)
    graded = sum(r.status == "graded" for r in results)
    print(f"{len(results)} submissions, {graded} graded, {len(results) - graded} with problems")
    print(f"gradebook: {args.out / 'grades.csv'}\nclass summary: {args.out / 'summary.html'}\n"
          f"feedback: {args.out}/<submission>/report.html")
    return 0
