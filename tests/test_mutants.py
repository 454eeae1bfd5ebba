"""The mutant corpus: the reference notebook with exactly one student mistake injected, one mutant per
catalogued mistake (and a few more ways students really fail).

Each mutant is graded by the real grading command (one batch for the whole corpus) and must
- be graded (status `graded`);
- lose points on exactly the questions listed here: its own question, plus the questions that
  necessarily use the broken function (`circles_accuracy` trains the Part-1 functions together,
  `mnist_accuracy` trains `init_model_optim`'s model; `init_params_autograd` of the reference calls
  `init_params`), and score on every other question exactly what the reference scores;
- name its mistake in the feedback of its question (the catalogue's title and diagnosis), and no
  other catalogued mistake there.

The table is the specification: mistake id -> function, source edits (old text -> new text, each
asserted to occur in that function's cell, so the corpus cannot silently rot), questions that lose.
"""
from dataclasses import dataclass, field

import nbformat
import pytest

from autograder import checks, config, grade
from autograder.mistakes import CATALOGUE
from submissions import REFERENCE, edited



@dataclass(frozen=True)
class Mutant:
    name: str  # the file name; the catalogued mistake it injects unless `mistakes` says otherwise
    function: str  # the function whose cell is edited
    edits: tuple  # (old, new) or (old, new, count): `old` occurs exactly `count` (default 1) times
    loses: frozenset  # every question that must lose points
    mistakes: dict = field(default=None)  # question -> the catalogued ids its feedback names

    def diagnoses(self):
        if self.mistakes is not None:
            return self.mistakes
        return {CATALOGUE[self.name].question: {self.name}}


def M(name, function, edits, *extra, mistakes=None):
    """A mutant losing points on its catalogued question plus `extra` (each stated on purpose)."""
    own = {CATALOGUE[name].question} if name in CATALOGUE else set()
    if mistakes is not None:
        own = set(mistakes)
    return Mutant(name, function, tuple(edits), frozenset(own | set(extra)), mistakes)


INIT_SCALE = '0.3 * torch.randn'
LOSS = "L = -torch.log((Y * Yhat).sum(dim=1)).mean()"
D_YTILDE = 'd_ytilde = (outputs["yhat"] - Y) / N'
TANH_PRIME = ' * (1 - outputs["h"] ** 2)'
SGD = 'return {name: params[name] - eta * grads[name] for name in params}'
AUTOGRAD_BODY = "params = init_params(nx, nh, ny)\n    for p in params.values():\n        p.requires_grad_(True)\n"
AUTOGRAD_STEP = "with torch.no_grad():\n        for p in params.values():\n            p -= eta * p.grad\n            p.grad.zero_()\n"
MODEL = "nn.Sequential(nn.Linear(nx, nh), nn.Tanh(), nn.Linear(nh, ny))"
OPTIM = "torch.optim.SGD(model.parameters(), lr=eta)"
ACC = ".float().mean().item()"
BACKWARD_BODY = """    N = Y.shape[0]
    d_ytilde = (outputs["yhat"] - Y) / N  # (B, ny): the 1/B of the mean
"""
RECOMPUTED = ("    P = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}\n"
              "    L, _ = loss_accuracy(forward(P, outputs['X'])[0], Y)\n")
AUTOGRAD_BACKWARD = RECOMPUTED + "    L.backward()\n    return {k: p.grad for k, p in P.items()}\n"
AUTOGRAD_GRAD_BACKWARD = (RECOMPUTED + "    grads = torch.autograd.grad(L, [P[k] for k in P])\n"
                          "    return dict(zip(P, grads))\n")
FRESH_ENGINE_BACKWARD = (RECOMPUTED + "    engine = torch._C._ImperativeEngine()  # a handle of its own on autograd's engine\n"
                         "    grads = engine.run_backward((L,), (torch.ones_like(L),), False, False, tuple(P.values()), False, False)\n"
                         "    return dict(zip(P, grads))\n")
TORCH_FUNC_BACKWARD = ("    loss = lambda P: loss_accuracy(forward(P, outputs['X'])[0], Y)[0]\n"
                       "    return torch.func.grad(loss)({k: v.detach() for k, v in params.items()})\n")
