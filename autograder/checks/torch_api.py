"""Parts 2-4 (autograd, torch.nn, torch.optim): inputs and checks.

The probe builds the autograd state itself (leaf tensors, gradients put there by a real backward
of sum(p * G)), so these checks need neither the student's forward nor their loss.
"""
import numpy as np
import torch
import torch.nn.functional as F

from .common import Verdict, as_scalar, close, is_tensor, shape_of, type_of, value
from .part1 import PARAMS, judge_shapes, one_hot

NN_PARAMS = ("W1", "b1", "W2", "b2")
ACTIVATIONS = {"Sigmoid", "ReLU", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Softplus", "Hardtanh",
               "ReLU6", "PReLU", "Mish", "Tanhshrink", "Softsign", "LogSigmoid", "Hardsigmoid", "Hardswish"}


def _grads(g, shapes, prefix):
    return {f"{prefix}_{name}": torch.randn(*shape, generator=g, dtype=torch.float64).numpy()
            for name, shape in shapes.items()}


# --- init_params_autograd ---------------------------------------------------------------------

def init_params_autograd_inputs(seed):
    return {}, {"calls": {"small": [3, 5, 4], "tp": [2, 10, 2]}}


def judge_init_params_autograd(arrays_in, params, out, meta):
    v = Verdict()
    if not judge_shapes(v, out, meta, params["calls"]):
        v.add("leaf tensors that require a gradient", 3, False)
        return v
    # What autograd did with each tensor, not what the tensor says about itself: a backward through
    # it works (it requires a gradient), and its gradient lands in .grad (it is a leaf).
    keys = [f"{tag}.{name}" for tag in params["calls"] for name in PARAMS]
    requires = all(meta.get(f"{key}.backward_ok") for key in keys)
    leaves = all(not meta.get(f"{key}.backward_ok")  # without requires_grad a tensor is a leaf
                 or (f"{key}.grad" in out and np.allclose(out[f"{key}.grad"], 0.5)) for key in keys)
    if v.add("requires_grad", 1.5, requires, "every parameter must have requires_grad=True"):
        pass
    else:
        v.diagnose("autograd_no_requires_grad")
    if not v.add("leaf tensors", 1.5, leaves, "every parameter must be a leaf tensor (it must not have a grad_fn)"):
        v.diagnose("autograd_nonleaf_init")
    return v


# --- sgd_autograd -----------------------------------------------------------------------------

SHAPES = {"Wh": (5, 3), "bh": (1, 5), "Wy": (4, 5), "by": (1, 4)}


def sgd_autograd_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays = {name: torch.randn(*shape, generator=g, dtype=torch.float64).numpy() for name, shape in SHAPES.items()}
    arrays.update(_grads(g, SHAPES, "grad1"))
    arrays.update(_grads(g, SHAPES, "grad2"))
    arrays["eta"] = np.array(0.1)
    return arrays, {}


