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
# init_cell: false
# export_cell: false
# check_all_cell: false
# strip_solutions_from_all_cells: true
# run_tests: false
# files:
#   - tp1_support
# autograder_files:
#   - tp1_hidden
# tests:
#   files: true
#   ok_format: false

# %% [markdown]
# # TP1-ab — Introduction to Neural Networks
#
# You will build a one-hidden-layer perceptron (tanh hidden layer, SoftMax output, cross-entropy
# loss) four times — by hand, with autograd, with `torch.nn`, with `torch.optim` — train it on the
# 2-D **Circles** data, then on **MNIST**, and compare it with an **SVM**.
#
# **Getting started.**
#
# - **On your own computer (Jupyter):** unzip `tp1_ab_student.zip` (or take the `assignment/` folder)
#   and keep `tp1_ab.ipynb` next to `tp1_support/` and `tests/`. Install what it needs once:
#   `pip install -r requirements.txt` (Python 3.10 to 3.13; what you have already is kept when it is
#   recent enough; without PyTorch, install it first from [pytorch.org](https://pytorch.org): the CPU
#   version is enough). Open the notebook in Jupyter (JupyterLab, Notebook, or VS Code).
# - **On Google Colab:** open this notebook in Colab and run its first cell: it fetches the course's
#   files (your instructor's link, or it asks you to upload `tp1_ab_student.zip`) and installs what
#   Colab lacks (mlxtend, in seconds); it changes none of Colab's own packages. Run it again each
#   time Colab gives you a new machine.
# - **What to hand in:** the zip the last cell of this notebook makes (or the `.ipynb` itself), and
#   your report's PDF. You may rename the notebook (e.g. `tp1_ab_Dupont.ipynb`), but **do not rename
#   the functions** you write, nor `MNIST_HPARAMS`: the grader looks for them by name.
#
# **How this notebook is graded.** Each function marked `TODO` is graded on its own, on inputs the
# grader makes, so a mistake in one function does not cost points in another. At grading time the
# grader runs only the `import` lines, the function and class definitions, and the simple constants
# (such as `MNIST_HPARAMS`) of this notebook — **not** your experiment cells — so a long training
# run you leave in the notebook does not slow grading down, but a function that relies on a
# variable made by an experiment cell will fail. Keep every graded function self-contained (helper
# functions of your own are fine).
#
# **The experiments.** You also write the training step of each part (ungraded `TODO`s: the grader
# trains your graded functions with loops of its own) and run the experiment cells; each says what
# to expect. Together they compute for about 25 s, most of it in the η × B sweep (6 s) and the
# squared-error experiment (4 s). Each cell gives its own time; on a 2-core laptop busy with other
# work a cell can take up to 3 times as long (the whole notebook, top to bottom, took 45–70 s on the
# kit's shared 2-core machine).
#
# `grader.check("name")` runs **public checks on random inputs** while you work: it calls your
# function on inputs it draws at random (new ones at every call) and checks the values it returns
# against the equations of this notebook, your gradients against autograd applied to your own
# `forward` and `loss_accuracy` and against finite differences, and your training against what the
# grader needs. When it recognises a known mistake, it names it, with the words of the grader's
# feedback. **Grading uses other inputs** and more tests: passing the public checks is a good sign,
# not a grade.
#
# **Conventions** (row vectors, as in the course): a batch `X` of $B$ examples is `(B, nx)`; `Y` is
# one-hot `(B, ny)`; a layer's weight `W` is `(out, in)`; a bias is a row `(1, out)`. $B$ is the batch
# size, $N$ the size of a data set (the grader's messages write $N$ for both).
#
# **Mean, not sum — and where the course's cheat-sheet contradicts itself.** `loss_accuracy` returns
# the **mean** cross-entropy over the batch and `backward` returns the gradients of that mean: what
# autograd computes from `loss_accuracy` in Part 2, and what `nn.CrossEntropyLoss` computes in Parts
# 3–4. The course's cheat-sheet defines the loss as this same mean, yet gives the batch gradient
# $\nabla_{\tilde Y} = \hat Y - Y$, which is the gradient of $B$ times that mean (the batch *sum*).
# So the course's Part 1, with that gradient, η = 0.03 and batches of $B = 10$, took steps of 0.3
# times the mean's gradient, while its Part 2 (autograd on its mean loss) and its Parts 3–4
# (`CrossEntropyLoss`, a mean), with the same η = 0.03, took steps **10 times smaller**: that is why
# the four implementations did not learn at the same speed (Part 2's experiment *The handout's
# mismatch, reproduced* shows it). This notebook uses the mean in all four parts with `ETA = 0.3`,
# the step the course's Part 1 took.

# %%
# Run this cell first. On Google Colab it fetches the course's files (the tp1_support package, with the
# checker grader.check, and the public tests, from tp1_ab_student.zip) and installs mlxtend if Colab
# lacks it; it changes none of Colab's own packages. On your own Jupyter the files are next to this
# notebook already. You do not need to read or change it.
STUDENT_FILES_URL = ""  # set by your instructor: where tp1_ab_student.zip is on the web ("": upload it)

import importlib.util
import io
import os
import subprocess
import sys
import zipfile


def fetch_student_files(url=STUDENT_FILES_URL):
    """Extract tp1_support/ and tests/ of tp1_ab_student.zip here: downloaded from url, or uploaded."""
    if url:
        import urllib.request

        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
    else:
        from google.colab import files

        print("Upload tp1_ab_student.zip (from your course's page) with the button below.")
        data = next((content for name, content in files.upload().items() if name.endswith(".zip")), b"")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError("this is not tp1_ab_student.zip: " + (f"{url} gave no zip file" if url else "upload the zip"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [m for m in archive.namelist() if m.startswith(("tp1_support/", "tests/")) or m == "requirements.txt"]
        if not any(m.startswith("tp1_support/") for m in members):
            raise ValueError("this zip holds no tp1_support/: it is not tp1_ab_student.zip")
        archive.extractall(".", members)


def install_missing(requirements):
    """For each (module, pip arguments): pip-install it when the module cannot be imported."""
    for module, arguments in requirements:
        if importlib.util.find_spec(module) is None:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *arguments], check=True)
    importlib.invalidate_caches()


if "google.colab" in str(get_ipython()):
    if not (os.path.isdir("tp1_support") and os.path.isdir("tests")):
        fetch_student_files()
    # Colab has PyTorch, NumPy, scikit-learn and matplotlib. mlxtend (for its 5,000 MNIST digits), when
    # missing, is installed without its dependencies, which Colab has and which pip would otherwise upgrade.
    install_missing([("mlxtend", ["--no-deps", "mlxtend==0.23.4"])])
elif not os.path.isdir("tests"):
    print("The folder tests/ is not next to this notebook, so grader.check cannot run: unzip "
          "tp1_ab_student.zip and open the notebook from that folder (see Getting started).")

from tp1_support.checker import Notebook

grader = Notebook(tests_dir="tests")

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
from sklearn.svm import SVC

from tp1_support import CirclesData, MNISTData, save_figure

# These networks are tiny (a few hundred numbers per operation): spreading each operation over several
# threads costs more than it saves, and many times more when the machine is busy.
torch.set_num_threads(1)
# torch.optim's first optimizer loads torch's compiler (2 to 4 s): here, once, rather than in Part 4.
torch.optim.SGD([torch.zeros(1)], lr=0.1)

torch.manual_seed(0)

# %% [markdown]
# ## The Circles data
#
# 200 training and 200 test points. Class 1 (red) is uniform on the disk of radius 0.74; class 0
# (blue) is uniform on the ring $0.5 < r < 1.73$, which overlaps it. Where they overlap, class 1 is
# about 5 times denser, so the ideal classifier is the circle $r = 0.74$. It errs on the ring points
# that fall inside that circle, 10.9 % of the ring, so its **expected** accuracy is **94.6 %**, and
# no classifier does better on average.
#
# On 200 points, though, an accuracy is known only to about ±1.6 points (one standard deviation),
# and this notebook's test set happens to be easy: only 5 of its ring points fall inside the circle,
# against 13 in the training set, so the ideal rule scores **0.975 on the test set** and 0.935 on
# the training set. That is why, in every curve below, the **test accuracy is above the training
# accuracy**. It is the luck of the test draw, not a sign of a good model. Part 1's network scores
# 0.870–0.950 on this test set (0.925 on average over seeds 0–9), but 0.831–0.926 (0.882 on
# average) on 10,000 fresh points from the same distribution: below the ideal 0.946, as it should
# be. (The grader measures on 1,000 fresh points for the same reason.)

