"""The data the grader feeds the probes: public training sets, and test sets students never see."""
import functools
import importlib
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


def support_module(name):
    """A module of the public support package (e.g. "catalogue"), as shipped in assignment/."""
    support()
    return importlib.import_module(f"tp1_support.{name}")


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
    """(Xtrain, ytrain, Xheld, yheld) of the embedded 5,000 digits: the release's 4,000 training
    digits, and the 500 held out for grading, which the release never loads and the sandbox never
    sees (the grader measures trained networks on them in its own process)."""
    X, y, split = support().mnist.embedded_split()
    X = (np.asarray(X, dtype=np.float32) / 255.0).reshape(len(y), -1)
    train, held = split == "train", split == "held_out"
    return X[train], np.asarray(y[train], dtype=np.int64), X[held], np.asarray(y[held], dtype=np.int64)
