"""The reference reproduces the TP's results with the notebook's own code, and the numbers the notebook
quotes over seeds are what its cells give with those seeds (benchmarks/reference_results.py runs
the master notebook's functions: its solutions and its training loops)."""
import re
from pathlib import Path

import jupytext
import pytest

import reference_results as rr  # benchmarks/reference_results.py
from tp1_support import CirclesData, MNISTData

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(10)


def _markdown():
    """The master notebook's markdown, one line (what the release says)."""
    nb = jupytext.read(ROOT / "solutions" / "tp1_ab.py")
    return " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown").split())


def _quoted_range(pattern, text):
    """(low, high) of the range `a–b` that pattern's group 'range' matches in text."""
    match = re.search(pattern, text)
    assert match, pattern
    low, high = re.split("–", match.group("range"))
    return float(low), float(high)


@pytest.fixture(scope="module")
def part1_runs():
    return rr.part1_over_seeds(CirclesData(), SEEDS, rr.fresh_circles())


def test_the_part1_ranges_the_notebook_quotes_are_its_loop_over_seeds_0_to_9(part1_runs):
    text = _markdown()
    quoted = {
        "loss_train": _quoted_range(r"a training loss of (?P<range>[\d.]+–[\d.]+)", text),
        "acc_train": _quoted_range(r"a training accuracy of (?P<range>[\d.]+–[\d.]+)", text),
        "acc_test": _quoted_range(r"a test accuracy of (?P<range>[\d.]+–[\d.]+) \(seeds 0–9", text),
    }
    for key, (low, high) in quoted.items():
        values = part1_runs[key]
        assert len(values) == 10 and (low, high) == (round(min(values), 3), round(max(values), 3)), (key, values)


def test_the_circles_paragraph_quotes_part1_on_the_test_set_and_on_fresh_points(part1_runs):
    text = _markdown()
    match = re.search(r"Part 1's network scores (?P<low>[\d.]+)–(?P<high>[\d.]+) on this test set "
                      r"\((?P<mean>[\d.]+) on average over seeds 0–9\), but (?P<flow>[\d.]+)–(?P<fhigh>[\d.]+) "
                      r"\((?P<fmean>[\d.]+) on average\) on 10,000 fresh points", text)
    assert match
    test, fresh = part1_runs["acc_test"], part1_runs["acc_fresh"]
    assert (float(match["low"]), float(match["high"])) == (round(min(test), 3), round(max(test), 3))
    assert float(match["mean"]) == round(sum(test) / len(test), 3)
    assert (float(match["flow"]), float(match["fhigh"])) == (round(min(fresh), 3), round(max(fresh), 3))
    assert float(match["fmean"]) == round(sum(fresh) / len(fresh), 3)


@pytest.mark.parametrize("part", [1, 2, 3, 4])
def test_circles_test_accuracy_at_least_090(part):
    final, _ = rr.train_circles(part, CirclesData(), seed=0)
    assert final["acc_test"] >= 0.90, (part, final)


def test_parts_1_and_2_compute_the_same_thing():
    data = CirclesData()
    one, _ = rr.train_circles(1, data, seed=3)
    two, _ = rr.train_circles(2, data, seed=3)
    assert one["acc_train"] == two["acc_train"] and one["acc_test"] == two["acc_test"]
    assert one["loss_train"] == pytest.approx(two["loss_train"], abs=1e-5)


def test_mnist_5k_test_accuracy_at_least_088_on_the_500_test_digits():
    mnist = MNISTData(data_dir="/nonexistent")
    assert tuple(mnist.Xtest.shape) == (500, 784) and tuple(mnist.Xtrain.shape) == (4000, 784)
    final = rr.train_mnist(mnist, seed=0)
    assert final["acc_test"] >= 0.88


def test_the_handouts_part2_learns_about_ten_times_more_slowly():
    handout_part1, mean_part1, handout_part2 = rr.handout_mismatch(CirclesData(), seed=0)
    # the sum's gradient with eta = 0.03 is the mean's with eta = 0.3, up to rounding
    assert max(abs(a - b) for a, b in zip(handout_part1, mean_part1)) < 1e-4
    # after 100 epochs the handout's Part 2 is about where the others were after 10
    assert handout_part2[100] == pytest.approx(mean_part1[10], abs=0.05)
    assert handout_part2[100] > 2 * mean_part1[100]


def test_the_svm_cross_validation_chooses_what_the_reference_fit_svm_uses():
    import numpy as np

    data = CirclesData()
    cv, chosen, test = rr.svm_cross_validation(data)
    best = max(cv.values())
    assert chosen == ("poly (degree 2, coef0 1)", 1.0) and cv[chosen] == best
    # the reference's fit_svm: the chosen setting (within about a point of the best, the notebook's rule)
    svm = rr.notebook()["fit_svm"](data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy())
    assert (svm.kernel, svm.degree, svm.coef0, svm.C) == ("poly", 2, 1.0, 1.0)
    assert svm.score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy()) == pytest.approx(test)
    assert max(acc for (kernel, _), acc in cv.items() if kernel == "linear") < 0.7
    assert np.isclose(best, 0.915)