# %%
data = CirclesData()
print(data.Xtrain.shape, data.Ytrain.shape, data.Xtest.shape, data.Xgrid.shape)
save_figure(data.plot_data(), "circles_data.pdf")

# %% [markdown]
# ### A linear baseline
#
# Before any network: what a **linear** classifier can do. A logistic regression is the network of
# Part 1 without its hidden layer ($\tilde y = x W^\top + b$, then SoftMax; scikit-learn adds a
# small L2 penalty). Its decision boundary is a straight line, and no line separates a disk from
# the ring around it: expect an accuracy near chance (0.5–0.6). Keep this figure in mind for Q3 and
# Q4: the hidden layer is what lets the network draw a closed curve.

# %%
from sklearn.linear_model import LogisticRegression

linear_baseline = LogisticRegression().fit(data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy())
linear_accuracy = (linear_baseline.score(data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()),
                   linear_baseline.score(data.Xtest.numpy(), data.Ytest.argmax(1).numpy()))
print(f"linear baseline: train accuracy {linear_accuracy[0]:.3f}, test accuracy {linear_accuracy[1]:.3f}")
save_figure(data.plot_data_with_grid(linear_baseline.predict_proba(data.Xgrid.numpy()),
                                     f"Linear baseline: train {linear_accuracy[0]:.3f}, test {linear_accuracy[1]:.3f}"),
            "linear_baseline.pdf")
plt.show()

# %% [markdown]
# ## Part 1 — Forward and backward by hand
#
# The network: $\tilde h = X W_h^\top + b_h$, $h = \tanh(\tilde h)$, $\tilde y = h W_y^\top + b_y$,
# $\hat y = \mathrm{SoftMax}(\tilde y)$, and the loss of a batch of $B$ examples is the mean
# $\mathcal{L} = -\frac{1}{B}\sum_{b=1}^{B} \sum_i y_{b,i} \log \hat y_{b,i}$.

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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_init_params_public_checks(init_params):
    from tp1_support.checks import check_init_params

    check_init_params(init_params)

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

    params: dict from init_params; X: (B, nx), a batch of B examples.
    Returns (Yhat, outputs):
      Yhat: (B, ny), each row a probability distribution (SoftMax of ytilde);
      outputs: dict of every intermediate, for backward:
        "X": (B, nx), "htilde": (B, nh), "h": (B, nh), "ytilde": (B, ny), "yhat": (B, ny).
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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_forward_public_checks(forward):
    from tp1_support.checks import check_forward

    check_forward(forward)

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

    Yhat: (B, ny) probabilities; Y: (B, ny) one-hot.
    Returns (L, acc): L a 0-dim tensor, the MEAN over the batch of -sum_i y_i log yhat_i
    (keep it a tensor: Part 2 calls L.backward()); acc the fraction in [0, 1] of rows whose
    argmax of Yhat equals the argmax of Y.
    A very confident prediction can round a probability down to 0, and in floating point
    0 * log(0) is nan, not 0: a form that keeps only the true class's term stays finite then
    (worth it for long trainings; the grader does not test it: both forms are right).
    """
    # TODO
    # BEGIN SOLUTION
    # -log of the true class's probability: the other classes' terms are 0 * log(yhat), which is
    # nan once a probability underflows to 0. (If the true class's probability itself is 0, L is
    # +inf: the exact loss, larger than any float can say from probabilities alone.)
    L = -torch.log((Y * Yhat).sum(dim=1)).mean()
    acc = (Yhat.argmax(dim=1) == Y.argmax(dim=1)).float().mean().item()
    return L, acc
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_loss_accuracy_public_checks(loss_accuracy):
    from tp1_support.checks import check_loss_accuracy

    check_loss_accuracy(loss_accuracy)

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

    params: dict from init_params; outputs: dict from forward; Y: (B, ny) one-hot.
    Returns a dict with the shapes of params:
      "Wh": (nh, nx), "bh": (1, nh), "Wy": (ny, nh), "by": (1, ny).
    Derived by hand, with matrix operations: no autograd, no library's backpropagation, no finite
    differences. The grader also runs it on a network of about 33,000 parameters (500 rows, 120
    inputs, 250 hidden units), where the matrix form takes milliseconds and a perturbation, or a
    Python loop over single entries, cannot finish in its 10 s.
    """
    # TODO: backpropagate from the SoftMax + cross-entropy output down to Wh.
    # BEGIN SOLUTION
    # N: the batch size (B in the text)
    N = Y.shape[0]
    d_ytilde = (outputs["yhat"] - Y) / N  # (B, ny): the 1/B of the mean
    d_htilde = (d_ytilde @ params["Wy"]) * (1 - outputs["h"] ** 2)  # (B, nh): tanh' = 1 - tanh^2
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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_backward_public_checks(backward, forward, loss_accuracy):
    from tp1_support.checks import check_backward

    check_backward(backward, forward, loss_accuracy)

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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_sgd_public_checks(sgd):
    from tp1_support.checks import check_sgd

    check_sgd(sgd)

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
# The TP's hyper-parameters: the $N = 200$ training points in mini-batches of `NBATCH` $= B = 10$,
# `NH = 10` hidden units, 100 epochs, and `ETA = 0.3` on the mean loss, the step the course's
# Part 1 took with its η = 0.03 on the batch sum (see the top of this notebook).
# The grader trains your Part-1 functions with these same values (its own loop, a fixed seed) and
# measures the accuracy on a fresh, hidden Circles test set: the **circles_accuracy** question. A run
# that ends below 0.89 training accuracy may be an unlucky start, so the grader then trains again
# from another seed (up to 3 runs; the best counts).
#
# The cell below defines what every training of this notebook uses: `batches` (the mini-batches of
# an epoch, in a shuffled order), `evaluate` (the loss and accuracy of a model on the training and
# test sets, with your `loss_accuracy`) and `record` (which keeps them in a history and prints them).
# `needs`, at the top of the experiment cells, stops a cell at once when a function it uses is not
# written yet, and says which.

# %%
from tp1_support.todo import needs

NBATCH = 10
NH = 10
ETA = 0.3
EPOCHS = 100


def batches(N, batch_size, generator):
    """Yield the index tensors of the mini-batches of one epoch: range(N) shuffled by generator (a
    torch.Generator), cut into batches of batch_size (the last one smaller if N is not a multiple)."""
    order = torch.randperm(N, generator=generator)
    for start in range(0, N, batch_size):
        yield order[start:start + batch_size]


def evaluate(predict, data):
    """(loss_train, acc_train, loss_test, acc_test) of predict, a function X (B, nx) -> probabilities
    (B, ny): your loss_accuracy on data's whole training set and whole test set."""
    with torch.no_grad():
        L_train, acc_train = loss_accuracy(predict(data.Xtrain), data.Ytrain)
        L_test, acc_test = loss_accuracy(predict(data.Xtest), data.Ytest)
    return float(L_train), float(acc_train), float(L_test), float(acc_test)


def record(history, scores, epoch, every=20):
    """Append scores = (loss_train, acc_train, loss_test, acc_test) to the lists of history, and print
    them when epoch is a multiple of every (never if every is 0). Epoch 0 is before training."""
    for key, value in zip(("loss_train", "acc_train", "loss_test", "acc_test"), scores):
        history.setdefault(key, []).append(value)
    if every and epoch % every == 0:
        print(f"after {epoch:3d} epochs: train loss {scores[0]:.3f} acc {scores[1]:.3f}, "
              f"test loss {scores[2]:.3f} acc {scores[3]:.3f}")


def show_training(history, predict, data, part, title):
    fig = data.plot_loss(history["loss_train"], history["loss_test"],
                         history["acc_train"], history["acc_test"], title=title)
    save_figure(fig, f"{part}_curves.pdf")
    with torch.no_grad():
        Ygrid = predict(data.Xgrid)
    save_figure(data.plot_data_with_grid(Ygrid, title), f"{part}_boundary.pdf")
    plt.show()


