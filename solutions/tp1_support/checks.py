"""Public checks: what `grader.check("name")` runs while students work.

Each check calls the student's function on fresh random inputs (new draws and new sizes at every
call, so nothing can be hard-coded) and judges what comes back against what the notebook states:
the network's formulas, the shapes, autograd applied to the student's own functions, what one
optimizer step must do, the grader's training loop on public data. There is no reference solution
in the release, and none here. When a symptom is a known mistake, the message names it in the words
of the grader's feedback (`tp1_support.catalogue`).

A check prints what it verified and returns those lines; on a failure it raises `PublicCheckFailed`
(an AssertionError: grader.check, and Otter, report a failed test) whose message says what failed, and `.mistakes`
the catalogue ids it diagnosed. These are public checks on random inputs; grading uses other inputs.
"""
import copy
import functools
import math
import os
import secrets
import sys
import time
import traceback

import numpy as np
import torch

from . import contract
from .autograd_guard import AutogradNotAllowed, autograd_refusal, autograd_refused, unguarded_routes
from .catalogue import CATALOGUE, likely_mistake, mistakes_of_error
from .library_guard import LibraryBackpropNotAllowed, library_backprop_refused
from .training import epoch_batches, mnist_step, part1_step
from .grading import parameters

PARAMS, OUTPUTS = contract.PARAM_NAMES, contract.OUTPUT_NAMES  # the network's parameters, forward's outputs
NN_PARAMS = ("W1", "b1", "W2", "b2")
FD_STEP = 1e-5  # centred finite differences, in float64 (CS231n's gradient check)
# A right backward is within ~1e-7 of autograd and of finite differences (1e-5 when loss_accuracy takes
# log(yhat + 1e-8), which is right too); every catalogued mistake is off by ~1e-1 or more.
BACKWARD_TOL = 1e-4
MNIST_CHECK_SECONDS = 0.3  # the MNIST check trains what the grader's cost model puts in this time (the grader trains in full)


class PublicCheckFailed(AssertionError):
    """A public check failed. `problem`: what failed; `mistakes`: the catalogue ids diagnosed."""

    def __init__(self, problem, mistakes=()):
        self.problem = problem
        self.mistakes = list(dict.fromkeys(mistakes))
        super().__init__("\n".join([problem] + [likely_mistake(m) for m in self.mistakes]))


def fail(problem, *mistakes):
    raise PublicCheckFailed(problem, mistakes)


# --- what every check uses ----------------------------------------------------------------------

def _generator():
    """A torch generator with a fresh seed: every call of a check draws new inputs."""
    return torch.Generator().manual_seed(secrets.randbits(62))


def _sizes(g, count, low, high):
    """`count` distinct integers in [low, high], in random order."""
    return [int(v) + low for v in torch.randperm(high - low + 1, generator=g)[:count]]


def public_check(function):
    """Run a check with autograd on and the notebook's random state untouched (a check must not change
    what the experiments after it draw); print its lines unless quiet=True."""
    @functools.wraps(function)
    def check(*args, quiet=False, **kwargs):
        state = torch.random.get_rng_state()
        try:
            with torch.enable_grad():
                lines = function(*args, **kwargs)
        finally:
            torch.random.set_rng_state(state)
        if not quiet:
            print("\n".join(lines))
        return lines
    return check


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple({os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})


def _describe_error(error):
    """'TypeError: ... (line 12 of your code: `yhat = ...`)', the line from the student's own code."""
    text = f"{type(error).__name__}: {str(error).strip()[:400]}"
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not os.path.abspath(f.filename).startswith(_LIBRARY_DIRS + (_PACKAGE_DIR,))
              and not f.filename.startswith("<frozen")]
    if frames:
        frame = frames[-1]
        text += f" (in {frame.name}, at `{(frame.line or '').strip()[:120]}`)"
    return text


def _call(function, name, args, what=None):
    """function(*args), or a PublicCheckFailed that says how the call went wrong."""
    if function is None:
        fail(f"{name} is not defined: run the cell that defines it, then this check again")
    if not callable(function):
        fail(f"{name} is a {type(function).__name__}, not a function")
    try:
        return function(*args)
    except (PublicCheckFailed, LibraryBackpropNotAllowed):
        raise
    except Exception as e:  # noqa: BLE001 - the student's code raised: say what, where
        refused = autograd_refusal(e, name)
        if refused is not None:
            raise refused from None
        fail(f"{what or name + '(...)'} raised {_describe_error(e)}", *mistakes_of_error(name, e))


def _kind(value):
    """A few words on what a value is, for messages."""
    if value is None:
        return "None"
    if value is Ellipsis:
        return "Ellipsis (is the body still the TODO's `...`?)"
    if isinstance(value, torch.Tensor):
        return f"a {str(value.dtype).replace('torch.', '')} tensor of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def _numpy(value):
    """A tensor or array-like as a float64 array."""
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64).cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def rel_error(x, y, floor=1e-8):
    """Max relative error, as in CS231n's gradient checks. Entries far smaller than the largest one
    are compared at a thousandth of its scale (a sum that cancels to ~0 in float32 is not an error);
    entries below `floor` are compared at `floor`."""
    x, y = _numpy(x), _numpy(y)
    if not x.size:
        return 0.0
    floor = max(floor, 1e-3 * float(np.max(np.abs(y))))
    return float(np.max(np.abs(x - y) / np.maximum(floor, np.abs(x) + np.abs(y))))


def close(x, y, tol, floor=1e-8):
    x, y = _numpy(x), _numpy(y)
    return x.shape == y.shape and bool(np.all(np.isfinite(x))) and rel_error(x, y, floor) < tol


def within(got, expected, scale, tol):
    """got == expected up to rounding: each entry's error, relative to `scale`, the size of the terms
    that make it (so that a sum that cancels to ~0 is not an error), is below tol."""
    got, expected, scale = _numpy(got), _numpy(expected), _numpy(scale)
    return (got.shape == expected.shape and bool(np.all(np.isfinite(got)))
            and float(np.max(np.abs(got - expected) / (np.abs(scale) + 1e-30), initial=0.0)) < tol)


def is_step(got, before, grad, eta, tol):
    """got == before - eta * grad up to rounding."""
    before, grad = _numpy(before), _numpy(grad)
    return within(got, before - eta * grad, np.abs(before) + np.abs(eta * grad), tol)


def _linear_close(got, X, W, b, tol):
    """got == X W^T + b up to rounding (b may be 0)."""
    X, W, b = _numpy(X), _numpy(W), _numpy(b)
    return within(got, X @ W.T + b, np.abs(X) @ np.abs(W).T + np.abs(b), tol)


def _ratio(got, expected, tol):
    """The single factor c with got == c * expected (to tol), if there is one; else None."""
    got, expected = _numpy(got), _numpy(expected)
    if got.shape != expected.shape or not np.all(np.isfinite(got)):
        return None
    mask = np.abs(expected) > 1e-6 * max(1e-12, float(np.abs(expected).max()))
    if not mask.any():
        return None
    c = float(np.median(got[mask] / expected[mask]))
    return c if close(got, c * expected, tol) else None


def _scalar(value):
    """A number from a Python number, a 0-dim (or one-element) tensor or array; None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        array = _numpy(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return float(array.reshape(-1)[0]) if array.size == 1 else None


def _pair(result, name, first, second):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{name} must return ({first}, {second}); it returned {_kind(result)}")
    return result


def _random_params(g, nx, nh, ny, dtype, scale=1.0):
    """Parameters with non-zero biases, so that a forgotten bias shows."""
    return {"Wh": scale * torch.randn(nh, nx, generator=g, dtype=dtype),
            "bh": 0.5 * torch.randn(1, nh, generator=g, dtype=dtype),
            "Wy": scale * torch.randn(ny, nh, generator=g, dtype=dtype),
            "by": 0.5 * torch.randn(1, ny, generator=g, dtype=dtype)}


def _one_hot(g, N, ny, dtype):
    return torch.eye(ny, dtype=dtype)[torch.randint(0, ny, (N,), generator=g)]


def _backward_with(parameters, gradients):
    """Fill each parameter's .grad with the given gradient, through a real backward pass."""
    sum((p * G).sum() for p, G in zip(parameters, gradients)).backward()


def _sizes_text(N=None, nx=None, nh=None, ny=None):
    return ", ".join(f"{k}={v}" for k, v in (("N", N), ("nx", nx), ("nh", nh), ("ny", ny)) if v is not None)


# --- Part 1: init_params ------------------------------------------------------------------------

def _check_params_dict(P, nx, nh, ny, call):
    """P is a dict of float32 tensors Wh (nh, nx), bh (1, nh), Wy (ny, nh), by (1, ny)."""
    if not isinstance(P, dict):
        fail(f"{call} returned {_kind(P)}, not a dict of Wh, bh, Wy, by")
    missing = [k for k in PARAMS if k not in P]
    if missing:
        fail(f"the dict {call} returned has no {', '.join(map(repr, missing))} (its keys: "
             f"{', '.join(map(repr, P)) or 'none'})")
    expected = {"Wh": (nh, nx), "bh": (1, nh), "Wy": (ny, nh), "by": (1, ny)}
    for name, shape in expected.items():
        if not isinstance(P[name], torch.Tensor):
            fail(f"{name} of {call} is {_kind(P[name])}, not a torch.Tensor",
                 *(["params_not_tensors"] if isinstance(P[name], np.ndarray) else []))
        got = tuple(P[name].shape)
        if got != shape:
            layout = name in ("Wh", "Wy") and got == shape[::-1]
            fail(f"{name} of {call} has shape {got}, expected {shape} (a weight is (out, in), a bias a row "
                 "(1, out))", *(["params_in_out_layout"] if layout else []))
        if P[name].dtype != torch.float32:
            fail(f"{name} of {call} is {_kind(P[name])}: the parameters are float32 tensors (the dtype of every "
                 "tensor of the TP, torch's default)", *(["params_float64"] if P[name].dtype == torch.float64 else []))


