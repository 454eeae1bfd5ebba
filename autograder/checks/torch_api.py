"""Parts 2-4 (autograd, torch.nn, torch.optim): inputs and checks.

The probe builds the autograd state itself (leaf tensors, gradients put there by a real backward
of sum(p * G)), so these checks need neither the student's forward nor their loss.
"""
import numpy as np
import torch
import torch.nn.functional as F

from .common import Rubric, Verdict, as_scalar, close, is_tensor, shape_of, type_of, value
from .part1 import INIT_CALLS, PARAMS, judge_float32_tensors, judge_law, judge_shapes, one_hot

NN_PARAMS = ("W1", "b1", "W2", "b2")
ACTIVATIONS = {"Sigmoid", "ReLU", "LeakyReLU", "ELU", "SELU", "GELU", "SiLU", "Softplus", "Hardtanh",
               "ReLU6", "PReLU", "Mish", "Tanhshrink", "Softsign", "LogSigmoid", "Hardsigmoid", "Hardswish"}


def _grads(g, shapes, prefix):
    return {f"{prefix}_{name}": torch.randn(*shape, generator=g, dtype=torch.float64).numpy()
            for name, shape in shapes.items()}


# --- init_params_autograd ---------------------------------------------------------------------

def init_params_autograd_inputs(seed):
    return {}, {"calls": INIT_CALLS}


SAME_LAW_AS_INIT_PARAMS = {m: m for m in ("init_no_scale", "init_variance_as_std", "init_uniform", "init_bias_random")}


INIT_PARAMS_AUTOGRAD_RUBRIC = Rubric({"shapes": 2, "float32 tensors": 1, "biases zero": 1, "weights N(0, 0.3^2)": 2,
                                      "requires_grad": 1.5, "leaf tensors": 1.5})
SHARED_WITH_INIT_PARAMS = ("shapes", "float32 tensors", "biases zero", "weights N(0, 0.3^2)")


def judge_init_params_autograd(arrays_in, params, out, meta):
    v = Verdict(INIT_PARAMS_AUTOGRAD_RUBRIC)
    calls = params["calls"]
    judge_float32_tensors(v, out, meta, calls, "init_params_autograd")
    shapes = judge_shapes(v, out, meta, calls)
    if shapes:
        judge_law(v, out, calls, SAME_LAW_AS_INIT_PARAMS)  # "as init_params (same shapes and law)"
    # What autograd did with each tensor, not what the tensor says about itself: a backward through
    # it works (it requires a gradient), and its gradient lands in .grad (it is a leaf). Judged on
    # dicts of the four tensors whatever their shapes (a shape is init_params's to get right).
    keys = [f"{tag}.{name}" for tag in calls if tag != "big" for name in PARAMS]
    if all(is_tensor(meta, key) for key in keys):
        requires = all(meta.get(f"{key}.backward_ok") for key in keys)
        leaves = all(not meta.get(f"{key}.backward_ok")  # without requires_grad a tensor is a leaf
                     or (f"{key}.grad" in out and np.allclose(out[f"{key}.grad"], 0.5)) for key in keys)
        if not v.add("requires_grad", requires, "every parameter must have requires_grad=True"):
            v.diagnose("autograd_no_requires_grad")
        if not v.add("leaf tensors", leaves, "every parameter must be a leaf tensor (it must not have a grad_fn)"):
            v.diagnose("autograd_nonleaf_init")
    v.stop(v.checks["shapes"].mistake)  # what makes the shapes (or the tensors) wrong keeps the rest from being judged
    if any(meta.get(f"{tag}.calls_init_params") for tag in calls):
        v.blame_upstream(SHARED_WITH_INIT_PARAMS, "init_params")
    raised = next((meta[f"{tag}.raised_with_init_params"] for tag in calls
                   if meta.get(f"{tag}.raised_with_init_params")), None)
    if raised:
        v.notes.append(f"• init_params_autograd raised {raised} on what your init_params returned; it was judged on "
                       "parameters of the contract instead (what init_params gets wrong is counted on init_params)")
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


TWO_STEPS = {"one step p - eta * p.grad": 2, "gradients zeroed": 1.5, "two steps in a row": 1.5}
SGD_AUTOGRAD_RUBRIC = Rubric({"returns params": 1} | TWO_STEPS | {"parameters stay leaves": 1})
SGD_NN_RUBRIC = Rubric(TWO_STEPS)


