"""Part 1 (manual forward/backward): inputs for each question and the checks that judge them.

Each question has `inputs(seed) -> (arrays, params)` (what the probe receives) and
`judge(arrays_in, params, arrays_out, meta) -> Verdict`. Every function is fed inputs made by the
reference, so a mistake in forward never costs backward points. Sizes are all different
(N=7, nx=3, nh=5, ny=4) besides the TP's, so a transposed or (nh, 1)-shaped result cannot pass.
"""
import numpy as np
import torch

from .. import reference as ref
from ..config import CONTRACT
from .backward_source import LIBRARY_MARK
from .common import (Rubric, Verdict, as_scalar, close, describe_mismatch, dtype_of, fd_error, is_tensor,
                     numerical_gradients, ratio, rel_error, shape_of, type_of, value)

PARAMS, OUTPUTS = CONTRACT.PARAM_NAMES, CONTRACT.OUTPUT_NAMES  # the network's parameters, forward's outputs
SIZES = {"small": (7, 3, 5, 4), "tp": (10, 2, 10, 2)}  # (N, nx, nh, ny)


def random_params(g, nx, nh, ny, dtype, scale=1.0):
    """Parameters with non-zero biases, so a forgotten bias shows."""
    return {"Wh": scale * torch.randn(nh, nx, generator=g, dtype=dtype),
            "bh": 0.5 * torch.randn(1, nh, generator=g, dtype=dtype),
            "Wy": scale * torch.randn(ny, nh, generator=g, dtype=dtype),
            "by": 0.5 * torch.randn(1, ny, generator=g, dtype=dtype)}


def one_hot(g, N, ny, dtype):
    return torch.eye(ny, dtype=dtype)[torch.randint(0, ny, (N,), generator=g)]


def put(arrays, case, tensors):
    for name, t in tensors.items():
        arrays[f"{case}.{name}"] = t.detach().numpy()


def tensors(arrays, case, names):
    return {name: torch.from_numpy(arrays[f"{case}.{name}"]) for name in names}


# --- init_params ------------------------------------------------------------------------------

INIT_CALLS = {"small": [3, 5, 4], "tp": [2, 10, 2], "big": [400, 300, 200]}


def init_params_inputs(seed):
    return {}, {"calls": INIT_CALLS}


INIT_PARAMS_RUBRIC = Rubric({"shapes": 2, "float32 tensors": 1, "biases zero": 1, "weights N(0, 0.3^2)": 2})


def judge_shapes(v, out, meta, calls, names=PARAMS):
    """The "shapes" check of the dicts init_params (or init_params_autograd) returned for each call."""
    for tag, (nx, nh, ny) in calls.items():
        if not (meta.get(tag) or {}).get("is_dict"):
            return v.add("shapes", False, f"init_params({nx}, {nh}, {ny}) must return a dict, "
                         f"it returned {(meta.get(tag) or {}).get('type', 'nothing')}")
        expected = {"Wh": (nh, nx), "bh": (1, nh), "Wy": (ny, nh), "by": (1, ny)}
        for name in names:
            got = shape_of(meta, f"{tag}.{name}")
            if got != expected[name]:
                v.add("shapes", False, f"{name} for sizes ({nx}, {nh}, {ny}) has shape {got}, "
                      f"expected {expected[name]}" if got is not None else f"{name} is missing or not a tensor "
                      f"({type_of(meta, f'{tag}.{name}')})")
                if got == expected[name][::-1] and name in ("Wh", "Wy"):
                    v.link("params_in_out_layout")
                return False
    return v.add("shapes", True)


def judge_float32_tensors(v, out, meta, calls, function="init_params"):
    """The "float32 tensors" check: every parameter of every call is a torch tensor of float32, the
    dtype of every tensor of the TP (what the probe found: isinstance, and the recorded array's dtype)."""
    found = {}  # (what it is) -> the first parameter that is that
    for tag, (nx, nh, ny) in calls.items():
        if not (meta.get(tag) or {}).get("is_dict") or any(not meta.get(f"{tag}.{name}") for name in PARAMS):
            return False  # no dict of the four: not judged (the "shapes" check says why, and stops the rest)
        for name in PARAMS:
            d = meta[f"{tag}.{name}"]
            what = (f"a {dtype_of(out, meta, f'{tag}.{name}')} tensor" if d.get("is_tensor") else
                    f"a {d.get('type', 'nothing')}" + (f" of {d['dtype']}" if d.get("dtype") else ""))
            if what != "a float32 tensor":
                found.setdefault(what, f"{name} of {function}({nx}, {nh}, {ny})")
    if v.add("float32 tensors", not found, "the parameters must be float32 torch tensors (the dtype of every tensor "
             "of the TP, torch's default): " + "; ".join(f"{where} is {what}" for what, where in found.items())):
        return True
    if any(what.startswith("a numpy.ndarray") for what in found):
        v.link("params_not_tensors")
    elif any(what == "a float64 tensor" for what in found):
        v.link("params_float64")
    return False