def _judge_two_steps(v, arrays_in, out, meta, names, key, eta, stale_mistake, tol=1e-10, ignores_eta=None,
                     usable=True):
    """One call must give p - eta * grad; the gradients must then be zero (or None), so that a second
    call gives a second, independent step. `usable`: whether the parameters can still be trained."""
    P = {n: arrays_in[n].astype(np.float64) for n in names}
    G1 = {n: arrays_in[f"grad1_{n}"].astype(np.float64) for n in names}
    G2 = {n: arrays_in[f"grad2_{n}"].astype(np.float64) for n in names}
    step1 = {n: P[n] - eta * G1[n] for n in names}
    step2 = {n: step1[n] - eta * G2[n] for n in names}
    stale = {n: step1[n] - eta * (G1[n] + G2[n]) for n in names}
    got1 = {n: out.get(f"step1.{key}{n}", np.empty(0)) for n in names}
    ok1 = all(close(got1[n], step1[n], tol) for n in names)
    v.add("one step p - eta * p.grad", 2, ok1, "after one call the parameters are not p - eta * p.grad "
          f"(eta = {eta:g})" + ("; they did not change at all" if all(close(got1[n], P[n], tol) for n in names)
                                else ""))
    if not ok1:  # nothing else can be judged, and a function that does nothing must not earn points
        if ignores_eta and all(close(got1[n], P[n] - G1[n], tol) for n in names):
            v.diagnose(ignores_eta)
        v.add("gradients zeroed", 1.5, False, "")
        v.add("two steps in a row", 1.5, False, "")
        return False
    if not usable:
        v.add("gradients zeroed", 1.5, False, "")
        v.add("two steps in a row", 1.5, False, "a second step cannot be taken: "
              + (meta.get("step2.error") or "the parameters can no longer be trained"))
        return True
    zeroed = all(meta.get(f"step1.grad_{n}_is_none") or meta.get(f"step1.grad{n}_is_none")
                 or np.all(out.get(f"step1.grad_{n}", out.get(f"step1.grad{n}", np.ones(1))) == 0) for n in names)
    if not v.add("gradients zeroed", 1.5, zeroed, "after the step the gradients must be zero"):
        v.diagnose(stale_mistake)
    ok2 = all(close(out.get(f"step2.{key}{n}", np.empty(0)), step2[n], tol) for n in names)
    if not v.add("two steps in a row", 1.5, ok2, "two calls in a row do not give two gradient steps"
                 + (f" (the second call raised {meta['step2.error']})" if meta.get("step2.error") else "")):
        if all(close(out.get(f"step2.{key}{n}", np.empty(0)), stale[n], tol) for n in names):
            v.diagnose(stale_mistake)
    return True


def judge_sgd_autograd(arrays_in, params, out, meta):
    v = Verdict()
    eta = float(arrays_in["eta"])
    after = [meta.get(f"step1.params.{n}") or {} for n in PARAMS]
    leaves = all(d.get("is_leaf") for d in after)
    requires = all(d.get("requires_grad") for d in after)
    stepped = _judge_two_steps(v, arrays_in, out, meta, PARAMS, "params.", eta, "autograd_grads_not_zeroed",
                               usable=leaves and requires)
    if not v.add("parameters stay leaves", 1, leaves and requires and stepped,
                 "after the step the parameters must still be leaf tensors that require a gradient"
                 + ("" if leaves else " (they have a grad_fn: they are computed tensors)")
                 + ("" if requires or not leaves else " (they no longer require a gradient)")):
        if not leaves:
            v.diagnose("autograd_params_not_leaf")
        elif not requires:
            v.diagnose("autograd_params_new_tensors")
    return v


# --- init_model -------------------------------------------------------------------------------

def init_model_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    return ({"X": torch.randn(7, 3, generator=g).numpy(),
             "logits_in": (3 * torch.randn(7, 4, generator=g)).numpy(),
             "Y": one_hot(g, 7, 4, torch.float32).numpy()},
            {"sizes": [3, 5, 4]})


