"""python -m autograder grade PATH... --out DIR [--jobs N]

Two phases per submission: the untrusted phase (autograder.sandbox) runs the student's definitions
and the probes behind the sandbox's walls; the trusted phase, here, validates what came back and
judges it with the checks (autograder.checks), which the sandbox never sees. Writes DIR/grades.csv,
DIR/<id>/results.json, DIR/<id>/report.html and DIR/summary.html.

Every submission gets a row, whatever happens to it: each step of a submission (reading, the
sandbox, judging, writing its files) runs under one guard, and the gradebook and the summary are
always written. The command exits 0 when every submission got a row; non-zero when it was misused
or when the grader itself failed (it could not start its sandbox, an internal error): such failures
are never cached.
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
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import checks, handins, sandbox
from .mistakes import CATALOGUE
from .results import (VISIBILITIES, QuestionResult, State, SubmissionResult, atomic_write, results_json,  # noqa: F401
                      write_results_json, zero_result)
from .submission import UnreadableSubmission, autograd_uses, program_of, read_notebook, submission_id
from .text import safe_lines, safe_text

HERE = Path(__file__).resolve().parent
BASE_SEED = 20_240_917
EXIT_MISUSE, EXIT_GRADER_FAILED = 2, 3


@functools.cache
def grading_inputs():
    """The probes' inputs per question and the request, the same for every submission (determinism)."""
    inputs, request_questions, per_question = {}, [], {}
    for i, q in enumerate(checks.QUESTIONS):
        seed = BASE_SEED + 7919 * i
        q_arrays, params = q.make_inputs(seed)
        per_question[q.id] = (q_arrays, params)
        inputs[q.id] = q_arrays
        request_questions.append({"id": q.id, "seconds": q.seconds, "seed": seed, "params": params})
    request = {"definitions_seconds": 30, "questions": request_questions}
    return inputs, request, per_question


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
    return h.hexdigest()


def _feedback(verdict):
    """The feedback of a judged question: the diagnosis first (what the mistake is, in words), then
    each failed check once, then what could not be judged because of them, then the notes."""
    checks_ = verdict.all_checks()
    lines = [f"Likely mistake — {CATALOGUE[m].title}: {CATALOGUE[m].feedback}" for m in verdict.mistakes]
    failed = [c for c in checks_ if not c.passed and c.judged]
    seen = set()
    for c in failed:
        text = c.message or c.name
        if text not in seen:  # several checks failing for one reason say it once
            seen.add(text)
            lines.append(f"✗ {text}")
    unjudged = [c.name for c in checks_ if not c.passed and not c.judged]
    if unjudged:
        lines.append(f"✗ not judged, as what they need failed above: {', '.join(unjudged)}")
    lines += [f"• {c.message or c.name} (not charged here: the same mistake is counted on {c.counted_on})"
              for c in checks_ if c.counted_on]
    lines += verdict.notes
    return [safe_text(line) for line in lines]


def charge_once(verdicts):
    """A mistake diagnosed on its own question and on another (a function that reuses the faulty
    one: init_params_autograd calling init_params) is charged on its own question only."""
    for qid, verdict in verdicts.items():
        for mistake in verdict.mistakes:
            home = CATALOGUE[mistake].question
            if home != qid and home in verdicts and mistake in verdicts[home].mistakes:
                verdict.forgive(mistake, home)


def sanitize(value, depth=0):
    """A record's description (JSON from the sandbox) with every string made safe text and the
    structure bounded: dict keys are strings, nothing deeper than 6 levels, no list longer than 100."""
    if depth > 6:
        return None
    if isinstance(value, dict):
        return {safe_text(k, 200): sanitize(v, depth + 1) for k, v in list(value.items())[:2000]}
    if isinstance(value, list):
        return [sanitize(v, depth + 1) for v in value[:100]]
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return None