def judge_init_params(arrays_in, params, out, meta):
    v = Verdict(INIT_PARAMS_RUBRIC)
    judge_float32_tensors(v, out, meta, params["calls"])
    if not judge_shapes(v, out, meta, params["calls"]):
        v.stop(v.checks["shapes"].mistake)  # what makes the shapes wrong also keeps the law from being judged
        return v
    judge_law(v, out, params["calls"], {"init_no_scale": "init_no_scale", "init_variance_as_std": "init_variance_as_std",
                                        "init_uniform": "init_uniform", "init_bias_random": "init_bias_random"})
    return v


def judge_law(v, out, calls, mistakes):
    """Biases zero and weights i.i.d. N(0, 0.3^2) (the large call's), with the mistakes' ids for the
    catalogued laws (keys: init_no_scale, init_variance_as_std, init_uniform, init_bias_random)."""
    biases = [out[f"{tag}.{b}"] for tag in calls for b in ("bh", "by") if f"{tag}.{b}" in out]
    if not v.add("biases zero", len(biases) == 2 * len(calls) and all(np.all(b == 0) for b in biases),
                 "the biases must be zero"):
        v.link(mistakes["init_bias_random"])
    weights = np.concatenate([out["big.Wh"].ravel(), out["big.Wy"].ravel()]).astype(np.float64)
    n, mean, std = weights.size, weights.mean(), weights.std()
    # 6 standard errors: a correct draw never fails, a wrong law always does.
    mean_ok = abs(mean) < 6 * 0.3 / np.sqrt(n)
    std_ok = abs(std - 0.3) < 6 * 0.3 / np.sqrt(2 * n)
    kurtosis = float(np.mean((weights - mean) ** 4) / std**4) if std > 0 else 0.0
    normal_ok = abs(kurtosis - 3.0) < 0.15
    passed = v.add("weights N(0, 0.3^2)", mean_ok and std_ok and normal_ok,
                   f"the weights drawn for sizes (400, 300, 200) have mean {mean:.3f}, standard deviation "
                   f"{std:.3f} and kurtosis {kurtosis:.2f}; expected about 0, 0.3 and 3 (a normal law)")
    if not passed:
        if abs(std - 1.0) < 0.02:
            v.link(mistakes["init_no_scale"])
        elif abs(std - np.sqrt(0.3)) < 0.02:
            v.link(mistakes["init_variance_as_std"])
        if abs(kurtosis - 1.8) < 0.1:
            v.link(mistakes["init_uniform"])
    return passed


# --- forward ----------------------------------------------------------------------------------

FORWARD_CASES = {  # case: (N, nx, nh, ny), dtype, what the feedback calls it
    "small": ((7, 3, 5, 4), torch.float32, "N=7, nx=3, nh=5, ny=4"),
    "tp": ((10, 2, 10, 2), torch.float32, "the TP's sizes"),
    "f64": ((6, 3, 5, 4), torch.float64, "float64 inputs"),
    "large": ((5, 3, 5, 4), torch.float32, "logits of +-1000"),
    "negative": ((5, 3, 5, 4), torch.float32, "logits all near -1000"),
}
STABILITY_CASES = ("large", "negative")


