"""Linearity of `mlp fmt --check` on a long chain and of `mlp check` on a file
with many diagnostics: each is timed at size n and 10n, and the ratio of the
times is printed (about 10 for linear work).

Uses target/release/mlp if it exists, else target/debug/mlp (no build). The
median of three runs of the whole process is taken; the inputs are generated
in a temporary folder. Standard library only.

    python3 bench/linear.py [n_chain] [n_diagnostics]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "target" / "release" / "mlp"
MLP = RELEASE if RELEASE.exists() else REPO / "target" / "debug" / "mlp"

HEAD = (
    'source raw: csv {\n  path = "x.csv"\n  schema {\n    a: float\n  }\n}\n\n'
)


def chain(n: int) -> str:
    """A transform whose one step derives a sum of n terms (fmt breaks no line)."""
    return HEAD + "transform t = raw\n  | derive(x = " + " + ".join(["a"] * n) + ")\n"


def diagnostics(n: int) -> str:
    """A pipeline with n unknown fields: n MLP2001 reports."""
    fields = "".join(f"  unknown_{i} = 1\n" for i in range(n))
    return 'pipeline p {\n  version = "1.0.0"\n  owner = "a@b.c"\n' + fields + "}\n"


def seconds(args: list[str]) -> float:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def measure(name: str, make, n: int, command: list[str], folder: Path) -> None:
    times = []
    for size in (n, 10 * n):
        path = folder / f"{name}-{size}.mlp"
        path.write_text(make(size))
        times.append(seconds([str(MLP), *command, str(path)]))
    print(
        f"{name:<28} n={n:<7} {times[0]:7.3f} s   10n={10 * n:<8} {times[1]:7.3f} s"
        f"   ratio {times[1] / times[0]:5.1f}"
    )


def main() -> None:
    n_chain = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_diagnostics = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    print(f"binary: {MLP.relative_to(REPO)}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        measure("fmt --check, sum chain", chain, n_chain, ["fmt", "--check"], folder)
        measure("check, MLP2001 reports", diagnostics, n_diagnostics, ["check"], folder)
        measure(
            "check --format json, same",
            diagnostics,
            n_diagnostics,
            ["check", "--format", "json"],
            folder,
        )


if __name__ == "__main__":
    main()
