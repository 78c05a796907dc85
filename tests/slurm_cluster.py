"""A throw-away single-node SLURM cluster (Debian's slurmctld/slurmd/munge) for the tests.

``SlurmCluster().start()`` installs the packages with apt-get if they are missing, writes
``/etc/slurm/slurm.conf`` and ``gres.conf`` for this host (CPUs and memory from ``slurmd -C``,
one fake GPU so that GPU requests can be checked), creates the munge key if missing, starts
``munged``, ``slurmctld`` and ``slurmd`` in the foreground as child processes (no systemd) and
waits until the node is idle. ``stop()`` terminates exactly the processes it started, by PID,
and puts back any slurm.conf/gres.conf it replaced. State, spool and logs live in a temporary
folder that is removed afterwards.

Without accounting (no slurmdbd) the Snakemake SLURM plugin must poll with ``squeue``, and
``MinJobAge`` keeps finished jobs visible to it (and to ``scontrol show job``) for an hour.

Also usable by hand (as root): ``python tests/slurm_cluster.py up`` starts the cluster and
keeps it until Ctrl-C.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
CONF_DIR = Path("/etc/slurm")
MARKER = "# Written by tcgatl tests/slurm_cluster.py"
MUNGE_KEY = Path("/etc/munge/munge.key")


class ClusterError(RuntimeError):
    """The cluster could not be set up; the message says why (with daemon log tails)."""


class ClusterBusy(ClusterError):
    """A SLURM controller not started by us is already running here."""


def _run(cmd, check=True, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=check, **kw)


def _which_all():
    return {p: shutil.which(p) for p in ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "munged")}


def can_set_up() -> str | None:
    """None if this process can bring a cluster up, else the reason it cannot."""
    if os.geteuid() != 0:
        return "needs root (installs Debian's SLURM packages, writes /etc/slurm, starts daemons)"
    if not all(_which_all().values()) and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is not available"
    return None


def install_packages():
    """apt-get install the SLURM and munge packages if any program is missing."""
    if all(_which_all().values()):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Without systemd, keep the packages' maintainer scripts from starting daemons we would not own.
    policy = Path("/usr/sbin/policy-rc.d")
    own_policy = not policy.exists()
    if own_policy:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        cmd = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
        r = _run(cmd, check=False, env=env)
        if r.returncode != 0:  # stale or missing package lists
            _run(["apt-get", "update"], check=False, env=env)
            r = _run(cmd, check=False, env=env)
        if r.returncode != 0:
            raise ClusterError(f"apt-get install {' '.join(PACKAGES)} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    finally:
        if own_policy:
            policy.unlink()
    missing = [k for k, v in _which_all().items() if not v]
    if missing:
        raise ClusterError(f"after installing {PACKAGES}, still missing: {missing}")


def node_hardware() -> dict:
    """NodeName, CPUs, RealMemory, ... of this host, as slurmd reports them."""
    out = _run(["slurmd", "-C"]).stdout.splitlines()[0]
    return dict(kv.split("=", 1) for kv in out.split())


def slurm_conf(hw: dict, state: Path, partition: str = "debug") -> str:
    node = hw["NodeName"]
    return f"""{MARKER}; restored/removed when the test cluster stops.
