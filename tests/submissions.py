"""The suite's one way of making test submissions: a sample notebook with edits."""
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "submissions"
REFERENCE = SAMPLES / "reference.ipynb"


def function_cell(nb, function):
    """The one code cell that defines `function` (a def, or a constant such as MNIST_HPARAMS)."""
    cells = [c for c in nb.cells if c.cell_type == "code" and (
        f"def {function}(" in c.source or any(line.startswith(f"{function} =") for line in c.source.splitlines()))]
    assert len(cells) == 1, f"{function} is defined in {len(cells)} cells of the reference"
    return cells[0]


def edit(nb, function=None, replace=(), helper=None, append=()):
    """Edit `nb` in place and return it: each (old, new) or (old, new, count) of `replace` is made in
    the cell that defines `function` (without `function`: in the one cell that holds `old`), and must
    occur there exactly `count` times (default 1), so that an edit cannot silently stop applying;
    `helper` is a code cell inserted before that cell; `append` are code cells added at the end."""
    cell = function_cell(nb, function) if function else None
    for old, new, *count in replace:
        count = count[0] if count else 1
        target = cell
        if target is None:
            holders = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
            assert len(holders) == 1, f"{old!r} is in {len(holders)} cells"
            target = holders[0]
        assert target.source.count(old) == count, (function, old, target.source)
        target.source = target.source.replace(old, new)
    if helper:
        nb.cells.insert(nb.cells.index(cell), nbformat.v4.new_code_cell(helper))
    nb.cells += [nbformat.v4.new_code_cell(source) for source in append]
    return nb


def edited(base=REFERENCE, **edits):
    """The notebook `base` (default: the filled reference) with `edit`'s edits."""
    return edit(nbformat.read(base, as_version=4), **edits)


def write(nb, path):
    nbformat.write(nb, path)
    return Path(path)
