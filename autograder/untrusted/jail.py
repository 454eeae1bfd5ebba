"""The walls around a grading job, built from inside the sandbox with Linux system calls (ctypes).

Runs INSIDE the sandbox and imports nothing of the grader's. Each wall is used where the machine
offers it, and `available()` says which ones do:

- mount, PID and IPC namespaces of the job's own (where the worker holds the capabilities for them:
  under bubblewrap): a fresh size- and inode-capped tmpfs as /tmp holding the job's box, a /proc that
  shows the job's processes only, an empty read-only /dev/shm, and System V shared memory that dies
  with the job;
- Landlock (no root needed; most kernels and containers): the job reads the system, the interpreter
  and the public files, writes its box only, opens no TCP connection and signals no process outside
  its own domain;
- a seccomp filter: none of the system calls a grading job never needs (ptrace, mount, new
  namespaces, other processes' memory or file descriptors, BPF, keyrings, io_uring, System V and
  memfd shared memory, ...) and no socket but AF_UNIX;
- records in sealed memory files of fixed size (memfd): what a question's child writes cannot grow
  past its cap, and no later child holds it.
"""
import ctypes
import ctypes.util
import errno
import os
import signal
import struct
import time

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x20000000, 0x08000000, 0x10000000
CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWCGROUP = 0x40000000, 0x04000000, 0x02000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 4, 24, 38, 36
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
F_ADD_SEALS, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW = 1033, 1, 2, 4
RECORD_MAGIC = b"TP1R"


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


# --- namespaces and mounts ---------------------------------------------------------------------

def mount(source, target, fstype=None, flags=0, data=None):
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                       data and data.encode()), f"mount {target}")


def enter_job_namespaces(box_name, lib, keep, tmp_bytes, tmp_inodes):
    """A mount, PID and IPC namespace for one job: /tmp becomes a fresh tmpfs of at most tmp_bytes and
    tmp_inodes holding the job's box (/tmp/<box_name>) and, read-only, the public files at the same
    path as before (lib) and the folders in `keep` that lived under the old /tmp (a kit or a virtual
    environment installed there). Returns the box's path. The caller's next fork is PID 1 there."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    mount("none", "/", flags=MS_REC | MS_PRIVATE)
    rebind = [p for p in dict.fromkeys([lib, *keep]) if p == "/tmp" or p.startswith("/tmp/")]
    fds = {p: os.open(p, os.O_PATH) for p in rebind}
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=0755,size={tmp_bytes},nr_inodes={tmp_inodes}")
    for path, fd in fds.items():
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, flags=MS_BIND | MS_REC)
        mount("none", path, flags=MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    if os.path.isdir("/dev/shm"):  # POSIX shared memory (shm_open) outlives its process: none, read-only
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=0555,size=4k,nr_inodes=1")
    box = f"/tmp/{box_name}"
    os.makedirs(box)
    return box


def mount_proc():
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)


# --- privileges ----------------------------------------------------------------------------------

class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges(uid, namespaced):
    """No capability (none can come back: empty bounding set, no_new_privs) and, given a uid, that
    user id and group with no supplementary groups. Non-dumpable afterwards: a process of the same
    user id cannot read or write this one's memory or file descriptors through /proc or ptrace."""
    if namespaced:
        cap = 0
        while _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
            cap += 1
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if namespaced:
        _check(_libc.capset(ctypes.byref(_CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)), (_CapData * 2)()), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "dumpable")


def set_dumpable(flag):
    _check(_libc.prctl(PR_SET_DUMPABLE, int(flag), 0, 0, 0), "dumpable")


def become_subreaper():
    """Orphans of this process's descendants become its children (sweep() then finds them)."""
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "subreaper")


# --- processes --------------------------------------------------------------------------------------

