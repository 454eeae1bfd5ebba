"""Parts 2 to 4, the torch API: the probes of init_params_autograd, sgd_autograd (autograd), init_model,
loss_accuracy_nn, sgd_nn (torch.nn) and init_model_optim (torch.optim)."""

import warnings

import torch
import torch.nn as nn
from tp1_support.contract import PARAM_NAMES

from .record import (MAX_RECORDED_PARAMETERS, _backward_with, each_case, get_function, put, put_dict, short_error,
                     tensor, unpack_pair)


def _contract_init_params(nx, nh, ny):
    """What the contract's init_params returns: float32 tensors, N(0, 0.3^2) weights, zero biases."""
    return {"Wh": 0.3 * torch.randn(nh, nx), "bh": torch.zeros(1, nh), "Wy": 0.3 * torch.randn(ny, nh),
            "by": torch.zeros(1, ny)}


def _calling_init_params(ns, f, sizes, meta, tag):
    """f(*sizes), recording whether it called the notebook's init_params (meta[tag.calls_init_params]).
    When it raised after calling it, it is called again with the contract's init_params in its place:
    if it then works, what it returns is its answer and meta[tag.raised_with_init_params] the first
    error (a mistake of init_params is charged on init_params, not here)."""
    own = ns.get("init_params")
    if not callable(own):
        return f(*sizes)
    calls = []

    def recorded(*args, **kwargs):
        calls.append(True)
        return own(*args, **kwargs)
    ns["init_params"] = recorded
    try:
        try:
            return f(*sizes)
        except Exception as e:  # noqa: BLE001 - student code: see whether init_params's output caused it
            if not calls:
                raise
            first = e
        ns["init_params"] = _contract_init_params
        try:
            P = f(*sizes)
        except Exception:  # noqa: BLE001 - it fails on its own: the first error is the answer
            raise first from None
        meta[f"{tag}.raised_with_init_params"] = short_error(first)
        return P
    finally:
        ns["init_params"] = own
        meta[f"{tag}.calls_init_params"] = bool(calls)


def probe_init_params_autograd(ns, inputs, params, arrays, meta):
    """Record the parameters, and what autograd does with each: whether a backward through it works
    (it requires a gradient) and whether the gradient lands in its .grad (it is a leaf)."""
    f = get_function(ns, "init_params_autograd")
    for tag, sizes in params["calls"].items():
        P = _calling_init_params(ns, f, sizes, meta, tag)
        put_dict(arrays, meta, tag, P, PARAM_NAMES)
        if not isinstance(P, dict) or tag == "big":
            continue
        for name in PARAM_NAMES:
            p = P.get(name)
            if not isinstance(p, torch.Tensor):
                continue
            try:
                (p * torch.full_like(p, 0.5)).sum().backward()
                meta[f"{tag}.{name}.backward_ok"] = True
            except Exception as e:  # noqa: BLE001 - a tensor that does not require a gradient
                meta[f"{tag}.{name}.backward_ok"] = False
                meta[f"{tag}.{name}.backward_error"] = short_error(e)
                continue
            with warnings.catch_warnings():  # .grad of a non-leaf tensor warns, and is None
                warnings.simplefilter("ignore")
                grad = p.grad
            if grad is not None:
                put(arrays, meta, f"{tag}.{name}.grad", grad)



