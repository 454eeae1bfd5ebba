"""Part 1, by hand: the probes of init_params, forward, loss_accuracy, backward and sgd, and the
grader's training of the Part-1 functions on Circles (circles_accuracy)."""

import contextlib

import numpy as np
import torch
from tp1_support.autograd_guard import AutogradNotAllowed
from tp1_support.contract import OUTPUT_NAMES, PARAM_NAMES
from tp1_support.library_guard import LibraryBackpropNotAllowed
from tp1_support.training import epoch_batches, part1_step

from . import guards as _guards  # looked up at each call: another guard can join (tests)
from .record import (as_array, case_dict, each_case, get_function, mlp_logits, put, put_dict, short_error, tensor,
                     unpack_pair)


def probe_init_params(ns, inputs, params, arrays, meta, name="init_params"):
    f = get_function(ns, name)
    for tag, sizes in params["calls"].items():
        put_dict(arrays, meta, tag, f(*sizes), PARAM_NAMES)


def probe_forward(ns, inputs, params, arrays, meta):
    f = get_function(ns, "forward")

    def call(case):
        Yhat, outputs = unpack_pair(f(case_dict(inputs, case, PARAM_NAMES), tensor(inputs[f"{case}.X"])),
                                    "forward")
        put(arrays, meta, f"{case}.Yhat", Yhat)
        put_dict(arrays, meta, f"{case}.outputs", outputs, OUTPUT_NAMES)
    each_case(params["cases"], meta, call)


def probe_loss_accuracy(ns, inputs, params, arrays, meta):
    f = get_function(ns, "loss_accuracy")

    def call(case):
        L, acc = unpack_pair(f(tensor(inputs[f"{case}.Yhat"]), tensor(inputs[f"{case}.Y"])), "loss_accuracy")
        put(arrays, meta, f"{case}.L", L)
        put(arrays, meta, f"{case}.acc", acc)
    each_case(params["cases"], meta, call)


def probe_backward(ns, inputs, params, arrays, meta):
    f = get_function(ns, "backward")

    def call(case):
        try:
            with contextlib.ExitStack() as guards:
                for guard in _guards.backward_guards():
                    guards.enter_context(guard)
                grads = f(case_dict(inputs, case, PARAM_NAMES), case_dict(inputs, case, OUTPUT_NAMES),
                          tensor(inputs[f"{case}.Y"]))
        except AutogradNotAllowed as e:
            meta[f"{case}.autograd_blocked"] = short_error(e)
            return
        except LibraryBackpropNotAllowed as e:
            meta[f"{case}.library_blocked"] = str(e)[:300]
            return
        put_dict(arrays, meta, f"{case}.grads", grads, PARAM_NAMES)
    each_case(params["cases"], meta, call)


def probe_sgd(ns, inputs, params, arrays, meta):
    f = get_function(ns, "sgd")

    def call(case):
        P = case_dict(inputs, case, PARAM_NAMES)
        G = {name: tensor(inputs[f"{case}.grad_{name}"]) for name in PARAM_NAMES}
        returned = f(P, G, float(inputs[f"{case}.eta"]))
        meta[f"{case}.returned_none"] = returned is None
        if returned is not None:
            put_dict(arrays, meta, f"{case}.returned", returned, PARAM_NAMES)
        put_dict(arrays, meta, f"{case}.after", P, PARAM_NAMES)  # shows an in-place update
    each_case(params["cases"], meta, call)


_FLOATS = (torch.float32, torch.float64)


def _snapshot(P):
    """{name: float64 array} of the parameters, or None when P is not a dict of the four tensors."""
    if not isinstance(P, dict):
        return None
    out = {}
    for name in PARAM_NAMES:
        x = P.get(name)
        if isinstance(x, torch.Tensor) and x.dtype in _FLOATS:  # the common case, in one copy
            out[name] = x.detach().to("cpu", torch.float64, copy=True).numpy()
            continue
        a = as_array(x)
        if a is None:
            return None
        out[name] = a.astype(np.float64, copy=False)
    return out


class NotAStep(Exception):
    """sgd did not move the parameters along the gradients backward gave it."""


def _gradients(grads):
    """{name: float64 array} of the gradients backward returned (under the parameters' names, or
    names ending with them: dWh, grad_Wh), or None."""
    if isinstance(grads, dict) and not all(name in grads for name in PARAM_NAMES):
        renamed = {}
        for name in PARAM_NAMES:
            keys = [k for k in grads if isinstance(k, str) and k.lower().endswith(name.lower())]
            if len(keys) != 1:
                return None
            renamed[name] = grads[keys[0]]
        grads = renamed
    return _snapshot(grads)