ClusterName=tcgatl
SlurmctldHost={node}(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={state}/ctld
SlurmdSpoolDir={state}/d
SlurmctldPidFile={state}/slurmctld.pid
SlurmdPidFile={state}/slurmd.pid
SlurmctldLogFile={state}/slurmctld.log
SlurmdLogFile={state}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=3600
GresTypes=gpu
NodeName={node} CPUs={hw["CPUs"]} Boards={hw.get("Boards", 1)} SocketsPerBoard={hw.get("SocketsPerBoard", 1)} CoresPerSocket={hw.get("CoresPerSocket", hw["CPUs"])} ThreadsPerCore={hw.get("ThreadsPerCore", 1)} RealMemory={hw["RealMemory"]} NodeAddr=127.0.0.1 Gres=gpu:1 State=UNKNOWN
PartitionName={partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


class SlurmCluster:
    def __init__(self, timeout: float = 90):
        self.timeout = timeout
        self.procs: dict[str, subprocess.Popen] = {}
        self.state: Path | None = None
        self.backups: dict[Path, Path | None] = {}
        self.hardware: dict = {}
        self.partition = "debug"

    # -- set-up ---------------------------------------------------------------------------
    def start(self) -> "SlurmCluster":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self):
        install_packages()
        if _run(["scontrol", "ping"], check=False, timeout=20).stdout.count("is UP"):
            raise ClusterBusy("a SLURM controller is already running on this machine; not touching it")
        self.state = Path(tempfile.mkdtemp(prefix="tcgatl-slurm-"))
        (self.state / "ctld").mkdir()
        (self.state / "d").mkdir()
        self.hardware = node_hardware()
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        self._write(CONF_DIR / "slurm.conf", slurm_conf(self.hardware, self.state, self.partition))
        self._write(CONF_DIR / "gres.conf", f"{MARKER}\nNodeName={self.hardware['NodeName']} Name=gpu File=/dev/null\n")
        self._start_munge()
        self._spawn("slurmctld", ["slurmctld", "-D"])
        self._wait(lambda: "is UP" in _run(["scontrol", "ping"], check=False, timeout=20).stdout, "slurmctld to answer")
        self._spawn("slurmd", ["slurmd", "-D"])
        self._wait(self._node_idle, "the node to become idle in sinfo")

    def _write(self, path: Path, text: str):
        """Write a config file, keeping any file that is not ours to restore it in stop()."""
        backup = None
        if path.exists() and not path.read_text(errors="replace").startswith(MARKER):
            backup = self.state / f"{path.name}.orig"
            shutil.copy2(path, backup)
        self.backups[path] = backup
        path.write_text(text)

    def _start_munge(self):
        if _run("munge -n | unmunge", shell=True, check=False).returncode == 0:
            return  # a munged is already running (not ours: left alone)
        uid, gid = pwd.getpwnam("munge").pw_uid, grp.getgrnam("munge").gr_gid
        if not MUNGE_KEY.exists() or MUNGE_KEY.stat().st_size == 0:
            MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
            MUNGE_KEY.write_bytes(os.urandom(1024))
            os.chown(MUNGE_KEY, uid, gid)
            MUNGE_KEY.chmod(0o400)
        for d in ("/run/munge", "/var/lib/munge", "/var/log/munge"):
            Path(d).mkdir(parents=True, exist_ok=True)
            os.chown(d, uid, gid)
        self._spawn("munged", ["munged", "--foreground"], user="munge", group="munge")
        self._wait(lambda: _run("munge -n | unmunge", shell=True, check=False).returncode == 0, "munged")

    def _spawn(self, name, cmd, **kw):
        log = open(self.state / f"{name}.stdout", "w")
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)

    def _node_idle(self):
        r = _run(["sinfo", "-h", "-N", "-o", "%T"], check=False, timeout=20)
        return r.returncode == 0 and r.stdout.strip() == "idle"

    def _wait(self, ready, what):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise ClusterError(
                        f"{name} exited with status {p.returncode} while waiting for {what}\n{self.logs()}"
                    )
            if ready():
                return
            time.sleep(1)
        raise ClusterError(f"timed out after {self.timeout:.0f} s waiting for {what}\n{self.logs()}")

    def logs(self, lines: int = 15) -> str:
        """Tails of the daemons' logs, for error messages."""
        out = []
        for f in sorted(self.state.glob("*.log")) + sorted(self.state.glob("*.stdout")) if self.state else []:
            tail = f.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {f.name}\n" + "\n".join(tail))
        return "\n".join(out)

    # -- tear-down ------------------------------------------------------------------------
    def cancel_all_jobs(self, timeout: float = 60):
        """Cancel every job of this (private) cluster and wait until its steps are gone, so
        that no slurmstepd or job process outlives the daemons."""
        if "slurmctld" not in self.procs:
            return
        ids = _run(["squeue", "-h", "-o", "%i"], check=False, timeout=20).stdout.split()
        if ids:
            _run(["scancel", *ids], check=False, timeout=20)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = _run(["squeue", "-h", "-o", "%T"], check=False, timeout=20).stdout.split()
            if not [s for s in states if s not in ("CANCELLED", "COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY")]:
                return
            time.sleep(1)

    def stop(self):
        """Stop the daemons this object started (by PID), restore configs, remove state."""
        self.cancel_all_jobs()
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.pop(name, None)
            if p is None:
                continue
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for path, backup in self.backups.items():
            if backup is not None:
                shutil.copy2(backup, path)
            elif path.exists() and path.read_text(errors="replace").startswith(MARKER):
                path.unlink()
        self.backups = {}
        if self.state is not None:
            shutil.rmtree(self.state, ignore_errors=True)
            self.state = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def job_info(jobid: str) -> dict:
    """``scontrol show job`` as a dict (kept by slurmctld for MinJobAge after the job ends)."""
    out = _run(["scontrol", "show", "job", "-o", str(jobid)]).stdout
    return dict(kv.split("=", 1) for kv in out.split() if "=" in kv)


if __name__ == "__main__":
    if sys.argv[1:] != ["up"]:
        sys.exit("usage: python tests/slurm_cluster.py up   (as root; Ctrl-C stops the cluster)")
    with SlurmCluster() as cluster:
        print(f"SLURM cluster up on {socket.gethostname()}: {cluster.hardware}; Ctrl-C stops it", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
