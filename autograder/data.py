"""The data the grader feeds the probes: public training sets, and test sets students never see."""
import functools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HIDDEN_SEED = 730_417  # not in the student release: the hidden Circles test sets come from it


@functools.cache
def support():
    """The public support package, as shipped in assignment/."""
    path = str(ROOT / "assignment")
    if path not in sys.path:
        sys.path.insert(0, path)
    import tp1_support

    return tp1_support


def circles_train():
    data = support().CirclesData()
    return data.Xtrain.numpy(), data.Ytrain.numpy()


@functools.cache
def hidden_circles(seed):
    """A fresh Circles test set of 1,000 points (labels 0/1), drawn from the kit's generator: large
    enough that luck in the draw moves an accuracy by about 0.01, not 0.02 as 200 points would."""
    X, labels = support().draw_circles(500, HIDDEN_SEED + seed)
    return X, labels


@functools.cache
def mnist_split():
    """(Xtrain, ytrain, Xtest, ytest) of the embedded 5,000 digits: 4,000 to train, 1,000 held out."""
    m = support().MNISTData(data_dir=str(ROOT / "datasets" / "no-full-mnist"))  # always the embedded 5k
    return (m.Xtrain.numpy(), m.Ytrain.numpy().argmax(1), m.Xtest.numpy(), m.Ytest.numpy().argmax(1))
