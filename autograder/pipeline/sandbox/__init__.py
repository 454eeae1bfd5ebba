"""Run the untrusted phase: the student's code in child processes, behind walls, under limits.

A Worker is one warm process (untrusted/worker.py) that has imported torch, scikit-learn and
matplotlib once and grades one job (one submission) at a time; every job gets walls of its own.

Isolation levels (`isolation()` reports which one this machine gives, and every report says it):

- `bubblewrap` (Linux with bubblewrap that can create namespaces): the worker has no network, a
  read-only system and a view of the file system where the kit's sources, the hidden tests, the
  reference, home, the grader's output folder and the submissions do not exist. Each job gets its
  own mount, PID and IPC namespaces (a fresh size- and inode-capped tmpfs as /tmp holding its box;
  whatever it starts dies with it; its shared memory too), no capabilities, and, when the grader
  runs as root, a user id of its own.
- `unsafe` (no bubblewrap; only with the instructor's explicit `--unsafe-no-isolation`): the job
  runs as a plain process; where the grader is root, under a fresh user id per job, killed until
  that user id owns no process; its box is a 0700 folder whose size the keeper watches.

On both levels, where the machine offers them: Landlock (the job reads the system, the interpreter
and the public files only, writes its box only, opens no TCP connection and signals no process
outside its own domain), a seccomp filter (no ptrace, mount, namespaces, keyrings, BPF, io_uring,
no socket but AF_UNIX), and a memory cgroup per worker (it runs one job at a time) that counts
everything the job holds: its processes, its tmpfs, its shared memory. Everywhere: CPU, address
space, file-size and wall-clock limits, and a time budget per question.

One module per concern:

- `host`: what this machine offers (which bubblewrap, why it cannot create namespaces here,
  Landlock, seccomp) and the line the reports give of the walls;
- `cgroups`: the memory (and pids) cgroup of each worker;
- `view`: the file system the worker sees, the Landlock rules that say the same, the bubblewrap command;
- `records`: reading what a job left, safely;
- `uids`: a user id of its own per job, when the grader runs as root;
- `worker`: the warm worker and the protocol of one job;
- `verdict`: how the run ended, with the sentence a student reads;
- `paths`, `errors`: where the kit's parts are; the grader's own failures.
"""
from .cgroups import MEMORY_CGROUP_ENV, Cgroup
from .errors import GraderError, UnsafeRefused
from .host import (bwrap_available, bwrap_description, bwrap_executable, bwrap_problem, in_a_container,
                   isolation_summary, landlock_abi, namespaces_refused_because, seccomp_available)
from .verdict import RunResult
from .view import interpreter, landlock_read_rules, mnist_data_dirs, site_dirs
from .worker import Limits, Worker, WorkerGone

__all__ = ["MEMORY_CGROUP_ENV", "Cgroup", "GraderError", "Limits", "RunResult", "UnsafeRefused", "Worker",
           "WorkerGone", "bwrap_available", "bwrap_description", "bwrap_executable", "bwrap_problem",
           "in_a_container", "interpreter", "isolation_summary", "landlock_abi", "landlock_read_rules",
           "mnist_data_dirs", "namespaces_refused_because", "seccomp_available", "site_dirs"]
