"""The hand-in: a zip of the notebook, made in about a second, on Jupyter and on Google Colab.

    from tp1_support.handin import make_handin_zip
    make_handin_zip()          # or make_handin_zip("my_notebook.ipynb") when the folder holds several

The zip holds the notebook (under its own name: renaming it is fine) and `__zip_filename__`, as
Otter's export makes it, and is named `<notebook>_<timestamp>.zip` as Otter names it; the grader reads
either the zip or the notebook alone. Nothing is run again: the public checks ran while you worked,
and the grader runs its own tests. On Colab the notebook comes from the Colab page itself (Colab keeps
it in Google Drive, not next to the kernel), and the zip is then downloaded by the browser.
"""
import datetime
import html
import json
import os
import re
import sys
import zipfile
from pathlib import Path

STAMP_FORMAT = "%Y_%m_%dT%H_%M_%S_%f"  # Otter's: the grader strips it from a zip's name to find the student
ZIP_NAME_FILE = "__zip_filename__"  # what Otter's export adds: the zip's own name
DEFAULT_NAME = "tp1_ab.ipynb"
STALE_AFTER_SECONDS = 120


class HandinError(RuntimeError):
    """The hand-in zip cannot be made; the message says why and what to do."""


def on_colab():
    """Whether the kernel is Google Colab's (the test Otter uses: the shell's class is Colab's)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return "google.colab" in str(get_ipython())


def notebook_path(folder="."):
    """The running notebook's file on Jupyter. Jupyter's server tells the kernel (JPY_SESSION_NAME, an
    absolute path; stale once the notebook is renamed), VS Code too (__vsc_ipynb_file__); otherwise the
    one notebook in the folder."""
    main = sys.modules.get("__main__")
    for candidate in (getattr(main, "__vsc_ipynb_file__", None), os.environ.get("JPY_SESSION_NAME")):
        if isinstance(candidate, str) and candidate.endswith(".ipynb") and os.path.isfile(candidate):
            _refuse_if_saved_as(Path(candidate))
            return Path(candidate)
    notebooks = sorted(p for p in Path(folder).glob("*.ipynb") if p.is_file())
    if len(notebooks) == 1:
        return notebooks[0]
    if not notebooks:
        raise HandinError(f"there is no notebook (.ipynb) in {Path(folder).resolve()}: run this cell from the "
                          "notebook you hand in, in its own folder")
    raise HandinError(f"this folder holds {len(notebooks)} notebooks ({', '.join(p.name for p in notebooks)}): "
                      "say which one to hand in, e.g. make_handin_zip(\"" + notebooks[0].name + "\")")


def _refuse_if_saved_as(started_as):
    """JupyterLab's "Save Notebook As..." writes a new file but leaves the kernel's JPY_SESSION_NAME on
    the old one: a newer notebook beside it may be the one open now. Zipping the old one would hand in
    stale work without a word, so ask instead."""
    started = started_as.stat().st_mtime
    newer = sorted(p.name for p in started_as.parent.glob("*.ipynb")
                   if p.is_file() and p != started_as and p.stat().st_mtime > started)
    if newer:
        raise HandinError(f"this notebook was opened as {started_as.name}, but {', '.join(newer)} beside it was "
                          f"saved more recently (after \"Save Notebook As\"?): say which one to hand in, e.g. "
                          f"make_handin_zip(\"{newer[0]}\")")


def _ago(seconds):
    """How long ago, in words a student reads at a glance."""
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} hours ago"
    return f"{seconds / 86400:.0f} days ago"


def _read_notebook(path):
    try:
        text = Path(path).read_text(encoding="utf-8")
        notebook = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise HandinError(f"{path} cannot be read as a notebook ({type(e).__name__}): save it again (Ctrl-S), "
                          "then run this cell again") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise HandinError(f"{path} is not a Jupyter notebook (it has no list of cells)")
    return text


def colab_notebook():
    """(file name, text) of the notebook open in Colab, as the page has it now."""
    from google.colab import _message

    try:
        reply = _message.blocking_request("get_ipynb", request="", timeout_sec=60)
    except Exception as e:  # noqa: BLE001 - Colab's own MessageError and the like
        raise HandinError(f"Colab did not send the notebook ({type(e).__name__}: {e}): run this cell again") from None
    notebook = reply.get("ipynb") if isinstance(reply, dict) else None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise HandinError("Colab did not send the notebook in time: run this cell again")
    name = str(notebook.get("metadata", {}).get("colab", {}).get("name") or DEFAULT_NAME)
    return safe_notebook_name(name), json.dumps(notebook, ensure_ascii=False, indent=1)


def safe_notebook_name(name):
    """A file name for the notebook inside the zip: its own name, without folders or odd characters."""
    stem = re.sub(r"[^\w.+-]+", "_", Path(str(name)).name.removesuffix(".ipynb"), flags=re.UNICODE).strip("._")
    return (stem or Path(DEFAULT_NAME).stem) + ".ipynb"


def _write_zip(zip_path, notebook_name, text):
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(notebook_name, text)
        archive.writestr(ZIP_NAME_FILE, zip_path.name)


def make_handin_zip(notebook=None, folder="."):
    """Zip the notebook for the hand-in; returns the zip's path. notebook: its file, when the folder
    holds several (on Jupyter); on Colab the notebook comes from the page."""
    folder = Path(folder)
    stamp = datetime.datetime.now().strftime(STAMP_FORMAT)
    if notebook is None and on_colab():
        name, text = colab_notebook()
        saved = "as it is open in Colab now"
    else:
        path = Path(notebook) if notebook is not None else notebook_path(folder)
        if not path.is_file():
            raise HandinError(f"there is no notebook {path}")
        name, text = path.name, _read_notebook(path)
        modified = datetime.datetime.fromtimestamp(path.stat().st_mtime)
        age = (datetime.datetime.now() - modified).total_seconds()
        saved = f"as last saved, at {modified:%H:%M:%S}" if age < 86400 else f"as last saved, on {modified:%Y-%m-%d}"
        if age > STALE_AFTER_SECONDS:
            saved += f", {_ago(age)}: if you changed it since, save it (Ctrl-S) and run this cell again"
    zip_path = folder / f"{Path(name).stem}_{stamp}.zip"
    _write_zip(zip_path, name, text)
    print(f"Made {zip_path.name}: it holds {name}, {saved}.\n"
          "Hand in this zip (or the .ipynb itself), and your report's PDF.")
    if on_colab():
        from google.colab import files

        files.download(str(zip_path))
    else:
        try:
            from IPython.display import HTML, display

            link = html.escape(zip_path.name, quote=True)
            display(HTML(f'<p>Download: <a href="{link}" download="{link}" target="_blank">{link}</a></p>'))
        except ImportError:
            pass
    return zip_path