# %% [markdown]
# ### The training loop (yours, not graded)
#
# Now the global learning algorithm (the practical's §2.1, item 7): complete `train_part1` below.
# The skeleton does the bookkeeping. It seeds PyTorch's random generator, so that a run can be
# repeated (and Part 2 can start from the same weights), and draws the parameters. It gives the
# mini-batches of each epoch in an order drawn by a generator of their own, seeded with `seed` too:
# the order depends on the seed only, not on how many random numbers the initialisation drew. It
# records the loss and accuracy of the whole training and test sets before training and after each
# epoch. What is yours is **one step of mini-batch stochastic gradient descent** on the batch
# `data.Xtrain[idx]`, `data.Ytrain[idx]`:
#
#     forward pass on the batch's points        -> Yhat and the intermediate outputs
#     gradients of the batch's mean loss        -> grads  (with `gradients`: your backward,
#                                                          unless an experiment passes another)
#     one gradient step (sgd) of size eta       -> the new params
#
# An epoch makes $N/B$ such steps, one per mini-batch. The loop is not graded: the grader trains
# your functions with a loop of its own. But every experiment of Parts 1 and 2 runs it, so check
# what it prints against what to expect with `ETA`, `NBATCH`, `NH`, 100 epochs and seed 0:
#
# - **after 0 epochs** (before training), the loss is about $\ln 2 = 0.693$ and the accuracy about
#   0.5: weights of standard deviation 0.3 give logits close to 0, hence
#   $\hat y \approx (\frac12, \frac12)$ for every point;
# - **after 100 epochs**, the reference's functions print
#   `after 100 epochs: train loss 0.215 acc 0.905, test loss 0.205 acc 0.910`. Other seeds give
#   a training loss of 0.186–0.250, a training accuracy of 0.885–0.925 and a test accuracy of
#   0.870–0.950 (seeds 0–9; the test accuracy is above the training accuracy, see *The Circles
#   data*);
# - the decision boundary is a closed curve, roughly the circle $r = 0.74$.
#
# A loss that stays at 0.693 means the parameters never change (is `params` reassigned?); a loss
# that grows often means a sign error in `backward` or in `sgd`.

# %%
def train_part1(data, nh, eta, batch_size, epochs, seed=0, every=20, gradients=None):
    """Train the Part-1 perceptron on data.Xtrain with mini-batch SGD and your functions.

    Returns (params, history): the trained parameters (the dict of init_params) and a dict of
    lists, "loss_train", "acc_train", "loss_test", "acc_test", each with epochs + 1 values (before
    training, then after each epoch).
    every: print the scores every `every` epochs (0: never).
    gradients: the function (params, outputs, Y) -> grads used for each step (None: your backward).
    """
    gradients = gradients or backward
    torch.manual_seed(seed)  # the initial parameters
    order = torch.Generator().manual_seed(seed)  # the order of the mini-batches
    params = init_params(data.Xtrain.shape[1], nh, data.Ytrain.shape[1])
    history = {}
    record(history, evaluate(lambda X: forward(params, X)[0], data), 0, every)
    for epoch in range(1, epochs + 1):
        for idx in batches(data.Xtrain.shape[0], batch_size, order):
            # TODO: one step of mini-batch SGD on this batch (see the steps above)
            # BEGIN SOLUTION
            Yhat, outputs = forward(params, data.Xtrain[idx])
            grads = gradients(params, outputs, data.Ytrain[idx])
            params = sgd(params, grads, eta)
            # END SOLUTION
        record(history, evaluate(lambda X: forward(params, X)[0], data), epoch, every)
    return params, history


# %%
needs("init_params", "forward", "loss_accuracy", "backward", "sgd", "train_part1")
params, history_manual = train_part1(data, NH, ETA, NBATCH, EPOCHS, seed=0)
show_training(history_manual, lambda X: forward(params, X)[0], data, "part1", "Part 1: manual backward")

# %% [markdown]
# What the grader's **circles_accuracy** will see: the check below trains your `forward`, `backward`
# and `sgd` with the grader's own loop and hyper-parameters (not your `train_part1`), and measures the
# accuracy on 1,000 fresh Circles points, drawn anew at each run of the check. A training run takes
# about 0.3 s; the check stops at the first run that reaches full points (most often the first) and
# makes up to 3, so it takes up to about 1 s.

# %% [raw]
# # BEGIN QUESTION
# name: circles_accuracy
# points: 8

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_circles_accuracy_public_checks(forward, backward, sgd, loss_accuracy):
    from tp1_support.checks import check_circles_accuracy

    check_circles_accuracy(forward, backward, sgd, loss_accuracy)

# %%
# HIDDEN
def test_circles_accuracy_hidden(forward, backward, sgd):
    import torch
    from tp1_support import CirclesData, draw_circles
    from tp1_support.checks import accuracy_of, train_part1_like_the_grader
    from tp1_support.grading import parameters
    hp, full = parameters()["circles"], parameters()["thresholds"]["circles_accuracy"]["full"]
    data = CirclesData()
    X, labels = draw_circles(500, 8_312_907)
    generator = torch.Generator().manual_seed(11)
    best = 0.0
    for run in range(hp["runs"]):
        P = train_part1_like_the_grader(forward, backward, sgd, data.Xtrain, data.Ytrain, generator, hp)
        best = max(best, accuracy_of(P, X, labels))
        if accuracy_of(P, data.Xtrain, data.Ytrain.argmax(1).numpy()) >= hp["enough_train_accuracy"]:
            break
    assert best >= full

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ### A validation set (Q1 in practice)
#
# The next experiments choose hyper-parameters: the number of hidden units $n_h$, the learning
# rate η with the batch size $B$, and the number of epochs. A choice made by looking at the test set
# makes the test score optimistic (Q1), so they set 50 of the 200 training points aside as a
# **validation set**, train on the other 150, and compare their runs on the validation points only.
# The test set is measured once, at the end, for the model chosen. On 50 points an accuracy is
# known only to about ±4 points (one standard deviation, Q2): smaller differences between two runs
# are noise.

# %%
import copy


def validation_split(data, n_validation, seed=0):
    """A copy of data whose training set is data's training set less n_validation points drawn at
    random, and whose test set is those points: the validation set. Trained on it, train_part1
    reports its "test" scores on the validation set and never sees data's test set."""
    shuffled = torch.randperm(data.Xtrain.shape[0], generator=torch.Generator().manual_seed(seed))
    held, kept = shuffled[:n_validation], shuffled[n_validation:]
    split = copy.copy(data)
    split.Xtrain, split.Ytrain = data.Xtrain[kept], data.Ytrain[kept]
    split.Xtest, split.Ytest = data.Xtrain[held], data.Ytrain[held]
    return split


split = validation_split(data, 50)
print(f"training points {split.Xtrain.shape[0]} (class 1: {int(split.Ytrain[:, 1].sum())}), "
      f"validation points {split.Xtest.shape[0]} (class 1: {int(split.Ytest[:, 1].sum())})")

# %% [markdown]
# ### How many hidden units?
#
# The same training for $n_h \in \{1, 2, 3, 5, 20, 50\}$ hidden units, on the 150 points, with
# `ETA` and `NBATCH` (2 s). Each hidden unit $\tanh(w^\top x + b)$ is a soft step across a
# straight line of the plane, and the output compares weighted sums of these steps. With one unit
# the boundary is a line, as for the linear baseline; with two it is at most a band or a wedge
# between two lines; **three lines are the fewest that can enclose a region** (a triangle), so
# $n_h \ge 3$ is needed to surround the disk (Q4). More units round the polygon off. Beyond that,
# the boundary hardly changes on this data, while the cost grows.
#
# **Expected** (seed 0): with $n_h = 1$ a training accuracy of 0.627, what a straight line can do;
# with $n_h = 2$, 0.780; from $n_h = 3$ on, 0.90–0.92 on the validation set, differences within the
# noise of 50 points. The cell keeps the **smallest** $n_h$ whose validation accuracy is within 0.04
# (two validation points) of the best: $n_h = 3$.

# %%
NH_VALUES = (1, 2, 3, 5, 20, 50)


def hidden_units_figure(data, nh_values, eta, batch_size, epochs):
    """Train train_part1 for each nh; returns (figure of the boundaries, {nh: (train acc, test acc)})."""
    fig, axes = plt.subplots(2, 3, figsize=(9, 6.4))
    accuracies = {}
    for ax, nh in zip(axes.flat, nh_values):
        params_nh, history_nh = train_part1(data, nh, eta, batch_size, epochs, seed=0, every=0)
        accuracies[nh] = (history_nh["acc_train"][-1], history_nh["acc_test"][-1])
        with torch.no_grad():
            Ygrid = forward(params_nh, data.Xgrid)[0]
        data.plot_data_with_grid(Ygrid, f"$n_h$ = {nh}: train {accuracies[nh][0]:.3f}, valid. {accuracies[nh][1]:.3f}",
                                 ax=ax, legend=False)
    fig.tight_layout()
    return fig, accuracies


needs("init_params", "forward", "loss_accuracy", "backward", "sgd", "train_part1")
fig, hidden_units_accuracy = hidden_units_figure(split, NH_VALUES, ETA, NBATCH, EPOCHS)
for nh, (acc_train, acc_validation) in hidden_units_accuracy.items():
    print(f"nh = {nh:2d}: train accuracy {acc_train:.3f}, validation accuracy {acc_validation:.3f}")