def forward_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, {}
    for case, ((N, nx, nh, ny), dtype, _) in FORWARD_CASES.items():
        P = random_params(g, nx, nh, ny, dtype)
        X = torch.randn(N, nx, generator=g, dtype=dtype)
        if case == "large":  # exp(1000) overflows: the largest logit is exactly +-1000
            P["by"] = torch.zeros(1, ny, dtype=dtype)
            logits = ref.forward({k: t.double() for k, t in P.items()}, X.double())[1]["ytilde"]
            P["Wy"] = (P["Wy"].double() * 1000 / logits.abs().max()).to(dtype)
        elif case == "negative":  # exp(-1000) underflows to 0: 0 / 0 without the max shift
            P["by"] = torch.full((1, ny), -1000.0, dtype=dtype)
        put(arrays, case, P)
        arrays[f"{case}.X"] = X.numpy()
        cases[case] = [N, nx, nh, ny]
    return arrays, {"cases": cases}


def _softmax(z, dim):
    return torch.softmax(z, dim=dim)


DTYPE_CASES = ("small", "f64")  # where forward must keep the input's dtype
FORWARD_RUBRIC = Rubric(
    {f"Yhat ({label})": 1 if case in STABILITY_CASES else 2 for case, (_, _, label) in FORWARD_CASES.items()}
    | {f"keeps {str(FORWARD_CASES[case][1]).replace('torch.', '')}": 0.5 for case in DTYPE_CASES}
    | {f"outputs dict ({label})": 0.5 for case, (_, _, label) in FORWARD_CASES.items() if case not in STABILITY_CASES})


def judge_forward(arrays_in, params, out, meta):
    v = Verdict(FORWARD_RUBRIC)
    overflow = False  # NaN or inf for huge logits
    for case, (N, nx, nh, ny) in params["cases"].items():
        P, X = tensors(arrays_in, case, PARAMS), torch.from_numpy(arrays_in[f"{case}.X"])
        expected_Yhat, expected = ref.forward({k: t.double() for k, t in P.items()}, X.double())
        got = value(out, f"{case}.Yhat")
        label = FORWARD_CASES[case][2]
        stability = case in STABILITY_CASES
        if meta.get(f"{case}.error"):
            v.add(f"Yhat ({label})", False, f"forward raised {meta[f'{case}.error']} ({label})")
            continue
        if got is None or got.shape != (N, ny):
            shape = shape_of(meta, f"{case}.Yhat")
            v.add(f"Yhat ({label})", False, f"Yhat ({label}) is a {type_of(meta, f'{case}.Yhat')}"
                  + (f" of shape {shape}" if shape is not None else "") + f", expected a tensor of shape ({N}, {ny})")
            continue
        if case in DTYPE_CASES:
            want = str(FORWARD_CASES[case][1]).replace("torch.", "")
            dtype = dtype_of(out, meta, f"{case}.Yhat")
            if not v.add(f"keeps {want}", dtype == want and is_tensor(meta, f"{case}.Yhat"),
                         f"with {want} inputs Yhat must be a {want} tensor, it is {dtype} "
                         f"(compute in the dtype of X, do not convert)"):
                v.diagnose("dtype_changed")
        tol = 1e-9 if case == "f64" else 1e-3
        if stability and not np.all(np.isfinite(got)):
            overflow = True
        if not v.add(f"Yhat ({label})", close(got, expected_Yhat.numpy(), tol),
                     describe_mismatch(f"Yhat ({label})", got, expected_Yhat.numpy())) and not stability:
            _diagnose_forward(v, P, X, got, expected)
        if stability:
            continue
        d = meta.get(f"{case}.outputs") or {}
        keys = d.get("keys", []) if d.get("is_dict") else []
        missing = [name for name in OUTPUTS if name not in keys]
        wrong = [name for name in OUTPUTS if name in keys and not close(
            out.get(f"{case}.outputs.{name}", np.empty(0)), expected[name].numpy(), max(tol, 1e-5))]
        if not v.add(f"outputs dict ({label})", not missing and not wrong,
                     "outputs must be a dict holding X, htilde, h, ytilde, yhat"
                     + (f"; missing: {', '.join(missing)}" if missing else "")
                     + (f"; wrong: {', '.join(wrong)}" if wrong else "")):
            if missing:
                v.diagnose("outputs_incomplete")
    if overflow and not set(v.mistakes) - {"outputs_incomplete", "dtype_changed"}:
        # Only when nothing else explains it: a SoftMax over the wrong axis also gives 0 / 0 there.
        v.diagnose("softmax_unstable")
    return v


