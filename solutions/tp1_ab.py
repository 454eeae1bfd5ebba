# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# # ASSIGNMENT CONFIG
# name: tp1_ab
# init_cell: true
# check_all_cell: false
# run_tests: false
# files:
#   - tp1_support
# autograder_files:
#   - tp1_hidden
# tests:
#   ok_format: false
# export_cell:
#   pdf: false
#   instructions: "Run this cell to make the zip you hand in (it holds this notebook). Handing in the .ipynb file itself works too."

# %% [markdown]
# # TP1-ab — Introduction to Neural Networks
#
# You will build a one-hidden-layer perceptron (tanh hidden layer, SoftMax output, cross-entropy
# loss) four times — by hand, with autograd, with `torch.nn`, with `torch.optim` — train it on the
# 2-D **Circles** data, then on **MNIST**, and compare it with an **SVM**.
#
# **How this notebook is graded.** Each function marked `TODO` is graded on its own, on inputs the
# grader makes, so a mistake in one function does not cost points in another. At grading time the
# grader runs only the `import` lines, the function and class definitions, and the simple constants
# (such as `MNIST_HPARAMS`) of this notebook — **not** your experiment cells — so a long training
# run you leave in the notebook does not slow grading down, but a function that relies on a
# variable made by an experiment cell will fail. Keep every graded function self-contained (helper
# functions of your own are fine).
#
# `grader.check("name")` runs the **public** checks only (shapes, types, obvious sanity). Passing
# them does not mean full marks: the hidden tests (values, gradients, accuracy) run at grading time.
#
# **Conventions** (row vectors, as in the course): a batch `X` is `(N, nx)`; `Y` is one-hot `(N, ny)`;
# a layer's weight `W` is `(out, in)`; a bias is a row `(1, out)`.
#
# **Mean, not sum.** `loss_accuracy` returns the **mean** cross-entropy over the batch and `backward`
# returns the gradients of that mean — what autograd, `nn.CrossEntropyLoss` and Parts 2–4 compute.
# The course's cheat-sheet writes batch *sums*; its η = 0.03 with batches of 10 is the same step as
# η = 0.3 with the mean, which is why this notebook uses `ETA = 0.3`.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from sklearn.svm import SVC

from tp1_support import CirclesData, MNISTData, save_figure

torch.manual_seed(0)

# %%
# Otter's own summary says "All test cases passed!" once the public checks pass; say what they are.
# (This cell changes no grade: the grader does not run it.)
import otter.test_files.abstract_test as _otter_tests


def _say_the_hidden_tests_come_later(summary):
    def public_summary(self, public_only=False):
        return summary(self, public_only).replace(
            "All test cases passed!", "all PUBLIC checks passed. The hidden tests run at grading time.")
    return public_summary


_otter_tests.TestFile.summary = _say_the_hidden_tests_come_later(_otter_tests.TestFile.summary)

# %% [markdown]
# ## The Circles data
#
# 200 training and 200 test points; class 1 (red) is an inner disk, class 0 (blue) a ring that
# overlaps it, so about 95 % is the best test accuracy any classifier can reach.

# %%
data = CirclesData()
print(data.Xtrain.shape, data.Ytrain.shape, data.Xtest.shape, data.Xgrid.shape)
save_figure(data.plot_data(), "circles_data.pdf")

# %% [markdown]
# ## Part 1 — Forward and backward by hand
#
# The network: $\tilde h = X W_h^\top + b_h$, $h = \tanh(\tilde h)$, $\tilde y = h W_y^\top + b_y$,
# $\hat y = \mathrm{SoftMax}(\tilde y)$, loss $\ell = -\frac{1}{N}\sum_n \sum_i y_{n,i} \log \hat y_{n,i}$.

# %% [raw]
# # BEGIN QUESTION
# name: init_params
# points: 5

# %% [raw]
# # BEGIN SOLUTION

