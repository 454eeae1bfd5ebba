"""tp1_support.handin on Jupyter: which notebook the hand-in zip holds, and what it tells the student."""
import json
import os
import time

import pytest

from tp1_support.handin import HandinError, make_handin_zip, notebook_path

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _notebook(path, age_seconds):
    path.write_text(NOTEBOOK)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_the_kernels_notebook_is_zipped_when_nothing_newer_is_beside_it(tmp_path, monkeypatch):
    started = _notebook(tmp_path / "tp1_ab.ipynb", 10)
    _notebook(tmp_path / "scratch.ipynb", 600)
    monkeypatch.setenv("JPY_SESSION_NAME", str(started))
    assert notebook_path(tmp_path) == started


def test_after_save_as_the_student_is_asked_which_notebook_instead_of_handing_in_the_old_one(tmp_path, monkeypatch):
    started = _notebook(tmp_path / "tp1_ab.ipynb", 600)
    _notebook(tmp_path / "tp1_ab_Dupont.ipynb", 5)  # JupyterLab's "Save Notebook As..." leaves the kernel's name
    monkeypatch.setenv("JPY_SESSION_NAME", str(started))
    with pytest.raises(HandinError) as refused:
        notebook_path(tmp_path)
    assert str(refused.value) == ('this notebook was opened as tp1_ab.ipynb, but tp1_ab_Dupont.ipynb beside it was '
                                  'saved more recently (after "Save Notebook As"?): say which one to hand in, e.g. '
                                  'make_handin_zip("tp1_ab_Dupont.ipynb")')
    monkeypatch.chdir(tmp_path)
    made = make_handin_zip("tp1_ab_Dupont.ipynb", folder=tmp_path)
    assert made.name.startswith("tp1_ab_Dupont_")


@pytest.mark.parametrize("age, says", [(600, "10 minutes ago"), (5 * 3600, "5 hours ago"), ("1970", "days ago")],
                         ids=["minutes", "hours", "1970"])
def test_an_old_save_is_told_in_plain_words(tmp_path, capsys, age, says):
    if age == "1970":  # a file unpacked from an archive without dates
        age, says = time.time(), f"{time.time() / 86400:.0f} days ago"
    path = _notebook(tmp_path / "tp1_ab.ipynb", age)
    make_handin_zip(path, folder=tmp_path)
    printed = capsys.readouterr().out
    assert f", {says}: if you changed it since, save it (Ctrl-S) and run this cell again." in printed, printed
    if age > 86400:  # a file dated 1970 (unpacked from an archive without dates) is not "24684891 minutes ago"
        assert "as last saved, on 1970-01-01" in printed and "minutes" not in printed