def _diagnose_forward(v, P, X, got, expected):
    P = {k: t.double() for k, t in P.items()}
    X = X.double()
    htilde = X @ P["Wh"].T + P["bh"]
    for mistake, h in (("sigmoid_hidden", torch.sigmoid(htilde)), ("no_hidden_activation", htilde)):
        if close(got, _softmax(h @ P["Wy"].T + P["by"], 1).numpy(), 1e-4):
            v.diagnose(mistake)
            return
    if close(got, _softmax(expected["ytilde"], 0).numpy(), 1e-4) or (
            np.allclose(got.sum(0), 1, atol=1e-4) and not np.allclose(got.sum(1), 1, atol=1e-3)):
        v.diagnose("softmax_wrong_axis")
    elif close(got, expected["ytilde"].numpy(), 1e-4) or not np.allclose(got.sum(1), 1, atol=1e-3):
        v.diagnose("no_softmax")
    else:
        h_no_bh = torch.tanh(X @ P["Wh"].T)
        if close(got, _softmax(h_no_bh @ P["Wy"].T + P["by"], 1).numpy(), 1e-4) or \
                close(got, _softmax(expected["h"] @ P["Wy"].T, 1).numpy(), 1e-4):
            v.diagnose("forward_bias_missing")


# --- loss_accuracy ----------------------------------------------------------------------------

def loss_accuracy_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, {}
    for case, ((N, ny), dtype) in LOSS_CASES.items():
        Y = one_hot(g, N, ny, dtype)
        # Mostly right predictions, but not all: the accuracy is strictly between 0 and 1.
        logits = torch.randn(N, ny, generator=g, dtype=dtype) + 1.5 * Y
        logits[0] = logits[0] - 4 * Y[0]
        if ny > 2:  # a row that is right with a true-class probability below 1/2 (0.33 for 4 classes, 0.43 for 3)
            logits[1] = 0.6 + 0.4 * Y[1]
        arrays[f"{case}.Yhat"], arrays[f"{case}.Y"] = torch.softmax(logits, 1).numpy(), Y.numpy()
        cases[case] = [N, ny]
    return arrays, {"cases": cases}


LOSS_CASES = {"small": ((7, 4), torch.float32), "tp": ((10, 2), torch.float32), "f64": ((9, 3), torch.float64)}
LOSS_RUBRIC = Rubric({"L is a 0-dim tensor": 0.5} | {name: weight for case in LOSS_CASES
                                                    for name, weight in ((f"L ({case})", 2), (f"acc ({case})", 1))})


def judge_loss_accuracy(arrays_in, params, out, meta):
    v = Verdict(LOSS_RUBRIC)
    for case, (N, ny) in params["cases"].items():
        Yhat, Y = torch.from_numpy(arrays_in[f"{case}.Yhat"]), torch.from_numpy(arrays_in[f"{case}.Y"])
        L_ref, acc_ref = ref.loss_accuracy(Yhat.double(), Y.double())
        L_ref = float(L_ref)
        L, acc = as_scalar(value(out, f"{case}.L")), as_scalar(value(out, f"{case}.acc"))
        if meta.get(f"{case}.error"):
            v.fail([f"L ({case})", f"acc ({case})"], f"loss_accuracy raised {meta[f'{case}.error']} for a batch of "
                   f"{N} examples and {ny} classes")
            continue
        swapped = (L is not None and acc is not None and abs(L - acc_ref) < 1e-6
                   and abs(acc - L_ref) <= 1e-5 * max(1, abs(L_ref)) and abs(L_ref - acc_ref) > 1e-3)
        if swapped:
            v.diagnose("loss_accuracy_swapped")
        if case == "small":
            if not v.add("L is a 0-dim tensor", is_tensor(meta, "small.L") and shape_of(meta, "small.L") == (),
                         f"L must be a 0-dim tensor, it is a {type_of(meta, 'small.L')}"
                         + (f" of shape {shape_of(meta, 'small.L')}" if shape_of(meta, 'small.L') else "")):
                if not is_tensor(meta, "small.L") and not swapped:
                    v.diagnose("loss_not_tensor")
        if v.add(f"L ({case})", L is not None and abs(L - L_ref) <= 1e-5 * max(1, abs(L_ref)),
                 f"L for a batch of {N} examples and {ny} classes is "
                 + (f"{L:.4g}" if L is not None else type_of(meta, f"{case}.L")) + f", expected {L_ref:.4g}"):
            pass
        elif L is not None and not swapped:
            for factor, mistake in ((N, "loss_summed"), (1 / ny, "loss_mean_over_classes"), (-1, "loss_sign")):
                if abs(L - factor * L_ref) <= 1e-4 * max(1, abs(L_ref * factor)):
                    v.diagnose(mistake)
        if not v.add(f"acc ({case})", acc is not None and abs(acc - acc_ref) < 1e-6,
                     "acc is " + (f"{acc:.4g}" if acc is not None else type_of(meta, f"{case}.acc"))
                     + f" for a batch where {round(acc_ref * N)} of {N} rows are right, expected {acc_ref:.4g}"):
            if swapped:
                pass
            elif acc is not None and abs(acc - 100 * acc_ref) < 1e-4:
                v.diagnose("accuracy_percent")
            elif acc is not None and abs(acc - N * acc_ref) < 1e-4:
                v.diagnose("accuracy_count")
            elif acc is not None and abs(acc - float(((Yhat * Y).sum(1) > 0.5).double().mean())) < 1e-6:
                v.diagnose("accuracy_threshold")
    return v