SKLEARN_BACKWARD = (  # scikit-learn's own backpropagation of an MLPClassifier holding the parameters
    "    import numpy as np\n    from sklearn.neural_network import MLPClassifier\n"
    "    X, T = outputs['X'].double().numpy(), Y.double().numpy()\n"
    "    nh, ny = params['Wh'].shape[0], params['Wy'].shape[0]\n"
    "    mlp = MLPClassifier(hidden_layer_sizes=(nh,), activation='tanh', alpha=0.0)\n"
    "    mlp.out_activation_, mlp.n_layers_, mlp.n_outputs_ = 'softmax', 3, ny\n"
    "    mlp.coefs_ = [params['Wh'].double().numpy().T.copy(), params['Wy'].double().numpy().T.copy()]\n"
    "    mlp.intercepts_ = [params['bh'].double().numpy().ravel().copy(), params['by'].double().numpy().ravel().copy()]\n"
    "    acts = [X, np.empty((len(X), nh)), np.empty((len(X), ny))]\n"
    "    _, cg, ig = mlp._backprop(X, T, None, acts, [np.empty_like(a) for a in acts[1:]],\n"
    "                              [np.empty_like(c) for c in mlp.coefs_], [np.empty_like(b) for b in mlp.intercepts_])\n"
    "    return {'Wh': torch.tensor(cg[0].T, dtype=Y.dtype), 'bh': torch.tensor(ig[0], dtype=Y.dtype).reshape(1, -1),\n"
    "            'Wy': torch.tensor(cg[1].T, dtype=Y.dtype), 'by': torch.tensor(ig[1], dtype=Y.dtype).reshape(1, -1)}\n")
LAW_TOO = "init_params_autograd"  # the reference's init_params_autograd calls init_params: diagnosed there too


def carried(name, *extra):
    """A mistake of init_params that the reference's init_params_autograd carries along: diagnosed on
    both, charged on init_params only."""
    return M(name, "init_params", *extra, mistakes={"init_params": {name}, LAW_TOO: {name}})


