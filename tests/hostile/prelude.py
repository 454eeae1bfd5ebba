import os, sys, time, signal, subprocess, threading, json, glob, ctypes, importlib
import numpy
_MARK = __MARK__
_FORGED = 'FORGED-BY-' + 'STUDENT'  # not in this source as one string: only in what it writes
_OUT = __OUT__
_SUBS = __SUBS__
_CANARY = __CANARY__
_KIT = __KIT__
_PUBLIC = __PUBLIC__
_REF = {'init_params': init_params, 'forward': forward, 'loss_accuracy': loss_accuracy, 'backward': backward,
        'sgd': sgd, 'init_params_autograd': init_params_autograd, 'sgd_autograd': sgd_autograd,
        'init_model': init_model, 'loss_accuracy_nn': loss_accuracy_nn, 'sgd_nn': sgd_nn,
        'init_model_optim': init_model_optim, 'fit_svm': fit_svm}
_ONCE = []


def _tag():
    """Name this process after this test run (its comm), so the test finds it if it outlives the grading."""
    try:
        ctypes.CDLL(None).prctl(15, _MARK.encode(), 0, 0, 0)
    except Exception:
        pass


def _outside_targets():
    """Files outside the sandbox a student would love to change."""
    found = [os.path.join(_OUT, 'grades.csv'), os.path.join(_OUT, 'summary.html'),
             os.path.join(_OUT, 'reference', 'results.json'), os.path.join(_OUT, 'reference', 'row.json'),
             os.path.join(_SUBS, 'reference.ipynb'), os.path.join(_SUBS, 'summed_gradients.ipynb'), _CANARY,
             os.path.join(_KIT, 'autograder', 'reference.py'), os.path.join(_KIT, 'autograder', 'points.toml')]
    for pattern in (_SUBS + '/*', _OUT + '/*', _OUT + '/*/*', '../*.ipynb', '../../*.ipynb', '/proc/1/cwd/*',
                    '/proc/*/cwd/*.ipynb', '/proc/*/root' + _SUBS + '/*'):
        try:
            found += glob.glob(pattern)[:50]
        except Exception:
            pass
    here = os.getcwd()  # and whatever sits next to this sandbox's folder: other jobs' folders, say
    for ancestor in [p for p in (os.path.dirname(here), os.path.dirname(os.path.dirname(here))) if p != '/']:
        for pattern in ('/*', '/*/*', '/*/*/*'):
            try:
                found += [p for p in glob.glob(ancestor + pattern)[:100]
                          if not (p + '/').startswith(here + '/') and os.path.isfile(p)]
            except Exception:
                pass
    return found


def _try_write(path, text):
    try:
        with open(path, 'a') as f:
            f.write(text)
        return True
    except BaseException:
        return False


def _write_everywhere():
    """Append the forged marker to every target; returns those that were written."""
    return [p for p in _outside_targets() if _try_write(p, _FORGED)]
