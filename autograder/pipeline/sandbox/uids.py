"""User ids: run as root, each job gets one of its own, leased for the job and cleared after it."""
import os
import subprocess
import tempfile
import time

from .errors import GraderError

FIRST_UID = 61000  # run as root, each job gets a user id of its own from here on


class UidLease:
    """A user id no other job on this machine is using, held until release (a lock file per uid:
    concurrent graders must never share one, or one's clean-up would hit the other)."""

    def __init__(self, first=FIRST_UID, count=4096):
        import fcntl

        for uid in range(first, first + count):
            fd = os.open(os.path.join(tempfile.gettempdir(), f"tp1-sandbox-uid-{uid}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise GraderError("no free sandbox user id")

    def kill_all(self, rounds=100):
        """Kill every process of this user id until it owns none (one that forks as fast as it is
        killed is caught on a later round)."""
        for _ in range(rounds):
            found = subprocess.run(["pgrep", "-U", str(self.uid)], capture_output=True, text=True)
            if found.returncode != 0:
                return
            subprocess.run(["pkill", "-KILL", "-U", str(self.uid)], capture_output=True)
            time.sleep(0.01)

    def release(self):
        os.close(self._fd)