def _check_law(P, call):
    """Biases zero; weights i.i.d. N(0, 0.3^2) (the notebook's law). Returns the line it verified."""
    if not all(torch.all(P[b] == 0) for b in ("bh", "by")):
        fail(f"the biases of {call} are not zero", "init_bias_random")
    weights = np.concatenate([_numpy(P["Wh"]).ravel(), _numpy(P["Wy"]).ravel()])
    n, mean, std = weights.size, float(weights.mean()), float(weights.std())
    kurtosis = float(np.mean((weights - mean) ** 4) / std ** 4) if std > 0 else 0.0
    # 6 standard errors: a right law never fails, a wrong one always does.
    if not (abs(mean) < 6 * 0.3 / math.sqrt(n) and abs(std - 0.3) < 6 * 0.3 / math.sqrt(2 * n)
            and abs(kurtosis - 3.0) < 0.15):
        mistakes = (["init_no_scale"] if abs(std - 1.0) < 0.02 else
                    ["init_variance_as_std"] if abs(std - math.sqrt(0.3)) < 0.02 else [])
        mistakes += ["init_uniform"] if abs(kurtosis - 1.8) < 0.1 else []
        fail(f"the {n} weights of {call} have mean {mean:.3f}, standard deviation {std:.3f} and kurtosis "
             f"{kurtosis:.2f}; a normal law N(0, 0.3²) gives about 0, 0.3 and 3", *mistakes)
    return (f"✓ the {n} weights of {call}: mean {mean:+.4f}, standard deviation {std:.4f}, kurtosis "
            f"{kurtosis:.2f}, as N(0, 0.3²) gives; biases zero")


def _draw_both(init, name, g):
    """Call init on small random sizes (shapes) and on large ones (the law)."""
    nx, nh, ny = _sizes(g, 3, 2, 9)
    call = f"{name}({nx}, {nh}, {ny})"
    P = _call(init, name, (nx, nh, ny), call)
    _check_params_dict(P, nx, nh, ny, call)
    big = (int(torch.randint(250, 351, (1,), generator=g)), int(torch.randint(150, 251, (1,), generator=g)),
           int(torch.randint(80, 121, (1,), generator=g)))
    big_call = f"{name}{big}"
    P_big = _call(init, name, big, big_call)
    _check_params_dict(P_big, *big, big_call)
    return (nx, nh, ny), P, call, P_big, big_call


@public_check
def check_init_params(init_params):
    g = _generator()
    (nx, nh, ny), _, call, P_big, big_call = _draw_both(init_params, "init_params", g)
    return [f"✓ {call} returns float32 tensors Wh {(nh, nx)}, bh {(1, nh)}, Wy {(ny, nh)}, by {(1, ny)} (sizes drawn at random)",
            _check_law(P_big, big_call)]


# --- Part 1: forward ----------------------------------------------------------------------------

def _forward_case(forward, P, X, label):
    """Call forward; check its types and shapes. Returns (Yhat, outputs or None, missing keys)."""
    N, nx = X.shape
    ny = P["Wy"].shape[0]
    Yhat, outputs = _pair(_call(forward, "forward", (P, X), f"forward(params, X) ({label})"),
                          "forward", "Yhat", "outputs")
    if not isinstance(Yhat, torch.Tensor) or tuple(Yhat.shape) != (N, ny):
        fail(f"Yhat ({label}) is {_kind(Yhat)}, expected a tensor of shape ({N}, {ny})")
    if Yhat.dtype != X.dtype:
        fail(f"with {str(X.dtype).replace('torch.', '')} inputs Yhat is {str(Yhat.dtype).replace('torch.', '')}",
             "dtype_changed")
    if not torch.all(torch.isfinite(Yhat)):
        fail(f"Yhat ({label}) contains NaN or inf")
    return Yhat, outputs


def _check_softmax_rows(Yhat, label, tol):
    rows, columns = Yhat.detach().double().sum(1), Yhat.detach().double().sum(0)
    if not torch.allclose(rows, torch.ones_like(rows), atol=tol):
        wrong_axis = torch.allclose(columns, torch.ones_like(columns), atol=tol)
        fail(f"the rows of Yhat ({label}) do not sum to 1 (they sum to "
             f"{', '.join(f'{v:.3f}' for v in rows[:4].tolist())}{', ...' if len(rows) > 4 else ''})",
             "softmax_wrong_axis" if wrong_axis else "no_softmax")
    if torch.any(Yhat < 0) or torch.any(Yhat > 1 + tol):
        fail(f"Yhat ({label}) has entries outside [0, 1]", "no_softmax")


def _check_relations(P, X, Yhat, outputs, label, tol):
    """The notebook's four equations, between the intermediates forward returned."""
    if not isinstance(outputs, dict):
        fail(f"outputs ({label}) is {_kind(outputs)}, not a dict of X, htilde, h, ytilde, yhat", "outputs_incomplete")
    missing = [k for k in OUTPUTS if k not in outputs]
    if missing:
        fail(f"outputs has no {', '.join(map(repr, missing))} (its keys: {', '.join(map(repr, outputs)) or 'none'})",
             "outputs_incomplete")
    N, nh, ny = X.shape[0], P["Wh"].shape[0], P["Wy"].shape[0]
    shapes = {"X": tuple(X.shape), "htilde": (N, nh), "h": (N, nh), "ytilde": (N, ny), "yhat": (N, ny)}
    for name, shape in shapes.items():
        if not isinstance(outputs[name], torch.Tensor) or tuple(outputs[name].shape) != shape:
            fail(f"outputs[{name!r}] ({label}) is {_kind(outputs[name])}, expected a tensor of shape {shape}")
    p = {k: _numpy(v) for k, v in P.items()}
    o = {k: _numpy(v) for k, v in outputs.items()}
    if not close(o["X"], _numpy(X), tol):
        fail(f"outputs['X'] ({label}) is not the X forward received")
    if not _linear_close(o["htilde"], o["X"], p["Wh"], p["bh"], tol):
        bias = _linear_close(o["htilde"], o["X"], p["Wh"], 0.0, tol)
        fail(f"htilde ({label}) is not X Wh^T + bh", *(["forward_bias_missing"] if bias else []))
    # elementwise: an error relative to 1 (tanh and sigmoid are within [-1, 1])
    if not within(o["h"], np.tanh(o["htilde"]), 1.0, 10 * tol):
        mistakes = (["sigmoid_hidden"] if within(o["h"], 1 / (1 + np.exp(-o["htilde"])), 1.0, 10 * tol) else
                    ["no_hidden_activation"] if within(o["h"], o["htilde"], np.abs(o["htilde"]) + 1, 10 * tol) else [])
        fail(f"h ({label}) is not tanh(htilde)", *mistakes)
    if not _linear_close(o["ytilde"], o["h"], p["Wy"], p["by"], tol):
        bias = _linear_close(o["ytilde"], o["h"], p["Wy"], 0.0, tol)
        fail(f"ytilde ({label}) is not h Wy^T + by", *(["forward_bias_missing"] if bias else []))
    if not within(o["yhat"], _numpy(Yhat), 1.0, tol):
        fail(f"outputs['yhat'] ({label}) is not the Yhat forward returned")
    # probabilities: errors relative to 1 (a probability of 1e-9 that rounds differently is no error)
    softmax = torch.softmax(torch.from_numpy(o["ytilde"]), dim=1).numpy()
    if not within(_numpy(Yhat), softmax, 1.0, 10 * tol):
        wrong_axis = within(_numpy(Yhat), torch.softmax(torch.from_numpy(o["ytilde"]), dim=0).numpy(), 1.0, 10 * tol)
        fail(f"Yhat ({label}) is not the SoftMax of each row of ytilde: max relative error "
             f"{rel_error(_numpy(Yhat), softmax):.2g}", "softmax_wrong_axis" if wrong_axis else "no_softmax")


def _extreme_logits_params(g, nx, nh, ny, X, negative):
    """Parameters whose logits reach +-1000 (exp overflows float32), or all sit near -1000 (exp
    underflows to 0, and 0 / 0 is NaN) when negative."""
    P = _random_params(g, nx, nh, ny, torch.float32)
    if negative:
        P["by"] = torch.full((1, ny), -1000.0)
    else:
        P["by"] = torch.zeros(1, ny)
        h = torch.tanh(X.double() @ P["Wh"].double().T + P["bh"].double())
        P["Wy"] = (P["Wy"].double() * 1000 / (h @ P["Wy"].double().T).abs().max()).float()
    return P


