"""What grading produces for one submission, and the one place its results.json schema is built.

Both the grading command and the Gradescope run (autograder.gradescope) write results.json from
these objects' structured fields (a question's state, its score), never from the wording of its
feedback.
"""
import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from . import config
from .files import atomic_write
from .text import safe_text

VISIBILITIES = config.VISIBILITIES
PUBLIC_TEST = "Public checks"
WHEN = {"after_published": "when your instructor publishes the grades",
        "after_due_date": "after the due date",
        "hidden": "to your instructor only"}


class State(str, Enum):
    """How far a question got. Only `judged` means the hidden checks saw what the function returned;
    every other state is a fact about the student's own code that they may see at once."""
    JUDGED = "judged"
    MISSING = "missing"  # the notebook defines no such function (or constant)
    RAISED = "raised"  # calling it raised an exception (or the training it drives did)
    TIMEOUT = "timeout"  # it ran past its time budget
    CRASHED = "crashed"  # its process ended without a result (os._exit, a signal, the memory limit)
    NOT_REACHED = "not_reached"  # the submission's grading stopped before it
    NOT_GRADED = "not_graded"  # the submission could not be graded at all (unreadable, another assignment...)


class Status(str, Enum):
    """A submission's status, the gradebook's `status` column: `graded`, or why not. A member is its
    value wherever it is written (str(), a format, a hash, JSON, a CSV cell), so the files read the same
    whether a status was made here or read back from an earlier run's row."""
    GRADED = "graded", "every question was run and judged (a question may still have failed)"
    UNREADABLE = "unreadable", "the file is not a notebook the grader can read"
    TOO_LARGE = "too_large", "the notebook is larger than the grader reads (bytes, cells or code)"
    WRONG_ASSIGNMENT = "wrong_assignment", "the notebook is another practical's"
    AMBIGUOUS = "ambiguous", "the student handed in several notebooks: the instructor picks one"
    MISSING = "missing", "a roster student who handed nothing in"
    TIMEOUT = "timeout", "the notebook, or a question's process, ran past its time budget"
    MEMORY = "memory", "the notebook ran out of its memory limit"
    OUTPUT = "output", "the notebook wrote more files than its folder may hold"
    CRASHED = "crashed", "a process ended without its result, or the grader itself failed on the file"

    def __new__(cls, value, description):
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    def __str__(self):
        return self.value

    __format__ = str.__format__
    __hash__ = str.__hash__


# The statuses with nothing graded: the class's statistics and the similarity report leave them out.
NO_GRADE = (Status.UNREADABLE, Status.TOO_LARGE, Status.WRONG_ASSIGNMENT, Status.MISSING, Status.AMBIGUOUS)


@dataclass
class QuestionResult:
    id: str
    score: float
    max_score: float
    output: str
    state: str = State.JUDGED.value
    mistakes: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)
    explanation: str = ""  # how a partial score was made


@dataclass
class SubmissionResult:
    submission: str
    path: str
    status: Status
    detail: str
    questions: list  # of QuestionResult, in config.QUESTION_IDS order
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    isolation: str = ""
    internal_error: bool = False  # the grader failed, not the submission: never cached
    cached: bool = False  # read back from an earlier run (the file and the grader are unchanged)
    cells: list = field(default=None, repr=False)  # the notebook's code cells, for the similarity report
    name: str = ""  # the student's name, when the LMS or the roster gives it
    late: str = ""  # the late policy's sentence for the student ('' when not late: autograder/late.py)
    late_penalty: float = 0.0  # the points the late policy takes off the questions' sum

    @property
    def points(self):
        """The questions' points, before any late penalty."""
        return round(sum(q.score for q in self.questions), 2)

    @property
    def total(self):
        """The grade: the questions' points less the late penalty."""
        return round(max(0.0, self.points - self.late_penalty), 2)

    @property
    def possible(self):
        return round(sum(q.max_score for q in self.questions), 2)


def zero_result(sid, path, status, detail, output=None, state=State.NOT_GRADED, **kwargs):
    """A row of zeros, every question in `state` saying `output` (default: the detail)."""
    text = safe_text(output if output is not None else f"✗ {detail}")
    points = config.load().question_points
    return SubmissionResult(sid, str(path), Status(status), safe_text(detail, 600),
                            [QuestionResult(q, 0.0, points[q], text, State(state).value) for q in config.QUESTION_IDS],
                            **kwargs)


# --- results.json ----------------------------------------------------------------------------------

def public_line(question):
    """(ran, text): what the student may see at once about one question: found and ran, or why not."""
    if question.state == State.NOT_GRADED:
        return False, "not graded (see the status above)"
    if question.state != State.JUDGED:
        first = question.output.splitlines()[0].strip() if question.output else question.state
        return False, first.removeprefix("✗ ")[:600]
    kind = getattr(config.CONTRACT.BY_ID.get(question.id), "kind", "function")
    if kind == "training":
        return True, "the grader trained your functions without error"
    if kind == "constant":
        return True, "found"
    return True, "found, and ran on the grader's inputs without error"


def public_entry(result, visibility):
    """The visible test entry of results.json when the question entries are not visible yet: only what
    the student can already know (whether each function was found and ran), never a score."""
    lines = [(q.id, *public_line(q)) for q in result.questions]
    text = ("Each graded function was looked for in your notebook and called on the grader's own inputs.\n"
            f"Scores and the hidden tests' feedback (values, gradients, accuracy) are shown "
            f"{WHEN.get(visibility, 'later')}.\n\n"
            + "\n".join(f"{'✓' if ran else '✗'} {qid}: {why}" for qid, ran, why in lines))
    return {"name": PUBLIC_TEST, "output": text, "visibility": "visible",
            "status": "passed" if all(ran for _, ran, _ in lines) else "failed"}


def results_json(result, visibility="visible"):
    """Gradescope's results.json schema: one test per question id, with its score and the hidden
    checks' feedback, at `visibility`. The status and the notes on the notebook's cells (top-level
    `output`) are always visible; when the questions are not, a visible entry comes first that says
    only what the student already knows (public_entry)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
    output = f"Status: {result.status}. {result.detail}".strip()
    if result.notes:
        output += "\n" + "\n".join(result.notes)
    if result.isolation.startswith("WITHOUT"):
        output += f"\nGraded {result.isolation}."
    data = {
        "score": result.total,
        "output": safe_text(output, 20000),
        "tests": [{"name": q.id, "score": q.score, "max_score": q.max_score, "output": safe_text(q.output, 20000),
                   "visibility": visibility} for q in result.questions],
    }
    if visibility != "visible":
        data["tests"].insert(0, public_entry(result, visibility))
    return data


def write_results_json(result, folder, visibility="visible"):
    return atomic_write(Path(folder) / "results.json",
                        json.dumps(results_json(result, visibility), indent=1, ensure_ascii=False))