# --- backward ---------------------------------------------------------------------------------

# Centred differences (h = 1e-5, entries compared at no less than fd_resolution) of a right gradient
# are within ~1e-7 of it in float64; a wrong gradient is off by ~1e-1.
FD_TOL = 1e-5
BACKWARD_CASES = {  # case: (N, nx, nh, ny), dtype
    "small": ((7, 3, 5, 4), torch.float64),
    "tp": ((10, 2, 10, 2), torch.float64),
    "f32": ((6, 4, 3, 5), torch.float32),
    # A network far larger than the TP's (32,760 parameters): backpropagation by hand costs it a few
    # milliseconds, differentiating the loss by perturbing each parameter (finite differences, a
    # complex step) ~65,000 forward passes of 16 M multiply-adds, minutes: far over backward's budget.
    # Its weights are scaled by 1 / sqrt(nx) so that tanh does not saturate. Drawn last: the other
    # cases' inputs do not change.
    "large": ((500, 120, 250, 10), torch.float64),
}
LARGE = "large"
BACKWARD_TIMEOUT_HINT = (
    "an infinite loop, or the large case: N={0}, nx={1}, nh={2}, ny={3}, 32,760 parameters, where backpropagation "
    "by hand takes milliseconds and differentiating the loss by perturbing the parameters (finite differences, a "
    "complex step: a forward pass per parameter) takes minutes. Part 1 asks for the gradients by hand, with the "
    "chain rule".format(*BACKWARD_CASES[LARGE][0]))


BACKWARD_RUBRIC = Rubric({f"d{name} ({case})": 1 for case in BACKWARD_CASES for name in PARAMS} | {"keeps float32": 0.5})


def backward_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, {}
    for case, ((N, nx, nh, ny), dtype) in BACKWARD_CASES.items():
        P = random_params(g, nx, nh, ny, dtype, scale=1 / np.sqrt(nx) if case == LARGE else 1.0)
        X = torch.randn(N, nx, generator=g, dtype=dtype)
        _, outputs = ref.forward(P, X)
        put(arrays, case, P)
        put(arrays, case, outputs)
        arrays[f"{case}.Y"] = one_hot(g, N, ny, dtype).numpy()
        cases[case] = [N, nx, nh, ny]
    return arrays, {"cases": cases}


def mean_cross_entropy(P, X, Y):
    """The loss whose gradients backward returns, through the reference's forward."""
    Yhat, _ = ref.forward(P, X)
    return -(Y * torch.log(Yhat)).sum(dim=1).mean()


def expected_gradients(P, X, Y, check=True):
    """The gradients of the mean loss at P, in float64, two independent ways: autograd, and centred
    finite differences (CS231n's gradient check), and the entry size the latter resolves. Without
    `check` (the large case, where finite differences would cost minutes), autograd's only: (autograd,
    None, None)."""
    P = {k: torch.as_tensor(t).double() for k, t in P.items()}
    X, Y = torch.as_tensor(X).double(), torch.as_tensor(Y).double()
    leaves = {k: t.clone().requires_grad_(True) for k, t in P.items()}
    mean_cross_entropy(leaves, X, Y).backward()
    autograd = {k: t.grad.numpy() for k, t in leaves.items()}
    if not check:
        return autograd, None, None

    def loss(arrays):
        return float(mean_cross_entropy({k: torch.from_numpy(a) for k, a in arrays.items()}, X, Y))

    numerical, resolution = numerical_gradients(loss, {k: t.numpy() for k, t in P.items()})
    return autograd, numerical, resolution


