import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "solutions", ROOT / "benchmarks", ROOT / "datasets"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# One thread for the maths of the tests themselves: `make test` runs two test processes on two cores,
# and the graders they start have workers of their own.
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
import torch  # noqa: E402

torch.set_num_threads(1)

# The checks of tests/hostile_harness.py are asserts: pytest explains them as it does a test's own.
pytest.register_assert_rewrite("hostile_harness")

# The modules that grade a corpus or run a notebook (measured, longest first). `make test` runs two
# test processes with `--dist loadfile --no-loadscope-reorder`: each module runs on one process as a
# whole (its module-scoped fixtures, the corpus graded, once), in this order, so that the longest
# start first and the two processes finish together.
HEAVY_FIRST = ["test_hostile", "test_mutants", "test_grading", "test_install_paths", "test_gradescope", "test_round_trip",
               "test_colab", "test_release_experiments", "test_variants", "test_render", "test_determinism",
               "test_public_checks", "test_checks_math", "test_release", "test_report"]


def pytest_collection_modifyitems(config, items):
    order = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: order.get(item.module.__name__.rsplit(".", 1)[-1], len(order)))
