"""Probes: call the student's functions on the grader's inputs and record what they return.

Runs INSIDE the sandbox. A probe never knows the expected answer: it only calls, converts what came
back to plain arrays (`arrays`) and describes it (`meta`: type, dtype, shape, autograd flags).
The grader's checks, in the trusted process, compare that with the reference.
"""
import numbers
import warnings

import numpy as np
import torch
import torch.nn as nn

PARAM_NAMES = ("Wh", "bh", "Wy", "by")
OUTPUT_NAMES = ("X", "htilde", "h", "ytilde", "yhat")


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


def probe_backward(ns, inputs, params, arrays, meta):
    f = get_function(ns, "backward")

    def call(case):
        grads = f(case_dict(inputs, case, PARAM_NAMES), case_dict(inputs, case, OUTPUT_NAMES),
                  tensor(inputs[f"{case}.Y"]))
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


def _mean_cross_entropy(Yhat, Y):
    return float(-(Y * torch.log(Yhat.clamp_min(1e-30))).sum(1).mean())


def _train_accuracy(Yhat, Y):
    """The share of training points classified right; None for outputs it cannot read."""
    try:
        return float((torch.as_tensor(Yhat).argmax(1) == Y.argmax(1)).double().mean())
    except Exception:  # noqa: BLE001 - student outputs of an odd form: no early stop
        return None


def probe_circles_accuracy(ns, inputs, params, arrays, meta):
    """Train the student's Part-1 functions with the grader's loop and hyper-parameters, up to `runs`
    times from different seeds (initialisation and batch order), stopping after the first run whose
    training accuracy reaches `enough_train_accuracy` or stays at `hopeless_train_accuracy` or below;
    record each run's predictions."""
    init_params, forward = get_function(ns, "init_params"), get_function(ns, "forward")
    backward, sgd = get_function(ns, "backward"), get_function(ns, "sgd")
    Xtrain, Ytrain = tensor(inputs["Xtrain"]), tensor(inputs["Ytrain"])
    enough, hopeless = params.get("enough_train_accuracy"), params.get("hopeless_train_accuracy")
    for run in range(params.get("runs", 1)):
        torch.manual_seed(params["seed"] + run)
        P = init_params(Xtrain.shape[1], params["nh"], Ytrain.shape[1])
        generator = torch.Generator().manual_seed(params["seed"] + run)
        losses, Yhat_train = [], None
        for _ in range(params["epochs"]):
            for idx in torch.randperm(Xtrain.shape[0], generator=generator).split(params["batch_size"]):
                _, outputs = unpack_pair(forward(P, Xtrain.index_select(0, idx)), "forward")
                grads = backward(P, outputs, Ytrain.index_select(0, idx))
                new = sgd(P, grads, params["eta"])
                P = P if new is None else new
            with torch.no_grad():
                Yhat_train = unpack_pair(forward(P, Xtrain), "forward")[0]
                losses.append(_mean_cross_entropy(Yhat_train, Ytrain))
        with torch.no_grad():
            put(arrays, meta, f"run{run}.Yhat_hidden", unpack_pair(forward(P, tensor(inputs["Xhidden"])), "forward")[0])
            put(arrays, meta, f"run{run}.Yhat_grid", unpack_pair(forward(P, tensor(inputs["Xgrid"])), "forward")[0])
        arrays[f"run{run}.train_loss"] = np.array(losses)
        train_accuracy = _train_accuracy(Yhat_train, Ytrain)
        meta[f"run{run}.train_accuracy"] = train_accuracy
        meta["runs_done"] = run + 1
        if train_accuracy is not None and ((enough is not None and train_accuracy >= enough)
                                           or (hopeless is not None and train_accuracy <= hopeless)):
            break


# --- Part 2 -----------------------------------------------------------------------------------

def probe_init_params_autograd(ns, inputs, params, arrays, meta):
    """Record the parameters, and what autograd does with each: whether a backward through it works
    (it requires a gradient) and whether the gradient lands in its .grad (it is a leaf)."""
    f = get_function(ns, "init_params_autograd")
    for tag, sizes in params["calls"].items():
        P = f(*sizes)
        put_dict(arrays, meta, tag, P, PARAM_NAMES)
        if not isinstance(P, dict):
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
        if isinstance(returned, dict):
            P = returned
        put_dict(arrays, meta, f"step{step}.params", P, PARAM_NAMES)
        for name in PARAM_NAMES:
            g = P[name].grad if isinstance(P.get(name), torch.Tensor) else None
            meta[f"step{step}.grad_{name}_is_none"] = g is None
            if g is not None:
                put(arrays, meta, f"step{step}.grad_{name}", g)


# --- Part 3 -----------------------------------------------------------------------------------

def _modules(model):
    return [type(m).__name__ for m in model.modules()][:50]