def _children_of(pids):
    """{pid: parent pid} of the processes whose parent is in pids."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2:].split()[1])
        if ppid in pids:
            found[int(entry)] = ppid
    return found


def sweep(root=None, rounds=200):
    """Kill every descendant of `root` (default: this process) until none is left; returns how many
    were killed. This process must be a subreaper (or PID 1 of its namespace), so that what a
    descendant started and left behind is still a descendant."""
    root = os.getpid() if root is None else root
    killed = 0
    for _ in range(rounds):
        family, frontier = set(), {root}
        while frontier:
            frontier = set(_children_of(frontier)) - family
            family |= frontier
        family.discard(root)
        if not family:
            return killed
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        while True:  # reap what are now zombies
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        time.sleep(0.002)
    return killed


def wait_with_deadline(pid, deadline, poll=0.005, on_tick=None):
    """(timed_out, wait status, rusage) of child pid; killed with SIGKILL at the deadline. on_tick() is
    called at each poll; when it returns a reason, the child is killed too and that reason returned."""
    try:
        pidfd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        pidfd = None
    import select

    reason = None
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0 or reason:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            if not reason:
                reason = "timeout"
            break
        if pidfd is not None:
            select.select([pidfd], [], [], min(remaining, 0.1 if on_tick else remaining))
        else:
            time.sleep(min(poll, remaining))
        if on_tick:
            reason = on_tick()
    if pidfd is not None:
        os.close(pidfd)
    return reason, status, usage


def exit_code(status):
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


# --- records in sealed memory files ------------------------------------------------------------

def record_file(name, max_bytes):
    """A memory file of exactly max_bytes (sparse) that can neither grow nor shrink: its writer
    cannot use more memory than that, whatever it writes."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, max_bytes)
    import fcntl

    fcntl.fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)
    os.set_inheritable(fd, True)
    return fd


def write_record(fd, meta_bytes, arrays_bytes):
    """Write one record (JSON bytes, npz bytes) at the start of the record file fd."""
    payload = RECORD_MAGIC + struct.pack("<QQ", len(meta_bytes), len(arrays_bytes)) + meta_bytes + arrays_bytes
    size = os.fstat(fd).st_size
    if len(payload) > size:
        raise OverflowError(f"the record is {len(payload)} bytes, more than the {size} allowed")
    view = memoryview(payload)
    offset = 0
    while offset < len(view):
        offset += os.pwrite(fd, view[offset:], offset)


def read_record(fd):
    """(meta bytes, arrays bytes) of the record file fd, or None when nothing valid was written."""
    size = os.fstat(fd).st_size
    head = os.pread(fd, 20, 0)
    if len(head) < 20 or head[:4] != RECORD_MAGIC:
        return None
    meta_len, arrays_len = struct.unpack("<QQ", head[4:])
    if 20 + meta_len + arrays_len > size:
        return None
    meta = os.pread(fd, meta_len, 20)
    arrays = os.pread(fd, arrays_len, 20 + meta_len) if arrays_len else b""
    return meta, arrays


def readonly_copy(name, source_fd):
    """A sealed, read-only memory file holding the content of source_fd (a question's inputs),
    copied by the kernel: the bytes never pass through this process's memory."""
    fd = os.memfd_create(name, os.MFD_ALLOW_SEALING)
    size, offset = os.fstat(source_fd).st_size, 0
    while offset < size:
        sent = os.sendfile(fd, source_fd, offset, size - offset)
        if sent == 0:
            break
        offset += sent
    import fcntl

    F_SEAL_WRITE = 8
    fcntl.fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE | F_SEAL_SEAL)
    return fd


def read_all(fd):
    size = os.fstat(fd).st_size
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, min(1 << 20, size - offset), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


# --- Landlock ----------------------------------------------------------------------------------------

_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE, _SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
FS = {"execute": 1 << 0, "write_file": 1 << 1, "read_file": 1 << 2, "read_dir": 1 << 3, "remove_dir": 1 << 4,
      "remove_file": 1 << 5, "make_char": 1 << 6, "make_dir": 1 << 7, "make_reg": 1 << 8, "make_sock": 1 << 9,
      "make_fifo": 1 << 10, "make_block": 1 << 11, "make_sym": 1 << 12, "refer": 1 << 13, "truncate": 1 << 14,
      "ioctl_dev": 1 << 15}
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi():
    """The kernel's Landlock ABI version, 0 where there is none (or a filter forbids it)."""
    version = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    return max(0, int(version))


