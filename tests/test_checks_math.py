"""The checks' own mathematics: relative errors, the finite-difference gradient check, the inputs that
expose bugs (sizes all different, logits of +-1000, both dtypes), and the judges on functions called
in this process (trusted code only: the reference and deliberate variations of it)."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograder import checks
from autograder.pipeline.inputs import BASE_SEED, grading_inputs
from autograder import reference as ref
from autograder.checks import accuracy, part1
from autograder.checks.common import describe_mismatch, grad_check, numerical_gradient, ratio, rel_error
from autograder.untrusted import probes
from strategies import problem_sizes, random_problem, seeds
from tp1_support import checks as public_checks
from tp1_support import contract

pytestmark = pytest.mark.part1


def probe_and_judge(qid, functions):
    """What grading does for one question, in this process: the probe on the grader's inputs, then the check."""
    question = checks.BY_ID[qid]
    _, _, per_question = grading_inputs()
    arrays_in, params = per_question[qid]
    out, meta = {}, {}
    torch.manual_seed(0)
    probes.PROBES[qid]({**vars(ref), **functions}, {k: np.array(v) for k, v in arrays_in.items()}, params, out, meta)
    return checks.judge(question, arrays_in, params, probes.only_arrays(out), probes.only_json(meta))


def mean_loss(P, X, Y):
    return float(part1.mean_cross_entropy({k: torch.as_tensor(v) for k, v in P.items()}, X, Y))


def autograd_gradients(P, X, Y):
    leaves = {k: v.clone().requires_grad_(True) for k, v in P.items()}
    part1.mean_cross_entropy(leaves, X, Y).backward()
    return {k: v.grad.numpy() for k, v in leaves.items()}


# --- rel_error and the finite-difference gradient check -------------------------------------------

def test_rel_error_is_zero_for_equal_arrays_and_symmetric():
    x = np.array([[1.0, -2.0], [3e-9, 4.0]])
    assert rel_error(x, x) == 0.0
    y = x * (1 + 1e-3)
    assert rel_error(x, y) == pytest.approx(rel_error(y, x))
    assert rel_error(x, y) == pytest.approx(1e-3 / (2 + 1e-3), rel=1e-6)


def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.5, -1.5, 2.0]])
    assert np.allclose(numerical_gradient(lambda v: float((v ** 3).sum()), x), 3 * x ** 2, rtol=1e-8)


@settings(max_examples=25, deadline=None)
@given(seed=seeds, sizes=problem_sizes(max_N=6, max_nx=4, max_nh=5, max_ny=4))
def test_grad_check_agrees_with_autograd_on_random_small_shapes(seed, sizes):
    P, X, Y = random_problem(seed, *sizes)
    errors = grad_check(lambda p: mean_loss(p, X, Y), {k: v.numpy() for k, v in P.items()}, autograd_gradients(P, X, Y))
    assert set(errors) == {"Wh", "bh", "Wy", "by"}
    assert max(errors.values()) < part1.FD_TOL, errors


@settings(max_examples=25, deadline=None)
@given(seed=seeds, sizes=problem_sizes(max_N=6, max_nx=4, max_nh=5, max_ny=4),
       which=st.sampled_from(["Wh", "bh", "Wy", "by"]), data=st.data())
def test_grad_check_flags_a_deliberately_wrong_gradient(seed, sizes, which, data):
    P, X, Y = random_problem(seed, *sizes)
    grads = autograd_gradients(P, X, Y)
    scale = np.abs(grads[which]).max()
    assume(scale > 1e-3)  # finite differences resolve entries down to ~1e-5 |L|
    index = data.draw(st.tuples(*(st.integers(0, n - 1) for n in grads[which].shape)))
    wrong = dict(grads, **{which: grads[which].copy()})
    wrong[which][index] += 0.1 * scale
    errors = grad_check(lambda p: mean_loss(p, X, Y), {k: v.numpy() for k, v in P.items()}, wrong)
    assert errors[which] > 1e-2
    assert max(e for name, e in errors.items() if name != which) < part1.FD_TOL


def test_grad_check_flags_a_wrong_shape():
    P, X, Y = random_problem(1, 7, 3, 5, 4)
    grads = autograd_gradients(P, X, Y)
    errors = grad_check(lambda p: mean_loss(p, X, Y), {k: v.numpy() for k, v in P.items()}, dict(grads, Wh=grads["Wh"].T))
    assert errors["Wh"] == float("inf")


