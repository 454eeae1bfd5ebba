"""The hidden Circles test sets are hidden from a student who has the whole kit only when the
instructor has a grading secret: then a submission that fits its SVM to the test set drawn from the
kit's public seeds scores as its honest control, which it beats without the secret."""
import csv
import os
import subprocess
import sys

import pytest

from autograder import data
from submissions import edited, write

ROOT = data.ROOT
POOR_SVM = 'SVC(kernel="rbf", gamma=3000.0, C=1.0)'  # memorises its training points
# The hidden set fit_svm is judged on without a secret: the public seed of the kit, and the question's
# seed (BASE_SEED + 7919 x its index among the questions), both in the kit's source.
FIT_TO_PUBLIC_HIDDEN = '''def fit_svm(X, y):
    from tp1_support.circles import draw_circles
    Xh, yh = draw_circles(500, 730_417 + 20_240_917 + 7919 * 12)
    return SVC(kernel="rbf", gamma=3000.0, C=1.0).fit(np.asarray(Xh), np.asarray(yh))
'''


def _grade(subs, out, secret):
    env = dict(os.environ)
    env.pop(data.SECRET_ENV, None)
    if secret:
        env[data.SECRET_ENV] = secret
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--jobs", "1",
                          "--no-cache"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out / "grades.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}, run.stderr


@pytest.mark.grading  # two gradings of the class, with and without the secret
def test_with_a_secret_the_test_set_of_the_public_seeds_is_worth_nothing(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    control = edited(function="fit_svm", replace=[('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', POOR_SVM)])
    write(control, subs / "control.ipynb")
    attack = edited(function="fit_svm", replace=[(open_fit_svm_cell(), FIT_TO_PUBLIC_HIDDEN)])
    write(attack, subs / "attack.ipynb")
    public, warned = _grade(subs, tmp_path / "public", secret=None)
    secret, quiet = _grade(subs, tmp_path / "secret", secret="an instructor's secret")
    assert "no grading secret" in warned and "no grading secret" not in quiet
    # Without the secret the attack reaches the hidden set (the limit the secret removes) ...
    assert float(public["attack"]["fit_svm"]) > float(public["control"]["fit_svm"])
    # ... with it, it scores exactly as the honest poor SVM, and nothing else changes.
    assert secret["attack"]["fit_svm"] == secret["control"]["fit_svm"] == "0.0"
    assert {q: v for q, v in secret["attack"].items() if q not in ("submission", "fit_svm", "total")} == \
           {q: v for q, v in secret["control"].items() if q not in ("submission", "fit_svm", "total")}


def open_fit_svm_cell():
    """The reference's fit_svm, from its def to its return line."""
    from submissions import function_cell

    source = function_cell(edited(), "fit_svm").source
    start = source.index("def fit_svm(")
    end = source.index("\n", source.index("return SVC(", start)) + 1
    return source[start:end]


def test_the_secret_draws_other_hidden_sets_the_same_each_time(monkeypatch):
    data.hidden_circles.cache_clear()
    monkeypatch.delenv(data.SECRET_ENV, raising=False)
    monkeypatch.setattr(data, "SECRET_FILE", ROOT / "no-such-secret.txt")
    public = data.hidden_circles(5)[0]
    data.hidden_circles.cache_clear()
    monkeypatch.setenv(data.SECRET_ENV, "one")
    one = data.hidden_circles(5)[0]
    data.hidden_circles.cache_clear()
    again = data.hidden_circles(5)[0]
    data.hidden_circles.cache_clear()
    monkeypatch.setenv(data.SECRET_ENV, "two")
    two = data.hidden_circles(5)[0]
    data.hidden_circles.cache_clear()
    assert (one == again).all() and not (one == public).all() and not (one == two).all()


def test_the_secret_command_makes_one_private_file_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "SECRET_FILE", tmp_path / "grading-secret.txt")
    path, created = data.make_secret()
    first = path.read_text()
    assert created and len(first.strip()) == 64 and (path.stat().st_mode & 0o777) == 0o600
    assert data.make_secret() == (path, False) and path.read_text() == first