best_validation = max(acc for _, acc in hidden_units_accuracy.values())
chosen_nh = min(nh for nh, (_, acc) in hidden_units_accuracy.items() if acc >= best_validation - 0.04)
print(f"chosen: nh = {chosen_nh}, the smallest within 0.04 of the best validation accuracy ({best_validation:.3f})")
save_figure(fig, "hidden_units.pdf")
plt.show()

# %% [markdown]
# ### ★★ Batch size and learning rate
#
# The practical's ★★ question: how do the batch size $B$ and the learning rate η change learning?
# Nine runs of your `train_part1` on the 150 points, η ∈ {0.03, 0.3, 3} × $B$ ∈ {1, 10, 150}, 100
# epochs each, all from the same initial weights (6 s of computation, most of it for
# $B = 1$). Predict each curve before you run the cell, then look for:
#
# - **updates per epoch**: an epoch makes $N/B$ updates, 150 with $B = 1$, 15 with $B = 10$, and a
#   single one with $B = 150$ (full-batch gradient descent). Per epoch, a larger batch moves less;
# - **the step per example, η/B**: with the mean loss, an update moves the parameters by η/B times
#   the sum of the batch's per-example gradients. One epoch at (η = 0.03, $B = 1$) and one at
#   (η = 0.3, $B = 10$) both move by 0.03 per example, and their curves nearly coincide; the
#   course's Part 1 was on this diagonal;
# - **noise**: with $B = 1$ each update follows a single point: at η = 0.3 the loss keeps jumping
#   about from one epoch to the next;
# - **too large a step**: η = 3 with $B = 1$ (3 per example) diverges: the loss explodes and the
#   validation accuracy jumps about between chance and 0.9. With $B = 10$ the same η = 3 reaches a
#   low loss quickly, but its loss jumps from one epoch to the next: it is close to the edge of
#   stability;
# - **full batches**: with $B = 150$, 100 epochs are only 100 updates, and the training loss has
#   barely left $\ln 2 = 0.693$ whatever η (0.65–0.69);
# - **time**: an epoch with $B = 1$ costs about 10 times one with $B = 10$ (150 small matrix products
#   instead of 15 slightly larger ones), for no better result (Q10).
#
# The bottom row shows the **validation** accuracy. These runs also choose (η, $B$) for the final
# model: the lowest validation loss, averaged over the last 10 epochs (the loss of a single epoch
# jumps about: η = 3 with $B = 10$ touches 0.106 once). Two settings on the same diagonal η/B tie,
# and then the cheaper one, with the larger batch, is kept: the cell picks the largest $B$ within
# 0.01 of the lowest. **Expected:** (η = 0.03, $B$ = 1) and (η = 0.3, $B$ = 10) tie at about 0.26,
# and the cell chooses η = 0.3, $B$ = 10, the TP's values.

# %%
SWEEP_ETAS = (0.03, 0.3, 3.0)
SWEEP_BATCH_SIZES = (1, 10, 150)


def late_loss(losses, last=10):
    """The mean of the last `last` values of a loss curve (inf if one is not finite): a single
    epoch's value jumps about."""
    values = np.array(losses[-last:], dtype=float)
    return float(values.mean()) if np.isfinite(values).all() else float("inf")


def eta_batch_sweep(data, etas, batch_sizes, nh, epochs):
    """Train train_part1 for every (eta, batch size); returns {(eta, batch size): (history, seconds)}."""
    import time

    runs = {}
    for eta in etas:
        for batch_size in batch_sizes:
            start = time.perf_counter()
            _, history = train_part1(data, nh, eta, batch_size, epochs, seed=0, every=0)
            runs[eta, batch_size] = (history, time.perf_counter() - start)
    return runs


def eta_batch_figure(runs, etas, batch_sizes, n_train):
    """Training loss (top) and validation accuracy (bottom) per epoch: one column per batch size, one
    line per eta; n_train: the number of training points."""
    fig, axes = plt.subplots(2, len(batch_sizes), figsize=(10, 5.8), sharex=True)
    for column, batch_size in enumerate(batch_sizes):
        ax_loss, ax_acc = axes[0, column], axes[1, column]
        for eta, style in zip(etas, ("-", "--", ":")):
            history, seconds = runs[eta, batch_size]
            loss = np.array(history["loss_train"], dtype=float)
            diverged = not np.isfinite(loss[-1]) or loss[-1] > 1.0  # worse than the initial ln 2
            label = f"η = {eta:g}: valid. {history['acc_test'][-1]:.3f}" + (" (diverged)" if diverged else "")
            # a non-finite loss (inf, nan) is drawn at the top of the axes instead of not at all
            ax_loss.plot(np.where(np.isfinite(loss), loss, 1e3), style, label=label)
            ax_acc.plot(history["acc_test"], style, label=f"η = {eta:g} ({seconds:.1f} s)")
        ax_loss.set_yscale("log")
        ax_loss.set_ylim(0.1, 20)
        updates = -(-n_train // batch_size)
        ax_loss.set_title(f"B = {batch_size}: {updates} update{'s' if updates > 1 else ''} per epoch")
        ax_acc.set_ylim(0.4, 1.0)
        ax_acc.set_xlabel("epoch")
        for ax in (ax_loss, ax_acc):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    axes[0, 0].set_ylabel("training loss (log scale)")
    axes[1, 0].set_ylabel("validation accuracy")
    fig.tight_layout()
    return fig


needs("init_params", "forward", "loss_accuracy", "backward", "sgd", "train_part1")
eta_batch_runs = eta_batch_sweep(split, SWEEP_ETAS, SWEEP_BATCH_SIZES, NH, EPOCHS)
for (eta, batch_size), (history, seconds) in eta_batch_runs.items():
    print(f"eta {eta:4g}  B {batch_size:3d}: final training loss {history['loss_train'][-1]:7.3f}, validation "
          f"loss {late_loss(history['loss_test']):7.3f} (last 10 epochs) accuracy {history['acc_test'][-1]:.3f} "
          f"({seconds:.1f} s)")
print(f"the sweep took {sum(seconds for _, seconds in eta_batch_runs.values()):.0f} s")
late_validation_loss = {run: late_loss(history["loss_test"]) for run, (history, _) in eta_batch_runs.items()}
lowest = min(late_validation_loss.values())
chosen_eta, chosen_batch_size = max((run for run, loss in late_validation_loss.items() if loss <= lowest + 0.01),
                                    key=lambda run: run[1])
print(f"chosen: eta = {chosen_eta:g}, B = {chosen_batch_size}: mean validation loss over the last 10 epochs "
      f"{late_validation_loss[chosen_eta, chosen_batch_size]:.3f}, the largest B within 0.01 of the lowest ({lowest:.3f})")
save_figure(eta_batch_figure(eta_batch_runs, SWEEP_ETAS, SWEEP_BATCH_SIZES, split.Xtrain.shape[0]),
            "sweep_eta_batch.pdf")
plt.show()

# %% [markdown]
# ### When to stop, and the test set, once
#
# The chosen $n_h$, η and $B$ together, trained for 100 epochs on the 150 points while the
# validation loss is watched. The epoch where it is lowest is where training should have stopped
# (**early stopping**): the number of epochs is a hyper-parameter too, chosen on the validation
# set. The model trained for that many epochs (the same run, stopped there) is then measured on the
# test set, **once**: that number is the estimate to report, and it must not be used to change
# any choice.
#
# **Expected:** the validation loss falls, then flattens and jumps about while the training loss
# keeps falling slowly; with seed 0 the reference's functions stop after 69 epochs and score 0.920
# on the test set. Had the test set been looked at earlier (to pick $n_h$ or η), this number would
# be optimistic.

# %%
def early_stopping_figure(history, stop, test_accuracy):
    """Training and validation loss per epoch, the epoch of the lowest validation loss marked."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(history["loss_train"], label="training loss (150 points)")
    ax.plot(history["loss_test"], label="validation loss (50 points)")
    ax.axvline(stop, color="k", linestyle=":", label=f"lowest validation loss: epoch {stop}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_title(f"Stopped after {stop} epochs: test accuracy, measured once, {test_accuracy:.3f}")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


needs("init_params", "forward", "loss_accuracy", "backward", "sgd", "train_part1", "chosen_nh", "chosen_eta",
      "chosen_batch_size")
_, history_chosen = train_part1(split, chosen_nh, chosen_eta, chosen_batch_size, EPOCHS, seed=0, every=0)
stop_epoch = int(np.nanargmin(history_chosen["loss_test"]))
params_chosen, _ = train_part1(split, chosen_nh, chosen_eta, chosen_batch_size, stop_epoch, seed=0, every=0)
with torch.no_grad():
    _, chosen_test_accuracy = loss_accuracy(forward(params_chosen, data.Xtest)[0], data.Ytest)
print(f"nh = {chosen_nh}, eta = {chosen_eta:g}, B = {chosen_batch_size}, stopped after {stop_epoch} epochs: "
      f"validation loss {history_chosen['loss_test'][stop_epoch]:.3f}, "
      f"accuracy {history_chosen['acc_test'][stop_epoch]:.3f}; test accuracy, measured once: "
      f"{float(chosen_test_accuracy):.3f}")
save_figure(early_stopping_figure(history_chosen, stop_epoch, float(chosen_test_accuracy)), "early_stopping.pdf")
plt.show()

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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_init_params_autograd_public_checks(init_params_autograd):
    from tp1_support.checks import check_init_params_autograd

    check_init_params_autograd(init_params_autograd)

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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_sgd_autograd_public_checks(sgd_autograd):
    from tp1_support.checks import check_sgd_autograd

    check_sgd_autograd(sgd_autograd)

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

# %% [markdown]
# ### The training loop with autograd (yours, not graded)
#
# Complete `train_part2` as you did `train_part1`, with autograd. Each step on the batch
# `data.Xtrain[idx]`, `data.Ytrain[idx]`:
#
#     forward pass on the batch's points        -> Yhat
#     the batch's mean loss (loss_accuracy)      -> L, a tensor that remembers how it was computed
#     L.backward()                               -> fills the .grad of every parameter
#     one gradient step (sgd_autograd)           -> updates the parameters, and zeroes their .grad
#
# **Expected:** exactly what `train_part1` printed, to the last digit shown
# (`after 100 epochs: train loss 0.215 acc 0.905, test loss 0.205 acc 0.910` with the reference's
# functions): the same initial weights (`init_params_autograd` draws like `init_params`), the same
# batches, and the gradients that your `backward` computes by hand. If the two differ, one of the
# two `backward`s is wrong, or a step is not the same.

# %%
def train_part2(data, nh, eta, batch_size, epochs, seed=0, every=20):
    """train_part1 with autograd: the parameters of init_params_autograd, the gradients from
    L.backward(), the steps of sgd_autograd. Returns (params, history) as train_part1."""
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    params = init_params_autograd(data.Xtrain.shape[1], nh, data.Ytrain.shape[1])
    history = {}
    record(history, evaluate(lambda X: forward(params, X)[0], data), 0, every)
    for epoch in range(1, epochs + 1):
        for idx in batches(data.Xtrain.shape[0], batch_size, order):
            # TODO: one step on this batch, with autograd (see the steps above)
            # BEGIN SOLUTION
            Yhat, _ = forward(params, data.Xtrain[idx])
            L, _ = loss_accuracy(Yhat, data.Ytrain[idx])
            L.backward()
            params = sgd_autograd(params, eta)
            # END SOLUTION
        record(history, evaluate(lambda X: forward(params, X)[0], data), epoch, every)
    return params, history


# %%
needs("init_params", "init_params_autograd", "forward", "loss_accuracy", "sgd_autograd", "train_part2")
params, history_autograd = train_part2(data, NH, ETA, NBATCH, EPOCHS, seed=0)
show_training(history_autograd, lambda X: forward(params, X)[0], data, "part2", "Part 2: autograd")

# %% [markdown]
# ### The handout's mismatch, reproduced
#
# In the course's handout the four implementations did not learn at the same speed, and the
# handout put it down to PyTorch's "internal optimizations". Here are its Part 1 and its Part 2,
# both with its η = 0.03 and batches of $B = 10$:
#
# - its **Part 1** took the cheat-sheet's gradient $\nabla_{\tilde Y} = \hat Y - Y$, the gradient
#   of the batch **sum** of the losses: `cheat_sheet_gradients` below, your `backward` times $B$;
# - its **Part 2** let autograd differentiate the loss it computed, the batch **mean**: your
#   `train_part2`.
#
# Predict the two curves before you run the cell (1 s). **Expected:** the handout's Part 1 draws
# exactly the curve of this notebook's Part 1 (η = 0.3 on the mean: η·B = 0.3 on the sum is the
# same step), while its Part 2 learns about 10 times more slowly: after 100 epochs it has gone about
# as far as the other after 10 (with seed 0, a training loss of 0.509 after 100 epochs, against
# 0.545 for the other after 10). No optimisation inside PyTorch: a gradient $B = 10$ times smaller,
# hence steps 10 times smaller.

# %%
def cheat_sheet_gradients(params, outputs, Y):
    """The course's cheat-sheet gradients: those of the batch SUM of the losses, B times those of
    the mean (your backward), B = Y.shape[0] the size of the batch."""
    return {name: Y.shape[0] * grad for name, grad in backward(params, outputs, Y).items()}


def mismatch_figure(curves):
    """The training loss per epoch of each {label: (history, style)}."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, (history, style) in curves.items():
        ax.plot(history["loss_train"], label=f"{label}: {history['loss_train'][-1]:.3f}", **style)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean cross-entropy)")
    ax.set_title("The handout's Parts 1 and 2 with the same η = 0.03")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