def probe_init_model(ns, inputs, params, arrays, meta):
    f = get_function(ns, "init_model")
    model, loss = unpack_pair(f(*params["sizes"]), "init_model")
    meta["model_type"] = type(model).__name__
    meta["is_module"] = isinstance(model, nn.Module)
    meta["loss_type"] = type(loss).__name__
    if isinstance(model, nn.Module):
        meta["modules"] = _modules(model)
        named = list(model.named_parameters())[:10]
        meta["parameters"] = [name for name, _ in named]
        for i, (_, p) in enumerate(named):
            put(arrays, meta, f"param{i}", p)
    put(arrays, meta, "logits", model(tensor(inputs["X"])))
    logits, Y = tensor(inputs["logits_in"]), tensor(inputs["Y"])
    for tag, target in (("indices", Y.argmax(1)), ("onehot", Y)):
        try:
            put(arrays, meta, f"loss_{tag}", loss(logits, target))
        except Exception as e:  # noqa: BLE001 - either target form is acceptable
            meta[f"loss_{tag}_error"] = f"{type(e).__name__}: {e}"[:300]


def probe_loss_accuracy_nn(ns, inputs, params, arrays, meta):
    f = get_function(ns, "loss_accuracy_nn")

    def call(case):
        L, acc = unpack_pair(f(nn.CrossEntropyLoss(), tensor(inputs[f"{case}.Ytilde"]),
                               tensor(inputs[f"{case}.Y"])), "loss_accuracy_nn")
        put(arrays, meta, f"{case}.L", L)
        put(arrays, meta, f"{case}.acc", acc)
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
    meta["lr"] = [float(g.get("lr", float("nan"))) for g in groups]
    meta["momentum"] = [float(g.get("momentum", 0.0) or 0.0) for g in groups]
    meta["weight_decay"] = [float(g.get("weight_decay", 0.0) or 0.0) for g in groups]
    model_ids = {id(p) for p in model.parameters()}
    optim_ids = {id(p) for g in groups for p in g["params"]}
    meta["optimizes_model_parameters"] = model_ids == optim_ids
    parameters = list(model.parameters())[:10]
    for i, p in enumerate(parameters):
        put(arrays, meta, f"before{i}", p)
    G = [tensor(inputs[f"grad{i}"]) if f"grad{i}" in inputs and tuple(inputs[f"grad{i}"].shape) == tuple(p.shape)
         else torch.zeros_like(p) for i, p in enumerate(parameters)]
    _backward_with(parameters, G)
    for i, g in enumerate(G):
        arrays[f"applied_grad{i}"] = g.numpy()
    optim.step()
    for i, p in enumerate(parameters):
        put(arrays, meta, f"after{i}", p)


# --- Part 5 -----------------------------------------------------------------------------------

HPARAM_KEYS = ("nh", "eta", "batch_size", "epochs")


def probe_mnist_hparams(ns, inputs, params, arrays, meta):
    hp = get(ns, "MNIST_HPARAMS")
    meta["type"] = type(hp).__name__
    if isinstance(hp, dict):
        meta["values"] = {str(k): (float(v) if isinstance(v, numbers.Real) else repr(v)[:80])
                          for k, v in list(hp.items())[:20]}


def mnist_seconds(n, nx, nh, batch_size, epochs, cost):
    """The estimated CPU seconds of a training run (the grader measured `cost` on the reference)."""
    steps = -(-n // max(1, batch_size))
    return epochs * (n * nx * nh * cost["per_weight"] + steps * cost["per_step"])


def probe_mnist_accuracy(ns, inputs, params, arrays, meta):
    """Train the student's Part-4 functions with the student's MNIST_HPARAMS."""
    hp = get(ns, "MNIST_HPARAMS")
    nh, eta = int(hp["nh"]), float(hp["eta"])
    batch_size, epochs = int(hp["batch_size"]), int(hp["epochs"])
    f = get_function(ns, "init_model_optim")
    Xtrain, ytrain = tensor(inputs["Xtrain"]), tensor(inputs["ytrain"]).long()
    if "max_seconds" in params:
        seconds = mnist_seconds(Xtrain.shape[0], Xtrain.shape[1], nh, batch_size, epochs, params["cost"])
        meta["estimated_seconds"] = seconds
        if seconds > params["max_seconds"]:
            meta["over_budget"] = True
            return
    model, loss, optim = f(Xtrain.shape[1], nh, 10, eta)
    generator = torch.Generator().manual_seed(params["seed"])
    losses = []
    for _ in range(epochs):
        total = 0.0
        for idx in torch.randperm(Xtrain.shape[0], generator=generator).split(batch_size):
            L = loss(model(Xtrain.index_select(0, idx)), ytrain.index_select(0, idx))
            optim.zero_grad()
            L.backward()
            optim.step()
            total += float(L.detach()) * len(idx)
        losses.append(total / Xtrain.shape[0])
    with torch.no_grad():
        put(arrays, meta, "predictions", model(tensor(inputs["Xhidden"])).argmax(1))
    arrays["train_loss"] = np.array(losses)


# --- Part 6 -----------------------------------------------------------------------------------

def probe_fit_svm(ns, inputs, params, arrays, meta):
    f = get_function(ns, "fit_svm")
    clf = f(np.array(inputs["Xtrain"]), np.array(inputs["ytrain"]))
    meta["classifier"] = type(clf).__name__
    meta["kernel"] = str(getattr(clf, "kernel", ""))[:40]
    for name in ("degree", "coef0"):
        if isinstance(getattr(clf, name, None), numbers.Real):
            meta[name] = float(getattr(clf, name))
    put(arrays, meta, "predictions", np.asarray(clf.predict(np.array(inputs["Xhidden"]))))
    put(arrays, meta, "grid_predictions", np.asarray(clf.predict(np.array(inputs["Xgrid"]))))


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
