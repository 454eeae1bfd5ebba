"""What every probe uses: the notebook's names, the grader's inputs as tensors, and the record it
writes (`arrays` and `meta`, converted to plain numbers and descriptions)."""

import numbers

import numpy as np
import torch
from tp1_support.contract import network_logits

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
    return network_logits(P, X, torch.tanh)


def _backward_with(tensors, upstream):
    """Give each leaf tensor p the gradient upstream[i] through a real autograd backward."""
    loss = sum((p * g).sum() for p, g in zip(tensors, upstream))
    loss.backward()

def only_arrays(arrays):
    return {k: v for k, v in arrays.items() if isinstance(v, np.ndarray) and v.dtype.kind in "biuf"}


def only_json(meta):
    import json

    return json.loads(json.dumps(meta, default=lambda o: repr(o)[:200]))