# %%
def init_params(nx, nh, ny):
    """Draw the parameters of an nx -> nh -> ny perceptron.

    Returns a dict of float32 tensors:
      Wh: (nh, nx)  i.i.d. N(0, 0.3**2)
      bh: (1, nh)   zeros
      Wy: (ny, nh)  i.i.d. N(0, 0.3**2)
      by: (1, ny)   zeros
    """
    # TODO: weights from a normal law of standard deviation 0.3, biases zero.
    # BEGIN SOLUTION
    return {
        "Wh": 0.3 * torch.randn(nh, nx),
        "bh": torch.zeros(1, nh),
        "Wy": 0.3 * torch.randn(ny, nh),
        "by": torch.zeros(1, ny),
    }
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_init_params_shapes(init_params):
    import torch
    P = init_params(3, 5, 4)
    assert isinstance(P, dict), "init_params must return a dict"
    expected = {"Wh": (5, 3), "bh": (1, 5), "Wy": (4, 5), "by": (1, 4)}
    for name, shape in expected.items():
        assert name in P, f"the dict has no key {name!r}"
        assert isinstance(P[name], torch.Tensor), f"{name} must be a torch.Tensor"
        assert tuple(P[name].shape) == shape, f"{name} has shape {tuple(P[name].shape)}, expected {shape}"

# %%
# HIDDEN
def test_init_params_distribution(init_params):
    import torch
    torch.manual_seed(1)
    P = init_params(300, 200, 100)
    assert torch.all(P["bh"] == 0) and torch.all(P["by"] == 0)
    for name in ("Wh", "Wy"):
        assert abs(P[name].mean().item()) < 0.01 and abs(P[name].std().item() - 0.3) < 0.01

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: forward
# points: 10

# %% [raw]
# # BEGIN SOLUTION

# %%
def forward(params, X):
    """Forward pass of the perceptron on a batch.

    params: dict from init_params; X: (N, nx).
    Returns (Yhat, outputs):
      Yhat: (N, ny), each row a probability distribution (SoftMax of ytilde);
      outputs: dict of every intermediate, for backward:
        "X": (N, nx), "htilde": (N, nh), "h": (N, nh), "ytilde": (N, ny), "yhat": (N, ny).
    Must stay finite for very large logits.
    """
    # TODO: the four equations above; a numerically stable SoftMax.
    # BEGIN SOLUTION
    htilde = X @ params["Wh"].T + params["bh"]
    h = torch.tanh(htilde)
    ytilde = h @ params["Wy"].T + params["by"]
    # exp() of a logit above ~88 overflows float32: shift each row by its max, SoftMax is invariant.
    e = torch.exp(ytilde - ytilde.max(dim=1, keepdim=True).values)
    yhat = e / e.sum(dim=1, keepdim=True)
    outputs = {"X": X, "htilde": htilde, "h": h, "ytilde": ytilde, "yhat": yhat}
    return yhat, outputs
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_forward_shapes(forward):
    import torch
    P = {"Wh": torch.randn(5, 3), "bh": torch.zeros(1, 5), "Wy": torch.randn(4, 5), "by": torch.zeros(1, 4)}
    Yhat, outputs = forward(P, torch.randn(7, 3))
    assert tuple(Yhat.shape) == (7, 4), f"Yhat has shape {tuple(Yhat.shape)}, expected (7, 4)"
    for name in ("X", "htilde", "h", "ytilde", "yhat"):
        assert name in outputs, f"outputs has no key {name!r}"

# %%
# HIDDEN
def test_forward_values(forward):
    import torch
    from tp1_hidden import reference as ref
    torch.manual_seed(2)
    P = ref.init_params(3, 5, 4)
    X = torch.randn(7, 3)
    assert torch.allclose(forward(P, X)[0], ref.forward(P, X)[0], atol=1e-5)
    P["Wy"] = P["Wy"] * 1e4
    assert torch.isfinite(forward(P, X)[0]).all()

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: loss_accuracy
# points: 6

# %% [raw]
# # BEGIN SOLUTION

