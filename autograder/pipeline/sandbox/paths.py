"""Where the kit's parts are, for the sandbox: the grader's package, the kit, what the worker runs."""
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent.parent  # the grader's package
ROOT = HERE.parent
UNTRUSTED = HERE / "untrusted"
SUPPORT = ROOT / "assignment" / "tp1_support"