def _judge_two_steps(v, arrays_in, step, grad_is_none, names, eta, stale_mistake, meta, tol=1e-10, ignores_eta=None,
                     usable=True):
    """One call must give p - eta * grad; the gradients must then be zero (or None), so that a second
    call gives a second, independent step. step(k, name), grad(k, name): the parameter and its
    gradient recorded after call k (None if not recorded); grad_is_none(k, name): the gradient was
    None. `usable`: whether the parameters can still be trained."""
    P = {n: arrays_in[n].astype(np.float64) for n in names}
    G1 = {n: arrays_in[f"grad1_{n}"].astype(np.float64) for n in names}
    G2 = {n: arrays_in[f"grad2_{n}"].astype(np.float64) for n in names}
    step1 = {n: P[n] - eta * G1[n] for n in names}
    step2 = {n: step1[n] - eta * G2[n] for n in names}
    stale = {n: step1[n] - eta * (G1[n] + G2[n]) for n in names}
    got1 = {n: step("param", 1, n) for n in names}
    ok1 = all(close(got1[n], step1[n], tol) for n in names)
    v.add("one step p - eta * p.grad", ok1, "after one call the parameters are not p - eta * p.grad "
          f"(eta = {eta:g})" + ("; they did not change at all" if all(close(got1[n], P[n], tol) for n in names)
                                else ""))
    if not ok1:  # nothing else can be judged, and a function that does nothing must not earn points
        if ignores_eta and all(close(got1[n], P[n] - G1[n], tol) for n in names):
            v.diagnose(ignores_eta)
        v.fail(["gradients zeroed", "two steps in a row"], "")
        return False
    if not usable:
        v.add("gradients zeroed", False, "")
        v.add("two steps in a row", False, "a second step cannot be taken: "
              + (meta.get("step2.error") or "the parameters can no longer be trained"))
        return True
    zeroed = all(grad_is_none(1, n) or np.all(step("grad", 1, n) == 0) for n in names)
    if not v.add("gradients zeroed", zeroed, "after the step the gradients must be zero"):
        v.diagnose(stale_mistake)
    ok2 = all(close(step("param", 2, n), step2[n], tol) for n in names)
    if not v.add("two steps in a row", ok2, "two calls in a row do not give two gradient steps"
                 + (f" (the second call raised {meta['step2.error']})" if meta.get("step2.error") else "")):
        if all(close(step("param", 2, n), stale[n], tol) for n in names):
            v.diagnose(stale_mistake)
    return True


def judge_sgd_autograd(arrays_in, params, out, meta):
    v = Verdict(SGD_AUTOGRAD_RUBRIC)
    eta = float(arrays_in["eta"])
    # The notebook's loop does `params = sgd_autograd(params, ETA)`: returning None breaks it.
    if not v.add("returns params", meta.get("step1.returned_params"),
                 "sgd_autograd must return params (the loop does params = sgd_autograd(params, ETA)); it returned "
                 + ("another dict" if meta.get("step1.returned_dict") else "no dict")):
        if not meta.get("step1.returned_dict"):
            v.diagnose("sgd_autograd_no_return")
    after = [meta.get(f"step1.params.{n}") or {} for n in PARAMS]
    leaves = all(d.get("is_leaf") for d in after)
    requires = all(d.get("requires_grad") for d in after)

    def step(what, k, name):  # the probe records step{k}.params.{name} and step{k}.grad_{name}
        return out.get(f"step{k}.params.{name}" if what == "param" else f"step{k}.grad_{name}", np.empty(0))
    stepped = _judge_two_steps(v, arrays_in, step, lambda k, n: meta.get(f"step{k}.grad_{n}_is_none"), PARAMS, eta,
                               "autograd_grads_not_zeroed", meta, usable=leaves and requires)
    if not v.add("parameters stay leaves", leaves and requires and stepped,
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
             "G": torch.randn(7, 4, generator=g).numpy(),
             "logits_in": (3 * torch.randn(7, 4, generator=g)).numpy(),
             "Y": one_hot(g, 7, 4, torch.float32).numpy()},
            {"sizes": [3, 5, 4]})


def _mlp_parts(X, W1, b1, W2, b2, activation=np.tanh):
    H = activation(X @ W1.T + b1)
    return H, H @ W2.T + b2


MODEL_ACTIVATIONS = {"nn_sigmoid": lambda z: 1 / (1 + np.exp(-z)), "nn_other_activation": lambda z: np.maximum(z, 0),
                     "nn_no_activation": lambda z: z}


