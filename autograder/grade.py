"""python -m autograder grade PATH... --out DIR [--jobs N]

Grades a class: the steps of autograder.pipeline for each submission (read, sandbox, judge, write),
several at a time, then the class's outputs. Writes DIR/grades.csv, DIR/<id>/results.json,
DIR/<id>/report.html, DIR/summary.html (with the similarity report) and DIR/handins.csv.

Every submission gets a row, whatever happens to it: each step of a submission (reading, the
sandbox, judging, writing its files) runs under one guard, and the gradebook and the summary are
always written. The command exits 0 when every submission got a row; non-zero when it was misused
or when the grader itself failed (it could not start its sandbox, an internal error): such failures
are never cached.
"""
import argparse
import concurrent.futures
import os
import queue
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from . import config, handins
from .pipeline import grade_one, sandbox
from .pipeline.inputs import grading_inputs
from .ids import submission_id
from .pipeline.write import ClassFolder, cache_key, cached_result, check_writable, write_class_outputs
from .results import VISIBILITIES, Status, zero_result
from .text import safe_text

EXIT_MISUSE, EXIT_GRADER_FAILED = 2, 3


def single_threaded_maths():
    """One thread for numpy's BLAS and for torch in the grader's own process: its checks are small
    computations, and the cores belong to the sandboxes (several threads each, fighting over two
    cores, made a check 20 times slower)."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)


@dataclass
class Item:
    """One row of the gradebook to make: a student id and the file to grade (None: a row that
    says why there is nothing to grade, with `status` and `detail`); the student's name, and whether
    the LMS says the hand-in is late (hours_late: how late, when known)."""
    sid: str
    path: Path | None
    status: str = ""
    detail: str = ""
    name: str = ""
    late: bool = False
    hours_late: float | None = None

    def identity(self):
        """What the student's page says besides the grade: a rerun whose identity changed regrades."""
        return f"{self.name}\0{self.late}\0{self.hours_late}"


def items_of(paths):
    """Items of plain paths: the id is the file name without its extension."""
    return [p if isinstance(p, Item) else Item(submission_id(p), Path(p)) for p in paths]


def grade_all(paths, out_dir, jobs=1, allow_unsafe=False, progress=True, use_cache=True, failures=None,
              visibility="visible", output=None):
    """Grade every path (a file, or an Item); returns the SubmissionResults (one per item, always,
    sorted by id) and writes the outputs: each student's files through `output` (default: a
    write.ClassFolder of out_dir, results.json at `visibility`), then the class's in out_dir (not when
    `output` is given: Gradescope's one submission). `failures` (a list) receives the grader's own
    failures (each also makes a `crashed` row that is not cached). Raises sandbox.GraderError when the
    sandbox cannot start at all (the preflight): then nothing is graded and nothing written."""
    out_dir = Path(out_dir)
    class_outputs = output is None
    output = ClassFolder(out_dir, visibility) if output is None else output
    check_writable(out_dir)
    single_threaded_maths()
    items = items_of(paths)
    failures = [] if failures is None else failures
    hide = sorted({str(i.path.parent.resolve()) for i in items if i.path} | {str(out_dir.resolve())})
    inputs, request, _ = grading_inputs()  # once, before the threads
    from .pages import ENV

    for template in ENV.list_templates():  # compiled once here: compiling in two threads at once
        ENV.get_template(template)        # trips CPython 3.11's shared AST recursion counter
    workers = queue.SimpleQueue()  # warm, one per thread
    started = []
    lock = threading.Lock()
    done = []
    to_grade = [i for i in items if i.path is not None]
    keys = {i.sid: cache_key(i.path, i.identity()) for i in to_grade}
    reused = {i.sid: cached_result(i.sid, i.path, out_dir, keys[i.sid]) for i in to_grade} if use_cache else {}

    def new_worker():
        worker = sandbox.Worker(inputs, request, hide=hide, allow_unsafe=allow_unsafe, name=f"w{len(started)}")
        with lock:
            started.append(worker)
        worker.start()
        return worker

    def work(item):
        result = None
        try:
            if reused.get(item.sid) is not None:
                result = grade_one(item.path, None, item.sid, output=output, student=item, result=reused[item.sid])
            else:
                try:
                    worker = workers.get_nowait()
                except queue.Empty:
                    worker = new_worker()
                try:
                    result = grade_one(item.path, worker, item.sid, output=output, student=item, key=keys[item.sid])
                finally:
                    workers.put(worker)
        except Exception as e:  # noqa: BLE001 - a grader failure must still leave a row, and be loud
            message = f"internal grader error: {type(e).__name__}: {safe_text(str(e), 400)}"
            with lock:
                failures.append(f"{item.sid}: {message}\n{traceback.format_exc()}")
            result = zero_result(item.sid, item.path, Status.CRASHED, message, "not graded: the grader failed on this "
                                 "submission (your instructor sees why and will regrade it)", internal_error=True,
                                 name=item.name)
            try:
                output.write(result)
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
    if any(reused.get(i.sid) is None for i in to_grade):
        try:
            workers.put(new_worker())
        except BaseException:
            for worker in started:
                worker.close()
            raise
    try:
        for item in items:  # rows without a file: a roster student who handed nothing in, an ambiguous hand-in
            if item.path is None:
                results.append(zero_result(item.sid, "", item.status, item.detail, name=item.name))
                try:
                    output.write(results[-1])
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
                    results.append(zero_result(item.sid, item.path, Status.CRASHED, "internal grader error",
                                               internal_error=True, name=item.name))
    finally:
        bar.close()
        for worker in started:
            worker.close()
        if class_outputs:
            write_class_outputs(results, out_dir, failures, items)
    return sorted(results, key=lambda r: r.submission)


