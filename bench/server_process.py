"""A benchmark server in its own process: started, waited for (``ready <port>``), observed
through /proc (memory, CPU time, context switches) and killed."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerProcess:
    """Starts ``cmd``, which must print ``ready <port>`` once it listens."""

    def __init__(self, cmd: list[str]) -> None:
        # stderr goes to a file, not a pipe: a server that logs more than a pipe holds (a
        # traceback per reset connection) would block on a pipe nobody reads.
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.errors, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            self.proc.kill()
            self.proc.wait()
            self.errors.seek(0)
            raise RuntimeError(f"server {cmd} did not start: {self.errors.read()}")
        self.port = int(line.split()[1])

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """utime + stime of the whole process."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def context_switches(self) -> int:
        """Voluntary and involuntary context switches of every thread."""
        total = 0
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                status = (task / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        return total

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.errors.close()
