"""What the grader does with the accuracy questions, published for the public checks.

`parameters()` gives the thresholds of `autograder/points.toml` and the grader's own training settings
(hyper-parameters, runs, when MNIST underfits; its MNIST CPU budget is the contract's, in contract.py),
so that a public check can say what the grader needs
for full points. `make assign` writes them to `data/grading.json` in the release; nothing here is an
input the grader tests with, nor a hidden test set.
"""
import functools
import json
from pathlib import Path

PARAMETERS_FILE = Path(__file__).resolve().parent / "data" / "grading.json"


@functools.cache
def parameters():
    """{"thresholds": {question: {"full", "half"}}, "circles": {...}, "mnist": {...}} (see make assign)."""
    if PARAMETERS_FILE.exists():
        return json.loads(PARAMETERS_FILE.read_text(encoding="utf-8"))
    # The kit's source tree (solutions/tp1_support) before `make assign` built the release: the same
    # values, computed where make assign computes them.
    from autograder.build import grading_parameters

    return grading_parameters()