MUTANTS = [
    # --- init_params (init_params_autograd of the reference calls it: the same mistake shows there,
    # and is charged once, on init_params)
    Mutant("init_no_scale", "init_params", ((INIT_SCALE, "torch.randn", 2),), frozenset({"init_params"}),
           {"init_params": {"init_no_scale"}, LAW_TOO: {"init_no_scale"}}),
    Mutant("init_variance_as_std", "init_params", ((INIT_SCALE, "np.sqrt(0.3) * torch.randn", 2),),
           frozenset({"init_params"}), {"init_params": {"init_variance_as_std"}, LAW_TOO: {"init_variance_as_std"}}),
    Mutant("init_uniform", "init_params", ((INIT_SCALE, "0.3 * torch.rand", 2),), frozenset({"init_params"}),
           {"init_params": {"init_uniform"}, LAW_TOO: {"init_uniform"}}),
    Mutant("init_bias_random", "init_params", (("torch.zeros(", "torch.randn(", 2),), frozenset({"init_params"}),
           {"init_params": {"init_bias_random"}, LAW_TOO: {"init_bias_random"}}),
    Mutant("params_in_out_layout", "init_params", (("torch.randn(nh, nx)", "torch.randn(nx, nh)"),
                                                   ("torch.randn(ny, nh)", "torch.randn(nh, ny)")),
           frozenset({"init_params"}), {"init_params": {"params_in_out_layout"}, LAW_TOO: {"params_in_out_layout"}}),
    Mutant("params_float64", "init_params", (("0.3 * torch.randn(nh, nx)", "torch.from_numpy(0.3 * np.random.randn(nh, nx))"),
                                             ("torch.zeros(1, nh)", "torch.from_numpy(np.zeros((1, nh)))"),
                                             ("0.3 * torch.randn(ny, nh)", "torch.from_numpy(0.3 * np.random.randn(ny, nh))"),
                                             ("torch.zeros(1, ny)", "torch.from_numpy(np.zeros((1, ny)))")),
           frozenset({"init_params"}), {"init_params": {"params_float64"}, LAW_TOO: {"params_float64"}}),
    # NumPy arrays: the reference's init_params_autograd raises on them (requires_grad_); it is judged
    # on the contract's parameters instead, and the mistake is charged on init_params only.
    M("params_not_tensors", "init_params", (("0.3 * torch.randn(nh, nx)", "np.float32(0.3) * np.random.randn(nh, nx).astype(np.float32)"),
                                            ("torch.zeros(1, nh)", "np.zeros((1, nh), np.float32)"),
                                            ("0.3 * torch.randn(ny, nh)", "np.float32(0.3) * np.random.randn(ny, nh).astype(np.float32)"),
                                            ("torch.zeros(1, ny)", "np.zeros((1, ny), np.float32)"))),
    # --- forward
    M("softmax_wrong_axis", "forward", [("e / e.sum(dim=1, keepdim=True)", "e / e.sum(dim=0, keepdim=True)")],
      "circles_accuracy"),
    M("softmax_unstable", "forward", [("torch.exp(ytilde - ytilde.max(dim=1, keepdim=True).values)",
                                       "torch.exp(ytilde)")]),
    M("no_softmax", "forward", [("yhat = e / e.sum(dim=1, keepdim=True)", "yhat = ytilde")]),
    M("sigmoid_hidden", "forward", [("h = torch.tanh(htilde)", "h = torch.sigmoid(htilde)")], "circles_accuracy"),
    M("no_hidden_activation", "forward", [("h = torch.tanh(htilde)", "h = htilde")], "circles_accuracy"),
    M("forward_bias_missing", "forward", [('X @ params["Wh"].T + params["bh"]', 'X @ params["Wh"].T')],
      "circles_accuracy"),
    M("outputs_incomplete", "forward", [('outputs = {"X": X, ', 'outputs = {')], "circles_accuracy"),
    M("dtype_changed", "forward", [("yhat = e / e.sum(dim=1, keepdim=True)",
                                    "yhat = (e / e.sum(dim=1, keepdim=True)).double()")], "circles_accuracy"),
    # (a product that fails on the shapes: forward raises, and the grader's training with it)
    M("forward_weights_not_transposed", "forward", [('X @ params["Wh"].T', 'X @ params["Wh"]')], "circles_accuracy"),
    # --- loss_accuracy (not used by the grader's training loop)
    M("loss_summed", "loss_accuracy", [(LOSS, "L = -torch.log((Y * Yhat).sum(dim=1)).sum()")]),
    M("loss_mean_over_classes", "loss_accuracy", [(LOSS, "L = -(Y * torch.log(Yhat)).mean()")]),
    M("loss_sign", "loss_accuracy", [(LOSS, "L = torch.log((Y * Yhat).sum(dim=1)).mean()")]),
    M("accuracy_percent", "loss_accuracy", [(ACC, ACC + " * 100")]),
    M("accuracy_count", "loss_accuracy", [(ACC, ".float().sum().item()")]),
    M("loss_not_tensor", "loss_accuracy", [(LOSS, LOSS + ".item()")]),
    M("loss_accuracy_swapped", "loss_accuracy", [("return L, acc", "return acc, L")]),
    M("accuracy_threshold", "loss_accuracy", [("(Yhat.argmax(dim=1) == Y.argmax(dim=1))" + ACC,
                                               "((Y * Yhat).sum(dim=1) > 0.5)" + ACC)]),
    # --- backward
    M("grad_summed", "backward", [(D_YTILDE, 'd_ytilde = outputs["yhat"] - Y')]),
    M("missing_tanh_derivative", "backward", [(TANH_PRIME, "")], "circles_accuracy"),
    M("tanh_derivative_of_htilde", "backward", [(TANH_PRIME, ' * (1 - outputs["htilde"] ** 2)')], "circles_accuracy"),
    M("tanh_applied_twice", "backward", [(TANH_PRIME, ' * (1 - torch.tanh(outputs["h"]) ** 2)')]),
    M("gradient_transposed", "backward", [('d_ytilde.T @ outputs["h"]', 'outputs["h"].T @ d_ytilde')],
      "circles_accuracy"),
    M("h_instead_of_x", "backward", [('d_htilde.T @ outputs["X"]', 'd_htilde.T @ outputs["h"]')],
      "circles_accuracy"),
    M("htilde_instead_of_h", "backward", [('d_ytilde.T @ outputs["h"]', 'd_ytilde.T @ outputs["htilde"]')], "circles_accuracy"),
    M("bias_not_summed", "backward", [(".sum(dim=0, keepdim=True)", "", 2)], "circles_accuracy"),
    M("bias_grad_mean", "backward", [(".sum(dim=0, keepdim=True)", ".mean(dim=0, keepdim=True)", 2)]),
    M("bias_grad_shape", "backward", [(".sum(dim=0, keepdim=True)", ".sum(dim=0)", 2)]),
    M("grad_keys_renamed", "backward", [('"Wy": d_ytilde', '"dWy": d_ytilde'), ('"by": d_ytilde', '"dby": d_ytilde'),
                                         ('"Wh": d_htilde', '"dWh": d_htilde'), ('"bh": d_htilde', '"dbh": d_htilde')],
      "circles_accuracy"),
    M("dtype_changed_backward", "backward",
      [("N = Y.shape[0]\n", "N = Y.shape[0]\n    params = {k: p.double() for k, p in params.items()}\n"
                            "    outputs = {k: o.double() for k, o in outputs.items()}\n    Y = Y.double()\n")],
      "circles_accuracy"),
    M("gradient_sign", "backward", [('(outputs["yhat"] - Y)', '(Y - outputs["yhat"])')], "circles_accuracy"),
    # Gradients from autograd, four ways (the grader's training run allows autograd: only backward loses).
    M("backward_uses_autograd", "backward", [(BACKWARD_BODY, AUTOGRAD_BACKWARD)]),
    M("backward_autograd_grad", "backward", [(BACKWARD_BODY, AUTOGRAD_GRAD_BACKWARD)],
      mistakes={"backward": {"backward_uses_autograd"}}),
    M("backward_torch_func", "backward", [(BACKWARD_BODY, TORCH_FUNC_BACKWARD)],
      mistakes={"backward": {"backward_uses_autograd"}}),
    M("backward_fresh_engine", "backward", [(BACKWARD_BODY, FRESH_ENGINE_BACKWARD)],
      mistakes={"backward": {"backward_uses_autograd"}}),
    # Gradients not derived: a library's backpropagation, perturbation (circles_accuracy is not credited).
    M("backward_not_derived", "backward", [(BACKWARD_BODY, SKLEARN_BACKWARD)], "circles_accuracy"),
    # --- sgd
    M("sgd_adds_gradient", "sgd", [("params[name] - eta", "params[name] + eta")], "circles_accuracy"),
    M("sgd_no_return", "sgd", [(SGD, "for name in params:\n        params[name] -= eta * grads[name]")]),
    M("sgd_ignores_eta", "sgd", [("- eta * grads[name]", "- grads[name]")]),
    M("sgd_no_step", "sgd", [(SGD, "return dict(params)")], "circles_accuracy"),
    # --- autograd
    M("autograd_no_requires_grad", "init_params_autograd",
      [(AUTOGRAD_BODY, "params = init_params(nx, nh, ny)\n")]),
    M("autograd_nonleaf_init", "init_params_autograd",
      [(AUTOGRAD_BODY, 'params = {"Wh": 0.3 * torch.randn(nh, nx, requires_grad=True),\n'
                       '              "bh": torch.zeros(1, nh, requires_grad=True),\n'
                       '              "Wy": 0.3 * torch.randn(ny, nh, requires_grad=True),\n'
                       '              "by": torch.zeros(1, ny, requires_grad=True)}\n')]),
    M("autograd_grads_not_zeroed", "sgd_autograd", [("            p.grad.zero_()\n", "")]),
    M("sgd_autograd_no_return", "sgd_autograd", [("    return params\n", "")]),
    M("autograd_init_standard_normal", "init_params_autograd",
      [(AUTOGRAD_BODY, "params = {k: torch.randn(*v.shape) if k.startswith('W') else v for k, v in "
                       "init_params(nx, nh, ny).items()}\n    for p in params.values():\n        p.requires_grad_(True)\n")],
      mistakes={"init_params_autograd": {"init_no_scale"}}),
    M("autograd_update_outside_no_grad", "sgd_autograd",
      [(AUTOGRAD_STEP, "for p in params.values():\n        p -= eta * p.grad\n        p.grad.zero_()\n")]),
    M("autograd_params_not_leaf", "sgd_autograd",
      [(AUTOGRAD_STEP, "for name in params:\n        params[name] = params[name] - eta * params[name].grad\n")]),
    M("autograd_params_new_tensors", "sgd_autograd",
      [(AUTOGRAD_STEP, "with torch.no_grad():\n        for name in params:\n"
                       "            params[name] = params[name] - eta * params[name].grad\n")]),
    # --- torch.nn (init_model_optim of the reference calls init_model: the MNIST model is this model)
    M("nn_softmax_in_model", "init_model", [("nn.Linear(nh, ny))", "nn.Linear(nh, ny), nn.Softmax(dim=1))")]),
    M("nn_sigmoid", "init_model", [("nn.Tanh()", "nn.Sigmoid()")]),
    M("nn_no_activation", "init_model", [("nn.Tanh(), ", "")]),
    M("nn_other_activation", "init_model", [("nn.Tanh()", "nn.ReLU()")]),
    M("nn_wrong_loss", "init_model", [("nn.CrossEntropyLoss()", "nn.NLLLoss()")], "mnist_accuracy"),
    # (the MNIST training uses this loss: a summed one diverges, and its feedback names init_model, not eta)
    M("nn_loss_summed", "init_model", [("nn.CrossEntropyLoss()", 'nn.CrossEntropyLoss(reduction="sum")')],
      "mnist_accuracy"),
    M("nn_loss_class", "init_model", [("nn.CrossEntropyLoss()", "nn.CrossEntropyLoss")], "mnist_accuracy"),
    M("nn_accuracy_percent", "loss_accuracy_nn", [(ACC, ACC + " * 100")]),
    M("nn_softmax_before_loss", "loss_accuracy_nn",
      [("loss(Ytilde, Y.argmax(dim=1))", "loss(torch.softmax(Ytilde, dim=1), Y.argmax(dim=1))")]),
    # (the grader's MNIST loop calls loss_accuracy_nn, as the notebook does: L.backward() fails there too)
    M("nn_loss_not_tensor", "loss_accuracy_nn", [("L = loss(Ytilde, Y.argmax(dim=1))",
                                                  "L = loss(Ytilde, Y.argmax(dim=1)).item()")], "mnist_accuracy"),
    M("nn_loss_not_differentiable", "loss_accuracy_nn",
      [("L = loss(Ytilde, Y.argmax(dim=1))", "with torch.no_grad():\n        L = loss(Ytilde, Y.argmax(dim=1))")],
      "mnist_accuracy"),
    M("nn_grads_not_zeroed", "sgd_nn", [("    model.zero_grad()\n", "")]),
    M("sgd_nn_ignores_eta", "sgd_nn", [("p -= eta * p.grad", "p -= p.grad")]),
    # --- torch.optim
    M("optim_ignores_eta", "init_model_optim", [("lr=eta", "lr=0.1")]),
    M("optim_not_sgd", "init_model_optim", [(OPTIM, "torch.optim.SGD(model.parameters(), lr=eta, momentum=0.9)")]),
    M("optim_weight_decay", "init_model_optim", [(OPTIM, "torch.optim.SGD(model.parameters(), lr=eta, weight_decay=1e-4)")],
      mistakes={"init_model_optim": {"optim_not_sgd"}}),
    M("optim_wrong_parameters", "init_model_optim",
      [(OPTIM, "torch.optim.SGD(init_model(nx, nh, ny)[0].parameters(), lr=eta)")]),  # MNIST: the grader steps itself
    # --- MNIST
    M("mnist_over_budget", "MNIST_HPARAMS", [('"nh": 100', '"nh": 3000'), ('"epochs": 15', '"epochs": 200')],
      "mnist_accuracy"),
    M("mnist_diverged", "MNIST_HPARAMS", [('"eta": 0.1', '"eta": 50.0')], "mnist_accuracy",
      mistakes={"mnist_accuracy": {"mnist_diverged"}}),
    M("mnist_underfit", "MNIST_HPARAMS", [('"nh": 100', '"nh": 4'), ('"eta": 0.1', '"eta": 0.001'),
                                          ('"epochs": 15', '"epochs": 2')], "mnist_accuracy",
      mistakes={"mnist_accuracy": {"mnist_underfit"}}),
    # --- SVM
    M("svm_linear_kernel", "fit_svm", [('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="linear")')]),
    M("svm_callable_kernel", "fit_svm", [('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)',
                                          'SVC(kernel=lambda A, B: (A @ B.T + 1.0) ** 2, C=1.0)')]),
    M("svm_poly_odd_degree", "fit_svm", [('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="poly")')]),
]