# %%
def loss_accuracy(Yhat, Y):
    """Mean cross-entropy and accuracy of a batch.

    Yhat: (N, ny) probabilities; Y: (N, ny) one-hot.
    Returns (L, acc): L a 0-dim tensor, the MEAN over the batch of -sum_i y_i log yhat_i
    (keep it a tensor: Part 2 calls L.backward()); acc the fraction in [0, 1] of rows whose
    argmax of Yhat equals the argmax of Y.
    """
    # TODO
    # BEGIN SOLUTION
    L = -(Y * torch.log(Yhat)).sum(dim=1).mean()
    acc = (Yhat.argmax(dim=1) == Y.argmax(dim=1)).float().mean().item()
    return L, acc
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_loss_accuracy_types(loss_accuracy):
    import torch
    Yhat = torch.softmax(torch.randn(7, 4), dim=1)
    Y = torch.eye(4)[torch.randint(0, 4, (7,))]
    L, acc = loss_accuracy(Yhat, Y)
    assert isinstance(L, torch.Tensor) and L.dim() == 0, "L must be a 0-dim tensor"
    assert 0.0 <= float(acc) <= 1.0, f"acc must be a fraction in [0, 1], got {float(acc)}"

# %%
# HIDDEN
def test_loss_accuracy_values(loss_accuracy):
    import torch
    from tp1_hidden import reference as ref
    torch.manual_seed(3)
    Yhat = torch.softmax(torch.randn(7, 4), dim=1)
    Y = torch.eye(4)[torch.randint(0, 4, (7,))]
    L, acc = loss_accuracy(Yhat, Y)
    L_ref, acc_ref = ref.loss_accuracy(Yhat, Y)
    assert torch.allclose(L, L_ref, atol=1e-6) and abs(float(acc) - float(acc_ref)) < 1e-6

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: backward
# points: 14

# %% [raw]
# # BEGIN SOLUTION

# %%
def backward(params, outputs, Y):
    """Gradients of the MEAN cross-entropy with respect to the parameters.

    params: dict from init_params; outputs: dict from forward; Y: (N, ny) one-hot.
    Returns a dict with the shapes of params:
      "Wh": (nh, nx), "bh": (1, nh), "Wy": (ny, nh), "by": (1, ny).
    """
    # TODO: backpropagate from the SoftMax + cross-entropy output down to Wh.
    # BEGIN SOLUTION
    N = Y.shape[0]
    d_ytilde = (outputs["yhat"] - Y) / N  # (N, ny): the 1/N of the mean
    d_htilde = (d_ytilde @ params["Wy"]) * (1 - outputs["h"] ** 2)  # (N, nh): tanh' = 1 - tanh^2
    return {
        "Wy": d_ytilde.T @ outputs["h"],  # (ny, nh)
        "by": d_ytilde.sum(dim=0, keepdim=True),  # (1, ny)
        "Wh": d_htilde.T @ outputs["X"],  # (nh, nx)
        "bh": d_htilde.sum(dim=0, keepdim=True),  # (1, nh)
    }
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_backward_shapes(backward):
    import torch
    P = {"Wh": torch.randn(5, 3), "bh": torch.zeros(1, 5), "Wy": torch.randn(4, 5), "by": torch.zeros(1, 4)}
    X = torch.randn(7, 3)
    htilde = X @ P["Wh"].T + P["bh"]
    h = torch.tanh(htilde)
    ytilde = h @ P["Wy"].T + P["by"]
    outputs = {"X": X, "htilde": htilde, "h": h, "ytilde": ytilde, "yhat": torch.softmax(ytilde, 1)}
    grads = backward(P, outputs, torch.eye(4)[torch.randint(0, 4, (7,))])
    for name in P:
        assert name in grads, f"the gradients have no key {name!r}"
        assert tuple(grads[name].shape) == tuple(P[name].shape), (
            f"grads[{name!r}] has shape {tuple(grads[name].shape)}, expected {tuple(P[name].shape)}")

# %%
# HIDDEN
def test_backward_values(backward):
    import torch
    from tp1_hidden import reference as ref
    torch.manual_seed(4)
    P = {k: v.double() for k, v in ref.init_params(3, 5, 4).items()}
    X, Y = torch.randn(7, 3, dtype=torch.float64), torch.eye(4, dtype=torch.float64)[torch.randint(0, 4, (7,))]
    _, outputs = ref.forward(P, X)
    grads, expected = backward(P, outputs, Y), ref.backward(P, outputs, Y)
    for name in expected:
        assert torch.allclose(grads[name], expected[name], atol=1e-8)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: sgd
