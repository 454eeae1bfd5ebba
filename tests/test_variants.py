"""Valid variants: other correct ways to write each graded function get exactly full marks.

Each variant is the reference notebook with one function rewritten (and, where it needs one, a helper
cell of its own before it). Variants of different functions share a notebook (at most one per
function), so the corpus costs a few gradings; each notebook must get 100/100 and every question
its full points, and the feedback of a rewritten function must be the plain "all passed".
"""
from dataclasses import dataclass

import nbformat
import pytest

from autograder import grade
from submissions import REFERENCE, edit

pytestmark = pytest.mark.grading


@dataclass(frozen=True)
class Variant:
    name: str
    function: str
    edits: tuple  # (old, new): `old` occurs exactly once in the function's cell
    helper: str = ""  # a code cell inserted just before the function's cell


def V(name, function, *edits, helper=""):
    return Variant(name, function, tuple(edits), helper)


SOFTMAX = "e = torch.exp(ytilde - ytilde.max(dim=1, keepdim=True).values)\n    yhat = e / e.sum(dim=1, keepdim=True)"
LOSS = "L = -torch.log((Y * Yhat).sum(dim=1)).mean()"
ACC = ".float().mean().item()"
SGD = "return {name: params[name] - eta * grads[name] for name in params}"
AUTOGRAD_BODY = "params = init_params(nx, nh, ny)\n    for p in params.values():\n        p.requires_grad_(True)\n"
AUTOGRAD_STEP = "with torch.no_grad():\n        for p in params.values():\n            p -= eta * p.grad\n            p.grad.zero_()\n"
NN_STEP = "with torch.no_grad():\n        for p in model.parameters():\n            p -= eta * p.grad\n    model.zero_grad()\n"
MODEL = "nn.Sequential(nn.Linear(nx, nh), nn.Tanh(), nn.Linear(nh, ny))"
OPTIM = "torch.optim.SGD(model.parameters(), lr=eta)"