def _signal_name(code):
    import signal

    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _unanswered(qid, question, run_result):
    """(text, state): why a question has no usable record, from the conductor's account of its child."""
    entry = run_result.account.get(qid)
    if entry is None:
        return ({"timeout": "not reached: the notebook ran out of time before this question",
                 "memory": "not reached: the notebook ran out of memory",
                 "output": "not reached: the notebook wrote too much",
                 }.get(run_result.status, f"not reached: {run_result.detail or 'the grading of this submission stopped'}"),
                State.NOT_REACHED)
    if entry.get("timed_out"):
        return f"✗ {qid} took longer than its {question.seconds:g} s budget (an infinite loop?)", State.TIMEOUT
    code = entry.get("exit", 0)
    if isinstance(code, (int, float)) and code < 0:
        name = _signal_name(int(code))
        if name == "SIGKILL":
            return f"✗ {qid} was stopped by the system (memory limit?) and recorded nothing", State.CRASHED
        if name == "SIGXCPU":
            return f"✗ {qid} used more than its {question.seconds:g} s of CPU", State.TIMEOUT
        if name == "SIGXFSZ":
            return f"✗ {qid} wrote a file larger than the limit", State.CRASHED
        return f"✗ {qid} crashed ({name}, e.g. a segmentation fault) and recorded nothing", State.CRASHED
    return f"✗ {qid} ended its process before recording anything (a call to os._exit?)", State.CRASHED


def judge_all(run_result, context=None):
    """QuestionResults, in checks.ORDER, from a RunResult (every record validated here)."""
    _, _, per_question = grading_inputs()
    results, verdicts = {}, {}
    for q in checks.QUESTIONS:
        max_score = checks.points(q.id)
        got = run_result.results.get(q.id)
        if got is None:
            text, state = _unanswered(q.id, q, run_result)
            results[q.id] = QuestionResult(q.id, 0.0, max_score, text, state.value)
            continue
        arrays, meta = got[0], sanitize(got[1])
        status = meta.get("status")
        if status != "ok":
            missing = status == "missing"
            text = (f"✗ {meta.get('error', 'missing')}" if missing
                    else f"✗ calling {q.id} raised {meta.get('error', 'an error')}")
            results[q.id] = QuestionResult(q.id, 0.0, max_score, safe_text(text),
                                           (State.MISSING if missing else State.RAISED).value)
            continue
        q_arrays, params = per_question[q.id]
        try:
            verdict = checks.judge(q, q_arrays, params, arrays, meta, context)
        except Exception as e:  # noqa: BLE001 - outputs of an unexpected form: this question scores 0
            results[q.id] = QuestionResult(q.id, 0.0, max_score, f"✗ the values returned could not be checked "
                                           f"({type(e).__name__}: {safe_text(str(e), 200)})", State.JUDGED.value)
            continue
        verdicts[q.id] = verdict
    charge_once(verdicts)
    for qid, verdict in verdicts.items():
        q, max_score = checks.BY_ID[qid], checks.points(qid)
        score = round(max_score * verdict.fraction, 2)
        lines = _feedback(verdict)
        if score == max_score and all(c.passed for c in verdict.all_checks()) and not verdict.mistakes:
            lines = ["✓ all hidden tests passed"] + verdict.notes
        results[q.id] = QuestionResult(q.id, score, max_score, "\n".join(lines), verdict.state, list(verdict.mistakes),
                                       verdict.figures)
    return [results[qid] for qid in checks.ORDER]