@pytest.mark.parametrize("case", list(part1.BACKWARD_CASES))
def test_the_references_backward_agrees_with_autograd_and_finite_differences(case):
    arrays, params = part1.backward_inputs(BASE_SEED)
    P = {k: v.double() for k, v in part1.tensors(arrays, case, part1.PARAMS).items()}
    O = {k: v.double() for k, v in part1.tensors(arrays, case, part1.OUTPUTS).items()}
    Y = torch.from_numpy(arrays[f"{case}.Y"]).double()
    # The large case is compared with autograd only: its finite differences cost the grader minutes.
    autograd, numerical, resolution = part1.expected_gradients(P, O["X"], Y, check=case != part1.LARGE)
    mine = ref.backward(P, O, Y)
    # float32 outputs (the f32 case) are the float64 ones to float32's precision only
    tol = 1e-12 if case != "f32" else 1e-5
    for name in part1.PARAMS:
        assert rel_error(mine[name].numpy(), autograd[name]) < tol
        if case != part1.LARGE:
            assert rel_error(numerical[name], autograd[name], resolution) < 1e-7
        else:
            assert numerical is None


def test_ratio_finds_a_common_factor_only():
    y = np.array([[1.0, -2.0, 3.0]])
    assert ratio(7 * y, y) == pytest.approx(7)
    assert ratio(y + np.array([[0.0, 0.0, 1.0]]), y) is None


def test_a_mismatch_is_described_by_one_entry_not_the_whole_expected_output():
    expected = np.arange(100.0).reshape(10, 10) / 7
    text = describe_mismatch("dWh", expected * 1.5, expected)
    assert "max relative error 0.2" in text and "entry [9, 9]" in text
    assert f"{expected[9, 9]:.4g}" in text and f"{expected[5, 5]:.4g}" not in text
    assert describe_mismatch("dWh", expected.T[:3], expected) == "dWh has shape (3, 10), expected (10, 10)"


# --- the inputs that expose bugs --------------------------------------------------------------

def test_the_small_sizes_are_all_different_so_a_transposed_result_has_the_wrong_shape():
    for sizes in (part1.FORWARD_CASES["small"][0], part1.BACKWARD_CASES["small"][0], part1.SIZES["small"]):
        assert sizes == (7, 3, 5, 4) and len(set(sizes)) == 4


def test_the_stability_cases_have_logits_of_plus_minus_1000():
    arrays, params = part1.forward_inputs(BASE_SEED)
    logits = {}
    for case in part1.STABILITY_CASES:
        P = {k: v.double() for k, v in part1.tensors(arrays, case, part1.PARAMS).items()}
        logits[case] = ref.forward(P, torch.from_numpy(arrays[f"{case}.X"]).double())[1]["ytilde"]
    assert logits["large"].abs().max().item() == pytest.approx(1000, rel=1e-5)
    assert logits["large"].max() > 500 and logits["large"].min() < -100
    assert logits["negative"].max() < -990
    for case, z in logits.items():  # the naive SoftMax really breaks there, in float32
        e = torch.exp(z.float())
        assert not torch.isfinite(e / e.sum(1, keepdim=True)).all(), case


def test_the_forward_and_backward_inputs_come_in_both_dtypes():
    forward_arrays, _ = part1.forward_inputs(BASE_SEED)
    backward_arrays, _ = part1.backward_inputs(BASE_SEED)
    assert forward_arrays["small.X"].dtype == np.float32 and forward_arrays["f64.X"].dtype == np.float64
    assert backward_arrays["small.X"].dtype == np.float64 and backward_arrays["f32.X"].dtype == np.float32


# --- the judges, on functions called in this process ----------------------------------------------

@pytest.mark.parametrize("qid", ["init_params", "forward", "loss_accuracy", "backward", "sgd", "init_params_autograd",
                                 "sgd_autograd", "init_model", "loss_accuracy_nn", "sgd_nn", "init_model_optim",
                                 "MNIST_HPARAMS"])
def test_the_reference_passes_every_check(qid):
    verdict = probe_and_judge(qid, {})
    assert verdict.fraction == 1.0 and verdict.mistakes == [], [c for c in verdict.all_checks() if not c.passed]


