"""The grader's own failures, as the sandbox raises them."""


class GraderError(Exception):
    """The grader itself failed (a broken install, a sandbox that cannot start): never a student's
    fault, never cached, and the grading command exits non-zero."""


class UnsafeRefused(GraderError):
    """Grading without bubblewrap was not explicitly allowed."""