def _check_step(before, G, after, eta):
    """During the Circles training, each step of sgd must move the parameters along the gradients
    backward returned: new = P - c * G for one number c (the contract's c is eta; a wrong learning
    rate, or a step up the gradient, is sgd's own mistake, charged on sgd). Weights that come from
    anywhere else (trained elsewhere, pasted in) end the run. G: _gradients() of what backward
    returned, taken before sgd ran."""
    new = _snapshot(after)
    if new is None:
        raise NotAStep("after a step the parameters are no longer a dict of tensors Wh, bh, Wy, by")
    if G is None:
        raise NotAStep("the gradients backward returned are not a dict of tensors Wh, bh, Wy, by: sgd cannot step "
                       "along them")
    deltas, gradients = [], []
    for name in PARAM_NAMES:
        p, g, n = before[name], G[name], new[name]
        if n.size != p.size or g.size != p.size:  # broadcasting mistakes: the contract's step itself
            with np.errstate(all="ignore"):
                expected = p - eta * g
            if expected.shape != n.shape or not np.allclose(n, expected, rtol=1e-4, atol=1e-6, equal_nan=True):
                raise NotAStep("sgd did not return p - eta * grad for the gradients backward gave it")
            continue
        deltas.append(n.reshape(-1) - p.reshape(-1))
        gradients.append(g.reshape(-1))
    if not deltas:
        return new
    with np.errstate(all="ignore"):
        delta, g = np.concatenate(deltas), np.concatenate(gradients)
        if np.any(np.isfinite(delta) & ~np.isfinite(g)):  # p - c * inf is not finite
            raise NotAStep("sgd moved parameters whose gradient is not finite to finite values")
        keep = np.isfinite(delta) & np.isfinite(g)  # a diverging training: its accuracy says so
        delta, g = delta[keep], g[keep]
        scale = max((float(np.max(np.abs(b[np.isfinite(b)]), initial=0.0)) for b in before.values()), default=0.0)
        gg = float(g @ g)
        c = -float(delta @ g) / gg if gg > 0 and np.isfinite(gg) else 0.0
        residual = float(np.max(np.abs(delta + c * g), initial=0.0))
        allowed = 1e-3 * float(np.max(np.abs(delta), initial=0.0)) + 1e-6 * max(scale, 1.0)
    if np.isfinite(residual) and residual > allowed:
        raise NotAStep("the parameters sgd returned are not p - eta * grad for the gradients backward gave it "
                       "(the step moved them elsewhere)")
    return new


def probe_circles_accuracy(ns, inputs, params, arrays, meta):
    """Train the student's forward, backward and sgd with the grader's loop and hyper-parameters, from
    the grader's initial parameters, up to `runs` times (stopping after a run that fits the training
    set or stays at chance). Records each run's parameters after every epoch: the grader computes the
    accuracies and the curves itself."""
    forward, backward, sgd = (get_function(ns, n) for n in ("forward", "backward", "sgd"))
    Xtrain, Ytrain = tensor(inputs["Xtrain"]), tensor(inputs["Ytrain"])
    labels = Ytrain.argmax(1)
    enough, hopeless = params.get("enough_train_accuracy"), params.get("hopeless_train_accuracy")
    for run in range(params.get("runs", 1)):
        P = {name: tensor(inputs[f"run{run}.{name}"]) for name in PARAM_NAMES}
        generator = torch.Generator().manual_seed(params["seed"] + run)
        trajectory = {name: [] for name in PARAM_NAMES}
        meta["runs_done"] = run + 1
        snap = None
        try:
            for _ in range(params["epochs"]):
                for idx in epoch_batches(Xtrain.shape[0], params["batch_size"], generator):
                    # The step is judged from the parameters as the last step left them: whatever moves them
                    # in between (forward, backward, a thread of the student's) is not a step along G.
                    before = snap if snap is not None else _snapshot(P)
                    if before is None:
                        raise TypeError("the parameters are no longer a dict of tensors Wh, bh, Wy, by")
                    P, given = part1_step(forward, backward, sgd, P, Xtrain.index_select(0, idx),
                                          Ytrain.index_select(0, idx), params["eta"], read_gradients=_gradients)
                    snap = _check_step(before, given, P, params["eta"])  # what is recorded is what was judged
                if snap is None or any(snap[n].shape != tuple(inputs[f"run{run}.{n}"].shape)
                                       and snap[n].size != inputs[f"run{run}.{n}"].size for n in PARAM_NAMES):
                    raise TypeError("after a step the parameters are no longer a dict of tensors Wh, bh, Wy, by "
                                    "of the right sizes")
                for name in PARAM_NAMES:
                    trajectory[name].append(snap[name].reshape(inputs[f"run{run}.{name}"].shape))
        except Exception as e:  # noqa: BLE001 - this run failed: say how, keep what the epochs before gave
            meta[f"run{run}.error"] = short_error(e)
        for name in PARAM_NAMES:
            if trajectory[name]:
                arrays[f"run{run}.{name}"] = np.stack(trajectory[name])
        if f"run{run}.error" in meta or not trajectory["Wh"]:
            break
        last = {name: torch.from_numpy(trajectory[name][-1]) for name in PARAM_NAMES}
        with torch.no_grad():
            train_accuracy = float((mlp_logits(last, Xtrain.double()).argmax(1) == labels).double().mean())
        if (enough is not None and train_accuracy >= enough) or (hopeless is not None and train_accuracy <= hopeless):
            break