# points: 5

# %% [raw]
# # BEGIN SOLUTION

# %%
def sgd(params, grads, eta):
    """One step of gradient descent: returns the dict of the new parameters p - eta * grad_p."""
    # TODO
    # BEGIN SOLUTION
    return {name: params[name] - eta * grads[name] for name in params}
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_sgd_returns_params(sgd):
    import torch
    P = {"Wh": torch.ones(5, 3), "bh": torch.zeros(1, 5), "Wy": torch.ones(4, 5), "by": torch.zeros(1, 4)}
    G = {k: torch.ones_like(v) for k, v in P.items()}
    new = sgd(P, G, 0.1)
    assert isinstance(new, dict), "sgd must return the dict of parameters"
    assert set(new) == set(P), f"sgd returned the keys {sorted(new)}"

# %%
# HIDDEN
def test_sgd_values(sgd):
    import torch
    P = {"Wh": torch.ones(5, 3), "bh": torch.zeros(1, 5), "Wy": torch.ones(4, 5), "by": torch.zeros(1, 4)}
    G = {k: torch.full_like(v, 2.0) for k, v in P.items()}
    new = sgd({k: v.clone() for k, v in P.items()}, G, 0.1)
    for k in P:
        assert torch.allclose(new[k], P[k] - 0.2)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ### Training on Circles
#
# The TP's hyper-parameters: the whole training set (N = 200) in mini-batches of `NBATCH = 10`,
# `NH = 10` hidden units, η = 0.03 in the course's sum convention, i.e. `ETA = 0.3` here.
# The grader trains your Part-1 functions with these same values (its own loop, a fixed seed) and
# measures the accuracy on a fresh, hidden Circles test set: the **circles_accuracy** question. A run
# that ends below 0.89 training accuracy may be an unlucky start, so the grader then trains again
# from another seed (up to 3 runs; the best counts).

# %%
NBATCH = 10
NH = 10
ETA = 0.3
EPOCHS = 100


def batches(N, batch_size, generator=None):
    """Yield index tensors of shuffled mini-batches covering range(N)."""
    order = torch.randperm(N, generator=generator)
    for start in range(0, N, batch_size):
        yield order[start:start + batch_size]


def evaluate(predict, data):
    """Loss and accuracy on train and test of a function X -> probabilities."""
    with torch.no_grad():
        L_train, acc_train = loss_accuracy(predict(data.Xtrain), data.Ytrain)
        L_test, acc_test = loss_accuracy(predict(data.Xtest), data.Ytest)
    return float(L_train), float(acc_train), float(L_test), float(acc_test)


def record(history, scores, epoch, every=20):
    for key, value in zip(("loss_train", "acc_train", "loss_test", "acc_test"), scores):
        history.setdefault(key, []).append(value)
    if epoch % every == 0:
        print(f"epoch {epoch:4d}  train loss {scores[0]:.3f} acc {scores[1]:.3f}  "
              f"test loss {scores[2]:.3f} acc {scores[3]:.3f}")


def show_training(history, predict, data, part, title):
    fig = data.plot_loss(history["loss_train"], history["loss_test"],
                         history["acc_train"], history["acc_test"], title=title)
    save_figure(fig, f"{part}_curves.pdf")
    with torch.no_grad():
        Ygrid = predict(data.Xgrid)
    save_figure(data.plot_data_with_grid(Ygrid, title), f"{part}_boundary.pdf")
    plt.show()


# %%
torch.manual_seed(0)
params = init_params(2, NH, 2)
history_manual = {}
for epoch in range(EPOCHS):
    for idx in batches(data.Xtrain.shape[0], NBATCH):
        Yhat, outputs = forward(params, data.Xtrain[idx])
        grads = backward(params, outputs, data.Ytrain[idx])
        params = sgd(params, grads, ETA)
    record(history_manual, evaluate(lambda X: forward(params, X)[0], data), epoch)
show_training(history_manual, lambda X: forward(params, X)[0], data, "part1", "Part 1: manual backward")

# %% [markdown]
# ## Part 2 — Autograd
#
# Let PyTorch compute the gradients: parameters are leaf tensors with `requires_grad=True`,
# `L.backward()` fills their `.grad`, and the update must not be recorded by autograd.

