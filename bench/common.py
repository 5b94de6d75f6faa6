"""Shared pieces of the mlp benchmarks: the release build, timing a whole
process (wall time and peak RSS), the generated data, and a replica of mlp's
seeded split so that scikit-learn can be given exactly the same test rows."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# Where `cargo build --release` puts the binary, CARGO_TARGET_DIR included.
MLP = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "mlp"
DIAMONDS = REPO / "examples" / "diamonds" / "data" / "diamonds.csv"
TIME = shutil.which("time") or "/usr/bin/time"


def build_release() -> None:
    print("building mlp (cargo build --release)...", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "build", "--release", "--bin", "mlp"], cwd=REPO, check=True)


def mlp_version() -> str:
    out = subprocess.run([str(MLP), "--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).strip()


@dataclass
class Measure:
    wall_s: float
    rss_mb: float


def run_measured(cmd: list[str], cwd: Path | None = None) -> Measure:
    """Runs `cmd` under GNU time; wall time from here, peak RSS from time -v.

    A non-zero exit is an error: a benchmark of a failed run means nothing."""
    full = [TIME, "-v", *cmd]
    start = time.perf_counter()
    proc = subprocess.run(full, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(
            f"command failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if not match:
        raise RuntimeError(f"no RSS in GNU time output:\n{proc.stderr}")
    return Measure(wall, int(match.group(1)) / 1024.0)


def median_of(cmd: list[str], runs: int, cwd: Path | None = None) -> tuple[Measure, list[Measure]]:
    samples = [run_measured(cmd, cwd) for _ in range(runs)]
    return (
        Measure(
            statistics.median(m.wall_s for m in samples),
            statistics.median(m.rss_mb for m in samples),
        ),
        samples,
    )


# --- mlp's split (src/exec/split.rs), replicated ---------------------------
# Xoshiro256++ seeded by SplitMix64 (rand_xoshiro's seed_from_u64), a
# Fisher-Yates shuffle with rejection-sampled bounded integers, parts sized by
# the largest-remainder method, each part in the original row order.

M64 = (1 << 64) - 1


def _splitmix64(seed: int):
    x = seed & M64
    while True:
        x = (x + 0x9E3779B97F4A7C15) & M64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        yield z ^ (z >> 31)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & M64


def _xoshiro256pp(seed: int):
    sm = _splitmix64(seed)
    s0, s1, s2, s3 = (next(sm) for _ in range(4))
    while True:
        result = (_rotl((s0 + s3) & M64, 23) + s0) & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        yield result


def mlp_split(n: int, fractions: dict[str, float], seed: int) -> dict[str, np.ndarray]:
    """The row numbers (sorted) of each part of `split { part = fraction, ..., seed }`
    over a table of `n` rows, without stratification. mlp keeps the parts in a
    BTreeMap, so they take their shares of the shuffled rows in name order
    (`test` before `train`)."""
    rng = _xoshiro256pp(seed)
    rows = list(range(n))
    for i in range(n - 1, 0, -1):
        bound = i + 1
        zone = bound * (M64 // bound)
        while True:
            x = next(rng)
            if x < zone:
                break
        j = x % bound
        rows[i], rows[j] = rows[j], rows[i]
    names = sorted(fractions)
    exact = [fractions[name] * n for name in names]
    counts = [math.floor(e) for e in exact]
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    for step in range(n - sum(counts)):
        counts[order[step % len(order)]] += 1
    if sum(counts) != n:
        raise ValueError(f"split replica: parts of {counts} rows for {n} rows")
    parts, start = {}, 0
    for name, count in zip(names, counts):
        parts[name] = np.sort(np.array(rows[start : start + count], dtype=np.int64))
        start += count
    return parts


# --- generated classification table ------------------------------------------

NUMERIC = [f"f{i}" for i in range(8)]
CATEGORIES = {
    "c0": ["a", "b", "c"],
    "c1": ["north", "south", "east", "west"],
    "c2": ["v1", "v2", "v3", "v4", "v5"],
}
LABELS = ["no", "yes"]


def generate_synthetic(path: Path, rows: int, seed: int = 7) -> None:
    """A 12-column table: 8 numeric columns on different scales with ~5% of
    cells missing, 3 categorical columns, and a binary label drawn from a
    known logistic model of the complete values."""
    rng = np.random.default_rng(seed)
    means = np.array([0.0, 10.0, -5.0, 100.0, 0.5, 3.0, 1000.0, -20.0])
    scales = np.array([1.0, 3.0, 0.5, 25.0, 0.1, 2.0, 300.0, 8.0])
    weights = np.array([0.8, -0.5, 0.6, 0.3, -0.9, 0.4, 0.7, -0.2])
    z = rng.standard_normal((rows, len(NUMERIC)))
    values = means + scales * z
    logit = -0.3 + z @ weights
    cats = {}
    for name, levels in CATEGORIES.items():
        idx = rng.integers(0, len(levels), rows)
        effects = np.linspace(-0.6, 0.6, len(levels))
        logit += effects[idx]
        cats[name] = np.array(levels, dtype=object)[idx]
    label = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))
    import pandas as pd  # the generator only; the timed sklearn side imports its own

    frame = pd.DataFrame({name: values[:, i] for i, name in enumerate(NUMERIC)})
    missing = rng.random((rows, len(NUMERIC))) < 0.05
    for i, name in enumerate(NUMERIC):
        frame.loc[missing[:, i], name] = np.nan
    for name, column in cats.items():
        frame[name] = column
    frame["label"] = np.where(label, LABELS[1], LABELS[0])
    frame.to_csv(path, index=False, float_format="%.6g", na_rep="")


def read_metrics(path: Path) -> dict:
    return json.loads(path.read_text())
