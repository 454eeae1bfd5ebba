"""The release on the stacks students have, and what it tells them while they work.

What `make compat` (tools/compat.py) checks on other Pythons and torches, guarded here cheaply on the
kit's own: nothing in the release touches private torch names (they come and go between torch
releases: `torch._functorch.predispatch._enter_dual_level` exists in 2.13, not in 2.9); the public
checks run with those names absent; the one autograd guard, shared by the checks and the grader's
probe, stops every route on this torch and composes with other guards. And the messages of the
student-facing checks, with their exact text: a named mistake for an sgd that does not move and for an
underfitting MNIST choice (in the check and in the grader's feedback), a wrong shape without "inf",
hints that name the mistake and not the line of code, no Otter noise.
"""
import ast
import contextlib
import json
import re
import sys
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from autograder.untrusted import probes
from submissions import REFERENCE
from test_mutants import MUTANTS, mutated
from test_public_checks import namespace, public_check
from tp1_support import autograd_guard, checks
from tp1_support.catalogue import CATALOGUE, graded_feedback, likely_mistake
from tp1_support.checker import Notebook

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "assignment"


def release_sources():
    """{name: Python source} of everything the release runs: the notebook's code cells, tp1_support, tests/."""
    nb = nbformat.read(RELEASE / "tp1_ab.ipynb", as_version=4)
    sources = {f"tp1_ab.ipynb cell {i}": c.source for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    for path in sorted(RELEASE.glob("tp1_support/**/*.py")) + sorted(RELEASE.glob("tests/*.py")):
        sources[path.relative_to(RELEASE).as_posix()] = path.read_text()
    return sources


def private_torch_names(source):
    """The private names of torch a source reads: torch._x / torch.nn._x attributes, `import
    torch._x`, `from torch._x import ...`, `from torch import _x` (dunders are Python's, not private)."""
    found = []
    private = re.compile(r"^_(?!_)")
    tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "torch"
                      and any(private.match(p) for p in a.name.split("."))]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            parts = node.module.split(".")
            found += [f"{node.module}.{a.name}" for a in node.names
                      if any(private.match(p) for p in parts) or private.match(a.name)]
        elif isinstance(node, ast.Attribute) and private.match(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in ("torch", "nn", "F", "fwAD"):
                found.append(ast.unparse(node))
    return found


def test_the_scan_finds_private_torch_names():
    assert set(private_torch_names("import torch._dynamo\nx = torch._C._ImperativeEngine()\nfrom torch import _C\n"
                                   "from torch._functorch import predispatch\ny = torch.nn._reduction\n"
                                   "z = torch.__version__\n")) \
        == {"torch._dynamo", "torch._C._ImperativeEngine", "torch._C", "torch._functorch.predispatch", "torch.nn._reduction"}


def test_nothing_in_the_release_touches_private_torch_names():
    found = {name: names for name, source in release_sources().items() if (names := private_torch_names(source))}
    assert found == {}


@pytest.fixture()
def older_torch(monkeypatch):
    """This torch without the private names that older releases lack (torch 2.9-2.12 have no
    predispatch._enter_dual_level), nor the engine's type; the guard measures its routes afresh."""
    import torch._functorch.predispatch as predispatch

    monkeypatch.delattr(predispatch, "_enter_dual_level", raising=False)
    monkeypatch.delattr(torch._C, "_ImperativeEngine", raising=False)
    autograd_guard.unguarded_routes.cache_clear()
    yield
    autograd_guard.unguarded_routes.cache_clear()


def test_the_checks_run_with_the_private_names_absent(older_torch):
    reference = namespace(nbformat.read(REFERENCE, as_version=4))
    lines = public_check("backward", reference)
    assert lines[0].startswith("✓ backward on") and not any(line.startswith("note:") for line in lines)
    public_check("circles_accuracy", reference)
    for name in ("backward_uses_autograd", "backward_autograd_grad", "backward_torch_func"):
        mutant = next(m for m in MUTANTS if m.name == name)
        with pytest.raises(checks.PublicCheckFailed) as failed:
            public_check("backward", namespace(mutated(mutant)))
        assert failed.value.mistakes == ["backward_uses_autograd"], name


def test_the_guard_stops_every_route_on_this_torch_and_autograd_works_after_it():
    assert autograd_guard.unguarded_routes() == ()
    for name, route in autograd_guard.ROUTES.items():
        with pytest.raises(autograd_guard.AutogradNotAllowed):
            with autograd_guard.autograd_refused():
                route(autograd_guard._leaf())
    W = autograd_guard._leaf()
    torch.tanh(W).sum().backward()
    assert W.grad is not None


def test_probing_the_routes_shows_the_student_no_warning_of_torchs(monkeypatch):
    """torch 2.14 warns that torch.jit is deprecated when a route is probed: the student called nothing."""
    def warns_then_runs(leaf):
        warnings.warn("`torch.jit.script` is deprecated", FutureWarning)
        return leaf * 2

    monkeypatch.setattr(autograd_guard, "ROUTES", {"a route that warns": warns_then_runs})
    probe = getattr(autograd_guard.unguarded_routes, "__wrapped__", autograd_guard.unguarded_routes)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        assert probe() == ("a route that warns",)
    assert shown == []


def test_a_route_the_guard_cannot_see_is_a_note_not_a_failure(monkeypatch):
    """As on an older torch where torch.autograd.backward does not reach a TorchFunctionMode."""
    reference = namespace(nbformat.read(REFERENCE, as_version=4))
    monkeypatch.setattr(checks, "unguarded_routes", lambda: ("torch.autograd.backward",))
    lines = public_check("backward", reference)
    assert lines[-1] == (f"note: on this torch ({torch.__version__}) the check cannot see torch.autograd.backward "
                         "called inside backward; the grader can, and gives no points to a backward that uses autograd")


def test_the_probe_enters_the_public_guard_and_its_own_seal_and_another_guard_can_join(monkeypatch):
    entered = []

    @contextlib.contextmanager
    def library_block():
        entered.append("library")
        yield

    monkeypatch.setattr(probes.guards, "backward_guards", lambda: [probes.autograd_blocked(), library_block()])
    meta, arrays = {}, {}
    X, Y = torch.randn(3, 2, dtype=torch.float64), torch.eye(2, dtype=torch.float64)[[0, 1, 0]]
    inputs = {"c.Wh": np.ones((2, 2)), "c.bh": np.zeros((1, 2)), "c.Wy": np.ones((2, 2)), "c.by": np.zeros((1, 2)),
              "c.X": X.numpy(), "c.htilde": X.numpy(), "c.h": X.numpy(), "c.ytilde": X.numpy(), "c.yhat": X.numpy(),
              "c.Y": Y.numpy()}

    def autograd_backward(params, outputs, Y):
        W = params["Wh"].clone().requires_grad_(True)
        (W * 2).pow(2).sum().backward()
        return {k: W.grad for k in params}

    probes.probe_backward({"backward": autograd_backward}, inputs, {"cases": {"c": None}}, arrays, meta)
    assert entered == ["library"] and meta["c.autograd_blocked"].startswith("AutogradNotAllowed: backward used autograd")
    assert probes.AutogradNotAllowed is autograd_guard.AutogradNotAllowed  # one guard, one exception


# --- the student's messages ---------------------------------------------------------------------

def test_an_sgd_that_does_not_move_is_named():
    def sgd(params, grads, eta):
        return params

    with pytest.raises(checks.PublicCheckFailed) as failed:
        checks.check_sgd(sgd, quiet=True)
    message = str(failed.value)
    eta = re.search(r"eta = ([0-9.]+)", message).group(1)
    assert message == (f"the parameters sgd returned (eta = {eta}) are the ones it received, unchanged: no step was "
                       "taken\nLikely mistake — sgd does not move the parameters: Your sgd returns the parameters "
                       "unchanged: a step moves each parameter against its gradient, scaled by the learning rate.")


def test_an_underfitting_mnist_choice_is_named_by_the_check():
    mutant = next(m for m in MUTANTS if m.name == "mnist_underfit")
    ns = namespace(mutated(mutant))
    assert ns["MNIST_HPARAMS"] == {"nh": 4, "eta": 0.001, "batch_size": 32, "epochs": 2}
    with pytest.raises(checks.PublicCheckFailed) as failed:
        public_check("mnist_accuracy", ns)
    assert failed.value.mistakes == ["mnist_underfit"]
    assert str(failed.value).endswith(
        "\nLikely mistake — MNIST network underfits (too small or trained too little): With your MNIST_HPARAMS the "
        "training loss stays high: the network is too small, its steps too small or its training too short to fit "
        "even the training digits.")


def test_a_slow_mnist_choice_the_check_cannot_finish_is_not_conclusive_rather_than_passed():
    ns = namespace(nbformat.read(REFERENCE, as_version=4))
    ns["MNIST_HPARAMS"] = {"nh": 100, "eta": 0.002, "batch_size": 32, "epochs": 15}  # right, but slow to learn
    lines = public_check("mnist_accuracy", ns)
    [line] = [line for line in lines if "updates" in line]
    assert line.startswith("⚠ not conclusive: trained your init_model_optim and loss_accuracy_nn with MNIST_HPARAMS "
                           "on the notebook's 4000 training digits, the first "), line
    assert line.endswith("Below 0.88 so far: run the notebook's MNIST training (train_on_mnist) to see where the "
                         "whole run ends"), line
    assert not any(line.startswith("✓") and "updates" in line for line in lines)


def test_an_underfitting_mnist_choice_is_named_by_the_graders_feedback():
    from autograder.checks import accuracy
    from autograder.config import Thresholds

    hp = {"nh": 4, "eta": 0.001, "batch_size": 32, "epochs": 2}
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.01, s) for s in ((4, 784), (4,), (10, 4), (10,))]
    Xprobe = rng.random((accuracy.MNIST_PROBE_DIGITS, 784))
    logits = np.tanh(Xprobe @ weights[0].T + weights[1]) @ weights[2].T + weights[3]
    out = {**{f"param{i}": w for i, w in enumerate(weights)}, "probe_logits": logits,
           "train_loss": np.array([2.31, 2.29])}
    meta = {"hparams": hp, "contract_parameters": True}
    verdict = accuracy.judge_mnist_accuracy({"Xprobe": Xprobe}, {}, out, meta, Thresholds(full=0.85, half=0.7))
    assert verdict.mistakes == ["mnist_underfit"]
    assert verdict.notes[-1] == ("The training loss went from 2.310 (first epoch) to 2.290 (last) with nh = 4, "
                                 "eta = 0.001, batches of 32, 2 epochs. If init_model_optim and loss_accuracy_nn "
                                 "passed their own checks, these hyper-parameters are the cause.")
    assert graded_feedback("mnist_underfit") == (
        "Likely mistake — MNIST network underfits (too small or trained too little): With your MNIST_HPARAMS the "
        "training loss stays high: the network does not fit even its training digits. Too few hidden units, too "
        "small a learning rate or too few epochs: the kit's reference choice (nh = 100, eta = 0.1, batches of 32, "
        "15 epochs) fits them in about 1 s of CPU.")
    # no optimizer bug suggested: the grader steps the weights itself and says the optimizer is judged elsewhere
    assert not any("optimizer" in note.replace("your optimizer is judged on init_model_optim", "")
                   for note in verdict.notes)