def mutated(mutant, reference=REFERENCE):
    return edited(reference, function=mutant.function, replace=mutant.edits)


def _marks(mutant):
    parts = {checks.BY_ID[q].part[0] for q in mutant.diagnoses()}
    return [pytest.mark.grading] + ([pytest.mark.part1] if "1" in parts else []) + (
        [pytest.mark.torch_api] if parts & {"2", "3", "4"} else [])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The whole corpus and the reference, graded in one batch by the grading command's engine."""
    subs = tmp_path_factory.mktemp("mutants")
    nbformat.write(nbformat.read(REFERENCE, as_version=4), subs / "reference.ipynb")
    for mutant in MUTANTS:
        nbformat.write(mutated(mutant), subs / f"{mutant.name}.ipynb")
    results = grade.grade_all(sorted(subs.iterdir()), tmp_path_factory.mktemp("mutants_out"), jobs=2,
                              progress=False, use_cache=False)
    return {r.submission: r for r in results}


def scores(result):
    return {q.id: q.score for q in result.questions}


@pytest.mark.grading
def test_the_reference_of_the_batch_gets_full_marks(graded):
    reference = graded["reference"]
    assert reference.status == "graded" and reference.total == reference.possible == 100.0
    assert all(q.mistakes == [] for q in reference.questions)


