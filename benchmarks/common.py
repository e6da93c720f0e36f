"""Shared helpers for the benchmark scripts (tables, timing, memory)."""

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console
from rich.table import Table


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def print_table(title, columns, rows, note=None):
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*[("%.3f" % v) if isinstance(v, float) else str(v) for v in row])
    console = Console(width=200)
    console.print(table)
    if note:
        console.print(note)


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pid_of(name):
    out = subprocess.run(["pidof", name], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def sh(*argv, check=True):
    return subprocess.run(argv, capture_output=True, text=True, check=check).stdout


def docker_run(names, run_args, workers=1):
    """`docker run -d --name NAME *run_args` for each name, `workers` at a time."""
    def one(name):
        subprocess.run(["docker", "run", "-d", "--name", name] + list(run_args), check=True,
                       capture_output=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, names))


def docker_rm(names):
    sh("docker", "rm", "-f", *names, check=False)
