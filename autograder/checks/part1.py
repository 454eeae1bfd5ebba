"""Part 1 (manual forward/backward): inputs for each question and the checks that judge them.

Each question has `inputs(seed) -> (arrays, params)` (what the probe receives) and
`judge(arrays_in, params, arrays_out, meta) -> Verdict`. Every function is fed inputs made by the
reference, so a mistake in forward never costs backward points. Sizes are all different
(N=7, nx=3, nh=5, ny=4) besides the TP's, so a transposed or (nh, 1)-shaped result cannot pass.
"""
import numpy as np
import torch

from .. import reference as ref
from .common import Verdict, as_scalar, close, describe_mismatch, ratio, shape_of, type_of, value

PARAMS = ("Wh", "bh", "Wy", "by")
OUTPUTS = ("X", "htilde", "h", "ytilde", "yhat")
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


def judge_shapes(v, out, meta, calls, names=PARAMS):
    ok = True
    for tag, (nx, nh, ny) in calls.items():
        if not (meta.get(tag) or {}).get("is_dict"):
            v.add(f"{tag}: returns a dict", 1, False, f"init_params({nx}, {nh}, {ny}) must return a dict, "
                  f"it returned {(meta.get(tag) or {}).get('type', 'nothing')}")
            return False
        expected = {"Wh": (nh, nx), "bh": (1, nh), "Wy": (ny, nh), "by": (1, ny)}
        for name in names:
            got = shape_of(meta, f"{tag}.{name}")
            if got != expected[name]:
                ok = False
                if got == expected[name][::-1] and name in ("Wh", "Wy"):
                    v.diagnose("params_in_out_layout")
                v.add(f"{name} shape", 1, False, f"{name} for sizes ({nx}, {nh}, {ny}) has shape {got}, "
                      f"expected {expected[name]}" if got is not None else f"{name} is missing or not a tensor "
                      f"({type_of(meta, f'{tag}.{name}')})")
                return False
    return v.add("shapes", 2, ok)


def judge_init_params(arrays_in, params, out, meta):
    v = Verdict()
    if not judge_shapes(v, out, meta, params["calls"]):
        v.add("biases zero", 1, False)
        v.add("weights N(0, 0.3^2)", 2, False)
        return v
    biases = [out[f"{tag}.{b}"] for tag in params["calls"] for b in ("bh", "by")]
    if not v.add("biases zero", 1, all(np.all(b == 0) for b in biases), "the biases must be zero"):
        v.diagnose("init_bias_random")
    weights = np.concatenate([out["big.Wh"].ravel(), out["big.Wy"].ravel()]).astype(np.float64)
    n, mean, std = weights.size, weights.mean(), weights.std()
    # 6 standard errors: a correct draw never fails, a wrong law always does.
    mean_ok = abs(mean) < 6 * 0.3 / np.sqrt(n)
    std_ok = abs(std - 0.3) < 6 * 0.3 / np.sqrt(2 * n)
    kurtosis = float(np.mean((weights - mean) ** 4) / std**4) if std > 0 else 0.0
    normal_ok = abs(kurtosis - 3.0) < 0.15
    passed = v.add("weights N(0, 0.3^2)", 2, mean_ok and std_ok and normal_ok,
                   f"the weights drawn for sizes (400, 300, 200) have mean {mean:.3f}, standard deviation "
                   f"{std:.3f} and kurtosis {kurtosis:.2f}; expected about 0, 0.3 and 3 (a normal law)")
    if not passed:
        if abs(std - 1.0) < 0.02:
            v.diagnose("init_no_scale")
        elif abs(std - np.sqrt(0.3)) < 0.02:
            v.diagnose("init_variance_as_std")
        if abs(kurtosis - 1.8) < 0.1:
            v.diagnose("init_uniform")
    return v


# --- forward ----------------------------------------------------------------------------------