def _linear_parameters(out, meta, nx, nh, ny):
    """(W1, b1, W2, b2) in float64: the model's parameters of the shapes of Linear(nx, nh) and
    Linear(nh, ny), found by shape (a model may hold them in any container); None unless it has
    exactly those four."""
    count = meta.get("param_count")
    shapes = {i: shape_of(meta, f"param{i}") for i in range(min(count or 0, 10))}
    wanted = [(nh, nx), (nh,), (ny, nh), (ny,)]
    if count != 4 or sorted(shapes.values()) != sorted(wanted):
        return None, None
    index = {shape: i for i, shape in shapes.items()}
    order = [index[shape] for shape in wanted]
    values = [out.get(f"param{i}") for i in order]
    if any(v is None or not np.all(np.isfinite(v)) for v in values):
        return None, None
    return [v.astype(np.float64) for v in values], order


INIT_MODEL_RUBRIC = Rubric({"returns an nn.Module": 1, "Linear -> Tanh -> Linear, logits out": 3,
                            "cross-entropy on logits": 2})


def judge_init_model(arrays_in, params, out, meta):
    """The model is judged by what it computes: on the grader's X its logits must be
    W2 tanh(W1 X + b1) + b2 of its own two Linear layers' parameters, and a backward of
    sum(logits * G) must give those parameters the gradients of that function; its modules only
    word the diagnosis."""
    v = Verdict(INIT_MODEL_RUBRIC)
    nx, nh, ny = params["sizes"]
    if not v.add("returns an nn.Module", meta.get("is_module"),
                 f"init_model must return (model, loss) with model a torch.nn.Module; model is a "
                 f"{meta.get('model_type', 'nothing')}"):
        v.stop()
        return v
    modules = [str(m) for m in meta.get("modules", [])][:50] if isinstance(meta.get("modules"), list) else []
    X, G = arrays_in["X"].astype(np.float64), arrays_in["G"].astype(np.float64)
    weights, order = _linear_parameters(out, meta, nx, nh, ny)
    logits = out.get("logits")
    computes = False
    if weights is not None and isinstance(logits, np.ndarray) and logits.shape == (X.shape[0], ny):
        H, expected = _mlp_parts(X, *weights)
        computes = close(logits, expected, 1e-5)
        if computes:  # and through its parameters: the gradients a backward gives them
            W1, b1, W2, b2 = weights
            dH = G @ W2
            dZ = dH * (1 - H ** 2)
            expected_grads = [dZ.T @ X, dZ.sum(0), G.T @ H, G.sum(0)]
            grads = [out.get(f"grad{i}") for i in order]
            computes = all(g is not None and close(g, e, 1e-4) for g, e in zip(grads, expected_grads))
        else:
            with np.errstate(all="ignore"):
                for mistake, activation in MODEL_ACTIVATIONS.items():
                    if close(logits, _mlp_parts(X, *weights, activation)[1], 1e-5):
                        v.diagnose(mistake)
                        break
                else:
                    if close(logits, F.softmax(torch.from_numpy(expected), 1).numpy(), 1e-5) or close(
                            logits, F.log_softmax(torch.from_numpy(expected), 1).numpy(), 1e-5):
                        v.diagnose("nn_softmax_in_model")
    if not computes and not v.mistakes and weights is None:
        if "Tanh" not in modules:  # a structure that is not two Linear layers: word it from its modules
            others = [m for m in modules[1:] if m in ACTIVATIONS]
            if "Sigmoid" in others:
                v.diagnose("nn_sigmoid")
            elif others:
                v.diagnose("nn_other_activation")
    structure = ", ".join(modules[1:]) or "none"
    v.add("Linear -> Tanh -> Linear, logits out", computes,
          f"the model must map X to logits through Linear({nx}, {nh}) -> Tanh -> Linear({nh}, {ny}) of its own "
          f"parameters; on the grader's inputs it does not (its modules: {structure}"
          + ("" if weights is not None else f"; its parameters are not those of Linear({nx}, {nh}) and "
             f"Linear({nh}, {ny})") + ")")
    logits_in, Y = torch.from_numpy(arrays_in["logits_in"]), torch.from_numpy(arrays_in["Y"])
    expected_loss = float(F.cross_entropy(logits_in.double(), Y.argmax(1)))
    got = [as_scalar(value(out, f"loss_{tag}")) for tag in ("indices", "onehot")]
    loss_ok = any(g is not None and abs(g - expected_loss) < 1e-5 * max(1, expected_loss) for g in got)
    N = logits_in.shape[0]
    summed = any(g is not None and abs(g - N * expected_loss) < 1e-5 * max(1, N * expected_loss) for g in got)
    if not v.add("cross-entropy on logits", loss_ok,
                 f"the loss ({meta.get('loss_type')}) does not give the mean cross-entropy of logits"
                 + (f": it gives {N} times it for a batch of {N}, the sum over the batch" if summed else "")
                 + (": it is a class, not a loss object" if meta.get("loss_type") == "type" else "")):
        v.diagnose("nn_loss_summed" if summed else "nn_loss_class" if meta.get("loss_type") == "type"
                   else "nn_wrong_loss")
    return v