def test_a_wrong_gradient_shape_is_named_without_inf():
    reference = namespace(nbformat.read(REFERENCE, as_version=4))
    right = reference["backward"]

    def backward(params, outputs, Y):
        grads = right(params, outputs, Y)
        return {**grads, "Wh": grads["Wh"].T}

    with pytest.raises(checks.PublicCheckFailed) as failed:
        checks.check_backward(backward, reference["forward"], reference["loss_accuracy"], quiet=True)
    message = str(failed.value)
    assert "inf" not in message and failed.value.mistakes == ["gradient_transposed"]
    shape = re.search(r"dWh has shape \((\d+), (\d+)\), expected \((\d+), (\d+)\)", message)
    assert shape and shape.group(1, 2) == shape.group(4, 3)
    assert re.search(r"against autograd of your forward and loss_accuracy: dWh \(wrong shape\)  dbh \d\.\de-\d\d", message)


FORMULAS = ("torch.", "dim=", "lr=", "keepdim", "zero_grad", "zero_()", "requires_grad_", "(1 - ", "Yhat - Y",
            "** 2", "**2", "RBF", "degree=2", "p -=", "- eta *", ".item()")


@pytest.mark.parametrize("mistake_id", sorted(CATALOGUE))
def test_a_hint_names_the_mistake_not_the_line_of_code(mistake_id):
    hint = CATALOGUE[mistake_id].hint
    assert hint and not [f for f in FORMULAS if f in hint], (mistake_id, hint)
    assert likely_mistake(mistake_id) == f"Likely mistake — {CATALOGUE[mistake_id].title}: {hint}"


