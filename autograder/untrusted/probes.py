"""Probes: call the student's functions on the grader's inputs and record what they return.

Runs INSIDE the sandbox, in a child process of its own per question (runner.py), started from the
state right after the notebook's definitions were made (no code of the notebook ran then). A probe
never knows the expected answer: it calls, converts what came back to plain arrays (`arrays`) and
describes it (`meta`). Once a student function has run, everything in this process is the
student's: what a probe records after that is the student's answer to this question and nothing
more, and the grader's checks (trusted, outside the sandbox) validate every value. Scores that need
more than a returned value (an accuracy, a training result) are computed on the trusted side from
the parameters the student's functions produced, on data that never enters the sandbox.
"""
import contextlib
import numbers
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
from tp1_support.autograd_guard import AutogradNotAllowed, autograd_refused
from tp1_support.contract import MAX_SUPPORT_VECTORS, OUTPUT_NAMES, PARAM_NAMES, mnist_seconds
from tp1_support.library_guard import LibraryBackpropNotAllowed, library_backprop_refused

MAX_RECORDED_PARAMETERS = 10


class Missing(Exception):
    """The notebook does not define what the question needs."""


def get(ns, name):
    if name not in ns:
        raise Missing(f"the notebook defines no {name!r}")
    return ns[name]


def get_function(ns, name):
    f = get(ns, name)
    if not callable(f):
        raise Missing(f"{name!r} is not a function (it is a {type(f).__name__})")
    return f


def tensor(a):
    return torch.from_numpy(np.array(a, copy=True))


def describe(x):
    d = {"type": f"{type(x).__module__}.{type(x).__qualname__}", "is_tensor": isinstance(x, torch.Tensor)}
    if isinstance(x, torch.Tensor):
        d.update(dtype=str(x.dtype).replace("torch.", ""), shape=list(x.shape),
                 requires_grad=bool(x.requires_grad), is_leaf=bool(x.is_leaf),
                 has_grad_fn=x.grad_fn is not None)
    elif isinstance(x, np.ndarray):
        d.update(dtype=str(x.dtype), shape=list(x.shape))
    elif isinstance(x, numbers.Number):
        d.update(value=float(x) if not isinstance(x, complex) else str(x))
    return d


def as_array(x):
    """A numeric numpy copy of a tensor, an array or a number; None for anything else."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype in (torch.bfloat16, torch.float16):
            x = x.float()
        return x.numpy().copy()
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return np.array(x, copy=True)
    if isinstance(x, (bool, numbers.Real)) and not isinstance(x, np.ndarray):
        return np.array(float(x))
    return None


def put(arrays, meta, key, x):
    meta[key] = describe(x)
    a = as_array(x)
    if a is not None:
        arrays[key] = a


def put_dict(arrays, meta, key, d, names):
    """Record d[name] for each name; meta[key] says whether d was a dict and which keys it had."""
    if not isinstance(d, dict):
        meta[key] = {"type": type(d).__qualname__, "is_dict": False}
        return
    meta[key] = {"is_dict": True, "keys": sorted(str(k) for k in d)[:20]}
    for name in names:
        if name in d:
            put(arrays, meta, f"{key}.{name}", d[name])


def unpack_pair(result, what):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"{what} must return a pair, it returned {type(result).__name__}"
                        + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result


def case_dict(inputs, case, names):
    return {name: tensor(inputs[f"{case}.{name}"]) for name in names}


def short_error(e):
    return f"{type(e).__name__}: {e}"[:300]


def each_case(cases, meta, call):
    """call(case) for each case; an exception costs that case only (meta[case.error]), unless every
    case raises: then the first exception is the question's error."""
    errors = []
    for case in cases:
        try:
            call(case)
        except Exception as e:  # noqa: BLE001 - student code: one case, not the question
            meta[f"{case}.error"] = short_error(e)
            errors.append(e)
    if errors and len(errors) == len(cases):
        raise errors[0]


def mlp_logits(P, X):
    """The contract's network, X (N, nx) -> logits (N, ny): tanh(X Wh^T + bh) Wy^T + by."""
    return torch.tanh(X @ P["Wh"].T + P["bh"].reshape(1, -1)) @ P["Wy"].T + P["by"].reshape(1, -1)


# --- Part 1 -----------------------------------------------------------------------------------

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


class _NoAutogradEngine:
    """Stands in for autograd's engine while backward runs: every backward pass, torch.autograd.grad,
    torch.func and torch.autograd.functional go through its run_backward."""

    def run_backward(self, *args, **kwargs):
        raise AutogradNotAllowed("backward used autograd (a .backward() call, torch.autograd.grad, torch.func, "
                                 "or torch.autograd.functional); Part 1 computes the gradients by hand")

    def queue_callback(self, *args, **kwargs):
        raise AutogradNotAllowed("backward used autograd")

    def is_checkpoint_valid(self):
        return True


