"""The public checks students run while they work (tp1_support.checks), called in-process on the
functions of real notebooks: the reference, every mutant of the mistake corpus (tests/test_mutants.py)
and every valid variant (tests/test_variants.py).

- the reference's functions pass every check;
- each mutant fails the check of the question the grader diagnoses it on, and the check's message
  names the mistake with the catalogue's title and hint ("Likely mistake — title: hint"; the
  grader's report gives the same title with its feedback);
  the mutants that lose circles_accuracy at grading fail its public check too;
- each notebook of valid variants passes every check;
- nothing the release ships for the checks is secret (no reference, no hidden seed or test).

Each notebook's functions come from the grader's own program of it (autograder.pipeline.read.program_of:
the imports, definitions and constants that run at grading), executed here, not whole notebooks.
"""
import functools
import json
from pathlib import Path

import nbformat
import pytest
import torch

from autograder.mistakes import CATALOGUE
from autograder.pipeline.read import program_of
from submissions import REFERENCE
from test_mutants import MUTANTS, mutated
from test_variants import NOTEBOOKS, variant_notebook
from tp1_support import checks
from tp1_support.catalogue import likely_mistake
from tp1_support.contract import TRUSTED_NAME, trusted_names

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def mnist():
    from tp1_support import MNISTData

    return MNISTData()


def namespace(nb):
    """What the grader's program of the notebook defines (statements that fail are left out, as at grading)."""
    ns = {"__name__": "__main__", TRUSTED_NAME: trusted_names()}  # as the sandbox binds it
    for statement in program_of(nb).statements:
        try:
            exec(compile(statement.source, f"<cell {statement.cell}>", "exec"), ns)
        except Exception:  # noqa: BLE001 - as at grading: one broken statement does not stop the rest
            pass
    return ns


def public_check(question, ns):
    """Call the public check of `question` on the notebook's functions, as its Otter test does."""
    calls = {
        "init_params": lambda: checks.check_init_params(ns.get("init_params")),
        "forward": lambda: checks.check_forward(ns.get("forward")),
        "loss_accuracy": lambda: checks.check_loss_accuracy(ns.get("loss_accuracy")),
        "backward": lambda: checks.check_backward(ns.get("backward"), ns.get("forward"), ns.get("loss_accuracy")),
        "sgd": lambda: checks.check_sgd(ns.get("sgd")),
        "circles_accuracy": lambda: checks.check_circles_accuracy(ns.get("forward"), ns.get("backward"), ns.get("sgd"),
                                                                  ns.get("loss_accuracy")),
        "init_params_autograd": lambda: checks.check_init_params_autograd(ns.get("init_params_autograd")),
        "sgd_autograd": lambda: checks.check_sgd_autograd(ns.get("sgd_autograd")),
        "init_model": lambda: checks.check_init_model(ns.get("init_model")),
        "loss_accuracy_nn": lambda: checks.check_loss_accuracy_nn(ns.get("loss_accuracy_nn")),
        "sgd_nn": lambda: checks.check_sgd_nn(ns.get("sgd_nn")),
        "init_model_optim": lambda: checks.check_init_model_optim(ns.get("init_model_optim")),
        "MNIST_HPARAMS": lambda: checks.check_mnist_hparams(ns.get("MNIST_HPARAMS")),
        "mnist_accuracy": lambda: checks.check_mnist_accuracy(ns.get("init_model_optim"), ns.get("loss_accuracy_nn"),
                                                              ns.get("MNIST_HPARAMS"), mnist()),
        "fit_svm": lambda: checks.check_fit_svm(ns.get("fit_svm")),
    }
    return calls[question]()


QUESTIONS = ["init_params", "forward", "loss_accuracy", "backward", "sgd", "circles_accuracy", "init_params_autograd",
             "sgd_autograd", "init_model", "loss_accuracy_nn", "sgd_nn", "init_model_optim", "MNIST_HPARAMS",
             "mnist_accuracy", "fit_svm"]


@pytest.fixture(scope="module")
def reference():
    return namespace(nbformat.read(REFERENCE, as_version=4))


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_references_functions_pass_every_public_check(reference, question, capsys):
    lines = public_check(question, reference)
    assert lines and all(isinstance(line, str) for line in lines)
    assert capsys.readouterr().out.strip() == "\n".join(lines).strip()  # what the student reads


def test_every_question_of_the_grader_has_a_public_check():
    from autograder import checks as grader_checks

    assert set(QUESTIONS) == set(grader_checks.ORDER)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_a_mutant_fails_its_public_check_with_the_graders_words(mutant):
    ns = namespace(mutated(mutant))
    for question, mistake_ids in mutant.diagnoses().items():
        with pytest.raises(checks.PublicCheckFailed) as failed:
            public_check(question, ns)
        message = str(failed.value)
        for mistake_id in mistake_ids:
            assert f"Likely mistake — {CATALOGUE[mistake_id].title}: {CATALOGUE[mistake_id].hint}" in message
            assert mistake_id in failed.value.mistakes
        # no other catalogued mistake of that question is named
        others = {m for m in failed.value.mistakes if CATALOGUE[m].question == question} - set(mistake_ids)
        assert not others, (question, others)


CIRCLES_LOSERS = [m for m in MUTANTS if "circles_accuracy" in m.loses]