# %% [raw]
# # BEGIN QUESTION
# name: init_params_autograd
# points: 5

# %% [raw]
# # BEGIN SOLUTION

# %%
def init_params_autograd(nx, nh, ny):
    """As init_params (same shapes and law), but every tensor is a leaf with requires_grad=True."""
    # TODO
    # BEGIN SOLUTION
    params = init_params(nx, nh, ny)
    for p in params.values():
        p.requires_grad_(True)
    return params
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_init_params_autograd_leaves(init_params_autograd):
    P = init_params_autograd(3, 5, 4)
    for name in ("Wh", "bh", "Wy", "by"):
        assert P[name].requires_grad, f"{name} does not require a gradient"
        assert P[name].is_leaf, f"{name} is not a leaf tensor (it was computed from another tensor)"

# %%
# HIDDEN
def test_init_params_autograd_shapes(init_params_autograd):
    P = init_params_autograd(3, 5, 4)
    assert tuple(P["Wh"].shape) == (5, 3) and tuple(P["by"].shape) == (1, 4)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: sgd_autograd
# points: 6

# %% [raw]
# # BEGIN SOLUTION

# %%
def sgd_autograd(params, eta):
    """One gradient step from each parameter's .grad, then zero the gradients.

    The parameters must stay leaf tensors that require a gradient. Returns params.
    """
    # TODO
    # BEGIN SOLUTION
    with torch.no_grad():
        for p in params.values():
            p -= eta * p.grad
            p.grad.zero_()
    return params
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_sgd_autograd_keeps_leaves(sgd_autograd):
    import torch
    P = {"W": torch.ones(2, 3, requires_grad=True)}
    (P["W"] ** 2).sum().backward()
    new = sgd_autograd(P, 0.1)
    W = (new if isinstance(new, dict) else P)["W"]
    assert W.is_leaf and W.requires_grad, "after the step W must still be a leaf that requires a gradient"

# %%
# HIDDEN
def test_sgd_autograd_step(sgd_autograd):
    import torch
    P = {"W": torch.ones(2, 3, requires_grad=True)}
    (P["W"] ** 2).sum().backward()
    new = sgd_autograd(P, 0.1)
    W = (new if isinstance(new, dict) else P)["W"]
    assert torch.allclose(W.detach(), torch.full((2, 3), 0.8))
    assert W.grad is None or torch.all(W.grad == 0)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %%
torch.manual_seed(0)
params = init_params_autograd(2, NH, 2)
history_autograd = {}
for epoch in range(EPOCHS):
    for idx in batches(data.Xtrain.shape[0], NBATCH):
        Yhat, _ = forward(params, data.Xtrain[idx])
        L, _ = loss_accuracy(Yhat, data.Ytrain[idx])
        L.backward()
        params = sgd_autograd(params, ETA)
    record(history_autograd, evaluate(lambda X: forward(params, X)[0], data), epoch)
show_training(history_autograd, lambda X: forward(params, X)[0], data, "part2", "Part 2: autograd")

# %% [markdown]
# ## Part 3 — `torch.nn`
#
# The model outputs the **logits** ỹ; `nn.CrossEntropyLoss` applies the (log-)SoftMax itself.

# %% [raw]
# # BEGIN QUESTION
# name: init_model
# points: 6

# %% [raw]
# # BEGIN SOLUTION

# %%
def init_model(nx, nh, ny):
    """Returns (model, loss): model maps X (N, nx) to logits (N, ny) through Linear -> Tanh -> Linear;
    loss is a cross-entropy module that takes logits."""
    # TODO
    # BEGIN SOLUTION
    model = nn.Sequential(nn.Linear(nx, nh), nn.Tanh(), nn.Linear(nh, ny))
    loss = nn.CrossEntropyLoss()
    return model, loss
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_init_model_types(init_model):
    import torch
    model, loss = init_model(3, 5, 4)
    assert isinstance(model, torch.nn.Module), "model must be a torch.nn.Module"
    assert callable(loss), "loss must be callable"
    assert tuple(model(torch.randn(7, 3)).shape) == (7, 4), "model(X) must have shape (N, ny)"