def grade_one(path, worker, sid=None):
    """Grade one submission with a warm sandbox.Worker (GraderError when the grader fails)."""
    sid = sid or submission_id(path)
    start = time.monotonic()
    try:
        notebook = read_notebook(path)
        program = program_of(notebook)
        mismatch = handins.assignment_mismatch(notebook, program.defined)
        if mismatch:
            return zero_result(sid, path, "wrong_assignment", mismatch, seconds=time.monotonic() - start,
                               isolation=worker.isolation)
    except UnreadableSubmission as e:
        return zero_result(sid, path, e.status, str(e), seconds=time.monotonic() - start, isolation=worker.isolation)
    context = {"autograd_uses": autograd_uses(program)}
    run = worker.run(program)
    definitions = sanitize(run.results.get("_definitions", ({}, {}))[1])
    notes = program.notes + safe_lines(definitions.get("notes", []), 600, 20)
    questions = judge_all(run, context)
    status, detail = ("graded", "") if run.status == "ok" else (run.status, run.detail)
    timed_out = [qid for qid, entry in run.account.items() if entry.get("timed_out")]
    if timed_out and status == "graded":
        status, detail = "timeout", "stopped after its time budget: " + ", ".join(timed_out)
    crashed = [qid for qid in checks.ORDER if qid in run.account and qid not in timed_out and run.results.get(qid) is None]
    if crashed and status == "graded":
        status, detail = "crashed", "the process of a question ended before recording its result: " + ", ".join(crashed)
    return SubmissionResult(sid, str(path), status, safe_text(detail, 600), questions, notes,
                            time.monotonic() - start, worker.isolation, cells=program.cells)


def write_submission(result, out_dir):
    from .reports import write_student_report

    folder = Path(out_dir) / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    write_results_json(result, folder)
    write_student_report(result, folder / "report.html")
    row = {"status": result.status, "detail": result.detail, "notes": result.notes, "seconds": result.seconds,
           "isolation": result.isolation, "questions": [q.__dict__ | {"figures": {}} for q in result.questions]}
    atomic_write(folder / "row.json", json.dumps(row))


def _cache_key(path):
    return hashlib.sha256(Path(path).read_bytes() + autograder_fingerprint().encode()).hexdigest()


def _cached(sid, path, out_dir):
    folder = Path(out_dir) / sid
    try:
        if (folder / ".cache-key").read_text() != _cache_key(path):
            return None
        row = json.loads((folder / "row.json").read_text())
        questions = [QuestionResult(**q) for q in row["questions"]]
        return SubmissionResult(sid, str(path), row["status"], row["detail"], questions,
                                row["notes"], row["seconds"], row.get("isolation", ""), cached=True)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_gradebook(results, out_dir):
    path = Path(out_dir) / "grades.csv"
    tmp = path.with_name(".grades.csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", "total", "possible", "status", *checks.ORDER])
        for r in sorted(results, key=lambda r: r.submission):
            w.writerow([safe_text(r.submission), r.total, r.possible, safe_text(r.status),
                        *(q.score for q in r.questions)])
    os.replace(tmp, path)
    return path


