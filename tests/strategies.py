"""The suite's shared random problems and hypothesis strategies (one module, as minitorch keeps it)."""
import torch
from hypothesis import strategies as st

seeds = st.integers(0, 2**31 - 1)


def problem_sizes(max_N=12, max_nx=6, max_nh=8, max_ny=6):
    """Strategy for (N, nx, nh, ny) of a one-hidden-layer problem with at least two classes."""
    return st.tuples(st.integers(1, max_N), st.integers(1, max_nx), st.integers(1, max_nh), st.integers(2, max_ny))


def random_problem(seed, N, nx, nh, ny, dtype=torch.float64):
    """(P, X, Y): parameters Wh (nh, nx), bh (1, nh), Wy (ny, nh), by (1, ny) with non-zero biases (so a
    forgotten bias shows), inputs X (N, nx), one-hot labels Y (N, ny); the same for the same seed."""
    g = torch.Generator().manual_seed(seed)
    P = {"Wh": torch.randn(nh, nx, generator=g, dtype=dtype),
         "bh": 0.5 * torch.randn(1, nh, generator=g, dtype=dtype),
         "Wy": torch.randn(ny, nh, generator=g, dtype=dtype),
         "by": 0.5 * torch.randn(1, ny, generator=g, dtype=dtype)}
    X = torch.randn(N, nx, generator=g, dtype=dtype)
    Y = torch.eye(ny, dtype=dtype)[torch.randint(0, ny, (N,), generator=g)]
    return P, X, Y