# %%
# HIDDEN
def test_init_model_logits(init_model):
    import torch
    model, loss = init_model(3, 5, 4)
    out = model(torch.randn(50, 3))
    assert not torch.allclose(out.sum(dim=1), torch.ones(50)), "the model must output logits"

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: loss_accuracy_nn
# points: 5

# %% [raw]
# # BEGIN SOLUTION

# %%
def loss_accuracy_nn(loss, Ytilde, Y):
    """Mean loss and accuracy from logits.

    loss: the module from init_model; Ytilde: (N, ny) logits; Y: (N, ny) one-hot.
    Returns (L, acc): L a 0-dim tensor (differentiable), acc a fraction in [0, 1].
    """
    # TODO
    # BEGIN SOLUTION
    L = loss(Ytilde, Y.argmax(dim=1))
    acc = (Ytilde.argmax(dim=1) == Y.argmax(dim=1)).float().mean().item()
    return L, acc
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_loss_accuracy_nn_types(loss_accuracy_nn):
    import torch
    L, acc = loss_accuracy_nn(torch.nn.CrossEntropyLoss(), torch.randn(7, 4), torch.eye(4)[torch.randint(0, 4, (7,))])
    assert isinstance(L, torch.Tensor) and L.dim() == 0, "L must be a 0-dim tensor"
    assert 0.0 <= float(acc) <= 1.0, "acc must be a fraction in [0, 1]"

# %%
# HIDDEN
def test_loss_accuracy_nn_values(loss_accuracy_nn):
    import torch
    Ytilde = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, -1.0]])
    Y = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    L, acc = loss_accuracy_nn(torch.nn.CrossEntropyLoss(), Ytilde, Y)
    assert torch.allclose(L, torch.nn.functional.cross_entropy(Ytilde, Y.argmax(1)))
    assert abs(float(acc) - 2 / 3) < 1e-6

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [raw]
# # BEGIN QUESTION
# name: sgd_nn
# points: 5

# %% [raw]
# # BEGIN SOLUTION

# %%
def sgd_nn(model, eta):
    """One gradient step on every parameter of model from its .grad, then zero the gradients."""
    # TODO
    # BEGIN SOLUTION
    with torch.no_grad():
        for p in model.parameters():
            p -= eta * p.grad
    model.zero_grad()
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_sgd_nn_runs(sgd_nn):
    import torch
    model = torch.nn.Linear(3, 2)
    model(torch.randn(4, 3)).sum().backward()
    sgd_nn(model, 0.1)
    assert all(p.is_leaf for p in model.parameters())

# %%
# HIDDEN
def test_sgd_nn_step(sgd_nn):
    import torch
    model = torch.nn.Linear(3, 2)
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.ones(4, 3)).sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    sgd_nn(model, 0.1)
    for p, b, g in zip(model.parameters(), before, grads):
        assert torch.allclose(p.detach(), b - 0.1 * g)
        assert p.grad is None or torch.all(p.grad == 0)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %%
def train_nn(model, loss, step, data, epochs=EPOCHS, batch_size=NBATCH):
    """Train a torch.nn model on Circles; step() updates the parameters. Returns the history."""
    history = {}
    for epoch in range(epochs):
        for idx in batches(data.Xtrain.shape[0], batch_size):
            L, _ = loss_accuracy_nn(loss, model(data.Xtrain[idx]), data.Ytrain[idx])
            L.backward()
            step()
        with torch.no_grad():
            L_train, acc_train = loss_accuracy_nn(loss, model(data.Xtrain), data.Ytrain)
            L_test, acc_test = loss_accuracy_nn(loss, model(data.Xtest), data.Ytest)
        record(history, (float(L_train), float(acc_train), float(L_test), float(acc_test)), epoch)
    return history


torch.manual_seed(0)
model_nn, loss_nn = init_model(2, NH, 2)
history_nn = train_nn(model_nn, loss_nn, lambda: sgd_nn(model_nn, ETA), data)
show_training(history_nn, lambda X: torch.softmax(model_nn(X), dim=1), data, "part3", "Part 3: torch.nn")

# %% [markdown]
# ## Part 4 — `torch.optim`