@pytest.mark.slow
@pytest.mark.parametrize("mutant", CIRCLES_LOSERS, ids=lambda m: m.name)
def test_a_mutant_that_loses_circles_accuracy_fails_its_public_check(mutant):
    with pytest.raises(checks.PublicCheckFailed) as failed:
        public_check("circles_accuracy", namespace(mutated(mutant)))
    assert "the grader" in str(failed.value)


@pytest.mark.parametrize("group", sorted(NOTEBOOKS))
def test_valid_variants_pass_every_public_check(group):
    ns = namespace(variant_notebook(NOTEBOOKS[group]))
    for question in QUESTIONS:
        public_check(question, ns)


def test_a_check_draws_new_inputs_and_sizes_at_every_call(reference, capsys):
    seen = {tuple(checks.check_forward(reference["forward"], quiet=True)) for _ in range(8)}
    assert len(seen) >= 6  # the sizes are in the lines; 8 draws of 4 distinct sizes in 2..9 rarely repeat


def test_a_check_leaves_the_notebooks_random_state_as_it_was(reference):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.check_init_params(reference["init_params"], quiet=True)
    checks.check_init_model_optim(reference["init_model_optim"], quiet=True)
    assert torch.equal(torch.rand(3), expected)


def test_backward_waits_for_forward_and_loss_accuracy(reference):
    broken = next(m for m in MUTANTS if m.name == "softmax_wrong_axis")
    ns = namespace(mutated(broken))
    with pytest.raises(checks.PublicCheckFailed) as failed:
        public_check("backward", ns)
    assert str(failed.value).startswith("backward cannot be checked until forward and loss_accuracy pass their checks")
    assert "forward (the rows of Yhat" in str(failed.value) and failed.value.mistakes == []


def test_an_unfilled_function_gets_a_message_not_a_traceback():
    unfilled = namespace(nbformat.read(ROOT / "examples" / "submissions" / "unfilled.ipynb", as_version=4))
    for question in ("init_params", "forward", "loss_accuracy", "sgd", "init_model", "MNIST_HPARAMS", "fit_svm"):
        with pytest.raises(checks.PublicCheckFailed) as failed:
            public_check(question, unfilled)
        assert "None" in str(failed.value) or "Ellipsis" in str(failed.value), (question, str(failed.value))
    with pytest.raises(checks.PublicCheckFailed, match="forward is not defined"):
        checks.check_forward(None, quiet=True)


def test_an_error_in_the_students_code_names_the_line():
    def forward(params, X):
        htilde = X @ params["Wh"]  # the transposed product: shapes do not match
        return htilde, {}

    with pytest.raises(checks.PublicCheckFailed) as failed:
        checks.check_forward(forward, quiet=True)
    assert "raised RuntimeError" in str(failed.value) and "htilde = X @ params[\"Wh\"]" in str(failed.value)


def test_the_messages_hold_no_html_markup():
    """Otter puts a failed check's message in the HTML Jupyter shows without escaping it."""
    for mistake_id in CATALOGUE:
        assert not set(likely_mistake(mistake_id)) & set("<>&"), mistake_id


def test_what_the_checks_quote_of_the_grader_is_its_own_settings():
    from autograder import build
    from autograder import config
    from autograder.checks import accuracy

    published = json.loads((ROOT / "assignment" / "tp1_support" / "data" / "grading.json").read_text())
    assert published == build.grading_parameters()
    threshold = config.load().thresholds["circles_accuracy"]
    assert published["thresholds"]["circles_accuracy"] == {"full": threshold.full, "half": threshold.half}
    assert published["circles"]["nh"] == accuracy.CIRCLES_HPARAMS["nh"]
    assert checks.mnist_seconds(100, 32, 15) == pytest.approx(accuracy.mnist_seconds(4000, 784, 100, 32, 15))


def test_the_checks_ship_nothing_secret():
    from autograder import data

    support = ROOT / "assignment" / "tp1_support"
    text = "\n".join(p.read_text(errors="replace") for p in support.rglob("*") if p.suffix in (".py", ".json"))
    for secret in ("tp1_hidden", "autograder.reference", "reference.py", "HIDDEN_SEED", str(data.HIDDEN_SEED),
                   f"{data.HIDDEN_SEED:_}", "hidden_circles", "held_out_split"):
        assert secret not in text, secret


def test_the_grader_and_the_checks_share_one_catalogue():
    import importlib

    from autograder import mistakes

    assert mistakes.CATALOGUE is importlib.import_module("tp1_support.catalogue").CATALOGUE
    assert "Mistake(" not in (ROOT / "autograder" / "mistakes.py").read_text()


def test_the_mnist_check_sends_a_failing_init_model_back_first():
    mutant = next(m for m in MUTANTS if m.name == "nn_loss_summed")
    with pytest.raises(checks.PublicCheckFailed) as failed:
        public_check("mnist_accuracy", namespace(mutated(mutant)))
    assert str(failed.value).startswith("init_model fails its check: fix that first, the MNIST training uses it (the "
                                        "loss of init_model_optim(")
    assert failed.value.mistakes == ["nn_loss_summed"]


@pytest.mark.parametrize("twice", range(5))
def test_a_weight_decay_fails_the_optimizer_check_at_every_run(twice):
    mutant = next(m for m in MUTANTS if m.name == "optim_weight_decay")
    with pytest.raises(checks.PublicCheckFailed) as failed:
        public_check("init_model_optim", namespace(mutated(mutant)))
    assert failed.value.mistakes == ["optim_not_sgd"] and "weight_decay [0.0001]" in str(failed.value)