def _no_dual_level(*args, **kwargs):
    raise AutogradNotAllowed("backward used forward-mode autograd (torch.func.jvp, jacfwd or forward_ad); "
                             "Part 1 computes the gradients by hand")


_HOLDERS = (0, [])  # (len(sys.modules) when found, [(module, name)] holding what engine_sealed replaces)


def _holders(targets):
    """[(module, name)] of every module attribute that is one of the objects whose ids are `targets`."""
    found = []
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            found += [(module, name) for name, value in list(namespace.items()) if id(value) in targets]
    return found


class engine_sealed:
    """The grader's own hardening, under the public guard: autograd's engine itself cannot run
    inside, however it is reached (a fresh handle on the engine, code that lifts the public guard).
    Reverse mode: the engine every backward pass, torch.autograd.grad, torch.func and
    torch.autograd.functional go through, and the engine's type, so that no fresh handle on it can
    be made; forward mode: dual levels. Each is replaced in every module that holds it, since torch's
    own modules import them by name. It reads private torch names: the grader's torch is pinned
    (pyproject.toml), the student's is not, so this stays on the grader's side. Restored on exit, for
    callers that are not a question's own process (tests, benchmarks). Code that digs the originals
    out of the interpreter's memory is the grader's static scan's to find (pipeline/read.py)."""

    def __enter__(self):
        import importlib

        variable = importlib.import_module("torch.autograd.variable")  # (torch.autograd.variable is a function)
        predispatch = importlib.import_module("torch._functorch.predispatch")
        # Forward mode needs a dual level (torch.func.jvp and jacfwd enter one too); torch.func.grad
        # and vjp run the engine.
        forward_mode = [torch._C._enter_dual_level, predispatch._enter_dual_level]
        targets = {id(torch._C._ImperativeEngine): _NoAutogradEngine, **{id(f): _no_dual_level for f in forward_mode}}
        global _HOLDERS
        if _HOLDERS[0] != len(sys.modules) or any(id(getattr(m, n, None)) not in targets for m, n in _HOLDERS[1]):
            _HOLDERS = (len(sys.modules), _holders(targets))
        self._saved = [(variable.Variable, "_execution_engine", variable.Variable._execution_engine)]
        variable.Variable._execution_engine = _NoAutogradEngine()
        for module, name in _HOLDERS[1]:
            value = getattr(module, name)
            self._saved.append((module, name, value))
            setattr(module, name, targets[id(value)])
        return self

    def __exit__(self, *exc):
        for owner, name, value in reversed(self._saved):
            setattr(owner, name, value)


@contextlib.contextmanager
def autograd_blocked():
    """A context in which autograd cannot run: the public guard the students' checks use
    (tp1_support.autograd_guard, public torch API), and the grader's seal of the engine under it."""
    with autograd_refused("backward"), engine_sealed():
        yield


def backward_guards():
    """The contexts probe_backward enters around the student's backward, in order. Each refuses a
    way of getting the gradients without computing them; a guard raises AutogradNotAllowed (or its
    own exception, caught in probe_backward) when backward takes that way: autograd, and the
    libraries that backpropagate an MLP (tp1_support/library_guard.py)."""
    return [autograd_blocked(), library_backprop_refused("backward")]


def probe_backward(ns, inputs, params, arrays, meta):
    f = get_function(ns, "backward")

    def call(case):
        try:
            with contextlib.ExitStack() as guards:
                for guard in backward_guards():
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


def _snapshot(P):
    """{name: float64 array} of the parameters, or None when P is not a dict of the four tensors."""
    if not isinstance(P, dict):
        return None
    out = {}
    for name in PARAM_NAMES:
        a = as_array(P.get(name))
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
        try:
            for _ in range(params["epochs"]):
                for idx in torch.randperm(Xtrain.shape[0], generator=generator).split(params["batch_size"]):
                    before = _snapshot(P)  # the step is judged from here: forward and backward may not move P
                    if before is None:
                        raise TypeError("the parameters are no longer a dict of tensors Wh, bh, Wy, by")
                    _, outputs = unpack_pair(forward(P, Xtrain.index_select(0, idx)), "forward")
                    with library_backprop_refused("backward"):
                        grads = backward(P, outputs, Ytrain.index_select(0, idx))
                    given = _gradients(grads)
                    new = sgd(P, grads, params["eta"])
                    P = P if new is None else new
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