@public_check
def check_forward(forward):
    g = _generator()
    lines = []
    for dtype, tol in ((torch.float32, 1e-5), (torch.float64, 1e-12)):
        N, nx, nh, ny = _sizes(g, 4, 2, 9)
        label = f"{_sizes_text(N, nx, nh, ny)}, {str(dtype).replace('torch.', '')}"
        P, X = _random_params(g, nx, nh, ny, dtype), torch.randn(N, nx, generator=g, dtype=dtype)
        Yhat, outputs = _forward_case(forward, P, X, label)
        _check_softmax_rows(Yhat, label, 1e-5)
        _check_relations(P, X, Yhat, outputs, label, tol)
        lines.append(f"✓ forward on {label}: htilde = X Wh^T + bh, h = tanh(htilde), ytilde = h Wy^T + by, "
                     f"Yhat = SoftMax of each row of ytilde (rows sum to 1); {str(dtype).replace('torch.', '')} kept")
    N, nx, nh, ny = _sizes(g, 4, 2, 9)
    X = torch.randn(N, nx, generator=g)
    for negative, label in ((False, "logits of +-1000"), (True, "logits all near -1000")):
        P = _extreme_logits_params(g, nx, nh, ny, X, negative)
        try:
            Yhat, _ = _forward_case(forward, P, X, label)
            _check_softmax_rows(Yhat, label, 1e-4)
        except PublicCheckFailed as e:
            fail(f"forward is not stable for {label}: {e.problem}", "softmax_unstable")
    lines.append("✓ forward stays finite, its rows summing to 1, for logits of +-1000 and logits all near -1000")
    return lines


# --- Part 1: loss_accuracy ----------------------------------------------------------------------

def _batch_with_some_rows_right(g, N, ny, dtype):
    """(Yhat, Y): SoftMax of random logits leaning towards the true class, with at least one row right
    and one wrong, and no true-class probability so small that log(yhat + 1e-8) would differ."""
    while True:
        Y = _one_hot(g, N, ny, dtype)
        logits = torch.randn(N, ny, generator=g, dtype=dtype) + 1.5 * Y
        logits[0] = logits[0] - 4 * Y[0]
        if ny > 2:  # a row right with a true-class probability below 1/2: the argmax decides, not 1/2
            logits[1] = 0.6 + 0.4 * Y[1]
        Yhat = torch.softmax(logits, dim=1)
        right = int((Yhat.argmax(1) == Y.argmax(1)).sum())
        if 0 < right < N and float((Yhat * Y).sum(1).min()) > 1e-3:
            return Yhat, Y, right


@public_check
def check_loss_accuracy(loss_accuracy):
    g = _generator()
    lines = []
    for dtype in (torch.float32, torch.float64):
        N, ny = _sizes(g, 2, 3, 9)
        label = f"a batch of {N} rows and {ny} classes, {str(dtype).replace('torch.', '')}"
        Yhat, Y, right = _batch_with_some_rows_right(g, N, ny, dtype)
        L, acc = _pair(_call(loss_accuracy, "loss_accuracy", (Yhat, Y), f"loss_accuracy(Yhat, Y) ({label})"),
                       "loss_accuracy", "L", "acc")
        expected = float(-torch.log((Yhat.double() * Y.double()).sum(1)).mean())
        value = _scalar(L)
        swapped = _scalar(acc)
        if (value is not None and swapped is not None and abs(value - right / N) < 1e-6
                and abs(swapped - expected) <= 1e-5 * max(1.0, abs(expected)) and abs(expected - right / N) > 1e-3):
            fail(f"loss_accuracy ({label}) returned ({value:.4g}, {swapped:.4g}): the accuracy, then the loss; the "
                 "contract is (L, acc)", "loss_accuracy_swapped")
        if value is None or not math.isfinite(value):
            fail(f"L ({label}) is {_kind(L)}, expected a 0-dim tensor, the mean cross-entropy")
        if abs(value - expected) > 1e-5 * max(1.0, abs(expected)):
            mistakes = [m for factor, m in ((N, "loss_summed"), (1 / ny, "loss_mean_over_classes"), (-1, "loss_sign"))
                        if abs(value - factor * expected) <= 1e-4 * max(1.0, abs(factor * expected))]
            fail(f"L ({label}) is {value:.5g}; the mean over the rows of -sum_i y_i log yhat_i is {expected:.5g}",
                 *mistakes)
        if not isinstance(L, torch.Tensor):
            fail(f"L ({label}) is {_kind(L)} with the right value, but not a tensor", "loss_not_tensor")
        if L.dim() != 0:
            fail(f"L ({label}) has shape {tuple(L.shape)}: it must be a 0-dim tensor (a scalar)")
        accuracy = _scalar(acc)
        if accuracy is None or abs(accuracy - right / N) > 1e-6:
            mistakes = [] if accuracy is None else [m for factor, m in ((100, "accuracy_percent"), (N, "accuracy_count"))
                                                    if abs(accuracy - factor * right / N) < 1e-4]
            above_half = float(((Yhat * Y).sum(1) > 0.5).double().mean())
            if accuracy is not None and not mistakes and abs(accuracy - above_half) < 1e-6:
                mistakes = ["accuracy_threshold"]
            fail(f"acc ({label}) is {accuracy if accuracy is not None else _kind(acc)}; {right} of the {N} rows "
                 f"have the argmax of Yhat on the true class, so the accuracy is {right / N:.4g}", *mistakes)
        lines.append(f"✓ loss_accuracy on {label}: L = {value:.4f}, the mean cross-entropy; acc = {accuracy:.4g} "
                     f"({right} of {N} rows right)")
    return lines


# --- Part 1: backward ---------------------------------------------------------------------------

def _loss_of(forward, loss_accuracy, P, X, Y):
    Yhat, _ = forward(P, X)
    return loss_accuracy(Yhat, Y)[0]


def _autograd_of_students_loss(forward, loss_accuracy, P, X, Y):
    """(gradients, intermediates): autograd's gradients of the student's own loss_accuracy(forward(P, X), Y)
    and, where forward's outputs are nodes of that graph, each intermediate with its gradient."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in P.items()}
    Yhat, outputs = forward(leaves, X)
    retained = {}
    for name in ("htilde", "h", "ytilde"):
        t = outputs.get(name) if isinstance(outputs, dict) else None
        if isinstance(t, torch.Tensor) and t.requires_grad and t.grad_fn is not None:
            t.retain_grad()
            retained[name] = t
    loss_accuracy(Yhat, Y)[0].backward()
    gradients = {k: v.grad.detach().clone() for k, v in leaves.items()}
    intermediates = {name: (t.detach(), t.grad) for name, t in retained.items() if t.grad is not None}
    return gradients, intermediates


def _finite_differences(forward, loss_accuracy, P, X, Y):
    """({name: centred finite-difference gradient}, resolution) of the student's loss at P, float64."""
    P = {k: v.detach().clone() for k, v in P.items()}
    with torch.no_grad():
        value = float(_loss_of(forward, loss_accuracy, P, X, Y))
        numerical = {}
        for name, p in P.items():
            grad = torch.zeros_like(p)
            flat, flat_grad = p.view(-1), grad.view(-1)
            for i in range(flat.numel()):
                old = float(flat[i])
                flat[i] = old + FD_STEP
                plus = float(_loss_of(forward, loss_accuracy, P, X, Y))
                flat[i] = old - FD_STEP
                minus = float(_loss_of(forward, loss_accuracy, P, X, Y))
                flat[i] = old
                flat_grad[i] = (plus - minus) / (2 * FD_STEP)
            numerical[name] = grad
    # rounding noise of centred differences in float64 is ~eps |f| / h: entries are compared at no
    # less than 1e-5 |f|
    return numerical, 1e-5 * max(1.0, abs(value))


def _alternatives(intermediates, X, N):
    """What the catalogued mistakes compute, from the intermediates autograd went through."""
    alternatives = {}
    if {"h", "htilde"} <= set(intermediates):
        h, d_h = intermediates["h"]
        htilde, _ = intermediates["htilde"]
        alternatives["missing_tanh_derivative"] = {"Wh": d_h.T @ X, "bh": d_h.sum(0, keepdim=True)}
        wrong = d_h * (1 - htilde ** 2)
        alternatives["tanh_derivative_of_htilde"] = {"Wh": wrong.T @ X, "bh": wrong.sum(0, keepdim=True)}
        twice = d_h * (1 - torch.tanh(h) ** 2)
        alternatives["tanh_applied_twice"] = {"Wh": twice.T @ X, "bh": twice.sum(0, keepdim=True)}
    if {"htilde", "h"} <= set(intermediates):
        h, _ = intermediates["h"]
        _, d_htilde = intermediates["htilde"]
        alternatives["h_instead_of_x"] = {"Wh": d_htilde.T @ h}
        alternatives["bias_not_summed"] = {"bh": d_htilde}
    if {"ytilde", "htilde"} <= set(intermediates):
        _, d_ytilde = intermediates["ytilde"]
        htilde, _ = intermediates["htilde"]
        alternatives["htilde_instead_of_h"] = {"Wy": d_ytilde.T @ htilde}
        alternatives.setdefault("bias_not_summed", {})["by"] = d_ytilde
    return alternatives


def _diagnose_gradient(name, got, want, N, tol, alternatives):
    got, want = _numpy(got), _numpy(want)
    if got.shape == want.T.shape and got.shape != want.shape and close(got.T, want, tol):
        return "gradient_transposed"
    if name in ("bh", "by") and got.shape == want.shape[1:] and close(got.reshape(want.shape), want, tol):
        return "bias_grad_shape"
    c, tol = _ratio(got, want, max(tol, 1e-5)), max(tol, 1e-6)
    if c is not None:
        if abs(c - N) <= tol * N and N > 1:
            return "grad_summed"
        if abs(c + 1) <= tol:
            return "gradient_sign"
        if abs(c - 1 / N) <= tol / N and name in ("bh", "by"):
            return "bias_grad_mean"
        return None
    for mistake, alternative in alternatives.items():
        if name in alternative and close(got, alternative[name], 1e-5):
            return mistake
    return None


