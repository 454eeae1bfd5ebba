"""The library guard: libraries that compute a network's gradients are refused while backward runs
(and while the Part-1 functions are trained for circles_accuracy), as autograd is. One guard for both
sides of the kit, like autograd_guard.py: the public checks (`checks.check_backward`, the Circles
training) and the grader's probes (autograder/untrusted/probes/) enter the same
`library_backprop_refused()`.

Part 1 asks for backpropagation derived by hand. Besides autograd, the kit's environment holds code
that backpropagates an MLP: scikit-learn's MLPClassifier / MLPRegressor (`_backprop`,
`_forward_pass`, `_compute_loss_grad`, and the training that runs them) and mlxtend's MLP and
softmax regression (their training and `_backward`). A backward that loads the parameters into such
an estimator and returns what its backpropagation computes derived nothing: inside the guard every
one of these methods raises LibraryBackpropNotAllowed, whether the library was imported before the
guard, is imported inside it, or is loaded again inside it (importlib.reload, a fresh import after
deleting it from sys.modules, a copy made with importlib.util.spec_from_file_location): a finder
first on sys.meta_path, and the file loaders' exec_module, patch each fresh copy as it loads.

Differentiation by perturbation (finite differences, complex step) uses no library: the grader's
largest backward case (autograder/checks/part1.py) is what costs it its points.

Imports nothing of the grader.

    with library_backprop_refused():
        grads = backward(params, outputs, Y)   # LibraryBackpropNotAllowed if it runs MLPClassifier._backprop
"""
import contextlib
import importlib.abc
import importlib.machinery
import sys


class LibraryBackpropNotAllowed(RuntimeError):
    """backward got its gradients from a library's backpropagation while the guard was on."""


# module -> {class: (library's name, methods refused)}
ROUTES = {
    "sklearn.neural_network._multilayer_perceptron": {
        "BaseMultilayerPerceptron": ("scikit-learn's backpropagation (MLPClassifier / MLPRegressor)",
                                     ("_backprop", "_forward_pass", "_compute_loss_grad", "_loss_grad_lbfgs",
                                      "_fit", "_fit_stochastic", "_fit_lbfgs", "fit", "partial_fit")),
        "MLPClassifier": ("scikit-learn's backpropagation (MLPClassifier)", ("fit", "partial_fit")),
        "MLPRegressor": ("scikit-learn's backpropagation (MLPRegressor)", ("fit", "partial_fit")),
    },
    "mlxtend.classifier.multilayerperceptron": {
        "MultiLayerPerceptron": ("mlxtend's MultiLayerPerceptron", ("_fit", "fit", "_feedforward")),
    },
    "mlxtend.classifier.softmax_regression": {
        "SoftmaxRegression": ("mlxtend's SoftmaxRegression", ("_backward", "_fit", "fit")),
    },
    "mlxtend.classifier.logistic_regression": {
        "LogisticRegression": ("mlxtend's LogisticRegression", ("_backward", "_fit", "fit")),
    },
}


def _refusal(library, method, what):
    def refused(*args, **kwargs):
        raise LibraryBackpropNotAllowed(f"{what} used {library} ({method}); Part 1 computes the gradients by hand")
    refused.__name__ = method
    return refused


class _Guard:
    def __init__(self, what):
        self.what = what
        self.saved = []  # (class, name, value that was in its __dict__)

    def patch(self, module, name=None):
        for class_name, (library, methods) in ROUTES.get(name or module.__name__, {}).items():
            cls = getattr(module, class_name, None)
            if not isinstance(cls, type):
                continue
            for method in methods:
                if method in vars(cls):
                    self.saved.append((cls, method, vars(cls)[method]))
                    setattr(cls, method, _refusal(library, method, self.what))

    def restore(self):
        for cls, name, value in reversed(self.saved):
            setattr(cls, name, value)
        self.saved.clear()


class _PatchingLoader(importlib.abc.Loader):
    """Loads a listed module with its own loader, then refuses its backpropagation."""

    def __init__(self, loader, guard):
        self.loader, self.guard = loader, guard

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.guard.patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, guard):
        self.guard = guard

    def find_spec(self, name, path=None, target=None):
        if name not in ROUTES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _PatchingLoader(spec.loader, self.guard)
        return spec


def _listed(module):
    """The listed module name whose source file `module` was executed from, or None (a copy loaded
    under another name, by importlib.util.spec_from_file_location, is the same code)."""
    path = str(getattr(module, "__file__", "") or "").replace("\\", "/")
    for name in ROUTES:
        tail = name.replace(".", "/")
        if path.endswith((tail + ".py", tail + ".pyc")) or (f"/{tail.rsplit('/', 1)[0]}/__pycache__/" in path
                                                          and path.rsplit("/", 1)[-1].startswith(tail.rsplit("/", 1)[-1] + ".")):
            return name
    return None


@contextlib.contextmanager
def library_backprop_refused(what="backward"):
    """A context in which the listed libraries' backpropagation raises LibraryBackpropNotAllowed."""
    import importlib._bootstrap_external as external

    guard = _Guard(what)
    finder = _Finder(guard)
    basics = external._LoaderBasics
    original = basics.__dict__["exec_module"]

    def exec_module(self, module):  # every module executed from a file, however its loader was made
        original(self, module)
        name = _listed(module)
        if name is not None:
            guard.patch(module, name)

    sys.meta_path.insert(0, finder)
    basics.exec_module = exec_module
    try:
        for name in ROUTES:
            module = sys.modules.get(name)
            if module is not None:
                guard.patch(module)
        yield
    finally:
        basics.exec_module = original
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
        guard.restore()
