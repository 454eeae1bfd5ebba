"""The reference reproduces the TP's results with the notebook's defaults."""
import pytest

import reference_results as rr  # benchmarks/reference_results.py
from tp1_support import CirclesData, MNISTData

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("part", [1, 2, 3, 4])
def test_circles_test_accuracy_at_least_090(part):
    train, test = rr.train_circles(part, CirclesData(), seed=0)
    assert test >= 0.90, (part, train, test)


def test_parts_1_and_2_compute_the_same_thing():
    data = CirclesData()
    assert rr.train_circles(1, data, seed=3) == pytest.approx(rr.train_circles(2, data, seed=3), abs=0.011)


def test_mnist_5k_test_accuracy_at_least_088():
    _, test = rr.train_mnist(MNISTData(data_dir="/nonexistent"), seed=0)
    assert test >= 0.88


def test_svm_rbf_at_least_090_and_linear_fails():
    data = CirclesData()
    assert rr.svm_accuracies(data, "rbf")[1] >= 0.90
    assert rr.svm_accuracies(data, "linear")[1] < 0.75