def _students_gradients(backward, P, outputs, Y, label):
    try:
        with autograd_refused("backward"), library_backprop_refused("backward"):
            grads = _call(backward, "backward", (P, outputs, Y), f"backward(params, outputs, Y) ({label})")
    except AutogradNotAllowed as e:
        fail(f"backward does not compute the gradients by hand: {e}", "backward_uses_autograd")
    except LibraryBackpropNotAllowed as e:
        fail(f"backward does not compute the gradients by hand: {e}", "backward_not_derived")
    if not isinstance(grads, dict):
        fail(f"backward ({label}) returned {_kind(grads)}, not a dict of gradients Wh, bh, Wy, by")
    missing = [k for k in PARAMS if k not in grads]
    if missing:
        lowered = [str(k).lower() for k in grads]
        renamed = any(low not in {n.lower() for n in PARAMS} and low.endswith(n.lower())
                      for low in lowered for n in PARAMS)
        fail(f"the gradients backward returned have no {', '.join(map(repr, missing))} (their keys: "
             f"{', '.join(map(repr, grads)) or 'none'})", *(["grad_keys_renamed"] if renamed else []))
    for name in PARAMS:
        if not isinstance(grads[name], torch.Tensor):
            fail(f"the gradient of {name} ({label}) is {_kind(grads[name])}, not a tensor")
    return grads


def _prerequisites(forward, loss_accuracy):
    """backward's expected gradients come from autograd through the student's own forward and
    loss_accuracy: they must pass their checks first."""
    failing = []
    for name, check, function in (("forward", check_forward, forward), ("loss_accuracy", check_loss_accuracy, loss_accuracy)):
        try:
            check(function, quiet=True)
        except PublicCheckFailed as e:
            failing.append(f"{name} ({e.problem.splitlines()[0]})")
    if failing:
        fail("backward cannot be checked until forward and loss_accuracy pass their checks: its expected "
             "gradients are autograd's, through your own forward and loss_accuracy. Failing now: "
             + "; ".join(failing))


def _error_text(error):
    """A relative error as the table shows it; None (no error to compute) when the shape is wrong."""
    return "(wrong shape)" if error is None else f"{error:.1e}"


@public_check
def check_backward(backward, forward, loss_accuracy):
    _prerequisites(forward, loss_accuracy)
    g = _generator()
    N, nx, nh, ny = _sizes(g, 4, 2, 8)
    N = max(N, 3)
    label = _sizes_text(N, nx, nh, ny) + ", float64"
    P = _random_params(g, nx, nh, ny, torch.float64, scale=0.5)
    X = torch.randn(N, nx, generator=g, dtype=torch.float64)
    # each row's label among the classes the network gives 5 % or more: a loss_accuracy that takes
    # log(yhat + 1e-8), right as well, then moves its own gradients by 1e-6 at most, not BACKWARD_TOL
    likely = torch.softmax(torch.from_numpy(network_logits(P, X)), dim=1) >= 0.05
    Y = torch.eye(ny, dtype=torch.float64)[torch.multinomial(likely.double(), 1, generator=g).squeeze(1)]
    expected, intermediates = _autograd_of_students_loss(forward, loss_accuracy, P, X, Y)
    numerical, resolution = _finite_differences(forward, loss_accuracy, P, X, Y)
    with torch.no_grad():
        _, outputs = forward({k: v.clone() for k, v in P.items()}, X.clone())
    grads = _students_gradients(backward, {k: v.clone() for k, v in P.items()}, outputs, Y.clone(), label)
    errors, fd_errors, problems, mistakes = {}, {}, [], []
    alternatives = _alternatives(intermediates, X, N)
    for name in PARAMS:
        got, want = grads[name], expected[name]
        if tuple(got.shape) != tuple(want.shape):
            errors[name] = fd_errors[name] = None
            problems.append(f"d{name} has shape {tuple(got.shape)}, expected {tuple(want.shape)}")
        else:
            errors[name] = rel_error(got, want)
            fd_errors[name] = rel_error(got, numerical[name], resolution)
            if errors[name] < BACKWARD_TOL and fd_errors[name] < BACKWARD_TOL and torch.all(torch.isfinite(got)):
                continue
            problems.append(f"d{name}")
        mistake = _diagnose_gradient(name, got, want, N, 1e-6, alternatives)
        if mistake:
            mistakes.append(mistake)
    table = ("  relative error against autograd of your forward and loss_accuracy: "
             + "  ".join(f"d{k} {_error_text(v)}" for k, v in errors.items())
             + "\n  relative error against centred finite differences (h = 1e-5):       "
             + "  ".join(f"d{k} {_error_text(v)}" for k, v in fd_errors.items()))
    if problems:
        fail(f"backward gives wrong gradients for {label}: " + ", ".join(problems) + f" (a right gradient is "
             f"within about 1e-7 of autograd and of finite differences, the check accepts {BACKWARD_TOL:.0e}):\n"
             + table, *mistakes)
    lines = [f"✓ backward on {label}, drawn at random (CS231n's gradient check: a right gradient is within "
             f"about 1e-7, a wrong one about 1e-1; the check accepts up to {BACKWARD_TOL:.0e}):", table]
    # float32 in, float32 out: sgd would otherwise change the parameters' dtype
    N, nx, nh, ny = _sizes(g, 4, 2, 8)
    label = _sizes_text(N, nx, nh, ny) + ", float32"
    P, X = _random_params(g, nx, nh, ny, torch.float32), torch.randn(N, nx, generator=g)
    Y = _one_hot(g, N, ny, torch.float32)
    with torch.no_grad():
        _, outputs = forward({k: v.clone() for k, v in P.items()}, X)
    grads = _students_gradients(backward, P, outputs, Y, label)
    dtypes = {k: str(v.dtype).replace("torch.", "") for k, v in grads.items() if k in PARAMS}
    if set(dtypes.values()) != {"float32"}:
        fail(f"with float32 parameters the gradients must be float32; they are "
             f"{', '.join(f'{k} {v}' for k, v in dtypes.items())}", "dtype_changed_backward")
    expected, _ = _autograd_of_students_loss(forward, loss_accuracy, P, X, Y)
    wrong = [k for k in PARAMS if not close(grads[k], expected[k], 1e-2)]
    if wrong:
        fail(f"backward on {label}: {', '.join('d' + k for k in wrong)} differ from autograd's")
    lines.append(f"✓ backward on {label}: float32 gradients, as autograd's")
    unguarded = unguarded_routes()
    if unguarded:
        lines.append(f"note: on this torch ({torch.__version__}) the check cannot see {', '.join(unguarded)} called "
                     "inside backward; the grader can, and gives no points to a backward that uses autograd")
    return lines


# --- Part 1: sgd --------------------------------------------------------------------------------

@public_check
def check_sgd(sgd):
    g = _generator()
    lines = []
    for dtype in (torch.float32, torch.float64):
        nx, nh, ny = _sizes(g, 3, 2, 9)
        eta = round(float(torch.empty(1).uniform_(0.05, 0.9, generator=g)), 3)
        P, G = _random_params(g, nx, nh, ny, dtype), _random_params(g, nx, nh, ny, dtype)
        before = {k: v.clone() for k, v in P.items()}
        returned = _call(sgd, "sgd", (P, {k: v.clone() for k, v in G.items()}, eta), f"sgd(params, grads, {eta})")
        tol = 1e-5 if dtype == torch.float32 else 1e-12
        if returned is None:
            in_place = all(is_step(P[k], before[k], G[k], eta, tol) for k in PARAMS)
            fail("sgd returned None: it must return the dict of the new parameters",
                 *(["sgd_no_return"] if in_place else []))
        if not isinstance(returned, dict) or any(not isinstance(returned.get(k), torch.Tensor) for k in PARAMS):
            fail(f"sgd returned {_kind(returned)}: it must return the dict of parameters Wh, bh, Wy, by")
        reshaped = [f"{k} {tuple(returned[k].shape)} (it was {tuple(before[k].shape)})" for k in PARAMS
                    if tuple(returned[k].shape) != tuple(before[k].shape)]
        if reshaped:
            fail("the parameters sgd returned do not keep their shapes: " + ", ".join(reshaped))
        if not all(is_step(returned[k], before[k], G[k], eta, tol) for k in PARAMS):
            if all(torch.equal(returned[k], before[k]) for k in PARAMS):
                fail(f"the parameters sgd returned (eta = {eta}) are the ones it received, unchanged: no step was "
                     "taken", "sgd_no_step")
            mistakes = [m for m, sign, step in (("sgd_adds_gradient", -1, eta), ("sgd_ignores_eta", 1, 1.0))
                        if all(is_step(returned[k], before[k], sign * G[k], step, tol) for k in PARAMS)]
            fail(f"the parameters sgd returned (eta = {eta}) are not p - eta * grad: max relative error "
                 f"{max(rel_error(returned[k], before[k] - eta * G[k]) for k in PARAMS):.2g}", *mistakes)
        lines.append(f"✓ sgd(params, grads, {eta}) returns p - eta * grad for each parameter "
                     f"({str(dtype).replace('torch.', '')}, sizes drawn at random)")
    return lines


# --- Part 1: circles_accuracy -------------------------------------------------------------------

@functools.cache
def _circles():
    from .circles import CirclesData

    return CirclesData()


