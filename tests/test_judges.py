"""Judges that must look at enough: each mistake below once got full marks on its question (or was
charged on another one). Graded in one batch with the reference as the honest control: the mistake
loses its points on its own question, with the mistake named in the feedback, every other question
scores what the reference scores; the valid forms of the same functions keep full marks.
"""
import nbformat
import pytest

from autograder import checks, grade
from autograder.mistakes import CATALOGUE, graded_feedback
from submissions import REFERENCE, edit, edited

pytestmark = pytest.mark.grading

INIT = ('"Wh": 0.3 * torch.randn(nh, nx)', '"bh": torch.zeros(1, nh)', '"Wy": 0.3 * torch.randn(ny, nh)',
        '"by": torch.zeros(1, ny)')
NUMPY_INIT = ('"Wh": 0.3 * np.random.randn(nh, nx)', '"bh": np.zeros((1, nh))', '"Wy": 0.3 * np.random.randn(ny, nh)',
              '"by": np.zeros((1, ny))')
OPTIM = "torch.optim.SGD(model.parameters(), lr=eta)"
SVC = 'SVC(kernel="poly", degree=2, coef0=1.0, C=1.0)'

SUBMISSIONS = {
    # init_params built with NumPy, float64 (the student's own Circles training then fails)
    "float64_params": dict(function="init_params", replace=[
        (old, f'"{new.split(chr(34))[1]}": torch.from_numpy({new.split(": ", 1)[1]})')
        for old, new in zip(INIT, NUMPY_INIT)]),
    # NumPy arrays: the reference's init_params_autograd raises on them
    "numpy_params": dict(function="init_params", replace=[
        (old, f'"{new.split(chr(34))[1]}": ({new.split(": ", 1)[1]}).astype(np.float32)')
        for old, new in zip(INIT, NUMPY_INIT)]),
    # an uncatalogued mistake of init_params: biases of shape (n,), not (1, n)
    "bias_vectors": dict(function="init_params", replace=[("torch.zeros(1, nh)", "torch.zeros(nh)"),
                                                          ("torch.zeros(1, ny)", "torch.zeros(ny)")]),
    "accuracy_above_half": dict(function="loss_accuracy", replace=[
        ("(Yhat.argmax(dim=1) == Y.argmax(dim=1)).float()", "((Y * Yhat).sum(dim=1) > 0.5).float()")]),
    "weight_decay": dict(function="init_model_optim", replace=[
        (OPTIM, "torch.optim.SGD(model.parameters(), lr=eta, weight_decay=1e-4)")]),
    "summed_loss": dict(function="init_model", replace=[("nn.CrossEntropyLoss()", 'nn.CrossEntropyLoss(reduction="sum")')]),
    "loss_class": dict(function="init_model", replace=[("nn.CrossEntropyLoss()", "nn.CrossEntropyLoss")]),
    "weights_not_transposed": dict(function="forward", replace=[('X @ params["Wh"].T', 'X @ params["Wh"]')]),
    "pair_swapped": dict(function="loss_accuracy", replace=[("return L, acc", "return acc, L")]),
    "tanh_twice": dict(function="backward", replace=[(' * (1 - outputs["h"] ** 2)',
                                                      ' * (1 - torch.tanh(outputs["h"]) ** 2)')]),
    "update_outside_no_grad": dict(function="sgd_autograd", replace=[(
        "with torch.no_grad():\n        for p in params.values():\n            p -= eta * p.grad\n            p.grad.zero_()\n",
        "for p in params.values():\n        p -= eta * p.grad\n        p.grad.zero_()\n")]),
    "callable_kernel": dict(function="fit_svm", replace=[(SVC, "SVC(kernel=lambda A, B: (A @ B.T + 1.0) ** 2, C=1.0)")]),
}


def valid_forms():
    """The same functions written other valid ways: NumPy draws made float32 tensors, an SGD with its
    other settings spelled out at their plain values, an RBF kernel."""
    nb = nbformat.read(REFERENCE, as_version=4)
    edit(nb, function="init_params", replace=[
        (old, f'"{new.split(chr(34))[1]}": torch.from_numpy({new.split(": ", 1)[1]}).float()')
        for old, new in zip(INIT, NUMPY_INIT)])
    edit(nb, function="init_model_optim", replace=[
        (OPTIM, "torch.optim.SGD(model.parameters(), lr=eta, momentum=0.0, dampening=0.0, weight_decay=0.0, "
                "nesterov=False)")])
    edit(nb, function="fit_svm", replace=[(SVC, 'SVC(kernel="rbf", C=1.0)')])
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("judges")
    nbformat.write(nbformat.read(REFERENCE, as_version=4), subs / "reference.ipynb")
    nbformat.write(valid_forms(), subs / "valid_forms.ipynb")
    for name, edits in SUBMISSIONS.items():
        nbformat.write(edited(**edits), subs / f"{name}.ipynb")
    results = grade.grade_all(sorted(subs.iterdir()), tmp_path_factory.mktemp("judges_out"), jobs=2,
                              progress=False, use_cache=False)
    return {r.submission: r for r in results}


