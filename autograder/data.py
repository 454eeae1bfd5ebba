"""The data the grader feeds the probes: public training sets, and test sets students never see."""
import functools
import hashlib
import hmac
import importlib
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HIDDEN_SEED = 730_417  # without a grading secret, the hidden Circles test sets come from it (public)
SECRET_FILE = ROOT / "autograder" / "grading-secret.txt"  # the instructor's, never committed (.gitignore)
SECRET_ENV = "TP1_GRADING_SECRET"


def grading_secret():
    """The instructor's grading secret (bytes): $TP1_GRADING_SECRET, else autograder/grading-secret.txt;
    None when there is none. It never enters the sandbox: only the trusted side draws from it."""
    value = os.environ.get(SECRET_ENV, "").strip()
    if not value and SECRET_FILE.is_file():
        value = SECRET_FILE.read_text(encoding="utf-8").strip()
    return value.encode() if value else None


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


def make_secret():
    """Write a new grading secret into SECRET_FILE (readable by its owner only) unless one is there;
    returns (path, created)."""
    if SECRET_FILE.is_file() and SECRET_FILE.read_text(encoding="utf-8").strip():
        return SECRET_FILE, False
    import secrets

    fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_hex(32) + "\n")
    return SECRET_FILE, True


@functools.cache
def hidden_circles(seed):
    """A fresh Circles test set of 1,000 points (labels 0/1), drawn from the kit's generator: large
    enough that luck in the draw moves an accuracy by about 0.01, not 0.02 as 200 points would.
    With a grading secret, its seed comes from the secret (students cannot draw the same points)."""
    secret = grading_secret()
    if secret is None:  # the kit is public: anyone can draw these, and fit to them
        hidden_seed = HIDDEN_SEED + seed
    else:  # the question's seed is in the sandbox; what the secret makes of it is not
        hidden_seed = int.from_bytes(hmac.new(secret, f"hidden-circles-{seed}".encode(), hashlib.sha256).digest()[:8], "big")
    X, labels = support().draw_circles(500, hidden_seed)
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


def main(argv=None):
    """python -m autograder secret: make the grading secret (once), say where it is."""
    import argparse

    argparse.ArgumentParser(prog="python -m autograder secret", description=(
        "Make the grading secret the hidden Circles test sets are drawn from, in autograder/grading-secret.txt "
        "(never committed; `make assign` puts it in the Gradescope zip you build). Without it, anyone with the "
        "kit can draw the hidden test sets. $TP1_GRADING_SECRET, when set, is used instead.")).parse_args(argv)
    path, created = make_secret()
    print(f"{'made' if created else 'kept'} the grading secret: {path} (keep it, and keep it private: "
          "another secret draws other hidden test sets, and regrades everything)")
    return 0