def single_threaded_maths():
    """One thread for numpy's BLAS and for torch in the grader's own process: its checks are small
    computations, and the cores belong to the sandboxes (several threads each, fighting over two
    cores, made a check 20 times slower)."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


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


@dataclass
class Item:
    """One row of the gradebook to make: a student id and the file to grade (None: a row that
    says why there is nothing to grade, with `status` and `detail`)."""
    sid: str
    path: Path | None
    status: str = ""
    detail: str = ""


def items_of(paths):
    """Items of plain paths: the id is the file name without its extension."""
    return [p if isinstance(p, Item) else Item(submission_id(p), Path(p)) for p in paths]


def grade_all(paths, out_dir, jobs=1, allow_unsafe=False, progress=True, use_cache=True, failures=None):
    """Grade every path (a file, or an Item); returns the SubmissionResults (one per item, always,
    sorted by id) and writes the outputs. `failures` (a list) receives the grader's own failures (each
    also makes a `crashed` row that is not cached). Raises sandbox.GraderError when the sandbox cannot
    start at all (the preflight): then nothing is graded and nothing written."""
    out_dir = Path(out_dir)
    check_writable(out_dir)
    single_threaded_maths()
    items = items_of(paths)
    failures = [] if failures is None else failures
    hide = sorted({str(i.path.parent.resolve()) for i in items if i.path} | {str(out_dir.resolve())})
    inputs, request, _ = grading_inputs()  # once, before the threads
    from .reports import ENV

    for template in ENV.list_templates():  # compiled once here: compiling in two threads at once
        ENV.get_template(template)        # trips CPython 3.11's shared AST recursion counter
    workers = queue.SimpleQueue()  # warm, one per thread
    started = []
    lock = threading.Lock()
    done = []
    to_grade = [i for i in items if i.path is not None]

    def new_worker():
        worker = sandbox.Worker(inputs, request, hide=hide, allow_unsafe=allow_unsafe, name=f"w{len(started)}")
        with lock:
            started.append(worker)
        worker.start()
        return worker

    def work(item):
        result = None
        try:
            result = _cached(item.sid, item.path, out_dir) if use_cache else None
            if result is None:
                try:
                    worker = workers.get_nowait()
                except queue.Empty:
                    worker = new_worker()
                try:
                    result = grade_one(item.path, worker, item.sid)
                finally:
                    workers.put(worker)
                write_submission(result, out_dir)
                (out_dir / result.submission / ".cache-key").write_text(_cache_key(item.path))
        except Exception as e:  # noqa: BLE001 - a grader failure must still leave a row, and be loud
            message = f"internal grader error: {type(e).__name__}: {safe_text(str(e), 400)}"
            with lock:
                failures.append(f"{item.sid}: {message}\n{traceback.format_exc()}")
            result = zero_result(item.sid, item.path, "crashed", message, "not graded: the grader failed on this "
                                 "submission (your instructor sees why and will regrade it)", internal_error=True)
            try:
                write_submission(result, out_dir)
                (out_dir / result.submission / ".cache-key").unlink(missing_ok=True)
            except Exception:  # noqa: BLE001 - the gradebook row is what matters
                pass
        with lock:
            done.append(result)
            bar.set_postfix_str(result.submission[:30], refresh=False)
            bar.update()
        return result

    results = []
    # Progress on a terminal only: a log or a CI run gets the summary lines, not a bar redrawn 200 times.
    bar = tqdm(total=len(to_grade), unit="submission", file=sys.stderr, disable=not (progress and sys.stderr.isatty()))
    # The preflight: one sandbox must start before any submission is graded (a broken install fails
    # once, loudly, and is not 200 crashed rows).
    if any(not use_cache or _cached(i.sid, i.path, out_dir) is None for i in to_grade):
        try:
            workers.put(new_worker())
        except BaseException:
            for worker in started:
                worker.close()
            raise
    try:
        for item in items:  # rows without a file: a roster student who handed nothing in, an ambiguous hand-in
            if item.path is None:
                results.append(zero_result(item.sid, "", item.status, item.detail))
                try:
                    write_submission(results[-1], out_dir)
                except Exception as e:  # noqa: BLE001
                    failures.append(f"{item.sid}: {type(e).__name__}: {e}")
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(work, item): item for item in to_grade}
            for future in concurrent.futures.as_completed(futures):
                try:
                    results.append(future.result())
                except Exception as e:  # noqa: BLE001 - work() guards itself; this is the last net
                    item = futures[future]
                    failures.append(f"{item.sid}: {type(e).__name__}: {e}")
                    results.append(zero_result(item.sid, item.path, "crashed", "internal grader error",
                                               internal_error=True))
    finally:
        bar.close()
        for worker in started:
            worker.close()
        write_class_outputs(results, out_dir, failures, items)
    return sorted(results, key=lambda r: r.submission)


def class_similarity(items, results):
    """The similarity report of the class (autograder.similarity), from each readable notebook's code
    cells, the release notebook's own code excluded."""
    from . import similarity

    readable = {r.submission for r in results if r.status not in ("unreadable", "too_large", "wrong_assignment",
                                                                   "missing", "ambiguous")}
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
            from . import similarity

            report = class_similarity(items, results)
            similarity.write_csv(report, Path(out_dir) / "similarity.csv")
        except Exception as e:  # noqa: BLE001
            failures.append(f"similarity report: {type(e).__name__}: {e}\n{traceback.format_exc()}")
    try:
        from .reports import write_summary

        write_summary(results, out_dir, similarity=report)
    except Exception as e:  # noqa: BLE001
        failures.append(f"summary.html: {type(e).__name__}: {e}\n{traceback.format_exc()}")


