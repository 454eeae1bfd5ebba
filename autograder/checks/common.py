"""What every check uses: verdicts, relative errors (CS231n style), reading what a probe recorded."""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Check:
    name: str
    weight: float
    passed: bool
    message: str = ""


@dataclass
class Verdict:
    """The judgement of one question: weighted checks, diagnosed mistakes, and notes."""
    checks: list = field(default_factory=list)
    mistakes: list = field(default_factory=list)  # ids of autograder.mistakes.CATALOGUE
    notes: list = field(default_factory=list)
    credit_override: float | None = None  # fraction of the points, when a setting decides it
    figures: dict = field(default_factory=dict)  # what the report may draw (arrays)

    def add(self, name, weight, passed, message=""):
        self.checks.append(Check(name, weight, bool(passed), "" if passed else message))
        return bool(passed)

    def diagnose(self, mistake_id):
        if mistake_id not in self.mistakes:
            self.mistakes.append(mistake_id)

    @property
    def fraction(self):
        if self.credit_override is not None:
            return self.credit_override
        total = sum(c.weight for c in self.checks)
        return sum(c.weight for c in self.checks if c.passed) / total if total else 0.0


def rel_error(x, y):
    """Max relative error, as in CS231n's gradient checks. Entries far smaller than the largest one
    are compared at a thousandth of its scale: a sum that cancels to ~0 in float32 is not an error."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not x.size:
        return 0.0
    floor = max(1e-8, 1e-3 * float(np.max(np.abs(y))))
    return float(np.max(np.abs(x - y) / np.maximum(floor, np.abs(x) + np.abs(y))))


def close(x, y, tol):
    x, y = np.asarray(x), np.asarray(y)
    return x.shape == y.shape and np.all(np.isfinite(x)) and rel_error(x, y) < tol


def shape_of(meta, key):
    d = meta.get(key) or {}
    return tuple(d.get("shape", ())) if "shape" in d else None


def type_of(meta, key):
    return (meta.get(key) or {}).get("type", "nothing")


def value(arrays, key):
    """The recorded array, or None when the function returned something that is not numeric."""
    return arrays.get(key)


def as_scalar(a):
    """A 0-dim or single-element array as a float; None otherwise."""
    if a is None or np.asarray(a).size != 1:
        return None
    return float(np.asarray(a).reshape(-1)[0])


def describe_mismatch(name, got, expected):
    """Say how an output is wrong without printing the hidden expected values wholesale."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return f"{name} contains NaN or inf"
    return f"{name} is wrong: max relative error {rel_error(got, expected):.2g}"


def ratio(got, expected):
    """The single factor c with got == c * expected, if there is one (else None)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    mask = np.abs(expected) > 1e-6 * max(1e-12, np.abs(expected).max())
    if not mask.any():
        return None
    c = float(np.median(got[mask] / expected[mask]))
    return c if close(got, c * expected, 1e-5) else None