def add_arguments(parser):
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="submissions (.ipynb, .zip) or folders of them, in any layout an LMS downloads")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel submissions (default: cores)")
    parser.add_argument("--id-from", choices=("auto", *handins.LAYOUTS), default="auto",
                        help="where student ids come from: auto (the layout decides), file (file names), folder "
                             "(per-student folders), moodle, canvas, gradescope (their downloads)")
    parser.add_argument("--roster", type=Path,
                        help="the class's roster: the LMS's own file (Moodle's grading worksheet or gradebook export, "
                             "Canvas's gradebook export, Gradescope's roster) or a CSV with id, name, email, lms_id; "
                             "gives names, and a row to students who handed nothing in")
    parser.add_argument("--pick", type=Path, action="append", default=[], metavar="FILE",
                        help="for a student who handed in several notebooks: the one to grade (repeat for each "
                             "such student)")
    parser.add_argument("--deadline", metavar="WHEN",
                        help="the due date, with its time zone (2026-11-29T23:59+01:00): a Gradescope export's "
                             "submission times are compared with it (Canvas marks late hand-ins itself)")
    parser.add_argument("--no-cache", action="store_true", help="regrade even unchanged submissions")
    parser.add_argument("--unsafe-no-isolation", action="store_true",
                        help="grade even without bubblewrap (student code then runs with Landlock, seccomp and "
                             "limits where available, but without namespaces; every report says so)")
    parser.add_argument("--visibility", choices=VISIBILITIES, default="visible",
                        help="Gradescope visibility of the question entries in results.json (default: visible; "
                             "Gradescope's run uses points.toml [gradescope] hidden_visibility)")


def items_of_discovery(discovery):
    """The gradebook's rows, one per student: each hand-in; each student whose file the instructor
    must pick (`ambiguous`); each roster student who handed nothing in (`missing`)."""
    items = []
    for s in discovery.students:
        if s.status == "handin":
            items.append(Item(s.id, Path(s.path), name=s.name, late=s.late, hours_late=s.hours_late))
        elif s.status == "ambiguous":
            items.append(Item(s.id, None, Status.AMBIGUOUS, s.problem, name=s.name))
        else:
            items.append(Item(s.id, None, Status.MISSING, "no hand-in was found for this roster student", name=s.name))
    return items


def run(args):
    if args.jobs < 1:
        print("grade: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_MISUSE
    try:
        config.bubblewrap_choice()
    except config.ConfigError as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return EXIT_MISUSE
    try:
        discovery = handins.discover(args.paths, args.id_from, args.roster, picks=args.pick,
                                     deadline=args.deadline)
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
    from .data import grading_secret

    if grading_secret() is None:
        print("grade: warning: no grading secret: the hidden Circles test sets follow from the kit's public source "
              "(`python -m autograder secret` makes one)", file=sys.stderr)
    failures = []
    try:
        results = grade_all(items, args.out, args.jobs, allow_unsafe=args.unsafe_no_isolation,
                            use_cache=not args.no_cache, failures=failures, visibility=args.visibility)
    except sandbox.GraderError as e:
        print(f"error: the grader cannot run here: {e}", file=sys.stderr)
        return EXIT_GRADER_FAILED
    try:
        discovery.write_csv(args.out / handins.HANDINS_CSV)
    except OSError as e:
        failures.append(f"{handins.HANDINS_CSV}: {e}")
    graded = sum(r.status == Status.GRADED for r in results)
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