needs("init_params", "init_params_autograd", "forward", "loss_accuracy", "backward", "sgd", "sgd_autograd",
      "train_part1", "train_part2", "history_manual")
_, history_handout_part1 = train_part1(data, NH, 0.03, NBATCH, EPOCHS, seed=0, every=0,
                                       gradients=cheat_sheet_gradients)
_, history_handout_part2 = train_part2(data, NH, 0.03, NBATCH, EPOCHS, seed=0, every=0)
for label, history in (("the handout's Part 1 (sum, eta 0.03)", history_handout_part1),
                       ("this notebook's Part 1 (mean, eta 0.3)", history_manual),
                       ("the handout's Part 2 (mean, eta 0.03)", history_handout_part2)):
    print(f"{label:40s}: training loss after 10 epochs {history['loss_train'][10]:.3f}, "
          f"after 100 epochs {history['loss_train'][100]:.3f}")
save_figure(mismatch_figure({
    "handout's Part 1: sum, η = 0.03": (history_handout_part1, dict(color="tab:red", linewidth=3.5, alpha=0.45)),
    "this notebook's Part 1: mean, η = 0.3": (history_manual, dict(color="k", linestyle="--")),
    "handout's Part 2: mean, η = 0.03": (history_handout_part2, dict(color="tab:blue")),
}), "handout_mismatch.pdf")
plt.show()

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
    """Returns (model, loss): model maps X (B, nx) to logits (B, ny) through Linear -> Tanh -> Linear;
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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_init_model_public_checks(init_model):
    from tp1_support.checks import check_init_model

    check_init_model(init_model)

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

    loss: the module from init_model; Ytilde: (B, ny) logits; Y: (B, ny) one-hot.
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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_loss_accuracy_nn_public_checks(loss_accuracy_nn):
    from tp1_support.checks import check_loss_accuracy_nn

    check_loss_accuracy_nn(loss_accuracy_nn)

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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_sgd_nn_public_checks(sgd_nn):
    from tp1_support.checks import check_sgd_nn

    check_sgd_nn(sgd_nn)

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

# %% [markdown]
# ### The training loop with `torch.nn` (yours, not graded)
#
# From now on the training function receives the network and its loss (and, in Part 4, its
# optimizer) rather than making them: the usual way with PyTorch, and what lets the same function
# train another loss or another data set. Each step on the batch `data.Xtrain[idx]`,
# `data.Ytrain[idx]`:
#
#     the model's logits on the batch's points   -> Ytilde
#     the batch's mean loss (loss_accuracy_nn)   -> L
#     L.backward()                               -> fills the .grad of every parameter of the model
#     one gradient step (sgd_nn)                 -> updates them, and zeroes their .grad
#
# **Expected:** a curve close to Part 1's but not the same, because `nn.Linear` draws its initial
# weights otherwise; with seed 0 the reference's functions print
# `after 100 epochs: train loss 0.215 acc 0.910, test loss 0.211 acc 0.915` (over seeds 0–9: a
# training accuracy of 0.870–0.930, a test accuracy of 0.875–0.950).

# %%
def train_part3(model, loss, data, eta, batch_size, epochs, seed=0, every=20):
    """Train a torch.nn model (its output: logits) on data.Xtrain with mini-batch SGD (sgd_nn),
    minimising loss, as loss_accuracy_nn uses it. The mini-batches' order is drawn from seed.
    Returns the history, as train_part1 (scores from the SoftMax of the logits)."""
    order = torch.Generator().manual_seed(seed)
    predict = lambda X: torch.softmax(model(X), dim=1)  # noqa: E731
    history = {}
    record(history, evaluate(predict, data), 0, every)
    for epoch in range(1, epochs + 1):
        for idx in batches(data.Xtrain.shape[0], batch_size, order):
            # TODO: one step on this batch, with the model (see the steps above)
            # BEGIN SOLUTION
            L, _ = loss_accuracy_nn(loss, model(data.Xtrain[idx]), data.Ytrain[idx])
            L.backward()
            sgd_nn(model, eta)
            # END SOLUTION
        record(history, evaluate(predict, data), epoch, every)
    return history


# %%
needs("init_model", "loss_accuracy_nn", "sgd_nn", "loss_accuracy", "train_part3")
torch.manual_seed(0)
model_nn, loss_nn = init_model(2, NH, 2)
history_nn = train_part3(model_nn, loss_nn, data, ETA, NBATCH, EPOCHS, seed=0)
show_training(history_nn, lambda X: torch.softmax(model_nn(X), dim=1), data, "part3", "Part 3: torch.nn")

# %% [markdown]
# ## Part 4 — `torch.optim`
#
# An optimizer holds the parameters it updates (`model.parameters()`) and an update rule:
#
# - `optim.step()` applies the rule to every parameter from its `.grad`; for `torch.optim.SGD` without
#   momentum it is `p -= lr * p.grad`, exactly your `sgd_nn` (other optimizers, such as momentum or
#   Adam, keep a state per parameter between steps);
# - `optim.zero_grad()` clears the `.grad` of every parameter (it sets them to `None`, which the next
#   `backward()` treats as zero). It is needed because `L.backward()` **adds** the new gradient to
#   `.grad` rather than replacing it (so that the gradients of several losses or several small
#   batches can be summed): without it, each step would use the sum of every gradient since the start.
#
# A training step is therefore always: zero the gradients, forward, loss, `L.backward()`,
# `optim.step()`. (Zeroing at the end of a step, after `optim.step()`, works as well: what matters
# is that no gradient of an earlier batch is left in `.grad` when `L.backward()` runs.)

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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_init_model_optim_public_checks(init_model_optim):
    from tp1_support.checks import check_init_model_optim

    check_init_model_optim(init_model_optim)

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

# %% [markdown]
# ### The training loop with `torch.optim` (yours, not graded)
#
# Complete `train_part4`: each step on the batch `data.Xtrain[idx]`, `data.Ytrain[idx]` is the
# cycle above, with `optim` (and `loss_accuracy_nn` for the loss). `train_part4` knows nothing of
# Circles: Part 5 trains it on MNIST, and the next experiment with another loss.
#
# **Expected:** exactly the numbers of Part 3 (`after 100 epochs: train loss 0.215 acc 0.910,
# test loss 0.211 acc 0.915` with the reference's functions): the same initial weights (the same
# seed before `init_model_optim`), the same batches, and `optim.step()` is exactly `sgd_nn`'s step.
# A training loss that stalls, then explodes, often means that the gradients are never zeroed.

# %%
def train_part4(model, loss, optim, data, batch_size, epochs, seed=0, every=20):
    """Train a torch.nn model (its output: logits) on data.Xtrain with the optimizer optim,
    minimising loss, as loss_accuracy_nn uses it. The mini-batches' order is drawn from seed.
    Returns the history, as train_part1 (scores from the SoftMax of the logits)."""
    order = torch.Generator().manual_seed(seed)
    predict = lambda X: torch.softmax(model(X), dim=1)  # noqa: E731
    history = {}
    record(history, evaluate(predict, data), 0, every)
    for epoch in range(1, epochs + 1):
        for idx in batches(data.Xtrain.shape[0], batch_size, order):
            # TODO: one step on this batch, with the optimizer (see the cycle above)
            # BEGIN SOLUTION
            optim.zero_grad()
            L, _ = loss_accuracy_nn(loss, model(data.Xtrain[idx]), data.Ytrain[idx])
            L.backward()
            optim.step()
            # END SOLUTION
        record(history, evaluate(predict, data), epoch, every)
    return history


# %%
needs("init_model", "init_model_optim", "loss_accuracy_nn", "loss_accuracy", "train_part4")
torch.manual_seed(0)
model_optim, loss_optim, optim = init_model_optim(2, NH, 2, ETA)
history_optim = train_part4(model_optim, loss_optim, optim, data, NBATCH, EPOCHS, seed=0)
show_training(history_optim, lambda X: torch.softmax(model_optim(X), dim=1), data, "part4", "Part 4: torch.optim")

# %% [markdown]
# ### The four implementations side by side
#
# **Expected: two curves, not four.** Parts 1 and 2 draw the *same* curve: they start from the same
# weights (same seed, and `init_params_autograd` draws like `init_params`), see the same batches
# (the order comes from a generator seeded with the same seed), and take the same steps (autograd
# computes the gradient that `backward` computes by hand, up to rounding in the last digits). Parts
# 3 and 4 draw the same curve too: the same `nn.Linear` initialisation, the same batches, and
# `optim.SGD`'s step is exactly `sgd_nn`'s. Parts 3–4 differ from Parts 1–2 only through their
# initial weights (`nn.Linear` draws them uniformly in $\pm 1/\sqrt{\text{fan-in}}$, with non-zero
# biases): the mini-batches are the same in all four parts, since their order does not depend on
# how many random numbers the initialisation drew. The figure draws Parts 2 and 4 dashed, with
# markers, over Parts 1 and 3, so that both curves of each pair stay visible. If a pair comes
# apart, the two implementations differ somewhere (initial weights, batches or gradients): a good
# way to find a bug.

# %%
needs("train_part1", "train_part2", "train_part3", "train_part4", "history_manual", "history_autograd", "history_nn",
      "history_optim")
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name, history, style in (
        ("1 manual", history_manual, dict(color="tab:blue", linewidth=3.5, alpha=0.45)),
        ("2 autograd", history_autograd, dict(color="tab:blue", linestyle="--", marker="o", markevery=10, markersize=4)),
        ("3 torch.nn", history_nn, dict(color="tab:orange", linewidth=3.5, alpha=0.45)),
        ("4 torch.optim", history_optim, dict(color="tab:orange", linestyle="--", marker="s", markevery=10,
                                              markersize=4))):
    ax.plot(history["acc_test"], label=f"Part {name} (final {history['acc_test'][-1]:.3f})", **style)
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.set_title("Parts 1 and 2 overlap exactly, and so do Parts 3 and 4")
ax.grid(alpha=0.3)
ax.legend()
save_figure(fig, "comparison.pdf")
plt.show()

# %% [markdown]
# ### Squared error or cross-entropy? (Q8, Q9)
#
# The same network trained with two losses: the cross-entropy, and the squared error of Q8,
# $\ell = \sum_i (y_i - \hat y_i)^2$ on the SoftMax outputs (`squared_error` below). Q9's argument is
# about **saturation**. For a point of true class $c$ whose output $\hat y_c$ is close to 0 (a
# confident mistake), the gradient of the loss with respect to the logit $\tilde y_c$ is
# $-(1 - \hat y_c)$ for the cross-entropy, close to $-1$: a strong push. For the squared error it is
# $-4\hat y_c(1-\hat y_c)^2$ with two classes, close to 0: the SoftMax's own derivative,
# $\hat y_c(1 - \hat y_c)$, vanishes and multiplies the error. The left panel draws both.
#
# A network starting from small weights makes no confident mistake ($\hat y \approx \frac12$
# everywhere, where both gradients are $-\frac12$), so the two losses learn alike there. The right
# panel starts them from **large** initial weights instead (the same `nn.Linear` initialisation
# times 10, a common mistake), where about half the points are confidently wrong from the start:
# five seeds for each loss, `train_part4` with `ETA` and `NBATCH`, 40 epochs (4 s).
#
# **Expected:** with the cross-entropy every run passes 0.85 training accuracy within 10 epochs;
# with the squared error some runs stay stuck far below for tens of epochs. With the reference's
# functions, the mean over the five seeds is 0.894 for the cross-entropy and 0.810 for the squared
# error after 10 epochs, 0.913 and 0.871 after 40. The squared error is not wrong for
# classification: it learns slowly from the points it gets most wrong.

# %%
def squared_error(Ytilde, Y):
    """The squared error of Q8 between the SoftMax of the logits Ytilde (B, ny) and the labels, mean
    over the batch. Y: one-hot (B, ny), or the class indices (B,): whatever your loss_accuracy_nn
    gives its loss."""
    if Y.dim() == 1:
        Y = torch.nn.functional.one_hot(Y, Ytilde.shape[1]).to(Ytilde.dtype)
    return ((torch.softmax(Ytilde, dim=1) - Y) ** 2).sum(dim=1).mean()


def loss_comparison(data, losses, seeds, scale, epochs):
    """{(loss name, seed): history} of train_part4 for each loss and seed, from the initial weights of
    init_model_optim multiplied by scale."""
    runs = {}
    for name, loss in losses.items():
        for seed in seeds:
            torch.manual_seed(seed)
            model, _, optim = init_model_optim(2, NH, 2, ETA)
            with torch.no_grad():
                for p in model.parameters():
                    p.mul_(scale)
            runs[name, seed] = train_part4(model, loss, optim, data, NBATCH, epochs, seed=seed, every=0)
    return runs


def loss_comparison_figure(runs, losses, seeds):
    fig, (ax_grad, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    p = np.linspace(0.001, 0.999, 400)
    ax_grad.plot(p, 1 - p, label=r"cross-entropy: $1 - \hat y_c$")
    ax_grad.plot(p, 4 * p * (1 - p) ** 2, "--", label=r"squared error: $4\hat y_c(1-\hat y_c)^2$")
    ax_grad.set_xlabel(r"$\hat y_c$, the output for the true class")
    ax_grad.set_ylabel(r"$|\partial \ell / \partial \tilde y_c|$")
    ax_grad.set_title("The push on the true class's logit (2 classes)")
    for name, colour in zip(losses, ("tab:blue", "tab:orange")):
        curves = np.array([runs[name, seed]["acc_train"] for seed in seeds])
        for curve in curves:
            ax_acc.plot(curve, color=colour, alpha=0.3, linewidth=1)
        ax_acc.plot(curves.mean(axis=0), color=colour, linewidth=2.5, label=f"{name} (mean of {len(seeds)} seeds)")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("training accuracy")
    ax_acc.set_title("From large initial weights (x10)")
    for ax in (ax_grad, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


LOSSES = {"cross-entropy": nn.CrossEntropyLoss(), "squared error": squared_error}
LOSS_SEEDS = (0, 1, 2, 3, 4)
needs("init_model", "init_model_optim", "loss_accuracy_nn", "loss_accuracy", "train_part4")
loss_runs = loss_comparison(data, LOSSES, LOSS_SEEDS, scale=10.0, epochs=40)
for name in LOSSES:
    after = {epochs: np.mean([loss_runs[name, seed]["acc_train"][epochs] for seed in LOSS_SEEDS]) for epochs in (5, 10, 40)}
    print(f"{name:13s}: mean training accuracy after 5 epochs {after[5]:.3f}, after 10 {after[10]:.3f}, "
          f"after 40 {after[40]:.3f}")
save_figure(loss_comparison_figure(loss_runs, LOSSES, LOSS_SEEDS), "loss_functions.pdf")
plt.show()

# %% [markdown]
# ## Part 5 — MNIST
#
# Your Part-4 code on 28×28 digits (nx = 784, ny = 10). By default `MNISTData()` uses 4,500 of the
# 5,000 real MNIST digits that ship with the kit: 4,000 to train on and 500 to test on (the other
# 500 are held out for the grader); put the course's `mnist.mat` (or `mnist.npz`, or the IDX files)
# in `data/` to use all of MNIST.
#
# Choose `MNIST_HPARAMS`. The grader trains your Part-4 functions with them on the 4,000 training
# digits and tests on its held-out digits (**mnist_accuracy**), under a CPU-time budget: a choice
# whose training the grader estimates at more than 20 s of CPU scores 0 for that question. Its
# estimate is roughly, per epoch, 0.25 ms per hidden unit plus 0.35 ms per mini-batch: 300 hidden
# units, batches of 32 and 30 epochs come to about 3.6 s; batches of 1 make 4,000 updates per
# epoch, about 1.4 s, so that with 100 hidden units the budget holds about 14 epochs. **Expected:**
# with sensible choices, a training accuracy near 1 and a test accuracy of about 0.93 on the 500
# embedded test digits (0.918–0.938 over seeds 0–9 with the reference's choice; more with all of
# MNIST).

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
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_MNIST_HPARAMS_public_checks(MNIST_HPARAMS):
    from tp1_support.checks import check_mnist_hparams

    check_mnist_hparams(MNIST_HPARAMS)

# %%
# HIDDEN
def test_mnist_hparams_values(MNIST_HPARAMS):
    assert MNIST_HPARAMS["eta"] > 0 and int(MNIST_HPARAMS["nh"]) >= 1 and int(MNIST_HPARAMS["epochs"]) >= 1

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ### Training on MNIST (yours, not graded)
#
# Complete `train_on_mnist`: the network, its loss and its optimizer for MNIST from your
# `init_model_optim` and the values of `hp` (your `MNIST_HPARAMS`), trained by your `train_part4`,
# which prints the scores every 5 epochs. (The grader trains your model and `loss_accuracy_nn` with a
# loop of its own that steps the weights by plain SGD at your η: your optimizer is checked on
# `init_model_optim`.)
#
# **Expected** with the reference's `MNIST_HPARAMS` (nh = 100, η = 0.1, batches of 32, 15 epochs;
# 2 s): after 0 epochs a loss near $\ln 10 = 2.303$ and an accuracy near 0.1, chance among 10
# classes; after 15 epochs, with seed 0,
# `after  15 epochs: train loss 0.103 acc 0.978, test loss 0.302 acc 0.918`.

# %%
def train_on_mnist(mnist, hp, seed=0, every=5):
    """Train the Part-4 network on mnist (mnist.Xtrain (N, 784), one-hot mnist.Ytrain (N, 10)) with
    the hyper-parameters hp, a dict like MNIST_HPARAMS. Returns (model, history), the history as
    train_part4's."""
    torch.manual_seed(seed)  # the initial weights
    # TODO: the network, its loss and its optimizer, then their training by train_part4
    # BEGIN SOLUTION
    model, loss, optim = init_model_optim(mnist.Xtrain.shape[1], hp["nh"], mnist.Ytrain.shape[1], hp["eta"])
    history = train_part4(model, loss, optim, mnist, hp["batch_size"], hp["epochs"], seed=seed, every=every)
    # END SOLUTION
    return model, history