def questions(result):
    return {q.id: q for q in result.questions}


def lost(graded, name):
    """{question: its result} of the questions where `name` scores less than the reference."""
    reference = questions(graded["reference"])
    return {qid: q for qid, q in questions(graded[name]).items() if q.score != reference[qid].score}


def test_the_control_and_the_valid_forms_get_full_marks(graded):
    for name in ("reference", "valid_forms"):
        result = graded[name]
        assert result.status == "graded" and result.total == result.possible == 100.0, name
        for qid in ("init_params", "init_params_autograd", "init_model_optim", "fit_svm"):
            assert questions(result)[qid].output.splitlines()[0] == "✓ all hidden tests passed", (name, qid)


def test_float64_parameters_lose_their_check_on_init_params_only(graded):
    changed = lost(graded, "float64_params")
    assert set(changed) == {"init_params"}
    own = changed["init_params"]
    assert own.score == round(checks.points("init_params") * 5 / 6, 2) and own.mistakes == ["params_float64"]
    assert own.output.splitlines() == [
        graded_feedback("params_float64"),
        "✗ the parameters must be float32 torch tensors (the dtype of every tensor of the TP, torch's default): "
        "Wh of init_params(3, 5, 4) is a float64 tensor"]
    autograd = questions(graded["float64_params"])["init_params_autograd"]
    assert autograd.score == autograd.max_score and autograd.mistakes == ["params_float64"]
    assert "(not charged here: the same mistake is counted on init_params)" in autograd.output


def test_numpy_arrays_are_charged_on_init_params_once(graded):
    changed = lost(graded, "numpy_params")
    assert set(changed) == {"init_params"}
    own = changed["init_params"]
    assert own.mistakes == ["params_not_tensors"] and own.output.splitlines() == [
        graded_feedback("params_not_tensors"),
        "✗ the parameters must be float32 torch tensors (the dtype of every tensor of the TP, torch's default): "
        "Wh of init_params(3, 5, 4) is a numpy.ndarray of float32"]
    autograd = questions(graded["numpy_params"])["init_params_autograd"]
    assert autograd.score == autograd.max_score and autograd.mistakes == []
    assert autograd.output.splitlines() == ["✓ all hidden tests passed", (
        "• init_params_autograd raised AttributeError: 'numpy.ndarray' object has no attribute 'requires_grad_' on "
        "what your init_params returned; it was judged on parameters of the contract instead (what init_params gets "
        "wrong is counted on init_params)")]


def test_an_uncatalogued_mistake_of_init_params_is_not_charged_again_downstream(graded):
    changed = lost(graded, "bias_vectors")
    assert set(changed) == {"init_params"}
    assert changed["init_params"].output.splitlines() == [
        "✗ bh for sizes (3, 5, 4) has shape (5,), expected (1, 5)",
        "✗ not judged, as what they need failed above: biases zero, weights N(0, 0.3^2)"]
    autograd = questions(graded["bias_vectors"])["init_params_autograd"]
    assert autograd.score == autograd.max_score
    assert autograd.output.splitlines() == [
        "• bh for sizes (3, 5, 4) has shape (5,), expected (1, 5) (not charged here: the same mistake is counted on "
        "init_params)",
        "• biases zero (not charged here: the same mistake is counted on init_params)",
        "• weights N(0, 0.3^2) (not charged here: the same mistake is counted on init_params)"]


def test_an_accuracy_that_counts_probabilities_above_one_half_is_caught(graded):
    changed = lost(graded, "accuracy_above_half")
    assert set(changed) == {"loss_accuracy"}
    own = changed["loss_accuracy"]
    assert own.mistakes == ["accuracy_threshold"]
    assert own.output.splitlines() == [
        graded_feedback("accuracy_threshold"),
        "✗ acc is 0.4286 for a batch where 4 of 7 rows are right, expected 0.5714",
        "✗ acc is 0.6667 for a batch where 7 of 9 rows are right, expected 0.7778"]