def test_a_backward_by_finite_differences_scores_nothing_and_is_named():
    """Finite differences give the right numbers on the small networks; on the large case they would
    cost minutes (the sandbox stops them at backward's budget: test_hostile), so this one gives up
    there. Right on the small ones, wrong on the large one: not a derivation, every check fails."""
    def backward(params, outputs, Y):  # by hand, numerically: no autograd
        from autograder.checks.common import numerical_gradients

        if sum(p.numel() for p in params.values()) > 2000:
            return {k: torch.zeros_like(v) for k, v in params.items()}
        X, Y64 = outputs["X"].double(), Y.double()

        def loss(arrays):
            Yhat, _ = ref.forward({k: torch.from_numpy(a) for k, a in arrays.items()}, X)
            return float(-(Y64 * torch.log(Yhat)).sum(1).mean())
        numerical, _ = numerical_gradients(loss, {k: v.double().numpy() for k, v in params.items()})
        return {k: torch.from_numpy(g).to(params[k].dtype) for k, g in numerical.items()}
    verdict = probe_and_judge("backward", {"backward": backward})
    assert verdict.fraction == 0.0 and verdict.mistakes == ["backward_not_derived"]
    assert "not on the large one" in " ".join(c.message for c in verdict.all_checks())


def test_a_backward_by_scikit_learns_backpropagation_scores_nothing_and_is_named():
    def backward(params, outputs, Y):
        from sklearn.neural_network import MLPClassifier

        X, T = outputs["X"].double().numpy(), Y.double().numpy()
        nh, ny = params["Wh"].shape[0], params["Wy"].shape[0]
        mlp = MLPClassifier(hidden_layer_sizes=(nh,), activation="tanh", alpha=0.0)
        mlp.out_activation_, mlp.n_layers_, mlp.n_outputs_ = "softmax", 3, ny
        mlp.coefs_ = [params["Wh"].double().numpy().T.copy(), params["Wy"].double().numpy().T.copy()]
        mlp.intercepts_ = [params["bh"].double().numpy().reshape(-1).copy(), params["by"].double().numpy().reshape(-1).copy()]
        acts = [X, np.empty((len(X), nh)), np.empty((len(X), ny))]
        _, cg, ig = mlp._backprop(X, T, None, acts, [np.empty_like(a) for a in acts[1:]],
                                  [np.empty_like(c) for c in mlp.coefs_], [np.empty_like(b) for b in mlp.intercepts_])
        return {"Wh": torch.tensor(cg[0].T), "bh": torch.tensor(ig[0]).reshape(1, -1),
                "Wy": torch.tensor(cg[1].T), "by": torch.tensor(ig[1]).reshape(1, -1)}
    verdict = probe_and_judge("backward", {"backward": backward})
    assert verdict.fraction == 0.0 and verdict.mistakes == ["backward_not_derived"]
    assert "scikit-learn's backpropagation" in " ".join(c.message for c in verdict.all_checks())
    from sklearn.neural_network import _multilayer_perceptron as module
    assert module.BaseMultilayerPerceptron._backprop.__name__ == "_backprop"  # restored after the call
    assert "refused" not in repr(module.BaseMultilayerPerceptron._backprop)


def test_a_gradient_off_by_one_part_in_a_thousand_fails_in_float64():
    def backward(params, outputs, Y):
        grads = ref.backward(params, outputs, Y)
        return dict(grads, Wh=grads["Wh"] * 1.001)
    verdict = probe_and_judge("backward", {"backward": backward})
    failed = [c.name for c in verdict.all_checks() if not c.passed]
    assert failed == ["dWh (small)", "dWh (tp)", "dWh (large)"] and verdict.mistakes == []
    assert "finite-difference gradient check" in next(c.message for c in verdict.all_checks() if not c.passed)


def test_forward_must_keep_float32_and_accept_float64():
    def forward(params, X):
        Yhat, outputs = ref.forward({k: v.double() for k, v in params.items()}, X.double())
        return Yhat, outputs
    verdict = probe_and_judge("forward", {"forward": forward})
    assert [c.name for c in verdict.all_checks() if not c.passed] == ["keeps float32"]
    assert verdict.mistakes == ["dtype_changed"]


def test_an_exception_in_one_case_costs_that_case_only():
    def forward(params, X):
        if X.dtype == torch.float64:
            raise ValueError("only float32, sorry")
        return ref.forward(params, X)
    verdict = probe_and_judge("forward", {"forward": forward})
    failed = [c for c in verdict.all_checks() if not c.passed]
    # the case's own checks only: its Yhat, and what cannot be judged without it
    assert [c.name for c in failed] == ["Yhat (float64 inputs)", "keeps float64", "outputs dict (float64 inputs)"]
    assert "ValueError: only float32, sorry" in failed[0].message and failed[0].judged
    assert not failed[1].judged and not failed[2].judged


