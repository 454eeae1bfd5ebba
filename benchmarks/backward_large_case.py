"""What backward's large case costs: backpropagation by hand, and differentiation by perturbation.

The large case of autograder/checks/part1.py (BACKWARD_CASES["large"]) is there so that a backward
that perturbs the loss (finite differences, a complex step) cannot finish within backward's budget
(checks.BY_ID["backward"].seconds), while any derivation by hand takes milliseconds. This prints, on
one thread as in the sandbox:
- the reference's backward and the NumPy variant that recomputes the forward (tests/test_variants.py);
- the CPU time of one batched forward pass per perturbed parameter, and the central finite
  differences' estimated total (2 passes per parameter), against the budget;
- what the Circles step check (probes._check_step) adds to one training run.
Run by hand: `.venv/bin/python benchmarks/backward_large_case.py` (about 30 s).
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "autograder" / "untrusted"), str(ROOT / "solutions")]

from autograder import checks, reference as ref  # noqa: E402
from autograder.checks import accuracy, part1  # noqa: E402

import probes  # noqa: E402


def cpu(f, repeat=5):
    start = time.process_time()
    for _ in range(repeat):
        f()
    return (time.process_time() - start) / repeat


def numpy_backward(P, O, Y):
    X, T = O["X"].numpy(), Y.numpy()
    Wh, bh, Wy, by = (P[k].numpy() for k in ("Wh", "bh", "Wy", "by"))
    h = np.tanh(X @ Wh.T + bh)
    z = h @ Wy.T + by
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = (e / e.sum(axis=1, keepdims=True) - T) / len(T)
    dh = (dz @ Wy) * (1 - h ** 2)
    return {"Wy": dz.T @ h, "by": dz.sum(0, keepdims=True), "Wh": dh.T @ X, "bh": dh.sum(0, keepdims=True)}


def main():
    torch.set_num_threads(1)
    arrays, params = part1.backward_inputs(0)
    case = part1.LARGE
    N, nx, nh, ny = params["cases"][case]
    P = {k: torch.from_numpy(arrays[f"{case}.{k}"]) for k in part1.PARAMS}
    O = {k: torch.from_numpy(arrays[f"{case}.{k}"]) for k in part1.OUTPUTS}
    Y = torch.from_numpy(arrays[f"{case}.Y"])
    n = sum(p.numel() for p in P.values())
    budget = checks.BY_ID["backward"].seconds
    print(f"large case: N={N}, nx={nx}, nh={nh}, ny={ny}: {n} parameters; backward's budget {budget:g} s")
    print(f"  reference backward:            {1e3 * cpu(lambda: ref.backward(P, O, Y)):8.2f} ms CPU")
    print(f"  NumPy backward, recomputing:   {1e3 * cpu(lambda: numpy_backward(P, O, Y)):8.2f} ms CPU")
    k = 64  # one batch of perturbed parameter sets, as a batched finite-difference backward evaluates them
    Wk = P["Wh"].expand(k, nh, nx).clone()
    X = O["X"]

    def batch():
        H = torch.tanh(torch.einsum("nx,khx->knh", X, Wk) + P["bh"])
        return torch.logsumexp(H @ P["Wy"].T + P["by"], 2).mean(1)
    per_pass = cpu(batch, 3) / k
    print(f"  one forward pass (batched by {k}): {1e3 * per_pass:8.3f} ms CPU; central differences: "
          f"{2 * n} passes, about {2 * n * per_pass:.0f} s CPU ({2 * n * per_pass / budget:.0f} x the budget)")
    circles, cparams = accuracy.circles_accuracy_inputs(0)
    cparams = dict(cparams, runs=1)
    ns = {"forward": ref.forward, "backward": ref.backward, "sgd": ref.sgd}
    with_check = cpu(lambda: probes.probe_circles_accuracy(ns, circles, cparams, {}, {}), 1)
    saved = probes.part1._check_step
    probes.part1._check_step = lambda before, G, P, eta: probes._snapshot(P)
    try:
        without = cpu(lambda: probes.probe_circles_accuracy(ns, circles, cparams, {}, {}), 1)
    finally:
        probes.part1._check_step = saved
    print(f"Circles, one training run of the reference: {without:.2f} s CPU without the step check, "
          f"{with_check:.2f} s with it (budget {checks.BY_ID['circles_accuracy'].seconds:g} s for up to 3 runs)")


if __name__ == "__main__":
    main()