# %%
mnist = MNISTData()
print(mnist.source, tuple(mnist.Xtrain.shape), tuple(mnist.Xtest.shape))
needs("init_model", "init_model_optim", "loss_accuracy_nn", "loss_accuracy", "train_part4", "MNIST_HPARAMS",
      "train_on_mnist")
model_mnist, history_mnist = train_on_mnist(mnist, MNIST_HPARAMS, seed=0)
save_figure(CirclesData.plot_loss(history_mnist["loss_train"], history_mnist["loss_test"],
                                  history_mnist["acc_train"], history_mnist["acc_test"], title="MNIST"),
            "mnist_curves.pdf")
plt.show()

# %% [markdown]
# What the grader's **mnist_accuracy** will see: the check below trains your `init_model_optim` and
# `loss_accuracy_nn` with your `MNIST_HPARAMS` as the grader does, for the updates the grader's
# cost estimate puts in 0.3 s, and says how far it got (the grader trains every epoch).

# %% [raw]
# # BEGIN QUESTION
# name: mnist_accuracy
# points: 8

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_mnist_accuracy_public_checks(init_model_optim, loss_accuracy_nn, MNIST_HPARAMS, mnist):
    from tp1_support.checks import check_mnist_accuracy

    check_mnist_accuracy(init_model_optim, loss_accuracy_nn, MNIST_HPARAMS, mnist)

