"""The reference's Part 1 is right: backward equals autograd's gradient of the mean loss."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import reference as R
from strategies import problem_sizes, random_problem, seeds

pytestmark = pytest.mark.part1


@settings(max_examples=40, deadline=None)
@given(seed=seeds, sizes=problem_sizes())
def test_backward_equals_autograd_float64(seed, sizes):
    P, X, Y = random_problem(seed, *sizes)
    leaves = {k: v.clone().requires_grad_(True) for k, v in P.items()}
    Yhat, outputs = R.forward(leaves, X)
    R.loss_accuracy(Yhat, Y)[0].backward()
    grads = R.backward(P, R.forward(P, X)[1], Y)
    for name in P:
        assert grads[name].shape == P[name].shape
        assert torch.allclose(grads[name], leaves[name].grad, rtol=0, atol=1e-10), name


@settings(max_examples=20, deadline=None)
@given(seed=seeds, scale=st.floats(1.0, 1e4))
def test_forward_rows_are_distributions_even_for_huge_logits(seed, scale):
    P, X, _ = random_problem(seed, 6, 3, 5, 4)
    P["Wy"] = P["Wy"] * scale
    Yhat, outputs = R.forward({k: v.float() for k, v in P.items()}, X.float())
    assert torch.isfinite(Yhat).all()
    assert torch.allclose(Yhat.sum(1), torch.ones(6), atol=1e-5)
    assert set(outputs) == {"X", "htilde", "h", "ytilde", "yhat"}


def test_loss_is_the_mean_cross_entropy_of_torch():
    P, X, Y = random_problem(3, 9, 3, 5, 4)
    Yhat, outputs = R.forward(P, X)
    L, acc = R.loss_accuracy(Yhat, Y)
    assert L.dim() == 0
    expected = torch.nn.functional.cross_entropy(outputs["ytilde"], Y.argmax(1))
    assert torch.allclose(L, expected, atol=1e-12)
    assert acc == pytest.approx(float((Yhat.argmax(1) == Y.argmax(1)).double().mean()))


def test_init_params_law_and_shapes():
    torch.manual_seed(0)
    P = R.init_params(300, 200, 100)
    assert P["Wh"].shape == (200, 300) and P["bh"].shape == (1, 200)
    assert P["Wy"].shape == (100, 200) and P["by"].shape == (1, 100)
    assert P["Wh"].dtype == torch.float32
    assert torch.all(P["bh"] == 0) and torch.all(P["by"] == 0)
    assert abs(P["Wh"].std().item() - 0.3) < 0.005 and abs(P["Wh"].mean().item()) < 0.005


def test_loss_stays_finite_when_a_wrong_class_probability_underflows():
    # A confident, right prediction: exp(-1000) underflows, the wrong classes' probabilities are exactly 0.
    for dtype in (torch.float32, torch.float64):
        ytilde = torch.tensor([[1000.0, 0.0, -5.0], [0.0, 2.0, 1.0]], dtype=dtype)
        Yhat = torch.softmax(ytilde, dim=1)
        Y = torch.eye(3, dtype=dtype)[[0, 1]]
        assert Yhat[0, 1] == 0 and Yhat[0, 2] == 0
        L, acc = R.loss_accuracy(Yhat, Y)
        assert torch.isfinite(L), dtype
        assert torch.allclose(L, torch.nn.functional.cross_entropy(ytilde, Y.argmax(1)), rtol=1e-6, atol=0)
        assert acc == 1.0


def test_autograd_through_the_loss_stays_finite_when_probabilities_underflow():
    # Part 2 calls L.backward() on loss_accuracy(forward(...)): huge logits must give finite gradients.
    P, X, Y = random_problem(5, 8, 3, 5, 4)
    P["Wy"] = P["Wy"] * 1e3
    leaves = {k: v.float().clone().requires_grad_(True) for k, v in P.items()}
    Yhat, _ = R.forward(leaves, X.float())
    Y = torch.nn.functional.one_hot(Yhat.argmax(1), 4).float()  # every prediction right and confident
    assert (Yhat == 0).any()
    L, _ = R.loss_accuracy(Yhat, Y)
    L.backward()
    assert torch.isfinite(L)
    assert all(torch.isfinite(p.grad).all() for p in leaves.values())


def test_loss_is_infinite_not_nan_when_the_true_class_probability_underflows():
    Yhat = torch.softmax(torch.tensor([[1000.0, 0.0]]), dim=1)  # (1, 0): confidently wrong below
    L, acc = R.loss_accuracy(Yhat, torch.tensor([[0.0, 1.0]]))
    assert L.item() == float("inf") and acc == 0.0


@settings(max_examples=40, deadline=None)
@given(seed=seeds, N=st.integers(1, 12), ny=st.integers(2, 6),
       dtype=st.sampled_from([torch.float32, torch.float64]))
def test_loss_equals_the_sum_over_the_classes_bit_for_bit_without_underflow(seed, N, ny, dtype):
    # The hidden checks compare students' -sum_i y_i log yhat_i with the reference: same values.
    g = torch.Generator().manual_seed(seed)
    Yhat = torch.softmax(3 * torch.randn(N, ny, generator=g, dtype=dtype), dim=1)
    Y = torch.eye(ny, dtype=dtype)[torch.randint(0, ny, (N,), generator=g)]
    assert (Yhat > 0).all()
    L, _ = R.loss_accuracy(Yhat, Y)
    assert torch.equal(L, -(Y * torch.log(Yhat)).sum(dim=1).mean())
