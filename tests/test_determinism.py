"""Grading is deterministic: the reference graded 20 times in a row (one batch of 20 copies, so the
warm workers grade several after one another) gets the same full marks and the same feedback."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder import grade

pytestmark = pytest.mark.grading
REFERENCE = Path(__file__).resolve().parent.parent / "examples" / "submissions" / "reference.ipynb"
COPIES = 20


def test_the_reference_gets_identical_full_marks_20_times_in_a_row(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(COPIES):
        shutil.copy(REFERENCE, subs / f"reference_{i:02d}.ipynb")
    results = grade.grade_all(sorted(subs.iterdir()), tmp_path / "out", jobs=2, progress=False, use_cache=False)
    assert [r.submission for r in results] == [f"reference_{i:02d}" for i in range(COPIES)]
    assert all(r.status == "graded" and r.total == r.possible == 100.0 for r in results), \
        [(r.submission, r.status, r.total) for r in results if r.total != 100.0]
    first = results[0]
    for r in results[1:]:
        assert [(q.id, q.score, q.output, q.mistakes) for q in r.questions] == \
               [(q.id, q.score, q.output, q.mistakes) for q in first.questions], r.submission
        for q, q0 in zip(r.questions, first.questions):  # the training runs themselves, not only their scores
            assert q.figures.keys() == q0.figures.keys()
            for key, value in q.figures.items():
                assert np.array_equal(np.asarray(value), np.asarray(q0.figures[key])), (r.submission, q.id, key)