def probe_sgd_autograd(ns, inputs, params, arrays, meta):
    f = get_function(ns, "sgd_autograd")
    P = {name: tensor(inputs[name]).requires_grad_(True) for name in PARAM_NAMES}
    for step in (1, 2):
        G = [tensor(inputs[f"grad{step}_{name}"]) for name in PARAM_NAMES]
        try:
            _backward_with([P[name] for name in PARAM_NAMES], G)
            returned = f(P, float(inputs["eta"]))
        except Exception as e:  # noqa: BLE001 - the second step fails when the first broke the parameters
            if step == 1:
                raise
            meta[f"step{step}.error"] = short_error(e)
            break
        meta[f"step{step}.returned_dict"] = isinstance(returned, dict)
        # The notebook's loop does `params = sgd_autograd(params, ETA)`: what is returned is what trains next.
        meta[f"step{step}.returned_params"] = isinstance(returned, dict) and all(
            isinstance(returned.get(n), torch.Tensor) for n in PARAM_NAMES)
        if isinstance(returned, dict):
            P = returned
        put_dict(arrays, meta, f"step{step}.params", P, PARAM_NAMES)
        if not isinstance(P, dict):
            break
        for name in PARAM_NAMES:
            g = P[name].grad if isinstance(P.get(name), torch.Tensor) else None
            meta[f"step{step}.grad_{name}_is_none"] = g is None
            if g is not None:
                put(arrays, meta, f"step{step}.grad_{name}", g)


# --- Part 3 -----------------------------------------------------------------------------------

def _modules(model):
    return [type(m).__name__ for m in model.modules()][:50]


def _record_parameters(model, arrays, meta, prefix="param"):
    named = list(model.named_parameters())[:MAX_RECORDED_PARAMETERS]
    meta[f"{prefix}_names"] = [name[:80] for name, _ in named]
    meta[f"{prefix}_count"] = len(list(model.parameters()))
    for i, (_, p) in enumerate(named):
        put(arrays, meta, f"{prefix}{i}", p)
    return [p for _, p in named]


def probe_init_model(ns, inputs, params, arrays, meta):
    """The model's logits on the grader's X and, through a real backward of sum(logits * G), the
    gradient each parameter receives: the grader checks the model computes Linear -> Tanh -> Linear of
    its own parameters, however it is written."""
    f = get_function(ns, "init_model")
    model, loss = unpack_pair(f(*params["sizes"]), "init_model")
    meta["model_type"] = type(model).__name__
    meta["is_module"] = isinstance(model, nn.Module)
    meta["loss_type"] = type(loss).__name__
    if isinstance(model, nn.Module):
        meta["modules"] = _modules(model)
        parameters = _record_parameters(model, arrays, meta)
        logits = model(tensor(inputs["X"]))
        put(arrays, meta, "logits", logits)
        if isinstance(logits, torch.Tensor) and logits.shape == tuple(inputs["G"].shape):
            try:
                model.zero_grad(set_to_none=True)
                (logits * tensor(inputs["G"])).sum().backward()
                for i, p in enumerate(parameters):
                    if p.grad is not None:
                        put(arrays, meta, f"grad{i}", p.grad)
            except Exception as e:  # noqa: BLE001 - logits that autograd cannot differentiate
                meta["backward_error"] = short_error(e)
    logits, Y = tensor(inputs["logits_in"]), tensor(inputs["Y"])
    for tag, target in (("indices", Y.argmax(1)), ("onehot", Y)):
        try:
            put(arrays, meta, f"loss_{tag}", loss(logits, target))
        except Exception as e:  # noqa: BLE001 - either target form is acceptable
            meta[f"loss_{tag}_error"] = short_error(e)


def probe_loss_accuracy_nn(ns, inputs, params, arrays, meta):
    """L and acc, and the gradient a backward of L puts on the logits (L must be differentiable:
    the training loop calls L.backward())."""
    f = get_function(ns, "loss_accuracy_nn")

    def call(case):
        logits = tensor(inputs[f"{case}.Ytilde"]).requires_grad_(True)
        L, acc = unpack_pair(f(nn.CrossEntropyLoss(), logits, tensor(inputs[f"{case}.Y"])), "loss_accuracy_nn")
        put(arrays, meta, f"{case}.L", L)
        put(arrays, meta, f"{case}.acc", acc)
        if isinstance(L, torch.Tensor):
            try:
                L.backward()
                if logits.grad is not None:
                    put(arrays, meta, f"{case}.dlogits", logits.grad)
            except Exception as e:  # noqa: BLE001 - a loss autograd cannot differentiate
                meta[f"{case}.backward_error"] = short_error(e)
    each_case(params["cases"], meta, call)