VARIANTS = [
    # --- init_params
    V("init_torch_normal", "init_params", ("0.3 * torch.randn(nh, nx)", "torch.normal(0.0, 0.3, size=(nh, nx))"),
      ("0.3 * torch.randn(ny, nh)", "torch.empty(ny, nh).normal_(0, 0.3)")),
    V("init_randn_times_scale", "init_params", ("0.3 * torch.randn(nh, nx)", "torch.randn(nh, nx) * 0.3"),
      ("torch.zeros(1, nh)", "torch.zeros((1, nh), dtype=torch.float32)")),
    # --- forward
    V("forward_logsumexp", "forward",
      (SOFTMAX, "yhat = torch.exp(ytilde - torch.logsumexp(ytilde, dim=1, keepdim=True))")),
    V("forward_functional_softmax", "forward", (SOFTMAX, "yhat = torch.nn.functional.softmax(ytilde, dim=1)")),
    V("forward_torch_mm", "forward", ('X @ params["Wh"].T', 'torch.mm(X, params["Wh"].t())'),
      ('h @ params["Wy"].T', 'torch.matmul(h, params["Wy"].transpose(0, 1))')),
    V("forward_helper_in_another_cell", "forward", (SOFTMAX, "yhat = stable_softmax(ytilde)"),
      helper='def stable_softmax(z):\n    """SoftMax of each row, shifted by the row\'s max."""\n'
             '    e = torch.exp(z - z.max(dim=1, keepdim=True)[0])\n    return e / e.sum(dim=1, keepdim=True)\n'),
    V("forward_functional_linear", "forward",
      ('X @ params["Wh"].T + params["bh"]', 'torch.nn.functional.linear(X, params["Wh"], params["bh"])'),
      ('h @ params["Wy"].T + params["by"]', 'torch.nn.functional.linear(h, params["Wy"], params["by"])')),
    V("forward_float64_inside", "forward",
      (SOFTMAX, "z = ytilde.double()\n    e = torch.exp(z - z.max(dim=1, keepdim=True).values)\n"
                "    yhat = (e / e.sum(dim=1, keepdim=True)).to(ytilde.dtype)")),
    # --- loss_accuracy
    V("loss_sum_over_the_classes", "loss_accuracy", (LOSS, "L = -(Y * torch.log(Yhat)).sum(dim=1).mean()")),
    V("loss_sum_then_divide", "loss_accuracy", (LOSS, "L = -(Y * torch.log(Yhat)).sum() / Y.shape[0]")),
    V("loss_nll_of_log", "loss_accuracy",
      (LOSS, "L = torch.nn.functional.nll_loss(torch.log(Yhat), Y.argmax(dim=1))")),
    V("accuracy_0dim_tensor", "loss_accuracy", (ACC, ".float().mean()")),
    V("accuracy_python_float", "loss_accuracy",
      ("acc = (Yhat.argmax(dim=1) == Y.argmax(dim=1))" + ACC, "acc = float((Yhat.argmax(1) == Y.argmax(1)).sum()) / len(Y)")),
    V("loss_clamped_log", "loss_accuracy", (LOSS, "L = -(Y * torch.log(Yhat.clamp(min=1e-12))).sum(dim=1).mean()")),
    V("loss_log_plus_epsilon", "loss_accuracy", (LOSS, "L = -(Y * torch.log(Yhat + 1e-8)).sum(dim=1).mean()")),
    V("loss_in_float64", "loss_accuracy", (LOSS, "L = -(Y.double() * torch.log(Yhat.double())).sum(dim=1).mean()")),
    # --- backward
    V("backward_einsum", "backward",
      ('"Wy": d_ytilde.T @ outputs["h"]', '"Wy": torch.einsum("ni,nj->ij", d_ytilde, outputs["h"])'),
      ('"Wh": d_htilde.T @ outputs["X"]', '"Wh": torch.einsum("ni,nj->ij", d_htilde, outputs["X"])')),
    V("backward_tanh_of_htilde", "backward", ('(1 - outputs["h"] ** 2)', '(1 - torch.tanh(outputs["htilde"]) ** 2)')),
    V("backward_divide_by_n_at_the_end", "backward",
      ('d_ytilde = (outputs["yhat"] - Y) / N', 'd_ytilde = outputs["yhat"] - Y'),
      ("d_htilde = (d_ytilde @", "d_htilde = (d_ytilde / N @"),
      ('"Wy": d_ytilde.T @ outputs["h"],', '"Wy": d_ytilde.T @ outputs["h"] / N,'),
      ('"by": d_ytilde.sum(dim=0, keepdim=True),', '"by": d_ytilde.mean(dim=0, keepdim=True),')),
    V("backward_in_float64", "backward",
      ("N = Y.shape[0]\n", "N = Y.shape[0]\n    dtype = Y.dtype\n    params = {k: p.double() for k, p in params.items()}\n"
                          "    outputs = {k: o.double() for k, o in outputs.items()}\n    Y = Y.double()\n"),
      ("    return {\n", "    grads = {\n"),
      ("# (1, nh)\n    }\n", "# (1, nh)\n    }\n    return {k: g.to(dtype) for k, g in grads.items()}\n")),
    V("backward_ones_row_products", "backward",
      ('"Wy": d_ytilde.T @ outputs["h"]', '"Wy": (outputs["h"].T @ d_ytilde).T'),
      ('"by": d_ytilde.sum(dim=0, keepdim=True)', '"by": torch.ones(1, N, dtype=Y.dtype) @ d_ytilde')),
    V("backward_recomputes_softmax", "backward",
      ('d_ytilde = (outputs["yhat"] - Y) / N', 'd_ytilde = (torch.softmax(outputs["ytilde"], dim=1) - Y) / N')),
    V("backward_recomputes_the_intermediates_from_params", "backward",
      ('d_ytilde = (outputs["yhat"] - Y) / N',
       'X = outputs["X"]\n    h = torch.tanh(X @ params["Wh"].T + params["bh"])\n'
       '    ytilde = h @ params["Wy"].T + params["by"]\n'
       '    yhat = torch.exp(ytilde - torch.logsumexp(ytilde, dim=1, keepdim=True))\n'
       '    outputs = {"X": X, "h": h, "yhat": yhat}\n'
       '    d_ytilde = (yhat - Y) / N')),
    V("backward_numpy_from_params_and_x_only", "backward",  # ignores the cache: recomputes the forward by hand
      ('    d_ytilde = (outputs["yhat"] - Y) / N  # (B, ny): the 1/B of the mean\n',
       '    X, T = outputs["X"].numpy(), Y.numpy()\n'
       '    Wh, bh, Wy, by = (params[k].numpy() for k in ("Wh", "bh", "Wy", "by"))\n'
       '    h = np.tanh(X @ Wh.T + bh)\n'
       '    z = h @ Wy.T + by\n'
       '    e = np.exp(z - z.max(axis=1, keepdims=True))\n'
       '    dz = (e / e.sum(axis=1, keepdims=True) - T) / N\n'
       '    dh = (dz @ Wy) * (1 - h ** 2)\n'
       '    grads = {"Wy": dz.T @ h, "by": dz.sum(axis=0, keepdims=True), "Wh": dh.T @ X,\n'
       '             "bh": dh.sum(axis=0, keepdims=True)}\n'
       '    return {k: torch.from_numpy(np.ascontiguousarray(g)).to(Y.dtype) for k, g in grads.items()}\n'
       '    d_ytilde = (outputs["yhat"] - Y) / N  # (B, ny): the 1/B of the mean\n'),
      helper="import numpy as np\n"),
    V("backward_one_example_at_a_time", "backward",
      ('    d_ytilde = (outputs["yhat"] - Y) / N  # (B, ny): the 1/B of the mean\n',
       '    grads = {k: torch.zeros_like(p) for k, p in params.items()}\n'
       '    for n in range(N):\n'
       '        x, h, y = outputs["X"][n:n + 1], outputs["h"][n:n + 1], Y[n:n + 1]\n'
       '        dy = (outputs["yhat"][n:n + 1] - y) / N\n'
       '        dh = (dy @ params["Wy"]) * (1 - h ** 2)\n'
       '        grads["Wy"] += dy.T @ h\n        grads["by"] += dy\n'
       '        grads["Wh"] += dh.T @ x\n        grads["bh"] += dh\n'
       '    return grads\n'
       '    d_ytilde = (outputs["yhat"] - Y) / N  # (B, ny): the 1/B of the mean\n')),
    # --- sgd
    V("sgd_in_place", "sgd", (SGD, "for name in params:\n        params[name] -= eta * grads[name]\n    return params")),
    V("sgd_copy_of_the_dict", "sgd",
      (SGD, "new = params.copy()\n    for name in new:\n        new[name] = params[name] - eta * grads[name]\n    return new")),
    V("sgd_under_no_grad", "sgd",
      (SGD, "with torch.no_grad():\n        return {name: p - eta * grads[name] for name, p in params.items()}")),
    V("sgd_torch_sub_alpha", "sgd", (SGD, "return {k: torch.sub(p, grads[k], alpha=eta) for k, p in params.items()}")),
    # --- init_params_autograd
    V("autograd_init_inline", "init_params_autograd",
      (AUTOGRAD_BODY, 'params = {"Wh": (0.3 * torch.randn(nh, nx)).requires_grad_(),\n'
                      '              "bh": torch.zeros(1, nh, requires_grad=True),\n'
                      '              "Wy": (torch.randn(ny, nh) * 0.3).requires_grad_(True),\n'
                      '              "by": torch.zeros(1, ny).requires_grad_()}\n')),
    V("autograd_init_detach", "init_params_autograd",
      (AUTOGRAD_BODY, "params = {k: v.detach().requires_grad_(True) for k, v in init_params(nx, nh, ny).items()}\n")),
    # --- sgd_autograd
    V("autograd_step_on_data", "sgd_autograd",
      (AUTOGRAD_STEP, "for p in params.values():\n        p.data -= eta * p.grad.data\n        p.grad.data.zero_()\n")),
    V("autograd_grad_set_to_none", "sgd_autograd", ("            p.grad.zero_()\n", "            p.grad = None\n")),
    V("autograd_sub_", "sgd_autograd", ("p -= eta * p.grad", "p.sub_(eta * p.grad)")),
    V("autograd_step_by_name", "sgd_autograd",
      (AUTOGRAD_STEP, "with torch.no_grad():\n        for name in params:\n            params[name] -= eta * params[name].grad\n"
                      "            params[name].grad.zero_()\n")),
    # --- init_model
    V("model_module_subclass", "init_model", (MODEL, "TwoLayerNet(nx, nh, ny)"),
      helper="class TwoLayerNet(nn.Module):\n    def __init__(self, nx, nh, ny):\n        super().__init__()\n"
             "        self.hidden = nn.Linear(nx, nh)\n        self.activation = nn.Tanh()\n"
             "        self.output = nn.Linear(nh, ny)\n\n    def forward(self, X):\n"
             "        return self.output(self.activation(self.hidden(X)))\n"),
    V("model_module_list_with_functional_tanh", "init_model", (MODEL, "ListNet(nx, nh, ny)"),
      helper="class ListNet(nn.Module):\n    def __init__(self, nx, nh, ny):\n        super().__init__()\n"
             "        self.layers = nn.ModuleList([nn.Linear(nx, nh), nn.Linear(nh, ny)])\n\n"
             "    def forward(self, X):\n        return self.layers[1](torch.tanh(self.layers[0](X)))\n"),
    V("model_ordered_dict", "init_model",
      (MODEL, 'nn.Sequential(OrderedDict([("hidden", nn.Linear(nx, nh)), ("tanh", nn.Tanh()), '
              '("output", nn.Linear(nh, ny))]))'),
      helper="from collections import OrderedDict\n"),
    V("loss_log_softmax_nll_module", "init_model", ("loss = nn.CrossEntropyLoss()", "loss = LogSoftmaxNLL()"),
      helper="import torch.nn.functional as F\n\n\nclass LogSoftmaxNLL(nn.Module):\n"
             "    def forward(self, logits, target):\n        return F.nll_loss(F.log_softmax(logits, dim=1), target)\n"),
    # --- loss_accuracy_nn
    V("nn_loss_one_hot_target", "loss_accuracy_nn", ("L = loss(Ytilde, Y.argmax(dim=1))", "L = loss(Ytilde, Y)")),
    V("nn_accuracy_0dim_tensor", "loss_accuracy_nn", (ACC, ".float().mean()")),
    V("nn_loss_functional", "loss_accuracy_nn",
      ("L = loss(Ytilde, Y.argmax(dim=1))", "L = torch.nn.functional.cross_entropy(Ytilde, Y.argmax(dim=1))")),
    # --- sgd_nn
    V("sgd_nn_on_data", "sgd_nn",
      (NN_STEP, "for p in model.parameters():\n        p.data -= eta * p.grad\n        p.grad.zero_()\n")),
    V("sgd_nn_grad_set_to_none", "sgd_nn", ("    model.zero_grad()\n", "    for p in model.parameters():\n        p.grad = None\n")),
    V("sgd_nn_add_with_alpha", "sgd_nn",
      (NN_STEP, "for p in model.parameters():\n        p.data.add_(p.grad, alpha=-eta)\n    model.zero_grad()\n")),
    # --- init_model_optim
    V("optim_own_model", "init_model_optim", ("model, loss = init_model(nx, nh, ny)",
                                              f"model = {MODEL}\n    loss = nn.CrossEntropyLoss()")),
    V("optim_keywords", "init_model_optim", (OPTIM, "torch.optim.SGD(params=model.parameters(), lr=eta, momentum=0.0)")),
    # --- MNIST_HPARAMS
    V("mnist_hparams_dict_call", "MNIST_HPARAMS", ('{"nh": 100, "eta": 0.1, "batch_size": 32, "epochs": 15}',
                                                   "dict(nh=128, eta=0.2, batch_size=64, epochs=12)")),
    # --- fit_svm
    V("svm_polynomial_degree_2", "fit_svm", ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="poly", degree=2)')),
    V("svm_default_on_whatever_it_gets", "fit_svm",
      ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0).fit(np.asarray(X), np.asarray(y))', "SVC().fit(X, y)")),
    V("svm_rbf_large_C", "fit_svm", ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="rbf", C=100.0)')),
    V("svm_rbf_small_C", "fit_svm", ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="rbf", C=0.1)')),
    V("svm_rbf_narrow_gamma", "fit_svm", ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="rbf", gamma=10.0)')),
    V("svm_polynomial_degree_4", "fit_svm", ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="poly", degree=4)')),
    V("svm_rbf", "fit_svm", ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', 'SVC(kernel="rbf", C=1.0)')),
    V("svm_nu_svc", "fit_svm", ('SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)', "NuSVC(nu=0.3)"), helper="from sklearn.svm import NuSVC\n"),
]

QUESTION_OF = {"MNIST_HPARAMS": "MNIST_HPARAMS"}  # a function's question id is its name


def packed(variants):
    """Notebooks of variants, at most one per function in each (first fit, in table order)."""
    notebooks = []
    for variant in variants:
        home = next((nb for nb in notebooks if all(v.function != variant.function for v in nb)), None)
        if home is None:
            notebooks.append(home := [])
        home.append(variant)
    return notebooks


def variant_notebook(variants):
    nb = nbformat.read(REFERENCE, as_version=4)
    for variant in variants:
        edit(nb, function=variant.function, replace=variant.edits, helper=variant.helper)
    return nb


NOTEBOOKS = {f"variants_{i:02d}": group for i, group in enumerate(packed(VARIANTS))}
WHERE = {v.name: name for name, group in NOTEBOOKS.items() for v in group}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("variants")
    for name, group in NOTEBOOKS.items():
        nbformat.write(variant_notebook(group), subs / f"{name}.ipynb")
    results = grade.grade_all(sorted(subs.iterdir()), tmp_path_factory.mktemp("variants_out"), jobs=2,
                              progress=False, use_cache=False)
    return {r.submission: r for r in results}


def test_there_are_enough_variants_and_each_edits_the_reference():
    assert len(VARIANTS) >= 10 and len({v.name for v in VARIANTS}) == len(VARIANTS)
    for name, group in NOTEBOOKS.items():
        variant_notebook(group)  # every `old` text is found exactly once


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_a_valid_variant_gets_full_marks(graded, variant):
    result = graded[WHERE[variant.name]]
    assert result.status == "graded", result.detail
    lost = {q.id: q.output for q in result.questions if q.score != q.max_score}
    assert lost == {}
    assert result.total == result.possible == 100.0
    own = next(q for q in result.questions if q.id == QUESTION_OF.get(variant.function, variant.function))
    assert own.mistakes == []
    if own.id != "MNIST_HPARAMS":
        assert own.output.splitlines()[0] == "✓ all hidden tests passed"
