"""Judging what came back from the sandbox: every record validated, each question's verdict from the
hidden checks (autograder.checks), a mistake charged on its own question once."""
import signal

from .. import checks
from ..mistakes import CATALOGUE, graded_feedback, mistakes_of_error
from ..results import QuestionResult, State, Status
from ..text import safe_text
from .inputs import grading_inputs


def _feedback(verdict):
    """The feedback of a judged question: the diagnosis first (what the mistake is, in words), then
    each failed check once, then what could not be judged because of them, then the notes."""
    checks_ = verdict.all_checks()
    lines = [graded_feedback(m) for m in verdict.mistakes]
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
    # A check that failed on what the function got from another one it called (init_params_autograd
    # calling init_params), when that one fails the same check: charged there, catalogued mistake or not.
    for qid, verdict in verdicts.items():
        for check in verdict.all_checks():
            home = check.upstream
            if not check.passed and home != qid and home in verdicts and any(
                    c.name == check.name and not c.passed for c in verdicts[home].all_checks()):
                verdict.forgive_check(check.name, home)


# The trainings the grader runs with the student's functions, and the diagnoses that blame the
# hyper-parameters: when a function the training uses fails its own question, that is the likely cause.
TRAINED_WITH = {"mnist_accuracy": ("init_model", "init_model_optim", "loss_accuracy_nn")}
HYPER_PARAMETER_MISTAKES = ("mnist_diverged", "mnist_underfit")


def _failing_note(failing):
    one = len(failing) == 1
    return (f"• {' and '.join(failing)} {'fails its' if one else 'fail their'} check: fix {'that' if one else 'them'} "
            f"first (the training uses {'it' if one else 'them'}: the likely cause, rather than the hyper-parameters)")


def _failing(functions, verdicts):
    return [f for f in functions if f in verdicts and any(not c.passed for c in verdicts[f].all_checks())]


def blame_the_functions(verdicts, results):
    """A training that failed (or raised) while a function it uses fails its own checks: the feedback
    names that function, not the hyper-parameters."""
    for qid, functions in TRAINED_WITH.items():
        verdict, failing = verdicts.get(qid), _failing(functions, verdicts)
        if not failing:
            continue
        if verdict is None and qid in results and results[qid].state == State.RAISED.value:
            results[qid].output += "\n" + _failing_note(failing)
        if verdict is None or not set(verdict.mistakes) & set(HYPER_PARAMETER_MISTAKES):
            continue
        verdict.mistakes = [m for m in verdict.mistakes if m not in HYPER_PARAMETER_MISTAKES]
        verdict.notes.insert(0, _failing_note(failing))


def not_derived_trains_nothing(verdicts):
    """A backward whose gradients were not derived (a library's backpropagation, or perturbation:
    checks/part1.py) earns no accuracy either: circles_accuracy measures what the student's
    derivation achieves. (The library routes are also refused while the grader trains them.)"""
    backward, circles = verdicts.get("backward"), verdicts.get("circles_accuracy")
    if backward is None or circles is None or "backward_not_derived" not in backward.mistakes:
        return
    circles.checks.clear()
    circles.credit_override = None
    circles.figures = {}
    circles.notes = [n for n in circles.notes if not n.startswith("The grader trained")]
    circles.fail(list(circles.rubric), "not credited: backward does not derive its gradients (see backward), so "
                 "what the training achieved is not the Part-1 functions' own")


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
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _unanswered(qid, question, run_result):
    """(text, state): why a question has no usable record, from the conductor's account of its child."""
    entry = run_result.account.get(qid)
    if entry is None:
        return ({Status.TIMEOUT: "not reached: the notebook ran out of time before this question",
                 Status.MEMORY: "not reached: the notebook ran out of memory",
                 Status.OUTPUT: "not reached: the notebook wrote too much",
                 }.get(run_result.status, f"not reached: {run_result.detail or 'the grading of this submission stopped'}"),
                State.NOT_REACHED)
    hint = f" ({question.timeout_hint})" if question.timeout_hint else " (an infinite loop?)"
    if entry.get("timed_out"):
        return f"✗ {qid} took longer than its {question.seconds:g} s budget{hint}", State.TIMEOUT
    if entry.get("skipped_for"):
        other = entry["skipped_for"]
        other_hint = checks.BY_ID[other].timeout_hint
        return (f"✗ {qid} was not trained: {other} took longer than its {checks.BY_ID[other].seconds:g} s budget on "
                f"the grader's inputs ({other_hint or 'an infinite loop?'}), so a training that calls it thousands "
                "of times could not finish either", State.TIMEOUT)
    code = entry.get("exit", 0)
    if isinstance(code, (int, float)) and code < 0:
        name = _signal_name(int(code))
        if name == "SIGKILL":
            return f"✗ {qid} was stopped by the system (memory limit?) and recorded nothing", State.CRASHED
        if name == "SIGXCPU":
            return (f"✗ {qid} used more than its {question.seconds:g} s of CPU"
                    + (f" ({question.timeout_hint})" if question.timeout_hint else ""), State.TIMEOUT)
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
            # an error that is the symptom of a catalogued mistake: named, as a judged question's is
            named = [] if missing else mistakes_of_error(q.id, meta.get("error", ""))
            results[q.id] = QuestionResult(q.id, 0.0, max_score, "\n".join(
                [safe_text(graded_feedback(m)) for m in named] + [safe_text(text)]),
                (State.MISSING if missing else State.RAISED).value, named)
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
    not_derived_trains_nothing(verdicts)
    blame_the_functions(verdicts, results)
    for qid, verdict in verdicts.items():
        q, max_score = checks.BY_ID[qid], checks.points(qid)
        score = round(max_score * verdict.fraction, 2)
        lines = _feedback(verdict)
        clean = all(c.passed and not c.counted_on for c in verdict.all_checks()) and not verdict.mistakes
        if score == max_score and clean:
            lines = ["✓ all hidden tests passed"] + verdict.notes
        results[q.id] = QuestionResult(q.id, score, max_score, "\n".join(lines), verdict.state, list(verdict.mistakes),
                                       verdict.figures, verdict.explain(max_score))
    return [results[qid] for qid in checks.ORDER]