def forward_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, {}
    for case, (N, nx, nh, ny), dtype, scale in (("small", SIZES["small"], torch.float32, 1.0),
                                                ("tp", SIZES["tp"], torch.float32, 1.0),
                                                ("f64", (6, 3, 5, 4), torch.float64, 1.0),
                                                ("large", (5, 3, 5, 4), torch.float32, 300.0)):
        P = random_params(g, nx, nh, ny, dtype)
        if case == "large":  # logits of several hundred: exp overflows without the max shift
            P["Wy"] = P["Wy"] * scale
        put(arrays, case, P)
        arrays[f"{case}.X"] = torch.randn(N, nx, generator=g, dtype=dtype).numpy()
        cases[case] = [N, nx, nh, ny]
    return arrays, {"cases": cases}


def _softmax(z, dim):
    return torch.softmax(z, dim=dim)


def judge_forward(arrays_in, params, out, meta):
    v = Verdict()
    for case, (N, nx, nh, ny) in params["cases"].items():
        P, X = tensors(arrays_in, case, PARAMS), torch.from_numpy(arrays_in[f"{case}.X"])
        expected_Yhat, expected = ref.forward({k: t.double() for k, t in P.items()}, X.double())
        got = value(out, f"{case}.Yhat")
        label = {"small": "N=7, nx=3, nh=5, ny=4", "tp": "the TP's sizes", "f64": "float64 inputs",
                 "large": "very large logits"}[case]
        if got is None or got.shape != (N, ny):
            shape = shape_of(meta, f"{case}.Yhat")
            v.add(f"Yhat ({label})", 2, False, f"Yhat ({label}) is a {type_of(meta, f'{case}.Yhat')}"
                  + (f" of shape {shape}" if shape is not None else "") + f", expected a tensor of shape ({N}, {ny})")
            continue
        if case == "f64":
            v.add("keeps float64", 0.5, meta[f"{case}.Yhat"].get("dtype") == "float64",
                  "with float64 inputs Yhat must be float64 (do not convert to float32)")
        tol = 1e-9 if case == "f64" else 1e-3
        if case == "large" and not np.all(np.isfinite(got)):
            v.diagnose("softmax_unstable")
        if v.add(f"Yhat ({label})", 2, close(got, expected_Yhat.numpy(), tol),
                 describe_mismatch(f"Yhat ({label})", got, expected_Yhat.numpy())):
            pass
        elif case != "large":
            _diagnose_forward(v, P, X, got, expected)
        inter = [name for name in ("htilde", "h", "ytilde")
                 if not close(out.get(f"{case}.outputs.{name}", np.empty(0)), expected[name].numpy(), max(tol, 1e-5))]
        if case != "large":
            v.add(f"outputs dict ({label})", 0.5, not inter,
                  "outputs must hold X, htilde, h, ytilde, yhat; wrong or missing: " + ", ".join(inter))
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
    for case, (N, ny), dtype in (("small", (7, 4), torch.float32), ("tp", (10, 2), torch.float32),
                                 ("f64", (9, 3), torch.float64)):
        Y = one_hot(g, N, ny, dtype)
        # Mostly right predictions, but not all: the accuracy is strictly between 0 and 1.
        logits = torch.randn(N, ny, generator=g, dtype=dtype) + 1.5 * Y
        logits[0] = logits[0] - 4 * Y[0]
        arrays[f"{case}.Yhat"], arrays[f"{case}.Y"] = torch.softmax(logits, 1).numpy(), Y.numpy()
        cases[case] = [N, ny]
    return arrays, {"cases": cases}