def test_the_graders_feedback_may_give_the_fix_after_grading():
    assert "(1 - h**2)" in CATALOGUE["missing_tanh_derivative"].feedback
    assert "dL/dytilde = (Yhat - Y) / N" in CATALOGUE["grad_summed"].feedback
    assert "model.zero_grad()" in CATALOGUE["nn_grads_not_zeroed"].feedback
    assert "RBF" in CATALOGUE["svm_linear_kernel"].feedback


def test_a_check_shows_no_otter_noise_and_wraps(tmp_path, monkeypatch):
    monkeypatch.chdir(RELEASE)

    def sgd(params, grads, eta):
        return params

    result = Notebook(tests_dir="tests").check("sgd", {"sgd": sgd})
    assert not result.passed_all
    text = repr(result)
    assert text.startswith("sgd: public checks failed ✗\n") and "Error at line" not in text and "Traceback" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "Likely mistake — sgd does not move the parameters" in result.text.splitlines()[-1]
    assert 'style="white-space: pre-wrap; overflow-wrap: anywhere;' in result._repr_html_()
    missing = Notebook(tests_dir="tests").check("backward", {"backward": sgd})
    assert missing.text == ("backward: public checks failed ✗\nforward, loss_accuracy are not defined: run the cells "
                            "that define them, then this check again")