def _mlp(weights):
    nh, nx = weights["W1"].shape
    ny = weights["W2"].shape[0]
    model = nn.Sequential(nn.Linear(nx, nh), nn.Tanh(), nn.Linear(nh, ny))
    with torch.no_grad():
        for p, name in zip(model.parameters(), ("W1", "b1", "W2", "b2")):
            p.copy_(tensor(weights[name]))
    return model


def probe_sgd_nn(ns, inputs, params, arrays, meta):
    f = get_function(ns, "sgd_nn")
    model = _mlp(inputs)
    for step in (1, 2):
        G = [tensor(inputs[f"grad{step}_{name}"]) for name in ("W1", "b1", "W2", "b2")]
        _backward_with(list(model.parameters()), G)
        f(model, float(inputs["eta"]))
        for i, p in enumerate(model.parameters()):
            put(arrays, meta, f"step{step}.param{i}", p)
            meta[f"step{step}.grad{i}_is_none"] = p.grad is None
            if p.grad is not None:
                put(arrays, meta, f"step{step}.grad{i}", p.grad)


# --- Part 4 -----------------------------------------------------------------------------------

OPTIM_STEPS = (1, 2, 3)


def probe_init_model_optim(ns, inputs, params, arrays, meta):
    f = get_function(ns, "init_model_optim")
    result = f(*params["sizes"], float(inputs["eta"]))
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise TypeError(f"init_model_optim must return (model, loss, optim), it returned {type(result).__name__}")
    model, loss, optim = result
    meta["model_type"], meta["optim_type"] = type(model).__name__, type(optim).__name__
    meta["is_module"] = isinstance(model, nn.Module)
    meta["is_optimizer"] = isinstance(optim, torch.optim.Optimizer)
    meta["is_sgd"] = isinstance(optim, torch.optim.SGD)
    if not (meta["is_module"] and meta["is_optimizer"]):
        return
    meta["modules"] = _modules(model)
    groups = optim.param_groups
    meta["lr"] = [float(g.get("lr", float("nan"))) for g in groups][:10]
    meta["momentum"] = [float(g.get("momentum", 0.0) or 0.0) for g in groups][:10]
    meta["weight_decay"] = [float(g.get("weight_decay", 0.0) or 0.0) for g in groups][:10]
    model_ids = {id(p) for p in model.parameters()}
    optim_ids = {id(p) for g in groups for p in g["params"]}
    meta["optimizes_model_parameters"] = model_ids == optim_ids
    parameters = list(model.parameters())[:MAX_RECORDED_PARAMETERS]
    # Steps in float64 from large weights, where the optimizer's settings show (a weight decay of
    # 1e-4 moves a weight of 30 by 30 * eta * 1e-4 more than plain SGD): the grader judges them to 1e-9.
    model.double()
    with torch.no_grad():
        for i, p in enumerate(parameters):
            start = inputs.get(f"start_{i}")
            if start is not None and tuple(start.shape) == tuple(p.shape) and p.dtype == torch.float64:
                p.copy_(tensor(start))
    for step in OPTIM_STEPS:
        for i, p in enumerate(parameters):
            put(arrays, meta, f"step{step}.before{i}", p)
        G = [tensor(inputs[f"grad{step}_{i}"]).to(p.dtype) if f"grad{step}_{i}" in inputs
             and tuple(inputs[f"grad{step}_{i}"].shape) == tuple(p.shape) else torch.zeros_like(p)
             for i, p in enumerate(parameters)]
        optim.zero_grad()
        _backward_with(parameters, G)
        for i, g in enumerate(G):
            arrays[f"step{step}.applied_grad{i}"] = g.detach().numpy().copy()
        optim.step()
        for i, p in enumerate(parameters):
            put(arrays, meta, f"step{step}.after{i}", p)