# --- Part 2 -----------------------------------------------------------------------------------

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


def _backward_with(tensors, upstream):
    """Give each leaf tensor p the gradient upstream[i] through a real autograd backward."""
    loss = sum((p * g).sum() for p, g in zip(tensors, upstream))
    loss.backward()


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


# --- Part 5 -----------------------------------------------------------------------------------

def probe_mnist_hparams(ns, inputs, params, arrays, meta):
    hp = get(ns, "MNIST_HPARAMS")
    meta["type"] = type(hp).__name__
    if isinstance(hp, dict):
        meta["values"] = {str(k)[:40]: (float(v) if isinstance(v, numbers.Real) else repr(v)[:80])
                          for k, v in list(hp.items())[:20]}


def _contract_parameters(model, nx, nh, ny):
    """The model's parameters of the shapes of Linear(nx, nh) -> Linear(nh, ny), in that order, if it
    has exactly those four; else None."""
    parameters = list(model.parameters())
    shapes = [tuple(p.shape) for p in parameters]
    if shapes != [(nh, nx), (nh,), (ny, nh), (ny,)]:
        return None
    return parameters


def probe_mnist_accuracy(ns, inputs, params, arrays, meta):
    """Train the student's Part-4 functions (init_model_optim, loss_accuracy_nn) with the student's
    MNIST_HPARAMS, as the notebook's loop does, from the grader's initial weights. Records the trained
    weights and the model's logits on a few public digits (how the weights are used); the grader
    measures the accuracy itself, on digits that never enter the sandbox."""
    hp = get(ns, "MNIST_HPARAMS")
    nh, eta = int(hp["nh"]), float(hp["eta"])
    batch_size, epochs = int(hp["batch_size"]), int(hp["epochs"])
    meta["hparams"] = {"nh": nh, "eta": eta, "batch_size": batch_size, "epochs": epochs}
    init_model_optim, loss_accuracy_nn = get_function(ns, "init_model_optim"), get_function(ns, "loss_accuracy_nn")
    Xtrain, ytrain = tensor(inputs["Xtrain"]), tensor(inputs["ytrain"]).long()
    Ytrain = torch.eye(10)[ytrain]
    nx = Xtrain.shape[1]
    if "max_seconds" in params:
        seconds = mnist_seconds(Xtrain.shape[0], nx, nh, batch_size, epochs, params["cost"])
        meta["estimated_seconds"] = seconds
        if seconds > params["max_seconds"] or nh < 1 or batch_size < 1 or epochs < 1:
            meta["over_budget"] = True
            return
    generator = torch.Generator().manual_seed(params["seed"])
    bound = 1 / np.sqrt(nx), 1 / np.sqrt(nh)  # nn.Linear's own law, drawn by the grader
    initial = [(torch.rand(nh, nx, generator=generator) * 2 - 1) * bound[0],
               (torch.rand(nh, generator=generator) * 2 - 1) * bound[0],
               (torch.rand(10, nh, generator=generator) * 2 - 1) * bound[1],
               (torch.rand(10, generator=generator) * 2 - 1) * bound[1]]
    model, loss, optim = init_model_optim(nx, nh, 10, eta)
    parameters = _contract_parameters(model, nx, nh, 10) if isinstance(model, nn.Module) else None
    meta["contract_parameters"] = parameters is not None
    if parameters is not None:
        with torch.no_grad():
            for p, value in zip(parameters, initial):
                p.copy_(value)
    # The step is the grader's own plain SGD (the contract: lr = eta) on the model's parameters: the
    # student's optimizer is judged on its own question (init_model_optim) and never steps here, so it
    # cannot write weights made elsewhere. Each step starts from the parameters as they were before the
    # forward: whatever the model or the loss writes into them meanwhile is undone.
    stepped = parameters if parameters is not None else [p for p in model.parameters() if isinstance(p, torch.Tensor)]
    losses = []
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(Xtrain.shape[0], generator=generator).split(batch_size):
            before = [p.detach().clone() for p in stepped]
            for p in stepped:
                p.grad = None
            L, _ = unpack_pair(loss_accuracy_nn(loss, model(Xtrain.index_select(0, idx)),
                                                Ytrain.index_select(0, idx)), "loss_accuracy_nn")
            L.backward()
            total += float(L.detach()) * len(idx)
            with torch.no_grad():  # after the last code of the student's in this step
                for p, b in zip(stepped, before):
                    p.copy_(b - eta * p.grad if p.grad is not None and p.grad.shape == p.shape else b)
        losses.append(total / Xtrain.shape[0])
    arrays["train_loss"] = np.array(losses, dtype=np.float64)
    if parameters is None:
        return
    for i, p in enumerate(parameters):
        put(arrays, meta, f"param{i}", p)
    with torch.no_grad():
        put(arrays, meta, "probe_logits", model(tensor(inputs["Xprobe"])))