# %% [raw]
# # BEGIN QUESTION
# name: init_model_optim
# points: 5

# %% [raw]
# # BEGIN SOLUTION

# %%
def init_model_optim(nx, nh, ny, eta):
    """Returns (model, loss, optim): as init_model, plus optim = torch.optim.SGD over the
    model's parameters with learning rate eta."""
    # TODO
    # BEGIN SOLUTION
    model, loss = init_model(nx, nh, ny)
    optim = torch.optim.SGD(model.parameters(), lr=eta)
    return model, loss, optim
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (shapes and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_init_model_optim_types(init_model_optim):
    import torch
    model, loss, optim = init_model_optim(3, 5, 4, 0.1)
    assert isinstance(model, torch.nn.Module), "model must be a torch.nn.Module"
    assert isinstance(optim, torch.optim.Optimizer), "optim must be a torch.optim.Optimizer"

# %%
# HIDDEN
def test_init_model_optim_lr(init_model_optim):
    model, loss, optim = init_model_optim(3, 5, 4, 0.123)
    assert all(abs(g["lr"] - 0.123) < 1e-12 for g in optim.param_groups)
    assert {id(p) for g in optim.param_groups for p in g["params"]} == {id(p) for p in model.parameters()}

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %%
def optim_step(optim):
    optim.step()
    optim.zero_grad()


torch.manual_seed(0)
model_optim, loss_optim, optim = init_model_optim(2, NH, 2, ETA)
history_optim = train_nn(model_optim, loss_optim, lambda: optim_step(optim), data)
show_training(history_optim, lambda X: torch.softmax(model_optim(X), dim=1), data, "part4", "Part 4: torch.optim")

# %% [markdown]
# ### The four implementations side by side
#
# With the same seed and hyper-parameters, Parts 1 and 2 compute the same thing and so do Parts 3
# and 4 (they differ from 1–2 only through `nn.Linear`'s own initialisation).

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, history in (("1 manual", history_manual), ("2 autograd", history_autograd),
                      ("3 torch.nn", history_nn), ("4 torch.optim", history_optim)):
    ax.plot(history["acc_test"], label=f"Part {name} (final {history['acc_test'][-1]:.3f})")
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.legend()
save_figure(fig, "comparison.pdf")
plt.show()

# %% [markdown]
# ## Part 5 — MNIST
#
# The same Part-4 code on 28×28 digits (nx = 784, ny = 10). By default `MNISTData()` uses the
# 5,000 real MNIST digits that ship with the kit (4,000 train, 1,000 test); put the course's
# `mnist.mat` (or `mnist.npz`, or the IDX files) in `data/` to use all of MNIST.
#
# Choose `MNIST_HPARAMS`. The grader trains your Part-4 functions with them on the 4,000 training
# digits and tests on held-out digits (**mnist_accuracy**), under a CPU-time budget: a choice whose
# training the grader estimates at more than 20 s of CPU scores 0 for that question (the values
# below need about 1 s).

# %% [raw]
# # BEGIN QUESTION
# name: MNIST_HPARAMS
# points: 2

# %% [raw]
# # BEGIN SOLUTION

# %%
# TODO: a dict with the keys "nh", "eta", "batch_size" and "epochs".
MNIST_HPARAMS = {"nh": 100, "eta": 0.1, "batch_size": 32, "epochs": 15}  # SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (keys and types only). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_mnist_hparams_keys(MNIST_HPARAMS):
    assert isinstance(MNIST_HPARAMS, dict), "MNIST_HPARAMS must be a dict"
    for key in ("nh", "eta", "batch_size", "epochs"):
        assert key in MNIST_HPARAMS, f"MNIST_HPARAMS has no key {key!r}"

# %%
# HIDDEN
def test_mnist_hparams_values(MNIST_HPARAMS):
    assert MNIST_HPARAMS["eta"] > 0 and int(MNIST_HPARAMS["nh"]) >= 1 and int(MNIST_HPARAMS["epochs"]) >= 1

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %%
mnist = MNISTData()
print(mnist.source, tuple(mnist.Xtrain.shape), tuple(mnist.Xtest.shape))

torch.manual_seed(0)
hp = MNIST_HPARAMS
model_mnist, loss_mnist, optim_mnist = init_model_optim(784, hp["nh"], 10, hp["eta"])
history_mnist = {}
for epoch in range(hp["epochs"]):
    for idx in batches(mnist.Xtrain.shape[0], hp["batch_size"]):
        L, _ = loss_accuracy_nn(loss_mnist, model_mnist(mnist.Xtrain[idx]), mnist.Ytrain[idx])
        L.backward()
        optim_step(optim_mnist)
    with torch.no_grad():
        scores = (*loss_accuracy_nn(loss_mnist, model_mnist(mnist.Xtrain), mnist.Ytrain),
                  *loss_accuracy_nn(loss_mnist, model_mnist(mnist.Xtest), mnist.Ytest))
    record(history_mnist, [float(s) for s in scores], epoch, every=5)
save_figure(CirclesData.plot_loss(history_mnist["loss_train"], history_mnist["loss_test"],
                                  history_mnist["acc_train"], history_mnist["acc_test"], title="MNIST"),
            "mnist_curves.pdf")
plt.show()

# %% [markdown]
# ## Part 6 — SVM
#
# A support-vector machine on Circles with scikit-learn. Compare the kernels below, then write
# `fit_svm` with the one (and the parameters) you find best: the grader measures its accuracy on a
# fresh, hidden Circles test set (**fit_svm**).

# %%
X_svm_train, y_svm_train = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
X_svm_test, y_svm_test = data.Xtest.numpy(), data.Ytest.argmax(1).numpy()
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
rows = []
for ax, kernel in zip(axes, ("linear", "rbf", "poly")):
    svm = SVC(kernel=kernel, degree=2).fit(X_svm_train, y_svm_train)
    acc_train, acc_test = svm.score(X_svm_train, y_svm_train), svm.score(X_svm_test, y_svm_test)
    rows.append(f"{kernel} & {acc_train:.3f} & {acc_test:.3f} \\\\")
    print(f"{kernel:7s} train {acc_train:.3f}  test {acc_test:.3f}")
    Ygrid = torch.nn.functional.one_hot(torch.as_tensor(svm.predict(data.Xgrid.numpy())), 2)
    data.plot_data_with_grid(Ygrid, f"SVM, {kernel} kernel: test {acc_test:.3f}", ax=ax)
save_figure(fig, "svm_kernels.pdf")
save_figure("\\begin{tabular}{lcc}\nkernel & train & test \\\\ \\hline\n" + "\n".join(rows)
            + "\n\\end{tabular}\n", "svm_table.tex")
plt.show()

# %% [raw]
# # BEGIN QUESTION
# name: fit_svm
# points: 10

# %% [raw]
# # BEGIN SOLUTION

# %%
def fit_svm(X, y):
    """Fit and return a scikit-learn classifier on Circles.

    X: (N, 2) array (numpy or tensor); y: (N,) labels in {0, 1}.
    """
    # TODO: pick the kernel (and its parameters) that suits the Circles data.
    # BEGIN SOLUTION
    return SVC(kernel="rbf", C=1.0).fit(np.asarray(X), np.asarray(y))
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: Public checks passed (it fits and predicts). The hidden tests run at grading time.
""" # END TEST CONFIG
def test_fit_svm_predicts(fit_svm):
    import numpy as np
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (np.linalg.norm(X, axis=1) < 1).astype(int)
    clf = fit_svm(X, y)
    assert hasattr(clf, "predict"), "fit_svm must return a fitted classifier"
    assert np.asarray(clf.predict(X)).shape == (40,)

# %%
# HIDDEN
def test_fit_svm_accuracy(fit_svm):
    import numpy as np
    from tp1_support import draw_circles
    Xtrain, ytrain = draw_circles(100, 7001)
    Xtest, ytest = draw_circles(100, 7002)
    assert (fit_svm(Xtrain, ytrain).predict(Xtest) == ytest).mean() >= 0.85

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Hand-in
#
# Answer the theory questions in the LaTeX report (`report_template/report.tex`): the figures this
# notebook saved in `figures/` appear in it. Then run the cell below and hand in the zip (or this
# `.ipynb` file).
