"""Grading a class, step by step: discover (autograder.handins: the hand-ins, in the layouts LMSs
download), read (a notebook, and the definitions the sandbox may run), sandbox (the student's code
behind walls), judge (the records, validated, against the hidden checks), write (each student's
results, once; then the class's). `autograder.grade` runs these steps for every submission, in
parallel, each under a guard; `autograder.gradescope` runs them for its one submission."""
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import checks, config, late
from ..checks.backward_source import autograd_uses
from ..ids import submission_id
from ..results import Status, SubmissionResult, zero_result
from ..text import safe_lines, safe_text
from .assignment import assignment_mismatch
from .judge import judge_all, sanitize
from .read import UnreadableSubmission, program_of, read_notebook


@dataclass
class Grading:
    """One submission on its way through the steps. A step that decides the submission's result
    early (an unreadable file, another assignment) sets `result`; the deciding steps after it do not
    run, the steps on the result (ON_THE_RESULT: the late policy, the write) do."""
    sid: str
    path: Path
    worker: object  # a warm sandbox.Worker (None when `result` is given: nothing runs)
    output: object = None  # where the result is written: write.ClassFolder, or Gradescope's results folder
    student: object = None  # the hand-in's name, late and hours_late (autograder.grade.Item), if known
    key: str | None = None  # what a rerun compares to reuse the result (write.cache_key); None: never
    start: float = field(default_factory=time.monotonic)
    notebook: object = None
    program: object = None
    run: object = None
    result: SubmissionResult | None = None

    def stop(self, status, detail):
        self.result = zero_result(self.sid, self.path, status, detail, seconds=time.monotonic() - self.start,
                                  isolation=self.worker.isolation)


def read_the_notebook(g):
    """The file as a notebook (the .ipynb, or the one notebook of an export zip)."""
    try:
        g.notebook = read_notebook(g.path)
    except UnreadableSubmission as e:
        g.stop(Status(e.status), str(e))


def select_the_definitions(g):
    """The statements the sandbox may run: imports, definitions and constants, none running code."""
    try:
        g.program = program_of(g.notebook)
    except UnreadableSubmission as e:
        g.stop(Status(e.status), str(e))


def check_the_assignment(g):
    """A notebook of another practical gets its own status, not a 0 that looks like a grade."""
    mismatch = assignment_mismatch(g.notebook, g.program.defined)
    if mismatch:
        g.stop(Status.WRONG_ASSIGNMENT, mismatch)


def run_in_the_sandbox(g):
    """The definitions and one process per question, behind the sandbox's walls (GraderError when
    the grader itself fails)."""
    g.run = g.worker.run(g.program)


def judge_the_records(g):
    """Every record validated and judged; the submission's status from how its processes ended."""
    run, program = g.run, g.program
    definitions = sanitize(run.results.get(config.CONTRACT.DEFINITIONS_RECORD, ({}, {}))[1])
    notes = program.notes + safe_lines(definitions.get("notes", []), 600, 20)
    questions = judge_all(run, {"autograd_uses": autograd_uses(program)})
    status, detail = (Status.GRADED, "") if run.status == "ok" else (Status(run.status), run.detail)
    timed_out = [qid for qid, entry in run.account.items() if entry.get("timed_out")]
    if timed_out and status == Status.GRADED:
        status, detail = Status.TIMEOUT, "stopped after its time budget: " + ", ".join(timed_out)
    crashed = [qid for qid in checks.ORDER if qid in run.account and qid not in timed_out and run.results.get(qid) is None
               and not run.account[qid].get("skipped_for")]
    if crashed and status == Status.GRADED:
        status, detail = Status.CRASHED, "the process of a question ended before recording its result: " + ", ".join(crashed)
    g.result = SubmissionResult(g.sid, str(g.path), status, safe_text(detail, 600), questions, notes,
                                time.monotonic() - g.start, g.worker.isolation, cells=program.cells)


def apply_the_late_policy(g):
    """The student's name, and the late policy of points.toml on a late hand-in's points."""
    if g.student is not None:
        settings = config.load()
        g.result.name = g.student.name
        g.result.late_penalty, g.result.late = late.penalty(settings.late_policy, settings.late_percent,
                                                            g.result.points, g.student.late, g.student.hours_late)


def write_the_results(g):
    """The student's files, each written once (results.json at the output's visibility)."""
    if g.output is not None:
        g.output.write(g.result, g.key)


# The steps of one submission, in order, each one concern (nbgrader's converters are the model). The
# first ones decide the result, and stop at the one that does; the last ones run on every result.
STEPS = (read_the_notebook, select_the_definitions, check_the_assignment, run_in_the_sandbox, judge_the_records,
         apply_the_late_policy, write_the_results)
ON_THE_RESULT = (apply_the_late_policy, write_the_results)


def grade_one(path, worker, sid=None, *, output=None, student=None, key=None, result=None):
    """Grade one submission with a warm sandbox.Worker: STEPS, the deciding ones until one decides the
    result (`result`: one already decided, an earlier run's), then the ones on the result: the late
    policy (for `student`) and the write (to `output`, with `key` for a rerun)."""
    g = Grading(sid or submission_id(path), Path(path), worker, output, student, key, result=result)
    for step in STEPS:
        if g.result is None or step in ON_THE_RESULT:
            step(g)
    return g.result