def network_logits(P, X):
    """The notebook's network in float64: tanh(X Wh^T + bh) Wy^T + by; P a dict of arrays or tensors."""
    P = {k: _numpy(v) for k, v in P.items()}
    with np.errstate(all="ignore"):
        return contract.network_logits(P, _numpy(X), np.tanh)


def accuracy_of(P, X, labels):
    logits = network_logits(P, X)
    return float((logits.argmax(1) == np.asarray(labels)).mean()) if np.all(np.isfinite(logits)) else 0.0


def train_part1_like_the_grader(forward, backward, sgd, X, Y, generator, hparams):
    """One training run of the grader's loop (training.part1_step, as the grader's probe): from initial parameters
    of the notebook's law (weights N(0, init_std^2), biases zero), `epochs` epochs of mini-batches in a
    new random order each epoch, P = sgd(P, backward(P, outputs, Y_batch), eta). Returns P."""
    n, nx, nh, ny = X.shape[0], X.shape[1], int(hparams["nh"]), Y.shape[1]
    std, eta, batch_size = hparams["init_std"], hparams["eta"], int(hparams["batch_size"])
    P = {"Wh": std * torch.randn(nh, nx, generator=generator), "bh": torch.zeros(1, nh),
         "Wy": std * torch.randn(ny, nh, generator=generator), "by": torch.zeros(1, ny)}
    shapes = {k: v.shape for k, v in P.items()}
    for epoch in range(int(hparams["epochs"])):
        where = f" (epoch {epoch + 1})"
        for idx in epoch_batches(n, batch_size, generator):
            try:
                P, _ = part1_step(forward, backward, sgd, P, X.index_select(0, idx), Y.index_select(0, idx), eta,
                                  call=_call, pair=_pair, where=where)
            except LibraryBackpropNotAllowed as e:
                fail(f"backward{where}: {e}", "backward_not_derived")
        if not isinstance(P, dict) or any(not isinstance(P.get(k), torch.Tensor) for k in PARAMS):
            fail(f"after the steps of epoch {epoch + 1} the parameters are {_kind(P)}, no longer a dict of tensors "
                 "Wh, bh, Wy, by")
        wrong = [f"{k} {tuple(P[k].shape)}" for k in PARAMS if P[k].numel() != shapes[k].numel()]
        if wrong:
            fail(f"after the steps of epoch {epoch + 1} the parameters no longer have their shapes: "
                 + ", ".join(wrong) + f" (they were Wh {tuple(shapes['Wh'])}, bh {tuple(shapes['bh'])}, Wy "
                 f"{tuple(shapes['Wy'])}, by {tuple(shapes['by'])})")
    return {k: v.detach().reshape(shapes[k]) for k, v in P.items() if k in PARAMS}


def _function_problems(checks):
    """(text, mistake ids) of the checks among [(name, check, args)] that fail now."""
    texts, mistakes = [], []
    for name, check, args in checks:
        try:
            check(*args, quiet=True)
        except PublicCheckFailed as e:
            texts.append(f"{name} fails its check (" + (", ".join(CATALOGUE[m].title for m in e.mistakes)
                                                        or e.problem.splitlines()[0]) + ")")
            mistakes += e.mistakes
    return texts, mistakes


@public_check
def check_circles_accuracy(forward, backward, sgd, loss_accuracy=None):
    from .circles import draw_circles

    settings = parameters()
    hp, thresholds = settings["circles"], settings["thresholds"]["circles_accuracy"]
    data = _circles()
    labels_train, labels_test = data.Ytrain.argmax(1).numpy(), data.Ytest.argmax(1).numpy()
    # A fresh sample of the distribution the grader's hidden test set comes from: an honest estimate
    # of what it measures (the notebook's test set happens to be easy).
    X_fresh, labels_fresh = draw_circles(hp["test_points"] // 2, secrets.randbits(62))
    g = _generator()
    runs = []
    function_checks = [("forward", check_forward, (forward,)), ("sgd", check_sgd, (sgd,))] + (
        [("backward", check_backward, (backward, forward, loss_accuracy))] if loss_accuracy is not None else [])
    for run in range(int(hp["runs"])):
        try:
            P = train_part1_like_the_grader(forward, backward, sgd, data.Xtrain, data.Ytrain, g, hp)
        except PublicCheckFailed as e:
            problems, mistakes = _function_problems(function_checks)
            fail(f"the grader could not train your Part-1 functions: {e.problem}"
                 + ("" if not problems else ". " + "; ".join(problems) + ": fix that first."), *mistakes)
        runs.append({"train": accuracy_of(P, data.Xtrain, labels_train), "test": accuracy_of(P, data.Xtest, labels_test),
                     "fresh": accuracy_of(P, X_fresh, labels_fresh)})
        # the grader's rule for another run; and once a run reaches full points, the best of all does too
        if (runs[-1]["train"] >= hp["enough_train_accuracy"] or runs[-1]["train"] <= hp["hopeless_train_accuracy"]
                or runs[-1]["fresh"] >= thresholds["full"]):
            break
    best = max(runs, key=lambda r: r["fresh"])
    lines = [f"trained your forward, backward and sgd as the grader does ({hp['epochs']} epochs, batches of "
             f"{hp['batch_size']}, eta = {hp['eta']}, nh = {hp['nh']}, from random initial parameters; up to "
             f"{hp['runs']} runs, the best counts, the next one only after a training accuracy below "
             f"{hp['enough_train_accuracy']}; this check stops at the first run that reaches full points):"]
    lines += [f"  run {i + 1}: training accuracy {r['train']:.3f}, the notebook's test set {r['test']:.3f}, "
              f"{len(labels_fresh)} fresh Circles points {r['fresh']:.3f}" for i, r in enumerate(runs)]
    needs = (f"the grader measures the same on its own hidden draw of {len(labels_fresh)} points and needs "
             f"{thresholds['full']:.2f} for full points ({thresholds['half']:.2f} for half)")
    if best["fresh"] >= thresholds["full"]:
        return ["✓ " + lines[0]] + lines[1:] + [f"✓ best run: {best['fresh']:.3f} on fresh points; {needs}"]
    problems, mistakes = _function_problems(function_checks)
    fail("\n".join(lines) + f"\nbest run: {best['fresh']:.3f} on fresh points, below what the grader needs: {needs}"
         + ("." if not problems else ". " + "; ".join(problems) + ": fix that first."), *mistakes)


# --- Part 2: autograd ---------------------------------------------------------------------------

def _check_leaves(P, call):
    """Each parameter requires a gradient and is a leaf: a backward through it fills its .grad."""
    for name in PARAMS:
        if not P[name].requires_grad:
            fail(f"{name} of {call} does not require a gradient", "autograd_no_requires_grad")
        if not P[name].is_leaf:
            fail(f"{name} of {call} is not a leaf tensor: it has a grad_fn ({type(P[name].grad_fn).__name__}), "
                 "it was computed from another tensor", "autograd_nonleaf_init")
    _backward_with([P[k] for k in PARAMS], [torch.full_like(P[k], 0.5) for k in PARAMS])
    if not all(P[k].grad is not None and torch.all(P[k].grad == 0.5) for k in PARAMS):
        fail(f"a backward pass through the parameters of {call} does not fill their .grad")


@public_check
def check_init_params_autograd(init_params_autograd):
    g = _generator()
    (nx, nh, ny), P, call, P_big, big_call = _draw_both(init_params_autograd, "init_params_autograd", g)
    _check_leaves(P, call)
    with torch.no_grad():
        law = _check_law({k: v.detach() for k, v in P_big.items()}, big_call)
    return [f"✓ {call} returns leaf tensors Wh {(nh, nx)}, bh {(1, nh)}, Wy {(ny, nh)}, by {(1, ny)} that require "
            "a gradient (a backward pass fills their .grad)", law]


def _two_steps(step, parameters, names, eta, stale_mistake, g, ignores_eta=None, returned_check=None):
    """Gradients G1 through a real backward, one step; then G2, a second step: each must be
    p - eta * grad, and the gradients zero (or None) after a step. Returns the lines verified."""
    before = [p.detach().clone() for p in parameters()]
    G1 = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in before]
    G2 = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in before]
    _backward_with(parameters(), G1)
    returned = step()
    if returned_check:
        returned_check(returned)
    tol = 1e-12 if before[0].dtype == torch.float64 else 1e-5
    after = parameters()
    for name, p in zip(names, after):
        if not p.is_leaf:
            fail(f"after the step {name} is not a leaf tensor any more: it has a grad_fn "
                 f"({type(p.grad_fn).__name__})", "autograd_params_not_leaf")
        if not p.requires_grad:
            fail(f"after the step {name} no longer requires a gradient", "autograd_params_new_tensors")
    got = [p.detach().clone() for p in after]
    if not all(is_step(a, b, G, eta, tol) for a, b, G in zip(got, before, G1)):
        unchanged = all(torch.equal(a, b) for a, b in zip(got, before))
        mistakes = [ignores_eta] if ignores_eta and all(is_step(a, b, G, 1.0, tol) for a, b, G in zip(got, before, G1)) else []
        fail(f"after one step the parameters are not p - eta * p.grad (eta = {eta})"
             + ("; they did not change at all" if unchanged else ""), *mistakes)
    if not all(p.grad is None or torch.all(p.grad == 0) for p in after):
        fail("after the step the gradients are not zero: .grad accumulates, the next backward would add to them",
             stale_mistake)
    _backward_with(parameters(), G2)
    step()
    second = [p.detach() for p in parameters()]
    if not all(is_step(a, b, G, eta, tol) for a, b, G in zip(second, got, G2)):
        stale = all(is_step(a, b, G + H, eta, tol) for a, b, G, H in zip(second, got, G1, G2))
        fail("two steps in a row do not give two gradient steps" + (" (the second used the sum of both gradients)"
                                                                    if stale else ""),
             *([stale_mistake] if stale else []))
    return [f"✓ one step gives p - eta * p.grad (eta = {eta}), the gradients are then zero, a second step "
            "is a step of its own; parameters stay leaves that require a gradient"]