def judge_loss_accuracy(arrays_in, params, out, meta):
    v = Verdict()
    for case, (N, ny) in params["cases"].items():
        Yhat, Y = torch.from_numpy(arrays_in[f"{case}.Yhat"]), torch.from_numpy(arrays_in[f"{case}.Y"])
        L_ref, acc_ref = ref.loss_accuracy(Yhat.double(), Y.double())
        L_ref = float(L_ref)
        L, acc = as_scalar(value(out, f"{case}.L")), as_scalar(value(out, f"{case}.acc"))
        if case == "small":
            if not v.add("L is a 0-dim tensor", 0.5, type_of(meta, "small.L") == "torch.Tensor"
                         and shape_of(meta, "small.L") == (),
                         f"L must be a 0-dim tensor, it is a {type_of(meta, 'small.L')}"
                         + (f" of shape {shape_of(meta, 'small.L')}" if shape_of(meta, 'small.L') else "")):
                if type_of(meta, "small.L") != "torch.Tensor":
                    v.diagnose("loss_not_tensor")
        if v.add(f"L ({case})", 2, L is not None and abs(L - L_ref) <= 1e-5 * max(1, abs(L_ref)),
                 f"L for a batch of {N} examples and {ny} classes is "
                 + (f"{L:.4g}" if L is not None else type_of(meta, f"{case}.L")) + f", expected {L_ref:.4g}"):
            pass
        elif L is not None:
            for factor, mistake in ((N, "loss_summed"), (1 / ny, "loss_mean_over_classes"), (-1, "loss_sign")):
                if abs(L - factor * L_ref) <= 1e-4 * max(1, abs(L_ref * factor)):
                    v.diagnose(mistake)
        if not v.add(f"acc ({case})", 1, acc is not None and abs(acc - acc_ref) < 1e-6,
                     "acc is " + (f"{acc:.4g}" if acc is not None else type_of(meta, f"{case}.acc"))
                     + f" for a batch where {round(acc_ref * N)} of {N} rows are right, expected {acc_ref:.4g}"):
            if acc is not None and abs(acc - 100 * acc_ref) < 1e-4:
                v.diagnose("accuracy_percent")
            elif acc is not None and abs(acc - N * acc_ref) < 1e-4:
                v.diagnose("accuracy_count")
    return v


# --- backward ---------------------------------------------------------------------------------

def backward_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, {}
    for case, (N, nx, nh, ny), dtype in (("small", SIZES["small"], torch.float64),
                                         ("tp", SIZES["tp"], torch.float64),
                                         ("f32", (6, 4, 3, 5), torch.float32)):
        P = random_params(g, nx, nh, ny, dtype)
        X = torch.randn(N, nx, generator=g, dtype=dtype)
        _, outputs = ref.forward(P, X)
        put(arrays, case, P)
        put(arrays, case, outputs)
        arrays[f"{case}.Y"] = one_hot(g, N, ny, dtype).numpy()
        cases[case] = [N, nx, nh, ny]
    return arrays, {"cases": cases}


def _alternative_gradients(P, O, Y):
    """What the catalogued mistakes compute, for the diagnosis."""
    N = Y.shape[0]
    d_y = (O["yhat"] - Y) / N
    back = d_y @ P["Wy"]
    alternatives = {
        "missing_tanh_derivative": {"Wh": back.T @ O["X"], "bh": back.sum(0, keepdim=True)},
        "tanh_derivative_of_htilde": {"Wh": (back * (1 - O["htilde"] ** 2)).T @ O["X"],
                                      "bh": (back * (1 - O["htilde"] ** 2)).sum(0, keepdim=True)},
    }
    d_h = back * (1 - O["h"] ** 2)
    alternatives["h_instead_of_x"] = {"Wh": d_h.T @ O["h"]}
    alternatives["bias_not_summed"] = {"bh": d_h, "by": d_y}
    return alternatives