def judge_init_model(arrays_in, params, out, meta):
    v = Verdict()
    if not v.add("returns an nn.Module", 1, meta.get("is_module"),
                 f"init_model must return (model, loss) with model a torch.nn.Module; model is a "
                 f"{meta.get('model_type', 'nothing')}"):
        v.add("Linear -> Tanh -> Linear", 3, False)
        v.add("cross-entropy on logits", 2, False)
        return v
    modules = meta.get("modules", [])
    if "Softmax" in modules or "LogSoftmax" in modules:
        v.diagnose("nn_softmax_in_model")
    if "Tanh" not in modules:
        others = [m for m in modules[1:] if m in ACTIVATIONS]
        if "Sigmoid" in others:
            v.diagnose("nn_sigmoid")
        elif others:
            v.diagnose("nn_other_activation")
        elif modules.count("Linear") >= 2:
            v.diagnose("nn_no_activation")
    shapes = [shape_of(meta, f"param{i}") for i in range(4)]
    structure = shapes == [(5, 3), (5,), (4, 5), (4,)] and "Tanh" in modules and not v.mistakes
    logits_ok = False
    if structure:
        W1, b1, W2, b2 = (out[f"param{i}"].astype(np.float64) for i in range(4))
        expected = np.tanh(arrays_in["X"].astype(np.float64) @ W1.T + b1) @ W2.T + b2
        logits_ok = close(out.get("logits", np.empty(0)), expected, 1e-5)
        if not logits_ok and close(out.get("logits", np.empty(0)), F.softmax(torch.from_numpy(expected), 1).numpy(), 1e-5):
            v.diagnose("nn_softmax_in_model")
    v.add("Linear -> Tanh -> Linear, logits out", 3, structure and logits_ok,
          f"the model must map X to logits through Linear(3, 5) -> Tanh -> Linear(5, 4); its modules are "
          f"{', '.join(modules[1:]) or 'none'}")
    logits, Y = torch.from_numpy(arrays_in["logits_in"]), torch.from_numpy(arrays_in["Y"])
    expected_loss = float(F.cross_entropy(logits.double(), Y.argmax(1)))
    got = [as_scalar(value(out, f"loss_{tag}")) for tag in ("indices", "onehot")]
    loss_ok = any(g is not None and abs(g - expected_loss) < 1e-5 * max(1, expected_loss) for g in got)
    if not v.add("cross-entropy on logits", 2, loss_ok,
                 f"the loss ({meta.get('loss_type')}) does not give the mean cross-entropy of logits"):
        v.diagnose("nn_wrong_loss")
    return v


# --- loss_accuracy_nn -------------------------------------------------------------------------

def loss_accuracy_nn_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, {}
    for case, (N, ny) in (("small", (7, 4)), ("tp", (10, 2))):
        Y = one_hot(g, N, ny, torch.float32)
        logits = 2 * torch.randn(N, ny, generator=g) + 2 * Y
        logits[0] = logits[0] - 6 * Y[0]
        arrays[f"{case}.Ytilde"], arrays[f"{case}.Y"] = logits.numpy(), Y.numpy()
        cases[case] = [N, ny]
    return arrays, {"cases": cases}


def judge_loss_accuracy_nn(arrays_in, params, out, meta):
    v = Verdict()
    for case, (N, ny) in params["cases"].items():
        logits, Y = torch.from_numpy(arrays_in[f"{case}.Ytilde"]).double(), torch.from_numpy(arrays_in[f"{case}.Y"])
        L_ref = float(F.cross_entropy(logits, Y.argmax(1)))
        acc_ref = float((logits.argmax(1) == Y.argmax(1)).double().mean())
        L, acc = as_scalar(value(out, f"{case}.L")), as_scalar(value(out, f"{case}.acc"))
        if meta.get(f"{case}.error"):
            v.add(f"L ({case})", 2, False, f"loss_accuracy_nn raised {meta[f'{case}.error']}")
            v.add(f"acc ({case})", 1, False, "")
            continue
        tensor = is_tensor(meta, f"{case}.L")
        right = L is not None and abs(L - L_ref) < 1e-5 * max(1, L_ref)
        if not v.add(f"L ({case})", 2, right and tensor,
                     f"L must be the mean cross-entropy of the logits, as a tensor: it is "
                     + (f"{L:.4g}" if L is not None else "not a number") + f" ({type_of(meta, f'{case}.L')}), "
                     f"expected {L_ref:.4g}"):
            if right:
                v.diagnose("nn_loss_not_tensor")
            elif L is not None and abs(L - float(F.cross_entropy(F.softmax(logits, 1), Y.argmax(1)))) < 1e-5:
                v.diagnose("nn_softmax_before_loss")
        if not v.add(f"acc ({case})", 1, acc is not None and abs(acc - acc_ref) < 1e-6,
                     f"acc is {acc if acc is not None else type_of(meta, f'{case}.acc')}, expected {acc_ref:.4g}"):
            if acc is not None and abs(acc - 100 * acc_ref) < 1e-4:
                v.diagnose("nn_accuracy_percent")
    return v