def add_arguments(parser):
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="submissions (.ipynb, .zip) or folders of them, in any layout an LMS downloads")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel submissions (default: cores)")
    parser.add_argument("--id-from", choices=("auto", *handins.LAYOUTS), default="auto",
                        help="where student ids come from: auto (the layout decides), file (file names), folder "
                             "(per-student folders), moodle, canvas, gradescope (their downloads)")
    parser.add_argument("--roster", type=Path, help="a roster CSV (id, name, email, lms_id): maps ids, and gives a "
                                                     "row to students who handed nothing in")
    parser.add_argument("--no-cache", action="store_true", help="regrade even unchanged submissions")
    parser.add_argument("--unsafe-no-isolation", action="store_true",
                        help="grade even without bubblewrap (student code then runs with Landlock, seccomp and "
                             "limits where available, but without namespaces; every report says so)")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                        help="Gradescope visibility of the question entries in results.json (default: visible; "
                             "Gradescope's run uses points.toml [gradescope] hidden_visibility)")


def items_of_discovery(discovery):
    """The gradebook's rows: each hand-in, each hand-in the kit cannot decide alone, each roster
    student who handed nothing in."""
    items = [Item(h.id, Path(h.path)) for h in discovery.handins]
    for error in discovery.errors:
        items += [Item(sid, None, "ambiguous", error.message) for sid in error.ids]
    for entry in discovery.missing:
        items.append(Item(handins.safe_id(entry.id or entry.email or entry.lms_id), None, "missing",
                          "no hand-in was found for this roster student"))
    return items


def run(args):
    if args.jobs < 1:
        print("grade: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_MISUSE
    try:
        discovery = handins.discover(args.paths, args.id_from, args.roster)
    except handins.HandinsError as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return EXIT_MISUSE
    print(discovery.summary(), file=sys.stderr)
    items = items_of_discovery(discovery)
    if not items:
        print("grade: error: no submissions (.ipynb or .zip) found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return EXIT_MISUSE
    try:
        check_writable(args.out)
    except SystemExit as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return EXIT_MISUSE
    failures = []
    try:
        results = grade_all(items, args.out, args.jobs, allow_unsafe=args.unsafe_no_isolation,
                            use_cache=not args.no_cache, failures=failures)
    except sandbox.GraderError as e:
        print(f"error: the grader cannot run here: {e}", file=sys.stderr)
        return EXIT_GRADER_FAILED
    try:
        discovery.write_csv(args.out / handins.HANDINS_CSV)
    except OSError as e:
        failures.append(f"{handins.HANDINS_CSV}: {e}")
    if args.visibility != "visible":
        for result in results:
            write_results_json(result, args.out / result.submission, args.visibility)
    graded = sum(r.status == "graded" for r in results)
    reused = sum(getattr(r, "cached", False) for r in results)
    print(f"{len(results)} submissions, {graded} graded, {len(results) - graded} with problems"
          + (f" ({reused} unchanged since the last run: their results were reused)" if reused else ""))
    print(f"gradebook: {args.out / 'grades.csv'}\nclass summary: {args.out / 'summary.html'}\n"
          f"feedback: {args.out}/<submission>/report.html")
    if failures:
        print(f"error: the grader failed {len(failures)} time(s); those rows say 'internal grader error' and are "
              "not cached (rerun to regrade them):", file=sys.stderr)
        for failure in failures:
            print(failure, file=sys.stderr)
        return EXIT_GRADER_FAILED
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))