def _alternative_gradients(P, O, Y):
    """What the catalogued mistakes compute, for the diagnosis."""
    N = Y.shape[0]
    d_y = (O["yhat"] - Y) / N
    back = d_y @ P["Wy"]
    alternatives = {
        "missing_tanh_derivative": {"Wh": back.T @ O["X"], "bh": back.sum(0, keepdim=True)},
        "tanh_derivative_of_htilde": {"Wh": (back * (1 - O["htilde"] ** 2)).T @ O["X"],
                                      "bh": (back * (1 - O["htilde"] ** 2)).sum(0, keepdim=True)},
        "htilde_instead_of_h": {"Wy": d_y.T @ O["htilde"]},
        "tanh_applied_twice": {"Wh": (back * (1 - torch.tanh(O["h"]) ** 2)).T @ O["X"],
                               "bh": (back * (1 - torch.tanh(O["h"]) ** 2)).sum(0, keepdim=True)},
    }
    d_h = back * (1 - O["h"] ** 2)
    alternatives["h_instead_of_x"] = {"Wh": d_h.T @ O["h"]}
    alternatives["bias_not_summed"] = {"bh": d_h, "by": d_y}
    return alternatives


def _renamed_keys(keys):
    """Keys such as dWh, grad_Wh, d_wh: the gradients under other names."""
    lowered = [str(k).lower() for k in keys]
    return [k for k, low in zip(keys, lowered) if low not in {n.lower() for n in PARAMS}
            and any(low.endswith(n.lower()) for n in PARAMS)]


_EXPECTED = {}  # (case, its inputs' bytes) -> expected_gradients: read, never changed, by the judges