@public_check
def check_sgd_autograd(sgd_autograd):
    g = _generator()
    nx, nh, ny = _sizes(g, 3, 2, 9)
    eta = round(float(torch.empty(1).uniform_(0.05, 0.9, generator=g)), 3)
    P = {k: v.requires_grad_(True) for k, v in _random_params(g, nx, nh, ny, torch.float64).items()}
    current = {"params": P}

    def step():
        return _call(sgd_autograd, "sgd_autograd", (current["params"], eta), f"sgd_autograd(params, {eta})")

    def returned_check(returned):
        if returned is None:
            fail("sgd_autograd returned None: the training loop does params = sgd_autograd(params, ETA)",
                 "sgd_autograd_no_return")
        if not isinstance(returned, dict) or any(not isinstance(returned.get(k), torch.Tensor) for k in PARAMS):
            fail(f"sgd_autograd returned {_kind(returned)}: it must return params")
        current["params"] = returned

    lines = _two_steps(step, lambda: [current["params"][k] for k in PARAMS], PARAMS, eta,
                       "autograd_grads_not_zeroed", g, returned_check=returned_check)
    return [f"sgd_autograd on parameters of sizes {_sizes_text(nx=nx, nh=nh, ny=ny)} (float64):"] + lines


# --- Part 3: torch.nn ---------------------------------------------------------------------------

def _linear_parameters(model, nx, nh, ny):
    """(W1, b1, W2, b2): the model's parameters of the shapes of Linear(nx, nh) and Linear(nh, ny),
    found by shape; None unless it has exactly those four."""
    parameters = list(model.parameters())
    wanted = [(nh, nx), (nh,), (ny, nh), (ny,)]
    shapes = [tuple(p.shape) for p in parameters]
    if len(parameters) != 4 or sorted(shapes) != sorted(wanted):
        return None
    return [parameters[shapes.index(shape)] for shape in wanted]


def _mlp(X, W1, b1, W2, b2, activation=torch.tanh):
    return activation(X @ W1.T + b1) @ W2.T + b2


MODEL_ACTIVATIONS = {"nn_sigmoid": torch.sigmoid, "nn_other_activation": torch.relu, "nn_no_activation": lambda z: z}
OTHER_ACTIVATIONS = {"Sigmoid", "ReLU", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Softplus", "Hardtanh", "ReLU6",
                     "PReLU", "Mish", "Softsign", "LogSigmoid", "Hardsigmoid", "Hardswish"}


def _check_model_computes(model, nx, nh, ny, g, call):
    """model(X) is Linear -> Tanh -> Linear of its own parameters, logits out, and gradients reach them.
    Values are compared on a float64 copy of the model, where rounding cannot blur a mistake."""
    if not isinstance(model, torch.nn.Module):
        fail(f"the model of {call} is {_kind(model)}, not a torch.nn.Module")
    if _linear_parameters(model, nx, nh, ny) is None:
        modules = [type(m).__name__ for m in model.modules()][1:]
        others = [m for m in modules if m in OTHER_ACTIVATIONS]
        mistakes = ["nn_sigmoid"] if "Sigmoid" in others else ["nn_other_activation"] if others and "Tanh" not in modules else []
        fail(f"the parameters of the model of {call} are not those of Linear({nx}, {nh}) and Linear({nh}, {ny}): "
             f"it has {', '.join(str(tuple(p.shape)) for p in model.parameters()) or 'none'} "
             f"(its modules: {', '.join(modules) or 'none'})", *mistakes)
    N = int(torch.randint(3, 10, (1,), generator=g))
    X = torch.randn(N, nx, generator=g)
    logits = _call(model, "model", (X,), f"model(X) for the model of {call}")
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (N, ny) or logits.dtype != X.dtype:
        fail(f"model(X) is {_kind(logits)}, expected float32 logits of shape ({N}, {ny})")
    try:
        model, X, tol = copy.deepcopy(model).double(), X.double(), 1e-9
    except Exception:  # noqa: BLE001 - a model that cannot be copied is compared in float32
        tol = 1e-3
    weights = _linear_parameters(model, nx, nh, ny)
    logits = _call(model, "model", (X,), f"model(X) for the model of {call}")
    with torch.no_grad():
        W = [w.detach() for w in weights]
        expected = _mlp(X, *W)
        if not close(logits, expected, tol):
            mistakes = [m for m, act in MODEL_ACTIVATIONS.items() if close(logits, _mlp(X, *W, act), tol)][:1]
            if not mistakes and (close(logits, torch.softmax(expected, 1), tol)
                                 or close(logits, torch.log_softmax(expected, 1), tol)):
                mistakes = ["nn_softmax_in_model"]
            fail(f"model(X) is not Linear({nx}, {nh}) -> Tanh -> Linear({nh}, {ny}) of the model's own parameters, "
                 f"logits out: max relative error {rel_error(logits, expected):.2g}", *mistakes)
    G = torch.randn(N, ny, generator=g, dtype=X.dtype)
    got = torch.autograd.grad((logits * G).sum(), weights, allow_unused=True)
    want = torch.autograd.grad((_mlp(X, *weights) * G).sum(), weights)
    if any(a is None or not close(a, b, tol) for a, b in zip(got, want)):
        fail("a backward pass through model(X) does not give its parameters the gradients of the network: "
             "does the model compute with its own parameters?")


def _check_cross_entropy(loss, g, call):
    N, ny = _sizes(g, 2, 3, 8)
    logits = 3 * torch.randn(N, ny, generator=g)
    Y = _one_hot(g, N, ny, torch.float32)
    expected = float(torch.nn.functional.cross_entropy(logits.double(), Y.argmax(1)))
    values = []
    for target in (Y.argmax(1), Y):
        try:
            values.append(_scalar(loss(logits, target)))
        except Exception:  # noqa: BLE001 - a loss that takes only one of the two target forms
            values.append(None)
    if not any(v is not None and abs(v - expected) < 1e-5 * max(1.0, expected) for v in values):
        summed = any(v is not None and abs(v - N * expected) < 1e-5 * max(1.0, N * expected) for v in values)
        fail(f"the loss of {call} ({type(loss).__name__}) does not give the mean cross-entropy of logits "
             f"({expected:.4f} for a batch of {N} where it gives {next((v for v in values if v is not None), float('nan')):.4f})",
             "nn_loss_summed" if summed else "nn_wrong_loss")


@public_check
def check_init_model(init_model):
    g = _generator()
    nx, nh, ny = _sizes(g, 3, 2, 9)
    call = f"init_model({nx}, {nh}, {ny})"
    model, loss = _pair(_call(init_model, "init_model", (nx, nh, ny), call), "init_model", "model", "loss")
    _check_model_computes(model, nx, nh, ny, g, call)
    if isinstance(loss, type):
        fail(f"the loss of {call} is the class {loss.__name__}, not a loss object", "nn_loss_class")
    if not callable(loss):
        fail(f"the loss of {call} is {_kind(loss)}, not callable")
    _check_cross_entropy(loss, g, call)
    return [f"✓ {call}: the model maps X to logits through Linear({nx}, {nh}) -> Tanh -> Linear({nh}, {ny}) of its "
            "own parameters (values and gradients); the loss is the mean cross-entropy of logits"]


@public_check
def check_loss_accuracy_nn(loss_accuracy_nn):
    g = _generator()
    lines = []
    for _ in range(2):
        N, ny = _sizes(g, 2, 3, 9)
        while True:
            Y = _one_hot(g, N, ny, torch.float32)
            logits = 2 * torch.randn(N, ny, generator=g) + 2 * Y
            right = int((logits.argmax(1) == Y.argmax(1)).sum())
            if 0 < right < N:
                break
        logits.requires_grad_(True)
        label = f"a batch of {N} rows and {ny} classes"
        L, acc = _pair(_call(loss_accuracy_nn, "loss_accuracy_nn", (torch.nn.CrossEntropyLoss(), logits, Y),
                             f"loss_accuracy_nn(loss, Ytilde, Y) ({label})"), "loss_accuracy_nn", "L", "acc")
        reference = logits.detach().clone().requires_grad_(True)
        expected_L = torch.nn.functional.cross_entropy(reference, Y.argmax(1))
        (expected_grad,) = torch.autograd.grad(expected_L, reference)
        value, expected_value = _scalar(L), float(expected_L.detach())
        if value is None or abs(value - expected_value) > 1e-5 * max(1.0, expected_value):
            softmaxed = float(torch.nn.functional.cross_entropy(torch.softmax(logits.detach(), 1), Y.argmax(1)))
            mistakes = ["nn_softmax_before_loss"] if value is not None and abs(value - softmaxed) < 1e-5 else []
            fail(f"L ({label}) is {value if value is not None else _kind(L)}; the mean cross-entropy of the logits "
                 f"is {expected_value:.5g}", *mistakes)
        if not isinstance(L, torch.Tensor):
            fail(f"L ({label}) has the right value but is {_kind(L)}, not a tensor", "nn_loss_not_tensor")
        try:
            L.backward()
            grad = logits.grad
        except Exception as e:  # noqa: BLE001 - a loss autograd cannot differentiate
            fail(f"L.backward() raised {_describe_error(e)}: L must be differentiable (the training loop calls "
                 "L.backward())", "nn_loss_not_differentiable")
        if grad is None or not within(grad, expected_grad, 1.0 / N, 1e-5):
            fail("L.backward() does not give the logits the gradient of the mean cross-entropy"
                 + ("; it gave them none" if grad is None else ""), "nn_loss_not_differentiable")
        accuracy = _scalar(acc)
        if accuracy is None or abs(accuracy - right / N) > 1e-6:
            mistakes = ["nn_accuracy_percent"] if accuracy is not None and abs(accuracy - 100 * right / N) < 1e-4 else []
            fail(f"acc ({label}) is {accuracy if accuracy is not None else _kind(acc)}; {right} of the {N} rows have "
                 f"their largest logit on the true class, so the accuracy is {right / N:.4g}", *mistakes)
        lines.append(f"✓ loss_accuracy_nn on {label}: L = {value:.4f}, the mean cross-entropy, differentiable "
                     f"(L.backward() reaches the logits); acc = {accuracy:.4g}")
    return lines