# --- Part 6 -----------------------------------------------------------------------------------

SCALERS = {"StandardScaler": ("mean_", "scale_"), "MinMaxScaler": ("min_", "scale_"),
           "MaxAbsScaler": (None, "scale_"), "RobustScaler": ("center_", "scale_")}


def _estimator_steps(clf):
    """The chain of fitted estimators the classifier applies, unwrapping searches and pipelines."""
    steps = []
    for _ in range(10):
        name = type(clf).__name__
        if name in ("GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV"):
            clf = clf.best_estimator_
        elif name == "Pipeline":
            inner = [step for _, step in clf.steps if step not in (None, "passthrough")]
            steps += inner[:-1]
            clf = inner[-1]
        else:
            return steps + [clf]
    raise TypeError("the classifier is nested too deeply")


def probe_fit_svm(ns, inputs, params, arrays, meta):
    """The fitted classifier's numbers (support vectors, dual coefficients, kernel and its parameters;
    any scaling before it): the grader computes the predictions itself."""
    f = get_function(ns, "fit_svm")
    clf = f(np.array(inputs["Xtrain"]), np.array(inputs["ytrain"]))
    meta["classifier"] = type(clf).__name__[:80]
    steps = _estimator_steps(clf)
    meta["steps"] = [type(s).__name__[:80] for s in steps]
    for i, step in enumerate(steps[:-1]):
        kind = type(step).__name__
        if kind in SCALERS:
            shift, scale = SCALERS[kind]
            if shift:
                put(arrays, meta, f"pre{i}.shift", np.asarray(getattr(step, shift), dtype=np.float64))
            put(arrays, meta, f"pre{i}.scale", np.asarray(getattr(step, scale), dtype=np.float64))
        elif kind == "PolynomialFeatures":
            put(arrays, meta, f"pre{i}.powers", np.asarray(step.powers_, dtype=np.int64))
    final = steps[-1]
    kind = type(final).__name__
    if hasattr(final, "classes_"):
        put(arrays, meta, "classes", np.asarray(final.classes_))
    if kind in ("SVC", "NuSVC"):
        meta["kernel"] = str(final.kernel)[:40] if isinstance(final.kernel, str) else "callable"
        for name, attribute in (("gamma", "_gamma"), ("degree", "degree"), ("coef0", "coef0")):
            value = getattr(final, attribute, None)
            if isinstance(value, numbers.Real):
                meta[name] = float(value)
        support = np.asarray(final.support_vectors_)
        if support.shape[0] > MAX_SUPPORT_VECTORS:
            raise ValueError(f"the SVM has {support.shape[0]} support vectors, more than {MAX_SUPPORT_VECTORS}")
        put(arrays, meta, "support_vectors", support.astype(np.float64))
        put(arrays, meta, "dual_coef", np.asarray(final.dual_coef_, dtype=np.float64))
        put(arrays, meta, "intercept", np.asarray(final.intercept_, dtype=np.float64))
    elif hasattr(final, "coef_") and hasattr(final, "intercept_"):
        meta["kernel"] = "linear-model"
        put(arrays, meta, "coef", np.asarray(final.coef_, dtype=np.float64))
        put(arrays, meta, "intercept", np.asarray(final.intercept_, dtype=np.float64))


PROBES = {
    "init_params": probe_init_params,
    "forward": probe_forward,
    "loss_accuracy": probe_loss_accuracy,
    "backward": probe_backward,
    "sgd": probe_sgd,
    "circles_accuracy": probe_circles_accuracy,
    "init_params_autograd": probe_init_params_autograd,
    "sgd_autograd": probe_sgd_autograd,
    "init_model": probe_init_model,
    "loss_accuracy_nn": probe_loss_accuracy_nn,
    "sgd_nn": probe_sgd_nn,
    "init_model_optim": probe_init_model_optim,
    "MNIST_HPARAMS": probe_mnist_hparams,
    "mnist_accuracy": probe_mnist_accuracy,
    "fit_svm": probe_fit_svm,
}


def only_arrays(arrays):
    return {k: v for k, v in arrays.items() if isinstance(v, np.ndarray) and v.dtype.kind in "biuf"}


def only_json(meta):
    import json

    return json.loads(json.dumps(meta, default=lambda o: repr(o)[:200]))