def judge_backward(arrays_in, params, out, meta, summed_credit=0.0, autograd_uses=()):
    """autograd_uses: where the notebook's backward (or a function of the notebook it calls) uses
    torch.autograd, torch.func or functorch, found in its source by the grader."""
    v = Verdict(BACKWARD_RUBRIC)
    library = [meta[f"{case}.library_blocked"] for case in params["cases"] if meta.get(f"{case}.library_blocked")]
    if library:
        v.diagnose("backward_not_derived")
        v.fail(list(BACKWARD_RUBRIC), f"backward does not compute the gradients by hand: {library[0]}")
        return v
    loads = [use for use in autograd_uses if use.endswith(LIBRARY_MARK)]
    if loads:
        v.diagnose("backward_not_derived")
        v.fail(list(BACKWARD_RUBRIC), "backward does not compute the gradients by hand: its code loads a library's "
               "code where the grader's guard cannot watch it (" + ", ".join(u.replace(" " + LIBRARY_MARK, "")
                                                                          for u in loads[:3]) + ")")
        return v
    blocked = [case for case in params["cases"] if meta.get(f"{case}.autograd_blocked")]
    if blocked or autograd_uses:
        v.diagnose("backward_uses_autograd")
        how = ("it ran autograd when the grader called it where autograd cannot run" if blocked else
               "its code calls autograd (" + ", ".join(autograd_uses[:3]) + ")")
        v.fail(list(BACKWARD_RUBRIC), f"backward does not compute the gradients by hand: {how}")
        return v
    all_summed = True  # every gradient exactly N times the expected one: the summed-loss convention
    explained = set()  # the gradients whose mismatch the feedback has described in full
    for case, (N, nx, nh, ny) in params["cases"].items():
        P, O = tensors(arrays_in, case, PARAMS), tensors(arrays_in, case, OUTPUTS)
        Y = torch.from_numpy(arrays_in[f"{case}.Y"])
        P64, O64 = {k: t.double() for k, t in P.items()}, {k: t.double() for k, t in O.items()}
        key = (case,) + tuple(arrays_in[f"{case}.{n}"].tobytes() for n in (*PARAMS, "X", "Y"))
        if key not in _EXPECTED:  # the grader's inputs only: the same for every submission of a batch
            _EXPECTED[key] = expected_gradients(P64, O64["X"], Y.double(), check=case != LARGE)
        autograd, numerical, resolution = _EXPECTED[key]
        grads_meta = meta.get(f"{case}.grads") or {}
        if meta.get(f"{case}.error"):
            all_summed = False
            v.fail([f"d{name} ({case})" for name in PARAMS], f"backward raised {meta[f'{case}.error']} for "
                  f"N={N}, nx={nx}, nh={nh}, ny={ny}")
            continue
        if not grads_meta.get("is_dict"):
            all_summed = False
            v.fail([f"d{name} ({case})" for name in PARAMS], f"backward must return a dict of gradients, it returned "
                  f"{grads_meta.get('type', 'nothing')}")
            continue
        keys = grads_meta.get("keys", [])
        if not set(PARAMS) & set(keys):
            all_summed = False
            v.fail([f"d{name} ({case})" for name in PARAMS], f"the gradients must be a dict with the keys Wh, bh, Wy, by; "
                  f"its keys are {', '.join(map(str, keys)) or 'none'}")
            if _renamed_keys(keys):
                v.diagnose("grad_keys_renamed")
            continue
        tol = 1e-6 if case != "f32" else 1e-3  # float64: a right gradient is ~1e-8 off, a wrong one ~1e-1
        alternatives = _alternative_gradients(P64, O64, Y.double())
        sizes = f"N={N}, nx={nx}, nh={nh}, ny={ny}"
        for name in PARAMS:
            got, want = value(out, f"{case}.grads.{name}"), autograd[name]
            if got is None:
                all_summed = False
                if name in keys:
                    message = f"the gradient of {name} is not a tensor ({type_of(meta, f'{case}.grads.{name}')})"
                else:
                    message = f"the gradients have no {name!r} (their keys: {', '.join(map(str, keys))})"
                v.add(f"d{name} ({case})", False, message)
                continue
            fd_err = fd_error(got, numerical[name], resolution) if numerical is not None else 0.0
            if name in explained:  # said once in full, for the first sizes where it is wrong
                message = (f"d{name} ({sizes}) is wrong too" + (f": max relative error {rel_error(got, want):.2g}"
                                                                if got.shape == want.shape else f": shape {got.shape}"))
            else:
                message = describe_mismatch(f"d{name} ({sizes})", got, want) + (
                    f"; against a finite-difference gradient check: relative error {fd_err:.2g}"
                    if np.isfinite(fd_err) and numerical is not None else "")
            if v.add(f"d{name} ({case})", close(got, want, tol) and fd_err < max(tol, FD_TOL), message):
                all_summed = False
                continue
            explained.add(name)
            _diagnose_gradient(v, name, got, want, N, tol, alternatives)
            c = ratio(got, want, max(tol, 1e-5))
            all_summed &= c is not None and abs(c - N) <= max(tol, 1e-6) * N
        if case == "f32":
            dtypes = {dtype_of(out, meta, f"f32.grads.{n}") for n in PARAMS if f"f32.grads.{n}" in out}
            if not v.add("keeps float32", dtypes == {"float32"},
                         "with float32 inputs the gradients must be float32, they are "
                         + ", ".join(sorted(dtypes))) and dtypes:
                v.diagnose("dtype_changed_backward")
    if _not_derived(v, params):
        return v
    if v.mistakes == ["grad_summed"] and all_summed:
        # Consistently the gradient of the summed loss: a convention, whose credit is a setting.
        v.credit_override = summed_credit
        v.credit_reason = ("every gradient is exactly the gradient of the summed loss (the course's cheat-sheet "
                           "convention), which the kit's settings credit")
    return v


def _not_derived(v, params):
    """A gradient right on every small network but not on the large one is not computed by one
    derivation: it comes from perturbing the loss where that is cheap (a backward that falls back
    on something else, or gives up, for large networks). Every check fails, named as such."""
    if LARGE not in params["cases"]:
        return False
    small = [case for case in params["cases"] if case != LARGE]
    names = [name for name in PARAMS if all(v.checks.get(f"d{name} ({case})") and v.checks[f"d{name} ({case})"].passed
                                            for case in small)
             and not (v.checks.get(f"d{name} ({LARGE})") and v.checks[f"d{name} ({LARGE})"].passed)]
    if not names:
        return False
    N, nx, nh, ny = params["cases"][LARGE]
    why = v.checks.get(f"d{names[0]} ({LARGE})")
    v.checks.clear()
    v.mistakes.clear()
    v.diagnose("backward_not_derived")
    v.fail(list(BACKWARD_RUBRIC), f"backward gives the right {', '.join('d' + n for n in names)} on the small "
           f"networks but not on the large one (N={N}, nx={nx}, nh={nh}, ny={ny})"
           + (f": {why.message}" if why is not None and why.message else "") + ". A backward derived by hand "
           "computes every size the same way, in milliseconds")
    return True