def test_the_checker_needs_no_otter(monkeypatch):
    """The release's tests/ are in Otter's format; the checker reads them without importing Otter."""
    monkeypatch.chdir(RELEASE)
    monkeypatch.setitem(sys.modules, "otter", None)  # import otter would fail
    monkeypatch.setitem(sys.modules, "otter.test_files", None)
    reference = namespace(nbformat.read(REFERENCE, as_version=4))
    result = Notebook(tests_dir="tests").check("init_params", reference)
    assert result.passed_all and result.text.startswith("init_params: public checks passed ✓\n✓ init_params(")


def test_grading_json_publishes_the_graders_underfit_level():
    from autograder.checks import accuracy

    published = json.loads((RELEASE / "tp1_support" / "data" / "grading.json").read_text())
    assert published["mnist"]["underfit_loss"] == accuracy.MNIST_UNDERFIT_LOSS


def test_an_optimizer_that_does_not_step_the_model_is_not_called_underfitting():
    mutant = next(m for m in MUTANTS if m.name == "optim_wrong_parameters")
    with pytest.raises(checks.PublicCheckFailed) as failed:
        public_check("mnist_accuracy", namespace(mutated(mutant)))
    # the check sends the student back to init_model_optim's own check first, with its diagnosis
    assert failed.value.mistakes == ["optim_wrong_parameters"]
    assert failed.value.problem == ("init_model_optim fails its check: fix that first, the MNIST training uses it "
                                    "(optim.step() does not move the model's parameters: the optimizer must hold "
                                    "exactly model.parameters())")

    from autograder.checks import accuracy
    from autograder.config import Thresholds

    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.01, s) for s in ((100, 784), (100,), (10, 100), (10,))]
    Xprobe = rng.random((accuracy.MNIST_PROBE_DIGITS, 784))
    logits = np.tanh(Xprobe @ weights[0].T + weights[1]) @ weights[2].T + weights[3]
    out = {**{f"param{i}": w for i, w in enumerate(weights)}, "probe_logits": logits, "train_loss": np.full(15, 2.3026)}
    meta = {"hparams": {"nh": 100, "eta": 0.1, "batch_size": 32, "epochs": 15}, "contract_parameters": True}
    verdict = accuracy.judge_mnist_accuracy({"Xprobe": Xprobe}, {}, out, meta, Thresholds(full=0.85, half=0.7))
    assert verdict.mistakes == []
    assert verdict.notes[-1] == ("The training loss did not change from one epoch to the next (2.303): the model's "
                                 "parameters did not move. The grader's SGD steps them along their gradients, and none "
                                 "reached them: is the loss computed from the model's output, without .detach() or a "
                                 "copy?")