@public_check
def check_sgd_nn(sgd_nn):
    g = _generator()
    nx, nh, ny = _sizes(g, 3, 2, 9)
    eta = round(float(torch.empty(1).uniform_(0.05, 0.9, generator=g)), 3)
    model = torch.nn.Sequential(torch.nn.Linear(nx, nh), torch.nn.Tanh(), torch.nn.Linear(nh, ny))

    def step():
        return _call(sgd_nn, "sgd_nn", (model, eta), f"sgd_nn(model, {eta})")

    lines = _two_steps(step, lambda: list(model.parameters()), NN_PARAMS, eta, "nn_grads_not_zeroed", g,
                       ignores_eta="sgd_nn_ignores_eta")
    return [f"sgd_nn on Linear({nx}, {nh}) -> Tanh -> Linear({nh}, {ny}):"] + lines


# --- Part 4: torch.optim ------------------------------------------------------------------------

@public_check
def check_init_model_optim(init_model_optim):
    g = _generator()
    nx, nh, ny = _sizes(g, 3, 2, 9)
    eta = round(float(torch.empty(1).uniform_(0.01, 0.5, generator=g)), 4)
    call = f"init_model_optim({nx}, {nh}, {ny}, {eta})"
    result = _call(init_model_optim, "init_model_optim", (nx, nh, ny, eta), call)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        fail(f"init_model_optim must return (model, loss, optim); it returned {_kind(result)}")
    model, loss, optim = result
    if not isinstance(model, torch.nn.Module):
        fail(f"the model of {call} is {_kind(model)}, not a torch.nn.Module")
    if not isinstance(optim, torch.optim.Optimizer):
        fail(f"the optimizer of {call} is {_kind(optim)}, not a torch.optim.Optimizer")
    parameters = list(model.parameters())
    if not parameters:
        fail(f"the model of {call} has no parameters")
    lrs = [g_.get("lr") for g_ in optim.param_groups]
    settings = "".join(f", {name} {values}" for name in ("momentum", "weight_decay")
                       if any(values := [g_.get(name) for g_ in optim.param_groups]))
    # In float64 from large weights, to 1e-9: plain SGD is exact there to ~1e-16, and any setting that
    # changes the step (momentum, weight decay, even 1e-4) shows, at every run of the check.
    model.double()
    with torch.no_grad():
        for p in parameters:
            p.copy_(30 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    for step in (1, 2, 3):
        before = [p.detach().clone() for p in parameters]
        G = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in parameters]
        optim.zero_grad()
        _backward_with(parameters, G)
        _call(optim.step, "optim.step", (), "optim.step()")
        after = [p.detach() for p in parameters]
        if step == 1 and all(torch.equal(a, b) for a, b in zip(after, before)):
            fail("optim.step() does not move the model's parameters: the optimizer must hold exactly "
                 "model.parameters()", "optim_wrong_parameters")
        if not all(is_step(a, b, grad, eta, 1e-9) for a, b, grad in zip(after, before, G)):
            ignores = step == 1 and any(isinstance(lr, (int, float)) and abs(lr - eta) > 1e-12 for lr in lrs)
            fail(f"step {step} of optim is not p - eta * p.grad with eta = {eta} (plain SGD, lr = eta); it is "
                 f"{type(optim).__name__} with lr {lrs}{settings}" + ("" if step == 1 else " (momentum?)"),
                 "optim_ignores_eta" if ignores else "optim_not_sgd")
    return [f"✓ {call}: a torch.nn.Module and an optimizer whose steps are p - eta * p.grad on the model's "
            f"parameters (three steps in a row, in float64 from large weights: plain SGD, lr = {eta})"]


# --- Part 5: MNIST ------------------------------------------------------------------------------

HPARAM_KEYS = contract.HPARAM_KEYS


def mnist_seconds(nh, batch_size, epochs):
    """The grader's estimate of the CPU seconds its MNIST training takes (the contract's cost model)."""
    return contract.mnist_seconds(contract.MNIST_TRAIN_SIZE, contract.MNIST_INPUTS, nh, batch_size, epochs)