def landlock(read_only, read_write, devices_rw=("/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", "/dev/random"),
             list_only=()):
    """Restrict this process and its future children: read (and execute) beneath `read_only`, anything
    beneath `read_write`, list the folders beneath `list_only` (and read no file there that no other
    rule grants), nothing elsewhere; no TCP bind/connect (ABI >= 4); no signal to, and no
    abstract unix socket of, a process outside this domain (ABI >= 6). Returns the ABI used, 0 if
    Landlock is not available (nothing restricted)."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    handled_fs = _FS_BY_ABI.get(abi, _FS_BY_ABI[5])
    attr = _RulesetAttr(handled_fs, (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                            ctypes.c_uint32(0))
    if ruleset < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock_create_ruleset: {os.strerror(err)}")
    read = FS["execute"] | FS["read_file"] | FS["read_dir"]
    file_only = FS["execute"] | FS["read_file"] | FS["write_file"] | FS["truncate"] | FS["ioctl_dev"]
    try:
        rules = [(p, read) for p in read_only] + [(p, handled_fs) for p in read_write]
        rules += [(p, FS["read_dir"]) for p in list_only]
        rules += [(p, (FS["read_file"] | FS["write_file"] | FS["ioctl_dev"]) & handled_fs) for p in devices_rw]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not os.path.isdir(path):
                    access &= file_only
                rule = _PathBeneath(access & handled_fs, fd)
                if _libc.syscall(_SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
                                 ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"landlock_add_rule {path}: {os.strerror(err)}")
            finally:
                os.close(fd)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        if _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"landlock_restrict_self: {os.strerror(err)}")
    finally:
        os.close(ruleset)
    return abi


# --- seccomp -----------------------------------------------------------------------------------------

# Never needed to grade a notebook: debugging or reaching other processes, (re)mounting or new
# namespaces (user namespaces included), the kernel's keyrings, modules, BPF, perf and io_uring
# (whose operations seccomp cannot see).
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsmount", "fsconfig", "fspick",
    "move_mount", "open_tree", "mount_setattr", "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
    "request_key", "acct", "quotactl", "quotactl_fd", "lookup_dcookie", "open_by_handle_at", "name_to_handle_at",
    "iopl", "ioperm", "syslog", "io_uring_setup", "io_uring_enter", "io_uring_register", "personality",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup", "nfsservctl", "uselib",
    "move_pages", "migrate_pages", "mbind", "set_mempolicy", "fanotify_init",
)
# Memory that no process's address space counts and that outlives the process holding it: System V
# shared memory, message queues and semaphores (they live until the job's IPC namespace ends, or
# forever where it has none), and memory files (memfd_create: the job's records are made before the
# filter). Nothing a notebook of this TP does needs them; where no cgroup counts a job's memory, they
# would let it hold far more than its cap.
SHARED_MEMORY_SYSCALLS = ("shmget", "shmat", "msgget", "semget", "ipc", "memfd_create", "memfd_secret")
_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_NE, _SCMP_CMP_MASKED_EQ = 1, 7
AF_UNIX = 1
NAMESPACE_FLAGS = (CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWCGROUP)


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def _errno_action(code):
    return 0x00050000 | (code & 0xFFFF)


def seccomp():
    """Load the filter; returns the number of rules, 0 where libseccomp is not installed."""
    path = ctypes.util.find_library("seccomp")
    if path is None:
        for candidate in ("libseccomp.so.2",):
            try:
                ctypes.CDLL(candidate)
                path = candidate
                break
            except OSError:
                pass
    if path is None:
        return 0
    lib = ctypes.CDLL(path, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    rules = 0
    try:
        def add(name, action, *comparisons):
            nonlocal rules
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                return  # not a system call on this architecture
            array = (_ArgCmp * max(1, len(comparisons)))(*comparisons)
            result = lib.seccomp_rule_add_array(ctx, action, number, len(comparisons), array)
            if result != 0:
                raise OSError(-result, f"seccomp rule for {name}: {os.strerror(-result)}")
            rules += 1

        for name in DENIED_SYSCALLS + SHARED_MEMORY_SYSCALLS:
            add(name, _errno_action(errno.EPERM))
        # clone3 passes its flags in memory, out of the filter's sight: make the C library use clone.
        add("clone3", _errno_action(errno.ENOSYS))
        for flag in NAMESPACE_FLAGS:
            add("clone", _errno_action(errno.EPERM), _ArgCmp(0, _SCMP_CMP_MASKED_EQ, flag, flag))
        add("socket", _errno_action(errno.EAFNOSUPPORT), _ArgCmp(0, _SCMP_CMP_NE, AF_UNIX, 0))
        add("socketpair", _errno_action(errno.EAFNOSUPPORT), _ArgCmp(0, _SCMP_CMP_NE, AF_UNIX, 0))
        result = lib.seccomp_load(ctx)
        if result != 0:
            raise OSError(-result, f"seccomp_load: {os.strerror(-result)}")
    finally:
        lib.seccomp_release(ctx)
    return rules


# --- resource limits ------------------------------------------------------------------------------

def set_limits(limits, cpu_seconds=None):
    import resource

    cpu = int(cpu_seconds or limits["cpu_seconds"])
    for name, value in (("CPU", (cpu, cpu + 5)), ("AS", (limits["memory_bytes"],) * 2),
                        ("FSIZE", (limits["file_bytes"],) * 2), ("CORE", (0, 0)),
                        ("NOFILE", (limits.get("open_files", 256),) * 2)):
        resource.setrlimit(getattr(resource, f"RLIMIT_{name}"), value)