@pytest.mark.parametrize("mutant", [pytest.param(m, marks=_marks(m), id=m.name) for m in MUTANTS])
def test_a_mutant_loses_points_on_exactly_its_questions_and_is_diagnosed(graded, mutant):
    result, reference = graded[mutant.name], scores(graded["reference"])
    assert result.status == "graded", result.detail
    got = scores(result)
    assert {q for q in got if got[q] < reference[q]} == mutant.loses
    assert {q: got[q] for q in got if q not in mutant.loses} == {q: reference[q] for q in got if q not in mutant.loses}
    by_id = {q.id: q for q in result.questions}
    assert {q.id: set(q.mistakes) for q in result.questions if q.mistakes} == mutant.diagnoses()
    for qid, ids in mutant.diagnoses().items():
        for m_id in ids:
            assert f"Likely mistake — {CATALOGUE[m_id].title}: {CATALOGUE[m_id].feedback}" in by_id[qid].output


@pytest.mark.grading
@pytest.mark.part1
def test_consistently_summed_gradients_keep_the_configured_credit(graded):
    backward = next(q for q in graded["grad_summed"].questions if q.id == "backward")
    assert backward.score == round(checks.points("backward") * config.load().summed_gradient_credit, 2)
    partly = next(q for q in graded["bias_grad_mean"].questions if q.id == "backward")
    # Not the convention: only the bias gradients are off, which costs their 8 checks of 16.5.
    assert partly.score == round(checks.points("backward") * 8.5 / 16.5, 2)


def test_every_mutant_edits_the_reference():
    for mutant in MUTANTS:
        assert mutated(mutant).cells != nbformat.read(REFERENCE, as_version=4).cells, mutant.name


def test_the_corpus_covers_the_catalogue():
    named = {m_id for m in MUTANTS for ids in m.diagnoses().values() for m_id in ids}
    assert len(MUTANTS) >= 25 and len({m.name for m in MUTANTS}) == len(MUTANTS)
    assert named <= set(CATALOGUE)
    assert set(CATALOGUE) - named == set(), "a catalogued mistake without a mutant"
    for m in MUTANTS:
        assert m.loses <= set(checks.ORDER)
        # diagnosed where it costs points, or carried along by a function that reuses the faulty one
        # (charged on the mistake's own question only)
        carried = {q for q, ids in m.diagnoses().items() if all(CATALOGUE[i].question in m.loses and
                                                                  CATALOGUE[i].question != q for i in ids)}
        assert set(m.diagnoses()) - carried <= m.loses, m.name

