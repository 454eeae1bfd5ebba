"""What every check uses: verdicts, relative errors (CS231n style), reading what a probe recorded."""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Check:
    name: str
    weight: float
    passed: bool
    message: str = ""
    mistake: str = ""  # the catalogued mistake this failed check is the symptom of, when known
    counted_on: str = ""  # set when that mistake is charged on another question (see Verdict.forgive)
    judged: bool = True  # False: it could not be judged (what it needs failed first): it counts as failed
    # The question whose function this one called (seen by the probe) and whose same check explains
    # this failure: charged there, not here, when that question fails the same check (Verdict.forgive_check).
    upstream: str = ""


class Rubric(dict):
    """A question's checks and their weights, declared up front (name -> weight, in order): the
    question's score is the weight of the checks passed over the weight of them all."""


@dataclass
class Verdict:
    """The judgement of one question: its rubric's checks, diagnosed mistakes, and notes. A check of
    the rubric that the judge never reaches (what it needs failed first) counts as failed."""
    rubric: Rubric
    checks: dict = field(default_factory=dict)  # name -> Check, in the order judged
    mistakes: list = field(default_factory=list)  # ids of autograder.mistakes.CATALOGUE
    notes: list = field(default_factory=list)
    credit_override: float | None = None  # fraction of the points, when a setting decides it
    figures: dict = field(default_factory=dict)  # what the report may draw (arrays)
    state: str = "judged"  # "raised" when the training the question drives raised (autograder.results.State)
    cause: str = ""  # the mistake that kept the unjudged checks from being judged
    credit_reason: str = ""  # why credit_override decides the score, in words

    def add(self, name, passed, message=""):
        """Judge the rubric's check `name`; returns whether it passed."""
        if name not in self.rubric:
            raise KeyError(f"{name!r} is not a check of this question's rubric")
        if name in self.checks:
            raise KeyError(f"{name!r} was judged twice")
        self.checks[name] = Check(name, self.rubric[name], bool(passed), "" if passed else message)
        return bool(passed)

    def fail(self, names, message):
        """Several checks fail for one reason (the message is shown once)."""
        for i, name in enumerate(names):
            self.add(name, False, message if i == 0 else "")

    def diagnose(self, mistake_id):
        if mistake_id not in self.mistakes:
            self.mistakes.append(mistake_id)

    def link(self, mistake_id, name=None):
        """Diagnose mistake_id as the cause of check `name` (default: the last judged), which failed."""
        self.diagnose(mistake_id)
        self.checks[name or list(self.checks)[-1]].mistake = mistake_id

    def stop(self, cause=""):
        """The checks not judged yet cannot be: they fail, because of `cause` (a mistake id) if given."""
        self.cause = cause
        for name, weight in self.rubric.items():
            if name not in self.checks:
                self.checks[name] = Check(name, weight, False, "", cause, judged=False)

    def all_checks(self):
        """Every check of the rubric, those never reached as not judged."""
        return [self.checks.get(name) or Check(name, weight, False, "", self.cause, judged=False)
                for name, weight in self.rubric.items()]

    def forgive(self, mistake_id, question):
        """The failed checks caused by mistake_id no longer cost points here: the mistake is charged
        on `question`, its own (a function that reuses another carries its mistake along)."""
        for name, check in [(c.name, c) for c in self.all_checks()]:
            if check.mistake == mistake_id and not check.passed:
                check.passed, check.counted_on = True, question
                self.checks[name] = check

    def blame_upstream(self, names, question):
        """The failed checks among `names` are what this question's function got from `question`'s,
        which it called: they are charged there if that question fails the same check."""
        for name in names:
            check = self.checks.get(name)
            if check is not None and not check.passed:
                check.upstream = question

    def forgive_check(self, name, question):
        """The check `name` no longer costs points here: what failed it is charged on `question`."""
        check = next(c for c in self.all_checks() if c.name == name)
        check.passed, check.counted_on = True, question
        self.checks[name] = check

    @property
    def passed_weight(self):
        return sum(c.weight for c in self.all_checks() if c.passed)

    @property
    def fraction(self):
        if self.credit_override is not None:
            return self.credit_override
        total = sum(self.rubric.values())
        return self.passed_weight / total if total else 0.0

    def explain(self, points):
        """How a partial score was made, in words (empty for none or all of the points)."""
        fraction = self.fraction
        if fraction in (0.0, 1.0):
            return ""
        if self.credit_override is not None:
            return f"{self.credit_reason or 'a setting decides the credit'}: {fraction:.0%} of {points:g} points"
        total = sum(self.rubric.values())
        return (f"the checks passed weigh {self.passed_weight:g} of {total:g}: {points:g} x {self.passed_weight:g}/"
                f"{total:g} = {round(points * fraction, 2):g} points")


