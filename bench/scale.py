"""The 1M-row pipeline in mlp and in scikit-learn, the scaling curve, and
the bytes mlp's cache writes per run (issue 14).

    python bench/scale.py [--runs 5] [--rows 1000000] [--curve 100000,1000000] [--huge 10000000]

One invocation, on generated data (bench/common.py, numpy seed 7; the CSV
is written inside the project folder, where mlp reads by default):

1. The pipeline of bench/run_vs_sklearn.py (load, impute, one-hot,
   standardize, seeded 80/20 split, logistic regression, evaluate) on
   `--rows` rows, `--runs` times on each side as whole processes: median
   wall time, median peak RSS (GNU `time -v`), and the metrics of both,
   which must agree within 1e-3. mlp runs with `--force`: every stage is
   computed and its cache entry written.
2. The bytes one run writes into the cache: a run into an empty cache,
   then the size of `.mlp/cache/`; and a second run, which must run no
   stage.
3. The scaling curve: mlp once per size in `--curve`, and on `--huge`
   rows (0 to skip; a 10M-row CSV is about 0.8 GB and takes minutes to
   generate), whether it completes, its time and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from common import CATEGORIES, LABELS, MLP, NUMERIC, TIME, build_release, generate_synthetic
from common import median_of, mlp_split, mlp_version, read_metrics, run_measured
from run_vs_sklearn import SEED, TEST, TRAIN, compare, count_rows, enum, mlp_fit_rows
from run_vs_sklearn import mlp_pipeline, write_spec

TOLERANCE = 1e-3
MODEL = (
    "model fitted: logistic_regression {\n"
    "  data = features.train\n"
    "  target = label\n"
    "  features = all_except(label)\n"
    "  hyper { max_iterations = 100, l2 = 1.0, tolerance = 1e-4 }\n"
    "}"
)


def project(work: Path, rows: int) -> tuple[Path, Path]:
    """A project folder with the generated CSV and the pipeline."""
    folder = work / f"rows{rows}"
    folder.mkdir()
    csv = folder / "data.csv"
    generate_synthetic(csv, rows)
    main = folder / "main.mlp"
    main.write_text(
        mlp_pipeline(
            "bench_scale", Path("data.csv"), NUMERIC, CATEGORIES, "label", enum(LABELS), MODEL,
            ["accuracy", "roc_auc"],
        )
    )
    return folder, csv


def mlp_cmd(folder: Path, *extra: str) -> list[str]:
    return [str(MLP), "run", str(folder / "main.mlp"), "--quiet", "--out", str(folder / "out"), *extra]


def cache_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in (folder / ".mlp" / "cache").rglob("*") if p.is_file())


def stage_times(folder: Path) -> str:
    run = json.loads((folder / "out" / "run.json").read_text())
    return "; ".join(f"{s['stage']} {s['duration_ms']:.0f} ms" for s in run["stages"])


def cold_and_warm(folder: Path) -> dict:
    """A run into an empty cache (its bytes), then a run with nothing changed."""
    cold = run_measured(mlp_cmd(folder))
    written = cache_bytes(folder)
    warm = run_measured(mlp_cmd(folder))
    run = json.loads((folder / "out" / "run.json").read_text())
    return {
        "cold": cold,
        "bytes": written,
        "warm": warm,
        "warm_all_cached": all(s["cached"] for s in run["stages"]),
    }


def sklearn_side(folder: Path, csv: Path, runs: int):
    n = count_rows(csv)
    test_rows = folder / "test_rows.npy"
    np.save(test_rows, mlp_split(n, {"train": TRAIN, "test": TEST}, SEED)["test"])
    fit_on = mlp_fit_rows(folder, csv, NUMERIC[0], np.load(test_rows))
    spec = write_spec(folder, csv, "classification", "label", NUMERIC, CATEGORIES, test_rows, fit_on)
    cmd = ["python3", str(Path(__file__).with_name("sklearn_pipeline.py")), str(spec)]
    median, samples = median_of(cmd, runs)
    return median, samples, read_metrics(folder / "sklearn_metrics.json"), fit_on


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (median)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the compared table")
    parser.add_argument("--curve", default="100000,1000000", help="sizes of the scaling curve")
    parser.add_argument("--huge", type=int, default=0, help="rows of the largest run (0: none)")
    parser.add_argument("--no-build", action="store_true", help="use the existing release binary")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if not args.no_build:
        build_release()
    import pandas
    import sklearn

    started = datetime.datetime.now(datetime.timezone.utc)
    print(f"date: {started:%Y-%m-%d %H:%M} UTC")
    print(f"mlp: {mlp_version()} ({MLP})")
    print(
        f"python {platform.python_version()}, pandas {pandas.__version__}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; time: {TIME}"
    )
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"load average at the start: {' '.join(load)}")
    work = Path(tempfile.mkdtemp(prefix="mlp-scale-"))
    try:
        # 1 and 2: the compared pipeline.
        folder, csv = project(work, args.rows)
        first = cold_and_warm(folder)
        mlp_m, mlp_samples = median_of(mlp_cmd(folder, "--force"), args.runs)
        mlp_metrics = read_metrics(folder / "out" / "metrics.json")["models"]["fitted"]
        stages = stage_times(folder)
        sk_m, sk_samples, sk_metrics, fit_on = sklearn_side(folder, csv, args.runs)
        rows = compare(f"{args.rows:_} rows", mlp_metrics, sk_metrics)
        for row in rows:
            row["ok"] = row["diff"] <= TOLERANCE

        print(f"\n## {args.rows:_} rows: median of {args.runs} runs, peak RSS of the whole process\n")
        print("| side | time (s) | peak RSS (MiB) |")
        print("|---|---|---|")
        print(f"| mlp | {mlp_m.wall_s:.3f} | {mlp_m.rss_mb:.0f} |")
        print(f"| scikit-learn | {sk_m.wall_s:.3f} | {sk_m.rss_mb:.0f} |")
        speed = sk_m.wall_s / mlp_m.wall_s
        memory = mlp_m.rss_mb / sk_m.rss_mb
        print(f"\nmlp is {speed:.2f}x as fast as scikit-learn (target >= 3: {'met' if speed >= 3 else 'not met'})")
        print(f"mlp's peak RSS is {memory:.2f} of scikit-learn's (target <= 0.5: {'met' if memory <= 0.5 else 'not met'})")
        print(f"runs (s): mlp {[round(m.wall_s, 3) for m in mlp_samples]}, "
              f"scikit-learn {[round(m.wall_s, 3) for m in sk_samples]}")
        print(f"peak RSS (MiB): mlp {[round(m.rss_mb) for m in mlp_samples]}, "
              f"scikit-learn {[round(m.rss_mb) for m in sk_samples]}")
        print(f"mlp stages (last run): {stages}")
        print(f"fitted steps learned on: {fit_on} rows (both sides); "
              f"split (train, test): ({sk_metrics['train_rows']}, {sk_metrics['test_rows']})")
        print("\n| metric | mlp | scikit-learn | abs. difference | within 1e-3 |")
        print("|---|---|---|---|---|")
        for m in rows:
            print(f"| {m['metric']} | {m['mlp']:.6f} | {m['sklearn']:.6f} | {m['diff']:.2g} | {'yes' if m['ok'] else 'NO'} |")

        print("\n## The cache\n")
        print(f"bytes written by a run into an empty cache: {first['bytes']:_} "
              f"({first['bytes'] / 2**20:.1f} MiB); that run {first['cold'].wall_s:.3f} s, "
              f"{first['cold'].rss_mb:.0f} MiB")
        print(f"a second run with nothing changed: {first['warm'].wall_s * 1000:.0f} ms, "
              f"{first['warm'].rss_mb:.0f} MiB, every stage cached: {first['warm_all_cached']}")

        # 3: the scaling curve.
        print("\n## Scaling (mlp, one run each into an empty cache)\n")
        print("| rows | CSV (MB) | completed | time (s) | peak RSS (MiB) | cache written (MiB) |")
        print("|---|---|---|---|---|---|")
        sizes = [int(s) for s in args.curve.split(",") if s] + ([args.huge] if args.huge else [])
        for size in sizes:
            if size == args.rows:
                point_folder, point_csv, point = folder, csv, first
            else:
                point_folder, point_csv = project(work, size)
                try:
                    point = cold_and_warm(point_folder)
                except RuntimeError as error:
                    last = str(error).strip().splitlines()[-1:]
                    print(f"| {size:_} | {point_csv.stat().st_size / 1e6:.0f} | no: {' '.join(last)} | | | |")
                    continue
            print(
                f"| {size:_} | {point_csv.stat().st_size / 1e6:.0f} | yes | {point['cold'].wall_s:.2f} "
                f"| {point['cold'].rss_mb:.0f} | {point['bytes'] / 2**20:.1f} |"
            )
            if point_folder is not folder:
                subprocess.run(["rm", "-rf", str(point_folder)], check=True)
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            subprocess.run(["rm", "-rf", str(work)], check=True)


if __name__ == "__main__":
    main()