def test_the_mnist_budget_is_the_same_estimate_on_both_sides():
    # one cost model, the contract's, on both sides of the sandbox's walls and in the public check
    assert accuracy.mnist_seconds is contract.mnist_seconds and probes.mnist_seconds is contract.mnist_seconds
    assert accuracy.MNIST_COST is contract.MNIST_COST and accuracy.MNIST_MAX_SECONDS == contract.MNIST_MAX_SECONDS
    for nh, batch_size, epochs in ((100, 32, 15), (3000, 128, 40), (10, 1, 100)):
        assert accuracy.mnist_seconds(4000, 784, nh, batch_size, epochs) == probes.mnist_seconds(
            4000, 784, nh, batch_size, epochs, accuracy.MNIST_COST) == public_checks.mnist_seconds(
            nh, batch_size, epochs)
    assert accuracy.mnist_seconds(4000, 784, **{k: ref.MNIST_HPARAMS[k] for k in ("nh", "batch_size", "epochs")}) < 2
    assert accuracy.mnist_seconds(4000, 784, 3000, 32, 40) > accuracy.MNIST_MAX_SECONDS


# --- circles_accuracy: up to 3 training runs, stopping after one that fits the training set -------

def circles_probe(functions, **params_changed):
    """(meta, out, verdict): the circles probe and judge on the reference plus `functions`."""
    _, _, per_question = grading_inputs()
    arrays_in, params = per_question["circles_accuracy"]
    params = dict(params, **params_changed)
    out, meta = {}, {}
    probes.probe_circles_accuracy({**vars(ref), **functions}, {k: np.array(v) for k, v in arrays_in.items()},
                                  params, out, meta)
    verdict = checks.judge(checks.BY_ID["circles_accuracy"], arrays_in, params, probes.only_arrays(out),
                           probes.only_json(meta))
    return meta, out, verdict


@pytest.fixture(scope="module")
def reference_run():
    return circles_probe({})


def test_the_reference_trains_once_when_its_first_run_fits_the_training_set(reference_run):
    meta, out, verdict = reference_run
    assert meta["runs_done"] == 1 and out["run0.Wh"].shape == (100, 10, 2) and verdict.fraction == 1.0
    assert "(training accuracy 0.9" in verdict.notes[0] and "times" not in verdict.notes[0]


def test_a_run_below_the_bar_is_followed_by_another_and_the_best_counts():
    meta, out, verdict = circles_probe({}, enough_train_accuracy=1.01)  # no run reaches it
    assert meta["runs_done"] == 3 and all(f"run{r}.Wh" in out for r in range(3))
    assert "3 times from different seeds" in verdict.notes[0] and "kept the best run" in verdict.notes[0]
    assert verdict.fraction == 1.0


def test_a_network_that_does_not_learn_is_trained_once():
    def sgd(params, grads, eta):  # learns nothing: the training accuracy stays at chance
        return params
    meta, out, verdict = circles_probe({"sgd": sgd})
    assert meta["runs_done"] == 1 and verdict.fraction == 0.0 and "did not train them again" in verdict.notes[0]
    meta, out, verdict = circles_probe({"sgd": sgd}, hopeless_train_accuracy=None)
    assert meta["runs_done"] == 3 and verdict.fraction == 0.0  # the same grade from all three runs


def _judge_circles(out, meta=None):
    _, _, per_question = grading_inputs()
    arrays_in, params = per_question["circles_accuracy"]
    return checks.judge(checks.BY_ID["circles_accuracy"], arrays_in, params, out, meta or {})


def _untrained(arrays_in, run, epochs=100):
    return {f"run{run}.{n}": np.repeat(arrays_in[f"run0.{n}"][None].astype(np.float64), epochs, axis=0)
            for n in ("Wh", "bh", "Wy", "by")}


def test_the_judge_measures_each_complete_run_itself_and_keeps_the_best(reference_run):
    _, trained, _ = reference_run
    _, _, per_question = grading_inputs()
    arrays_in, _ = per_question["circles_accuracy"]
    out = {**_untrained(arrays_in, 0), **{k.replace("run0", "run1"): v for k, v in trained.items()}}
    verdict = _judge_circles(out)
    assert verdict.fraction == 1.0 and "2 times" in verdict.notes[0]
    assert verdict.figures["Yhat_grid"].shape == (1600, 2) and len(verdict.figures["train_loss"]) == 100


