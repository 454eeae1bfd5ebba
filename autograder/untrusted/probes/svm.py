"""Part 6, the SVM: the probe of fit_svm (the fitted classifier's numbers; the grader predicts)."""

import numbers

import numpy as np
from tp1_support.contract import MAX_SUPPORT_VECTORS

from .record import get_function, put


SCALERS = {"StandardScaler": ("mean_", "scale_"), "MinMaxScaler": ("min_", "scale_"),
           "MaxAbsScaler": (None, "scale_"), "RobustScaler": ("center_", "scale_")}


def _estimator_steps(clf):
    """The chain of fitted estimators the classifier applies, unwrapping searches and pipelines."""
    steps = []
    for _ in range(10):
        name = type(clf).__name__
        if name in ("GridSearchCV", "RandomizedSearchCV", "HalvingGridSearchCV", "HalvingRandomSearchCV"):
            clf = clf.best_estimator_
        elif name == "Pipeline":
            inner = [step for _, step in clf.steps if step not in (None, "passthrough")]
            steps += inner[:-1]
            clf = inner[-1]
        else:
            return steps + [clf]
    raise TypeError("the classifier is nested too deeply")


def probe_fit_svm(ns, inputs, params, arrays, meta):
    """The fitted classifier's numbers (support vectors, dual coefficients, kernel and its parameters;
    any scaling before it): the grader computes the predictions itself."""
    f = get_function(ns, "fit_svm")
    clf = f(np.array(inputs["Xtrain"]), np.array(inputs["ytrain"]))
    meta["classifier"] = type(clf).__name__[:80]
    steps = _estimator_steps(clf)
    meta["steps"] = [type(s).__name__[:80] for s in steps]
    for i, step in enumerate(steps[:-1]):
        kind = type(step).__name__
        if kind in SCALERS:
            shift, scale = SCALERS[kind]
            if shift:
                put(arrays, meta, f"pre{i}.shift", np.asarray(getattr(step, shift), dtype=np.float64))
            put(arrays, meta, f"pre{i}.scale", np.asarray(getattr(step, scale), dtype=np.float64))
        elif kind == "PolynomialFeatures":
            put(arrays, meta, f"pre{i}.powers", np.asarray(step.powers_, dtype=np.int64))
    final = steps[-1]
    kind = type(final).__name__
    if hasattr(final, "classes_"):
        put(arrays, meta, "classes", np.asarray(final.classes_))
    if kind in ("SVC", "NuSVC"):
        meta["kernel"] = str(final.kernel)[:40] if isinstance(final.kernel, str) else "callable"
        for name, attribute in (("gamma", "_gamma"), ("degree", "degree"), ("coef0", "coef0")):
            value = getattr(final, attribute, None)
            if isinstance(value, numbers.Real):
                meta[name] = float(value)
        support = np.asarray(final.support_vectors_)
        if support.shape[0] > MAX_SUPPORT_VECTORS:
            raise ValueError(f"the SVM has {support.shape[0]} support vectors, more than {MAX_SUPPORT_VECTORS}")
        put(arrays, meta, "support_vectors", support.astype(np.float64))
        put(arrays, meta, "dual_coef", np.asarray(final.dual_coef_, dtype=np.float64))
        put(arrays, meta, "intercept", np.asarray(final.intercept_, dtype=np.float64))
    elif hasattr(final, "coef_") and hasattr(final, "intercept_"):
        meta["kernel"] = "linear-model"
        put(arrays, meta, "coef", np.asarray(final.coef_, dtype=np.float64))
        put(arrays, meta, "intercept", np.asarray(final.intercept_, dtype=np.float64))