def valid_mnist_hparams(values):
    """MNIST_HPARAMS as numbers, with the grader's estimate of its training time; or PublicCheckFailed."""
    if not isinstance(values, dict):
        fail(f"MNIST_HPARAMS is {_kind(values)}, not a dict of nh, eta, batch_size, epochs")
    missing = [k for k in HPARAM_KEYS if k not in values]
    if missing:
        fail(f"MNIST_HPARAMS has no {', '.join(map(repr, missing))}")
    hp = {}
    for k in HPARAM_KEYS:
        v = values[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            fail(f"MNIST_HPARAMS[{k!r}] is {_kind(v)}: every value must be a number")
        hp[k] = float(v)
    for k in ("nh", "batch_size", "epochs"):
        if hp[k] != int(hp[k]) or hp[k] < 1:
            fail(f"MNIST_HPARAMS[{k!r}] must be a positive integer, it is {hp[k]:g}")
        hp[k] = int(hp[k])
    if not 0 < hp["eta"] < 100:
        fail(f"MNIST_HPARAMS['eta'] must be a positive learning rate, it is {hp['eta']:g}")
    budget = contract.MNIST_MAX_SECONDS
    seconds = mnist_seconds(hp["nh"], hp["batch_size"], hp["epochs"])
    if seconds > budget:
        fail(f"nh = {hp['nh']}, batch_size = {hp['batch_size']} and {hp['epochs']} epochs need about {seconds:.0f} s "
             f"of CPU by the grader's estimate, more than its budget of {budget:.0f} s for MNIST (the kit's reference "
             "choice, nh = 100, batches of 32 and 15 epochs, needs about 1 s)", "mnist_over_budget")
    return hp, seconds


@public_check
def check_mnist_hparams(MNIST_HPARAMS):
    hp, seconds = valid_mnist_hparams(MNIST_HPARAMS)
    budget = contract.MNIST_MAX_SECONDS
    return [f"✓ MNIST_HPARAMS = {hp}: the grader estimates its training at {seconds:.1f} s of CPU (its budget: "
            f"{budget:.0f} s)"]


def train_mnist(init_model_optim, loss_accuracy_nn, hp, X, Y, generator, max_updates=None, max_cpu_seconds=None):
    """The grader's MNIST training with MNIST_HPARAMS hp (training.mnist_step, as the grader's probe):
    per epoch, mini-batches in a new random order, L = loss_accuracy_nn(loss, model(X_batch), Y_batch),
    L.backward(), then the grader's plain SGD (lr = eta) on the model's parameters. Stops after
    `max_updates`, or once it has used `max_cpu_seconds` of this process's CPU (None: no limit).
    Returns (model, batch losses, updates done, updates in all, whether the model's parameters moved)."""
    result = _call(init_model_optim, "init_model_optim", (X.shape[1], hp["nh"], Y.shape[1], hp["eta"]),
                   f"init_model_optim({X.shape[1]}, {hp['nh']}, {Y.shape[1]}, {hp['eta']})")
    model, loss, optim = result if isinstance(result, (tuple, list)) and len(result) == 3 else (None, None, None)
    if not isinstance(model, torch.nn.Module) or not isinstance(optim, torch.optim.Optimizer):
        fail("init_model_optim must return (model, loss, optim), a torch.nn.Module and a torch.optim.Optimizer; "
             f"it returned {_kind(result)}")
    per_epoch = -(-X.shape[0] // hp["batch_size"])
    total, losses = per_epoch * hp["epochs"], []
    initial = [p.detach().clone() for p in model.parameters()]
    start = time.process_time()
    stepped = [p for p in model.parameters() if isinstance(p, torch.Tensor)]
    for epoch in range(hp["epochs"]):
        for idx in epoch_batches(X.shape[0], hp["batch_size"], generator):
            L = mnist_step(model, loss, loss_accuracy_nn, stepped, X.index_select(0, idx), Y.index_select(0, idx),
                           hp["eta"], call=_call, pair=_pair, where=f" (epoch {epoch + 1})")
            losses.append(float(L.detach()))
            if (not math.isfinite(losses[-1]) or (max_updates is not None and len(losses) >= max_updates)
                    or (max_cpu_seconds is not None and time.process_time() - start > max_cpu_seconds)):
                return model, losses, len(losses), total, _moved(model, initial)
    return model, losses, len(losses), total, _moved(model, initial)


def _moved(model, initial):
    """Whether training changed any of the model's parameters."""
    return any(not torch.equal(p.detach(), q) for p, q in zip(model.parameters(), initial))


def _mnist_prerequisites(init_model_optim, loss_accuracy_nn):
    """The MNIST training uses init_model_optim's model and loss (init_model's) and loss_accuracy_nn:
    they must pass their checks first, or a failed training would be blamed on MNIST_HPARAMS."""
    g = _generator()

    def model_and_loss():
        nx, nh, ny = _sizes(g, 3, 2, 9)
        call = f"init_model_optim({nx}, {nh}, {ny}, 0.1)"
        model, loss, _ = _call(init_model_optim, "init_model_optim", (nx, nh, ny, 0.1), call)
        _check_model_computes(model, nx, nh, ny, g, call)
        if isinstance(loss, type):
            fail(f"the loss of {call} is the class {loss.__name__}, not a loss object", "nn_loss_class")
        _check_cross_entropy(loss, g, call)
    for name, check in (("init_model_optim", lambda: check_init_model_optim(init_model_optim, quiet=True)),
                        ("init_model", model_and_loss),
                        ("loss_accuracy_nn", lambda: check_loss_accuracy_nn(loss_accuracy_nn, quiet=True))):
        try:
            check()
        except PublicCheckFailed as e:
            fail(f"{name} fails its check: fix that first, the MNIST training uses it ({e.problem.splitlines()[0]})",
                 *e.mistakes)


@public_check
def check_mnist_accuracy(init_model_optim, loss_accuracy_nn, MNIST_HPARAMS, mnist=None, seconds=MNIST_CHECK_SECONDS):
    _mnist_prerequisites(init_model_optim, loss_accuracy_nn)
    hp, estimate = valid_mnist_hparams(MNIST_HPARAMS)
    if not all(hasattr(mnist, a) for a in ("Xtrain", "Ytrain", "Xtest", "Ytest")):
        from .mnist import MNISTData

        mnist = MNISTData()
    # as many updates as the grader's cost model puts in `seconds` (a count, not a clock: the same
    # updates on a busy machine as on an idle one), within ten times that of CPU on a slow machine
    per_update = mnist_seconds(hp["nh"], hp["batch_size"], 1) / -(-mnist.Xtrain.shape[0] // hp["batch_size"])
    model, losses, done, total, moved = train_mnist(init_model_optim, loss_accuracy_nn, hp, mnist.Xtrain, mnist.Ytrain,
                                                    _generator(), max(1, int(seconds / per_update)), 10 * seconds)
    window = max(1, min(20, len(losses) // 5))
    first, last = float(np.mean(losses[:window])), float(np.mean(losses[-window:]))
    if not math.isfinite(losses[-1]) or last > 2 * math.log(10):
        fail(f"with MNIST_HPARAMS the training loss grows or becomes NaN: {first:.3f} over the first updates, "
             f"{losses[-1]:.3g} after {done}", "mnist_diverged")
    if not moved:
        fail(f"the model's parameters did not move in {done} updates of the training (loss {first:.3f} -> {last:.3f}): "
             "the grader's SGD steps them along their gradients, and none reached them. Is the loss computed from "
             "the model's output, without .detach() or a copy?")
    with torch.no_grad():
        scores = model(mnist.Xtest)
    accuracy = float((scores.argmax(1) == mnist.Ytest.argmax(1)).double().mean())
    thresholds = parameters()["thresholds"]["mnist_accuracy"]
    needs = (f"the grader trains all {total} updates ({hp['epochs']} epochs, about {estimate:.1f} s of CPU by its "
             f"estimate) and needs {thresholds['full']:.2f} on digits it holds out for full points "
             f"({thresholds['half']:.2f} for half)")
    trained = (f"trained your init_model_optim and loss_accuracy_nn with MNIST_HPARAMS on the notebook's "
               f"{mnist.Xtrain.shape[0]} training digits")
    if done == total:
        text = (f"{trained}, all {total} updates: loss {first:.3f} -> {last:.3f}, accuracy {accuracy:.3f} on the "
                f"{mnist.Xtest.shape[0]} test digits; {needs}")
        if accuracy < thresholds["full"]:
            fail(text, *(["mnist_underfit"] if last > parameters()["mnist"]["underfit_loss"] else []))
        return ["✓ " + text]
    so_far = (f"{trained}, the first {done} of {total} updates ({100 * done / total:.0f} %, what the grader's "
              f"estimate fits in this check's {seconds} s): loss {first:.3f} -> {last:.3f}, accuracy {accuracy:.3f} on "
              f"the {mnist.Xtest.shape[0]} test digits so far; {needs}")
    if accuracy < thresholds["full"]:
        # a slow start may still end well, or not: the check cannot tell, and says so rather than ✓
        return [f"⚠ not conclusive: {so_far}. Below {thresholds['full']:.2f} so far: run the notebook's MNIST "
                "training (train_on_mnist) to see where the whole run ends"]
    return [f"✓ {so_far}"]


# --- Part 6: SVM --------------------------------------------------------------------------------

def _final_estimator(clf):
    """The estimator that decides, through searches and pipelines."""
    for _ in range(10):
        if hasattr(clf, "best_estimator_"):
            clf = clf.best_estimator_
        elif hasattr(clf, "steps") and isinstance(clf.steps, list) and clf.steps:
            clf = clf.steps[-1][1]
        else:
            break
    return clf


GRADED_KERNELS = ("linear", "rbf", "poly", "sigmoid")
GRADED_STEPS = ("StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "PolynomialFeatures")


def _ungradable(clf):
    """(problem, mistakes) when the grader cannot compute the classifier's predictions itself (it
    evaluates SVC or NuSVC with a named kernel, or a linear model, after scalers or PolynomialFeatures
    in a Pipeline, or a search's best estimator: autograder/checks/accuracy.py); else ("", [])."""
    before = []
    for _ in range(10):
        if hasattr(clf, "best_estimator_"):
            clf = clf.best_estimator_
        elif hasattr(clf, "steps") and isinstance(clf.steps, list) and clf.steps:
            inner = [step for _, step in clf.steps if step not in (None, "passthrough")]
            before += inner[:-1]
            clf = inner[-1]
        else:
            break
    others = [type(step).__name__ for step in before if type(step).__name__ not in GRADED_STEPS]
    if others:
        return (f"the classifier fit_svm returned has a {others[0]} before its estimator: the grader computes the "
                f"predictions itself and evaluates only {', '.join(GRADED_STEPS)} there", [])
    if type(clf).__name__ in ("SVC", "NuSVC"):
        if not isinstance(clf.kernel, str):
            return ("the SVM fit_svm returned has a kernel function of its own (a callable): the grader computes "
                    "the predictions itself from the SVM's numbers and cannot run it; use a named kernel ("
                    + ", ".join(GRADED_KERNELS) + ")", ["svm_callable_kernel"])
        if clf.kernel not in GRADED_KERNELS:
            return (f"the SVM fit_svm returned has the kernel {clf.kernel!r}: the grader evaluates the named kernels "
                    + ", ".join(GRADED_KERNELS), [])
    elif not (hasattr(clf, "coef_") and hasattr(clf, "intercept_")):
        return (f"fit_svm returned a {type(clf).__name__}: the grader computes the predictions itself, and evaluates "
                "SVC or NuSVC with a named kernel, or a linear model", [])
    return "", []


@public_check
def check_fit_svm(fit_svm):
    from .circles import draw_circles

    data = _circles()
    X, y = data.Xtrain.numpy(), data.Ytrain.argmax(1).numpy()
    clf = _call(fit_svm, "fit_svm", (X.copy(), y.copy()), "fit_svm(X, y) on the notebook's training set")
    if not callable(getattr(clf, "predict", None)):
        fail(f"fit_svm returned {_kind(clf)}: it must return a fitted scikit-learn classifier")
    problem, mistakes = _ungradable(clf)
    if problem:
        fail(problem, *mistakes)
    hp, thresholds = parameters()["circles"], parameters()["thresholds"]["fit_svm"]
    X_fresh, y_fresh = draw_circles(hp["test_points"] // 2, secrets.randbits(62))
    try:
        fresh = float((np.asarray(clf.predict(X_fresh)) == y_fresh).mean())
        test = float((np.asarray(clf.predict(data.Xtest.numpy())) == data.Ytest.argmax(1).numpy()).mean())
    except Exception as e:  # noqa: BLE001 - the classifier cannot predict
        fail(f"the classifier fit_svm returned cannot predict: {_describe_error(e)}")
    text = (f"fit_svm fitted on the notebook's training set: accuracy {test:.3f} on its test set, {fresh:.3f} on "
            f"{len(y_fresh)} fresh Circles points; the grader measures the same on its own hidden draw and needs "
            f"{thresholds['full']:.2f} for full points ({thresholds['half']:.2f} for half)")
    if fresh >= thresholds["full"]:
        return ["✓ " + text]
    final = _final_estimator(clf)
    kernel, degree, coef0 = getattr(final, "kernel", None), getattr(final, "degree", 3), getattr(final, "coef0", 0.0)
    linear = kernel == "linear" or type(final).__name__ in ("LinearSVC", "LogisticRegression", "SGDClassifier")
    odd = kernel == "poly" and isinstance(degree, (int, float)) and degree % 2 == 1 and coef0 == 0
    fail(text, *(["svm_linear_kernel"] if linear else ["svm_poly_odd_degree"] if odd else []))