@pytest.mark.parametrize("how", ["cut_short", "wrong_shape", "not_finite", "claimed_only"])
def test_a_run_that_is_not_a_whole_training_counts_for_nothing(reference_run, how):
    """Only parameters after every epoch, of the grader's shapes and finite, are measured; what the
    sandbox claims beside them (a run count, an accuracy) is never read."""
    _, trained, _ = reference_run
    out = dict(trained)
    if how == "cut_short":
        out = {k: v[:50] for k, v in trained.items()}
    elif how == "wrong_shape":
        out["run0.Wh"] = out["run0.Wh"].reshape(100, 2, 10)
    elif how == "not_finite":
        out["run0.Wy"] = np.full_like(out["run0.Wy"], np.inf)
    else:
        out = {}
    verdict = _judge_circles(out, {"runs_done": 3, "run0.train_accuracy": 1.0, "accuracy": 1.0})
    assert verdict.fraction == 0.0


def test_the_library_guard_refuses_every_copy_of_scikit_learns_backpropagation_and_restores_it():
    import importlib
    import importlib.util

    from sklearn.neural_network import _multilayer_perceptron as module

    from tp1_support.library_guard import LibraryBackpropNotAllowed, library_backprop_refused

    def copies():
        yield "imported before", module
        yield "reloaded", importlib.reload(module)
        spec = importlib.util.spec_from_file_location("a_copy_of_the_mlp", module.__file__)
        copy = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(copy)
        yield "loaded from its file under another name", copy

    with library_backprop_refused():
        for how, mod in copies():
            with pytest.raises(LibraryBackpropNotAllowed, match="scikit-learn's backpropagation"):
                mod.BaseMultilayerPerceptron._backprop(None, None, None, None, None, None, None, None)
            with pytest.raises(LibraryBackpropNotAllowed):
                mod.MLPClassifier().partial_fit(np.zeros((2, 2)), np.array([0, 1]), classes=[0, 1])
    assert module.BaseMultilayerPerceptron._backprop.__qualname__ == "BaseMultilayerPerceptron._backprop"
    assert importlib.reload(module).MLPClassifier(max_iter=5).fit(np.eye(4), [0, 1, 0, 1]).n_iter_ >= 1


@pytest.mark.parametrize("weight_decay", [1e-4, 1e-6])
def test_a_weight_decay_is_caught_by_the_optimizer_steps_in_float64(weight_decay):
    def init_model_optim(nx, nh, ny, eta):
        model, loss = ref.init_model(nx, nh, ny)
        return model, loss, torch.optim.SGD(model.parameters(), lr=eta, weight_decay=weight_decay)
    verdict = probe_and_judge("init_model_optim", {"init_model_optim": init_model_optim})
    assert [c.name for c in verdict.all_checks() if not c.passed] == ["plain SGD with lr = eta"]
    assert verdict.mistakes == ["optim_not_sgd"]


def test_an_sgd_with_its_plain_settings_spelled_out_passes():
    def init_model_optim(nx, nh, ny, eta):
        model, loss = ref.init_model(nx, nh, ny)
        return model, loss, torch.optim.SGD(model.parameters(), lr=eta, momentum=0, weight_decay=0, dampening=0)
    verdict = probe_and_judge("init_model_optim", {"init_model_optim": init_model_optim})
    assert verdict.fraction == 1.0 and verdict.mistakes == []


@pytest.mark.parametrize("dtype, mistake", [(torch.float64, "params_float64"), (torch.float16, None)])
def test_init_params_must_return_float32_tensors(dtype, mistake):
    def init_params(nx, nh, ny):
        return {k: v.to(dtype) for k, v in ref.init_params(nx, nh, ny).items()}
    verdict = probe_and_judge("init_params", {"init_params": init_params})
    assert [c.name for c in verdict.all_checks() if not c.passed] == ["float32 tensors"]
    assert verdict.mistakes == ([mistake] if mistake else [])


def test_the_hidden_loss_inputs_have_a_right_row_below_one_half():
    arrays, params = part1.loss_accuracy_inputs(BASE_SEED)
    for case, (N, ny) in params["cases"].items():
        Yhat, Y = arrays[f"{case}.Yhat"], arrays[f"{case}.Y"]
        right = Yhat.argmax(1) == Y.argmax(1)
        assert ny == 2 or np.any(right & ((Yhat * Y).sum(1) < 0.5)), case


@pytest.mark.parametrize("qid", ["init_params", "init_params_autograd"])
@pytest.mark.parametrize("returned", [None, {"Wh": 1.0}])
def test_an_init_that_returns_no_parameters_earns_nothing(qid, returned):
    verdict = probe_and_judge(qid, {qid: lambda nx, nh, ny: returned})
    assert verdict.fraction == 0.0