def judge_backward(arrays_in, params, out, meta, summed_credit=0.0):
    v = Verdict()
    factors = []
    for case, (N, nx, nh, ny) in params["cases"].items():
        P, O = tensors(arrays_in, case, PARAMS), tensors(arrays_in, case, OUTPUTS)
        Y = torch.from_numpy(arrays_in[f"{case}.Y"])
        expected = ref.backward({k: t.double() for k, t in P.items()}, {k: t.double() for k, t in O.items()}, Y.double())
        if not (meta.get(f"{case}.grads") or {}).get("is_dict"):
            v.add(f"gradients ({case})", 4, False, f"backward must return a dict of gradients, it returned "
                  f"{(meta.get(f'{case}.grads') or {}).get('type', 'nothing')}")
            continue
        tol = 1e-7 if case != "f32" else 1e-3
        alternatives = _alternative_gradients({k: t.double() for k, t in P.items()},
                                              {k: t.double() for k, t in O.items()}, Y.double())
        for name in PARAMS:
            got, want = value(out, f"{case}.grads.{name}"), expected[name].numpy()
            if got is None:
                v.add(f"d{name} ({case})", 1, False, f"the gradient of {name} is missing or not a tensor")
                continue
            if v.add(f"d{name} ({case})", 1, close(got, want, tol), describe_mismatch(f"d{name} ({case})", got, want)):
                continue
            c = ratio(got, want)
            if c is not None:
                factors.append(c / N)
                if abs(c - N) < 1e-6 * N and N > 1:
                    v.diagnose("grad_summed")
                elif abs(c + 1) < 1e-6:
                    v.diagnose("gradient_sign")
            if got.shape == want.T.shape and got.shape != want.shape and close(got.T, want, tol):
                v.diagnose("gradient_transposed")
            for mistake, alt in alternatives.items():
                if name in alt and close(got, alt[name].numpy(), 1e-5):
                    v.diagnose(mistake)
        if case == "f32":
            dtypes = {(meta.get(f"f32.grads.{n}") or {}).get("dtype") for n in PARAMS}
            v.add("keeps float32", 0.5, dtypes == {"float32"}, "with float32 inputs the gradients must be float32")
    if v.mistakes == ["grad_summed"] and factors and all(abs(f - 1) < 1e-6 for f in factors):
        # Consistently the gradient of the summed loss: a convention, whose credit is a setting.
        v.credit_override = summed_credit
    return v


# --- sgd --------------------------------------------------------------------------------------

def sgd_inputs(seed):
    g = torch.Generator().manual_seed(seed)
    arrays, cases = {}, []
    for case, (N, nx, nh, ny), dtype, eta in (("small", SIZES["small"], torch.float32, 0.05),
                                              ("f64", (1, 2, 6, 3), torch.float64, 0.7)):
        put(arrays, case, random_params(g, nx, nh, ny, dtype))
        for name, t in random_params(g, nx, nh, ny, dtype).items():
            arrays[f"{case}.grad_{name}"] = t.numpy()
        arrays[f"{case}.eta"] = np.array(eta)
        cases.append(case)
    return arrays, {"cases": cases}


def judge_sgd(arrays_in, params, out, meta):
    v = Verdict()
    for case in params["cases"]:
        eta = float(arrays_in[f"{case}.eta"])
        P = {n: arrays_in[f"{case}.{n}"].astype(np.float64) for n in PARAMS}
        G = {n: arrays_in[f"{case}.grad_{n}"].astype(np.float64) for n in PARAMS}
        expected = {n: P[n] - eta * G[n] for n in PARAMS}
        tol = 1e-6 if case == "small" else 1e-12
        if meta.get(f"{case}.returned_none"):
            in_place = all(close(out.get(f"{case}.after.{n}", np.empty(0)), expected[n], tol) for n in PARAMS)
            v.add(f"returns the new parameters ({case})", 2, False, "sgd returned None")
            if in_place:
                v.diagnose("sgd_no_return")
            continue
        got = {n: out.get(f"{case}.returned.{n}") for n in PARAMS}
        ok = all(g is not None and close(g, expected[n], tol) for n, g in got.items())
        if v.add(f"one step p - eta * grad ({case})", 2, ok,
                 "the returned parameters are not p - eta * grad (eta = %g)" % eta) or any(g is None for g in got.values()):
            continue
        for mistake, alt in (("sgd_adds_gradient", {n: P[n] + eta * G[n] for n in PARAMS}),
                             ("sgd_ignores_eta", {n: P[n] - G[n] for n in PARAMS})):
            if all(close(got[n], alt[n], tol) for n in PARAMS):
                v.diagnose(mistake)
    return v