def test_a_weight_decay_is_not_plain_sgd(graded):
    changed = lost(graded, "weight_decay")
    assert set(changed) == {"init_model_optim"}
    own = changed["init_model_optim"]
    assert own.mistakes == ["optim_not_sgd"] and own.score == round(checks.points("init_model_optim") * 3 / 5, 2)
    assert own.output.splitlines() == [
        graded_feedback("optim_not_sgd"),
        "✗ each step of optim must be p - eta * p.grad with eta = 0.0123 (plain SGD, lr = eta); it is SGD with lr "
        "[0.0123], weight_decay [0.0001]; its first step is not p - eta * p.grad"]


def test_a_callable_kernel_is_named(graded):
    changed = lost(graded, "callable_kernel")
    assert set(changed) == {"fit_svm"}
    own = changed["fit_svm"]
    assert own.score == 0 and own.mistakes == ["svm_callable_kernel"]
    assert own.output.splitlines()[0] == graded_feedback("svm_callable_kernel")
    assert "callable" in CATALOGUE["svm_callable_kernel"].feedback


def test_a_summed_loss_is_named_and_the_mnist_training_blames_it_not_eta(graded):
    changed = lost(graded, "summed_loss")
    assert set(changed) == {"init_model", "mnist_accuracy"}
    own = changed["init_model"]
    assert own.mistakes == ["nn_loss_summed"] and own.output.splitlines() == [
        graded_feedback("nn_loss_summed"),
        "✗ the loss (CrossEntropyLoss) does not give the mean cross-entropy of logits: it gives 7 times it for a "
        "batch of 7, the sum over the batch"]
    mnist = changed["mnist_accuracy"]
    assert mnist.mistakes == []  # not "MNIST training diverged" (the learning rate)
    assert ("• init_model fails its check: fix that first (the training uses it: the likely cause, rather than the "
            "hyper-parameters)") in mnist.output.splitlines()


def test_the_loss_class_instead_of_a_loss_is_named(graded):
    changed = lost(graded, "loss_class")
    assert set(changed) == {"init_model", "mnist_accuracy"}
    assert changed["init_model"].mistakes == ["nn_loss_class"]
    assert changed["init_model"].output.splitlines() == [
        graded_feedback("nn_loss_class"),
        "✗ the loss (type) does not give the mean cross-entropy of logits: it is a class, not a loss object"]
    mnist = changed["mnist_accuracy"].output.splitlines()  # the training raised: the likely cause is named
    assert mnist[0].startswith("✗ calling mnist_accuracy raised ")
    assert mnist[1:] == ["• init_model fails its check: fix that first (the training uses it: the likely cause, "
                         "rather than the hyper-parameters)"]


def test_weights_multiplied_without_their_transpose_are_named_though_forward_raises(graded):
    changed = lost(graded, "weights_not_transposed")
    assert set(changed) == {"forward", "circles_accuracy"}
    own = changed["forward"]
    assert own.mistakes == ["forward_weights_not_transposed"] and own.score == 0
    assert own.output.splitlines()[0] == graded_feedback("forward_weights_not_transposed")
    assert own.output.splitlines()[1].startswith(
        "✗ calling forward raised RuntimeError: mat1 and mat2 shapes cannot be multiplied (7x3 and 5x3)")


def test_an_in_place_update_outside_no_grad_is_named_though_sgd_autograd_raises(graded):
    changed = lost(graded, "update_outside_no_grad")
    assert set(changed) == {"sgd_autograd"}
    own = changed["sgd_autograd"]
    assert own.mistakes == ["autograd_update_outside_no_grad"] and own.score == 0
    assert own.output.splitlines()[0] == graded_feedback("autograd_update_outside_no_grad")
    assert own.output.splitlines()[1].startswith("✗ calling sgd_autograd raised RuntimeError: a leaf Variable that "
                                                 "requires grad is being used in an in-place operation.")


def test_a_swapped_pair_is_named_and_nothing_else(graded):
    changed = lost(graded, "pair_swapped")
    assert set(changed) == {"loss_accuracy"}
    own = changed["loss_accuracy"]
    assert own.mistakes == ["loss_accuracy_swapped"] and own.score == 0
    assert own.output.splitlines()[:3] == [
        graded_feedback("loss_accuracy_swapped"),
        "✗ L must be a 0-dim tensor, it is a builtins.float",
        "✗ L for a batch of 7 examples and 4 classes is 0.5714, expected 1.33"]


def test_tanh_applied_twice_is_named(graded):
    changed = lost(graded, "tanh_twice")
    assert set(changed) == {"backward"}
    own = changed["backward"]
    assert own.mistakes == ["tanh_applied_twice"]
    assert own.output.splitlines()[0] == graded_feedback("tanh_applied_twice")
