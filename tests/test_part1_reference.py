"""The reference's Part 1 is right: backward equals autograd's gradient of the mean loss."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import reference as R

pytestmark = pytest.mark.part1


def random_problem(seed, N, nx, nh, ny):
    g = torch.Generator().manual_seed(seed)
    P = {"Wh": torch.randn(nh, nx, generator=g, dtype=torch.float64),
         "bh": torch.randn(1, nh, generator=g, dtype=torch.float64),
         "Wy": torch.randn(ny, nh, generator=g, dtype=torch.float64),
         "by": torch.randn(1, ny, generator=g, dtype=torch.float64)}
    X = torch.randn(N, nx, generator=g, dtype=torch.float64)
    Y = torch.eye(ny, dtype=torch.float64)[torch.randint(0, ny, (N,), generator=g)]
    return P, X, Y


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), N=st.integers(1, 12), nx=st.integers(1, 6), nh=st.integers(1, 8),
       ny=st.integers(2, 6))
def test_backward_equals_autograd_float64(seed, N, nx, nh, ny):
    P, X, Y = random_problem(seed, N, nx, nh, ny)
    leaves = {k: v.clone().requires_grad_(True) for k, v in P.items()}
    Yhat, outputs = R.forward(leaves, X)
    R.loss_accuracy(Yhat, Y)[0].backward()
    grads = R.backward(P, R.forward(P, X)[1], Y)
    for name in P:
        assert grads[name].shape == P[name].shape
        assert torch.allclose(grads[name], leaves[name].grad, rtol=0, atol=1e-10), name


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), scale=st.floats(1.0, 1e4))
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