def rel_error(x, y, floor=1e-8):
    """Max relative error, as in CS231n's gradient checks. Entries far smaller than the largest one
    are compared at a thousandth of its scale: a sum that cancels to ~0 in float32 is not an error;
    entries below `floor` are compared at `floor`."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not x.size:
        return 0.0
    floor = max(floor, 1e-3 * float(np.max(np.abs(y))))
    return float(np.max(np.abs(x - y) / np.maximum(floor, np.abs(x) + np.abs(y))))


def close(x, y, tol):
    x, y = np.asarray(x), np.asarray(y)
    return x.shape == y.shape and np.all(np.isfinite(x)) and rel_error(x, y) < tol


def shape_of(meta, key):
    d = meta.get(key) or {}
    return tuple(d.get("shape", ())) if "shape" in d else None


def type_of(meta, key):
    return (meta.get(key) or {}).get("type", "nothing")


def is_tensor(meta, key):
    """Whether the probe found a real torch.Tensor (isinstance, not a type name that says so)."""
    return bool((meta.get(key) or {}).get("is_tensor"))


def dtype_of(arrays, meta, key):
    """The dtype of a returned tensor: the recorded array's (real data), when the description agrees."""
    a, described = arrays.get(key), (meta.get(key) or {}).get("dtype")
    if a is None or described in ("bfloat16", "float16"):  # the probe records those as float32
        return described
    return str(a.dtype) if described == str(a.dtype) else f"{a.dtype} (described as {described})"


def value(arrays, key):
    """The recorded array, or None when the function returned something that is not numeric."""
    return arrays.get(key)


def as_scalar(a):
    """A 0-dim or single-element array as a float; None otherwise."""
    if a is None or np.asarray(a).size != 1:
        return None
    return float(np.asarray(a).reshape(-1)[0])


def describe_mismatch(name, got, expected):
    """Say how an output is wrong without printing the hidden expected values wholesale: its shape,
    or the largest relative error and, as a small example, the one entry where it occurs."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return f"{name} contains NaN or inf"
    text = f"{name} is wrong: max relative error {rel_error(got, expected):.2g}"
    if got.size > 1:
        index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        text += (f" (e.g. entry {list(map(int, index))}: yours {got[index]:.4g}, expected "
                 f"{expected[index]:.4g})")
    return text


def numerical_gradient(f, x, h=1e-5):
    """Centred finite differences (f(x + h e_i) - f(x - h e_i)) / 2h of a scalar function f at x,
    in float64: the gradient check of CS231n. f receives a float64 array of x's shape."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        plus = float(f(x))
        x[index] = old - h
        minus = float(f(x))
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


def fd_resolution(f_value):
    """The smallest gradient entry that centred differences (h = 1e-5) resolve in float64: their
    rounding noise is ~eps |f| / h = 2e-11 |f|; entries are compared at no less than 1e-5 |f|."""
    return 1e-5 * max(1.0, abs(float(f_value)))


def numerical_gradients(f, params, h=1e-5):
    """({name: centred finite-difference gradient}, fd_resolution) of the scalar function
    f(params) -> float at params, a dict of arrays, in float64."""
    params = {name: np.asarray(p, dtype=np.float64) for name, p in params.items()}
    gradients = {name: numerical_gradient(lambda v, name=name: f({**params, name: v}), params[name], h)
                 for name in params}
    return gradients, fd_resolution(f(params))


def fd_error(analytic, numerical, resolution):
    """The relative error of an analytic gradient against a numerical one (entries compared at no
    less than `resolution`); inf for a wrong shape."""
    analytic = np.asarray(analytic, dtype=np.float64)
    return rel_error(analytic, numerical, resolution) if analytic.shape == numerical.shape else float("inf")


def grad_check(f, params, analytic, h=1e-5):
    """The relative error (fd_error) of each analytic gradient against the centred finite-difference
    gradient of the scalar function f(params) -> float, where params is a dict of arrays.

    Returns {name: relative error}, inf for a wrong shape; in float64 a right gradient gives ~1e-7
    or less, a wrong one ~1e-1."""
    numerical, resolution = numerical_gradients(f, params, h)
    return {name: fd_error(analytic[name], numerical[name], resolution) for name in numerical}


def ratio(got, expected, tol=1e-5):
    """The single factor c with got == c * expected (to the relative error tol), if there is one (else None)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    mask = np.abs(expected) > 1e-6 * max(1e-12, np.abs(expected).max())
    if not mask.any():
        return None
    c = float(np.median(got[mask] / expected[mask]))
    return c if close(got, c * expected, tol) else None