# --- loss_accuracy_nn -------------------------------------------------------------------------

def loss_accuracy_nn_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, {}
    for case, (N, ny) in NN_LOSS_CASES.items():
        Y = one_hot(g, N, ny, torch.float32)
        logits = 2 * torch.randn(N, ny, generator=g) + 2 * Y
        logits[0] = logits[0] - 6 * Y[0]
        arrays[f"{case}.Ytilde"], arrays[f"{case}.Y"] = logits.numpy(), Y.numpy()
        cases[case] = [N, ny]
    return arrays, {"cases": cases}


NN_LOSS_CASES = {"small": (7, 4), "tp": (10, 2)}
NN_LOSS_RUBRIC = Rubric({name: weight for case in NN_LOSS_CASES for name, weight in
                         ((f"L ({case})", 2), (f"L differentiable ({case})", 1), (f"acc ({case})", 1))})


def judge_loss_accuracy_nn(arrays_in, params, out, meta):
    v = Verdict(NN_LOSS_RUBRIC)
    for case, (N, ny) in params["cases"].items():
        logits, Y = torch.from_numpy(arrays_in[f"{case}.Ytilde"]).double(), torch.from_numpy(arrays_in[f"{case}.Y"])
        L_ref = float(F.cross_entropy(logits, Y.argmax(1)))
        acc_ref = float((logits.argmax(1) == Y.argmax(1)).double().mean())
        L, acc = as_scalar(value(out, f"{case}.L")), as_scalar(value(out, f"{case}.acc"))
        if meta.get(f"{case}.error"):
            v.fail([f"L ({case})", f"L differentiable ({case})", f"acc ({case})"],
                   f"loss_accuracy_nn raised {meta[f'{case}.error']}")
            continue
        tensor = is_tensor(meta, f"{case}.L")
        right = L is not None and abs(L - L_ref) < 1e-5 * max(1, L_ref)
        if not v.add(f"L ({case})", right and tensor,
                     "L must be the mean cross-entropy of the logits, as a tensor: it is "
                     + (f"{L:.4g}" if L is not None else "not a number") + f" ({type_of(meta, f'{case}.L')}), "
                     f"expected {L_ref:.4g}"):
            if right:
                v.diagnose("nn_loss_not_tensor")
            elif L is not None and abs(L - float(F.cross_entropy(F.softmax(logits, 1), Y.argmax(1)))) < 1e-5:
                v.diagnose("nn_softmax_before_loss")
        # The training loop calls L.backward(): the logits must receive the gradient (softmax - Y) / N.
        expected_grad = ((F.softmax(logits, 1) - Y.double()) / N).numpy()
        grad = out.get(f"{case}.dlogits")
        if not v.add(f"L differentiable ({case})", right and tensor and grad is not None and close(grad, expected_grad, 1e-4),
                     "L.backward() must give the logits the gradient of the mean cross-entropy"
                     + (f" ({meta[f'{case}.backward_error']})" if meta.get(f"{case}.backward_error") else
                        "; it gave them none" if grad is None else "")) and right and tensor:
            v.diagnose("nn_loss_not_differentiable")
        if not v.add(f"acc ({case})", acc is not None and abs(acc - acc_ref) < 1e-6,
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
    v = Verdict(SGD_NN_RUBRIC)
    eta = float(arrays_in["eta"])
    index = {name: i for i, name in enumerate(NN_PARAMS)}  # the probe records parameters by position

    def step(what, k, name):
        return out.get(f"step{k}.{what}{index[name]}", np.empty(0))
    _judge_two_steps(v, arrays_in, step, lambda k, n: meta.get(f"step{k}.grad{index[n]}_is_none"), NN_PARAMS, eta,
                     "nn_grads_not_zeroed", meta, tol=1e-5, ignores_eta="sgd_nn_ignores_eta")
    return v


# --- init_model_optim -------------------------------------------------------------------------

OPTIM_STEPS = (1, 2, 3)


def init_model_optim_inputs(seed):
    """Three steps' gradients, and large float64 weights to start from (probes.probe_init_model_optim)."""
    g = torch.Generator().manual_seed(seed)
    arrays = {f"grad{step}_{i}": torch.randn(*shape, generator=g, dtype=torch.float64).numpy()
              for step in OPTIM_STEPS for i, shape in enumerate(NN_SHAPES.values())}
    arrays.update({f"start_{i}": 30 * torch.randn(*shape, generator=g, dtype=torch.float64).numpy()
                   for i, shape in enumerate(NN_SHAPES.values())})
    arrays["eta"] = np.array(0.0123)
    return arrays, {"sizes": [3, 5, 4]}


def _optimizer_step(out, step, eta):
    """(exact, moved): whether the step gave every recorded parameter p - eta * grad, and whether it
    moved them all. In float64 (the probe's steps) to 1e-9: plain SGD is exact to ~1e-16 there, and
    a weight decay of 1e-4 is off by eta * 1e-4 = 1.2e-6; to 1e-5 in float32."""
    exact = moved = True
    found = False
    for i in range(10):
        before, after = out.get(f"step{step}.before{i}"), out.get(f"step{step}.after{i}")
        grad = out.get(f"step{step}.applied_grad{i}")
        if before is None:
            break
        found = True
        if after is None or grad is None or after.shape != before.shape or grad.shape != before.shape:
            return False, False
        tol = 1e-9 if after.dtype == np.float64 and before.dtype == np.float64 else 1e-5
        exact &= close(after, before.astype(np.float64) - eta * grad.astype(np.float64), tol)
        moved &= not np.array_equal(after, before)
    return exact and found, moved and found


INIT_MODEL_OPTIM_RUBRIC = Rubric({"returns a model and an optimizer": 1, "steps the model's parameters": 2,
                                  "plain SGD with lr = eta": 2})


def judge_init_model_optim(arrays_in, params, out, meta):
    """The optimizer is judged by what its steps do to the model's parameters (three steps in
    float64 from large weights: momentum shows in the second, a weight decay in every one); its type
    and settings only word the diagnosis."""
    v = Verdict(INIT_MODEL_OPTIM_RUBRIC)
    eta = float(arrays_in["eta"])
    if not v.add("returns a model and an optimizer", meta.get("is_module") and meta.get("is_optimizer"),
                 f"init_model_optim must return (model, loss, optim); model is a {meta.get('model_type', 'nothing')} "
                 f"and optim a {meta.get('optim_type', 'nothing')}"):
        v.stop()
        return v
    exact1, moved1 = _optimizer_step(out, 1, eta)
    exact2 = all(_optimizer_step(out, step, eta)[0] for step in OPTIM_STEPS[1:])
    if not v.add("steps the model's parameters", moved1, "optim.step() does not move the model's parameters: "
                 "the optimizer must hold exactly model.parameters()"):
        v.diagnose("optim_wrong_parameters")
    lrs = [x for x in meta.get("lr", []) if isinstance(x, (int, float))]
    settings = "".join(f", {name} {values}" for name in ("momentum", "weight_decay")
                       if any((values := [x for x in meta.get(name, []) if isinstance(x, (int, float))])))
    if not v.add("plain SGD with lr = eta", exact1 and exact2,
                 f"each step of optim must be p - eta * p.grad with eta = {eta} (plain SGD, lr = eta); it is "
                 f"{safe_name(meta.get('optim_type'))} with lr {lrs}{settings}"
                 + ("" if exact1 or not moved1 else "; its first step is not p - eta * p.grad")
                 + ("" if exact2 or not exact1 else "; a later step is not p - eta * p.grad (momentum?)")) and moved1:
        if not exact1 and any(abs(lr - eta) > 1e-12 for lr in lrs):
            v.diagnose("optim_ignores_eta")
        else:
            v.diagnose("optim_not_sgd")
    return v


def safe_name(x):
    return x if isinstance(x, str) else "an optimizer"