# --- sgd_nn -----------------------------------------------------------------------------------

NN_SHAPES = {"W1": (5, 3), "b1": (5,), "W2": (4, 5), "b2": (4,)}


def sgd_nn_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays = {name: torch.randn(*shape, generator=g).numpy() for name, shape in NN_SHAPES.items()}
    arrays.update({k: a.astype(np.float32) for k, a in _grads(g, NN_SHAPES, "grad1").items()})
    arrays.update({k: a.astype(np.float32) for k, a in _grads(g, NN_SHAPES, "grad2").items()})
    arrays["eta"] = np.array(0.1)
    return arrays, {}


def judge_sgd_nn(arrays_in, params, out, meta):
    v = Verdict()
    eta = float(arrays_in["eta"])
    # The probe records parameters by position: param0..3 are W1, b1, W2, b2.
    renamed = {}
    for step in (1, 2):
        for i, name in enumerate(NN_PARAMS):
            if f"step{step}.param{i}" in out:
                renamed[f"step{step}.param{name}"] = out[f"step{step}.param{i}"].astype(np.float64)
            if f"step{step}.grad{i}" in out:
                renamed[f"step{step}.grad{name}"] = out[f"step{step}.grad{i}"]
            meta[f"step{step}.grad{name}_is_none"] = meta.get(f"step{step}.grad{i}_is_none")
    _judge_two_steps(v, arrays_in, renamed, meta, NN_PARAMS, "param", eta, "nn_grads_not_zeroed", tol=1e-5,
                     ignores_eta="sgd_nn_ignores_eta")
    return v


# --- init_model_optim -------------------------------------------------------------------------

def init_model_optim_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays = {f"grad{i}": torch.randn(*shape, generator=g).numpy() for i, shape in enumerate(NN_SHAPES.values())}
    arrays["eta"] = np.array(0.0123)
    return arrays, {"sizes": [3, 5, 4]}


def judge_init_model_optim(arrays_in, params, out, meta):
    v = Verdict()
    eta = float(arrays_in["eta"])
    if not v.add("returns a model and an optimizer", 1, meta.get("is_module") and meta.get("is_optimizer"),
                 f"init_model_optim must return (model, loss, optim); model is a {meta.get('model_type', 'nothing')} "
                 f"and optim a {meta.get('optim_type', 'nothing')}"):
        v.add("plain SGD with lr = eta", 2, False)
        v.add("optimizes the model's parameters", 1, False)
        v.add("one optimizer step", 1, False)
        return v
    lrs = meta.get("lr", [])
    plain = bool(meta.get("is_sgd")) and not any(meta.get("momentum", [])) and not any(meta.get("weight_decay", []))
    lr_ok = bool(lrs) and all(abs(lr - eta) < 1e-12 for lr in lrs)
    if not v.add("plain SGD with lr = eta", 2, plain and lr_ok,
                 f"optim must be torch.optim.SGD with lr = eta = {eta}; it is {meta.get('optim_type')} with lr {lrs}"):
        if not lr_ok:
            v.diagnose("optim_ignores_eta")
        if not plain:
            v.diagnose("optim_not_sgd")
    if not v.add("optimizes the model's parameters", 1, meta.get("optimizes_model_parameters"),
                 "the optimizer must hold exactly model.parameters()"):
        v.diagnose("optim_wrong_parameters")
    step_ok = True
    for i in range(10):
        if f"before{i}" not in out:
            break
        expected = out[f"before{i}"].astype(np.float64) - eta * out[f"applied_grad{i}"].astype(np.float64)
        step_ok &= close(out.get(f"after{i}", np.empty(0)), expected, 1e-5)
    v.add("one optimizer step", 1, step_ok and "before0" in out, "optim.step() does not do p - eta * p.grad")
    return v