# %%
# HIDDEN
def test_mnist_accuracy_hidden(init_model_optim, loss_accuracy_nn, MNIST_HPARAMS):
    import numpy as np
    import torch
    from tp1_support.checks import train_mnist, valid_mnist_hparams
    from tp1_support.grading import parameters
    from tp1_support.mnist import embedded_split
    hp, _ = valid_mnist_hparams(MNIST_HPARAMS)
    X, y, split = embedded_split()
    X = torch.from_numpy((np.asarray(X, dtype=np.float32) / 255.0).reshape(len(y), -1))
    y = torch.from_numpy(np.asarray(y, dtype=np.int64))
    train, held = torch.from_numpy(split == "train"), torch.from_numpy(split == "held_out")
    model, *_ = train_mnist(init_model_optim, loss_accuracy_nn, hp, X[train], torch.eye(10)[y[train]],
                            torch.Generator().manual_seed(5))
    with torch.no_grad():
        accuracy = float((model(X[held]).argmax(1) == y[held]).float().mean())
    assert accuracy >= parameters()["thresholds"]["mnist_accuracy"]["full"]

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Part 6 — SVM
#
# A support-vector machine on Circles with scikit-learn's `SVC`. Two choices to make: the **kernel**
# and **C**, the cost of a training point on the wrong side of the margin (a small C gives a wide,
# tolerant margin and a smooth boundary; a large C fits the training points harder). Choose both by
# **5-fold cross-validation on the training set**: each setting is trained on four fifths of the
# training points and scored on the remaining fifth, five times over (scikit-learn's
# `cross_val_score` does this for one setting; `GridSearchCV` does it for a whole grid). Only the
# chosen SVM is then measured on the test set, once. Choosing by test accuracy would turn the test
# set into a validation set and make its score optimistic (Q1).
#
# Write `svm_cross_validation` (not graded): for every point of the grid, an `SVC` with those
# settings and its cross-validated accuracy. The grid to explore:
#
# - the kernels: linear; RBF; and polynomial of degree 2 with `coef0=1`. The degree-2 polynomial
#   kernel is $(\gamma\, x^\top x' + r)^2$, with $r$ = `coef0`. With $r = 1$ its features are every
#   monomial of degree at most 2 ($1, x_1, x_2, x_1^2, x_1x_2, x_2^2$), so its boundary can be any
#   conic. With scikit-learn's default `coef0=0` it has only $x_1^2, x_1x_2, x_2^2$: no linear
#   term, so only conics centred on the origin. That is enough for these circles (0.925 in
#   cross-validation), which are centred on the origin, but not once the same points are moved by
#   $(1, 0)$: 0.825 with `coef0=0`, 0.915 with `coef0=1`;
# - C in {0.01, 0.1, 1, 10, 100}, a logarithmic grid.
#
# The cell then prints and tabulates the accuracies, draws the best SVM of each kernel, and measures
# the chosen one on the test set, once (1 s). **Expected:** the linear kernel stays near chance
# (0.62–0.63), like the linear baseline, whatever C; RBF and polynomial kernels reach 0.89–0.92
# in cross-validation, and the best is the polynomial kernel with C = 1 (0.915), its test accuracy
# 0.950.