def _diagnose_gradient(v, name, got, want, N, tol, alternatives):
    if got.shape == want.T.shape and got.shape != want.shape and close(got.T, want, tol):
        v.diagnose("gradient_transposed")
        return
    if name in ("bh", "by") and got.shape == want.shape[1:] and close(got.reshape(want.shape), want, tol):
        v.diagnose("bias_grad_shape")
        return
    c, tol = ratio(got, want, max(tol, 1e-5)), max(tol, 1e-6)
    if c is not None:
        if abs(c - N) <= tol * N and N > 1:
            v.diagnose("grad_summed")
        elif abs(c + 1) <= tol:
            v.diagnose("gradient_sign")
        elif abs(c - 1 / N) <= tol / N and name in ("bh", "by"):
            v.diagnose("bias_grad_mean")
        return
    for mistake, alt in alternatives.items():
        if name in alt and close(got, alt[name].numpy(), 1e-5):
            v.diagnose(mistake)


# --- sgd --------------------------------------------------------------------------------------

SGD_CASES = {"small": (SIZES["small"], torch.float32, 0.05), "f64": ((1, 2, 6, 3), torch.float64, 0.7)}
SGD_RUBRIC = Rubric({f"one step p - eta * grad ({case})": 2 for case in SGD_CASES})


def sgd_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, []
    for case, ((N, nx, nh, ny), dtype, eta) in SGD_CASES.items():
        put(arrays, case, random_params(g, nx, nh, ny, dtype))
        for name, t in random_params(g, nx, nh, ny, dtype).items():
            arrays[f"{case}.grad_{name}"] = t.numpy()
        arrays[f"{case}.eta"] = np.array(eta)
        cases.append(case)
    return arrays, {"cases": cases}


def judge_sgd(arrays_in, params, out, meta):
    v = Verdict(SGD_RUBRIC)
    for case in params["cases"]:
        eta = float(arrays_in[f"{case}.eta"])
        P = {n: arrays_in[f"{case}.{n}"].astype(np.float64) for n in PARAMS}
        G = {n: arrays_in[f"{case}.grad_{n}"].astype(np.float64) for n in PARAMS}
        expected = {n: P[n] - eta * G[n] for n in PARAMS}
        tol = 1e-6 if case == "small" else 1e-12
        if meta.get(f"{case}.error"):
            v.add(f"one step p - eta * grad ({case})", False, f"sgd raised {meta[f'{case}.error']}")
            continue
        if meta.get(f"{case}.returned_none"):
            in_place = all(close(out.get(f"{case}.after.{n}", np.empty(0)), expected[n], tol) for n in PARAMS)
            v.add(f"one step p - eta * grad ({case})", False, "sgd returned None: it must return the new parameters")
            if in_place:
                v.diagnose("sgd_no_return")
            continue
        got = {n: out.get(f"{case}.returned.{n}") for n in PARAMS}
        ok = all(g is not None and close(g, expected[n], tol) for n, g in got.items())
        unchanged = not ok and all(g is not None and np.shape(g) == P[n].shape and np.array_equal(g, P[n])
                                   for n, g in got.items())
        if v.add(f"one step p - eta * grad ({case})", ok,
                 "the returned parameters are the ones sgd received, unchanged" if unchanged else
                 "the returned parameters are not p - eta * grad (eta = %g)" % eta) or any(g is None for g in got.values()):
            continue
        if unchanged:
            v.diagnose("sgd_no_step")
            continue
        for mistake, alt in (("sgd_adds_gradient", {n: P[n] + eta * G[n] for n in PARAMS}),
                             ("sgd_ignores_eta", {n: P[n] - G[n] for n in PARAMS})):
            if all(close(got[n], alt[n], tol) for n in PARAMS):
                v.diagnose(mistake)
    return v