# %%
from sklearn.model_selection import cross_val_score


def svm_cross_validation(X, y, folds=5):
    """Cross-validate an SVC for every kernel and C of the grid above, on (X, y).

    X: (N, 2) array; y: (N,) labels in {0, 1}. Returns a list of (svm, accuracy) pairs, one per point
    of the grid: an SVC with its settings (not fitted) and its mean accuracy over `folds`-fold
    cross-validation on (X, y).
    """
    # TODO: the grid above, each of its points scored by cross-validation
    # BEGIN SOLUTION
    results = []
    for kernel in ("linear", "rbf", "poly"):
        for C in (0.01, 0.1, 1.0, 10.0, 100.0):
            svm = SVC(kernel=kernel, C=C, degree=2, coef0=1.0)
            results.append((svm, float(cross_val_score(svm, X, y, cv=folds).mean())))
    return results
    # END SOLUTION


# %%
from sklearn.base import clone


def kernel_name(svm):
    """The kernel of an SVC, with its degree and coef0 when it is polynomial."""
    return f"poly (degree {svm.degree}, coef0 {svm.coef0:g})" if svm.kernel == "poly" else svm.kernel


def svm_table(cv_accuracy, chosen, test_accuracy):
    """A LaTeX tabular of the cross-validated accuracy, {(kernel name, C): accuracy}, per kernel
    (rows) and C (columns), the chosen pair in bold, then a line with the chosen SVM's test accuracy."""
    kernels = list(dict.fromkeys(kernel for kernel, _ in cv_accuracy))
    C_values = sorted({C for _, C in cv_accuracy})
    lines = ["\\begin{tabular}{l" + "c" * len(C_values) + "}",
             "kernel & " + " & ".join(f"$C = {C:g}$" for C in C_values) + " \\\\ \\hline"]
    for kernel in kernels:
        cells = [("--" if (kernel, C) not in cv_accuracy else
                  f"\\textbf{{{cv_accuracy[kernel, C]:.3f}}}" if (kernel, C) == chosen else f"{cv_accuracy[kernel, C]:.3f}")
                 for C in C_values]
        lines.append(kernel + " & " + " & ".join(cells) + " \\\\")
    lines.append("\\end{tabular}\\par\\smallskip")
    lines.append(f"In bold, the setting chosen by cross-validation: {chosen[0]}, $C = {chosen[1]:g}$; "
                 f"its test accuracy, measured once: {test_accuracy:.3f}.")
    return "\n".join(lines) + "\n"


needs("svm_cross_validation")
X_svm_train, y_svm_train = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
X_svm_test, y_svm_test = data.Xtest.numpy(), data.Ytest.argmax(1).numpy()
svm_results = svm_cross_validation(X_svm_train, y_svm_train)
svm_cv_accuracy = {(kernel_name(svm), svm.C): accuracy for svm, accuracy in svm_results}
best_svm, best_accuracy = max(svm_results, key=lambda result: result[1])  # the first of the best
svm_chosen = (kernel_name(best_svm), best_svm.C)
for (kernel, C), accuracy in svm_cv_accuracy.items():
    print(f"{kernel:26s} C = {C:<6g}: cross-validated accuracy {accuracy:.3f}")
svm_test_accuracy = clone(best_svm).fit(X_svm_train, y_svm_train).score(X_svm_test, y_svm_test)
print(f"chosen: {svm_chosen[0]}, C = {svm_chosen[1]:g} (cross-validated {best_accuracy:.3f}); "
      f"test accuracy, measured once: {svm_test_accuracy:.3f}")

kernels = list(dict.fromkeys(kernel_name(svm) for svm, _ in svm_results))
fig, axes = plt.subplots(1, len(kernels), figsize=(4.4 * len(kernels), 4.2), squeeze=False)
for ax, kernel in zip(axes.flat, kernels):
    svm, accuracy = max(((s, a) for s, a in svm_results if kernel_name(s) == kernel), key=lambda result: result[1])
    fitted = clone(svm).fit(X_svm_train, y_svm_train)
    # the signed distance to the boundary (> 0 for class 1) as the second column: a smooth boundary
    distance = torch.as_tensor(fitted.decision_function(data.Xgrid.numpy()))
    Ygrid = torch.stack([torch.zeros_like(distance), distance], dim=1)
    data.plot_data_with_grid(Ygrid, f"{kernel}\nC = {svm.C:g}: cross-validated {accuracy:.3f}",
                             ax=ax, legend=ax is axes.flat[0])
fig.tight_layout()
save_figure(fig, "svm_kernels.pdf")
save_figure(svm_table(svm_cv_accuracy, svm_chosen, svm_test_accuracy), "svm_table.tex")
plt.show()

# %% [markdown]
# Now write `fit_svm` with the kernel and C that your cross-validation chose (or any pair whose
# cross-validated accuracy is within about a point of the best: the folds have 40 points each, so
# smaller differences are noise). The grader measures its accuracy on a fresh, hidden Circles test
# set (**fit_svm**), computing the predictions itself from the fitted SVM's numbers: use one of
# scikit-learn's named kernels (`"linear"`, `"rbf"`, `"poly"`, `"sigmoid"`), not a kernel function
# of your own (a callable kernel cannot be graded). A scaler before it in a `Pipeline` is fine.

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
    An SVC (or NuSVC) with a named kernel: "linear", "rbf", "poly" or "sigmoid", not a callable.
    """
    # TODO: the kernel and C chosen by cross-validation above.
    # BEGIN SOLUTION
    # Cross-validation over the notebook's grid ranks the degree-2 polynomial kernel with coef0 = 1
    # first (0.915 at C = 1, 10 and 100: the first, the smoothest), the RBF kernel next (0.910 at
    # C = 0.01 and 0.1, 0.905 at C = 1); both score well above the grader's thresholds on hidden test
    # sets (docs/grading.md, "Thresholds, calibrated").
    return SVC(kernel="poly", degree=2, coef0=1.0, C=1.0).fit(np.asarray(X), np.asarray(y))
    # END SOLUTION

# %% [raw]
# # END SOLUTION

# %% [raw]
# # BEGIN TESTS

# %%
""" # BEGIN TEST CONFIG
success_message: These are public checks on random inputs; grading uses other inputs. Passing them is a good sign, not a grade.
failure_message: These are public checks on random inputs; grading uses other inputs. What failed, and the likely mistake when it is a known one, is below.
""" # END TEST CONFIG
def test_fit_svm_public_checks(fit_svm):
    from tp1_support.checks import check_fit_svm

    check_fit_svm(fit_svm)

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
# notebook saved in `figures/` appear in it. Then **save this notebook** (File > Save, or Ctrl-S) and
# run the cell below: it makes, in about a second, the zip you hand in (with this notebook in it,
# whatever its name); on Colab your browser downloads it. Handing in the `.ipynb` file itself works
# too. Nothing runs again: the grader runs its own tests on your functions.

# %%
from tp1_support.handin import make_handin_zip

make_handin_zip()
