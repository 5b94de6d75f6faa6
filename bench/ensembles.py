"""mlp's tree ensembles against scikit-learn's, on the same rows.

    python bench/ensembles.py [--rows 100000] [--only penguins|credit|generated]

Builds mlp in release, then for each data set (the penguins and credit
examples' data, and a seeded generated classification table of `--rows`
rows) fits mlp's `random_forest` and `gradient_boosting` and scikit-learn's
`RandomForestClassifier` and `HistGradientBoostingClassifier` with matching
settings, and prints both test accuracies and their difference.

Both sides see the same matrices: the data is prepared here once (rows with a
missing value dropped, categorical columns one-hot encoded) and cut into a
train and a test file by a seeded permutation (80/20); mlp reads the two files
as two sources and trains on one and evaluates on the other, scikit-learn
fits and scores the same two tables. Settings: 100 trees with ⌊√p⌋ features
per split, fully grown, for the forests; 100 rounds of depth-3 trees with
learning rate 0.1 for boosting (scikit-learn: `max_leaf_nodes=None`,
`min_samples_leaf=1`, `l2_regularization=0`, `early_stopping=False`; it bins
the features into 255 values, mlp splits on exact thresholds).
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

from common import MLP, REPO, build_release, mlp_version

TREES = 100
DEPTH = 3
RATE = 0.1


def prepared(name: str, rows: int) -> tuple[pd.DataFrame, str]:
    """The data set as numeric feature columns and a text target column."""
    if name == "penguins":
        frame = pd.read_csv(REPO / "examples/penguins/data/penguins.csv", na_values=["NA"])
        frame = frame.drop(columns=["year"]).dropna()
        return pd.get_dummies(frame, columns=["island", "sex"], dtype=float), "species"
    if name == "credit":
        frame = pd.read_csv(REPO / "examples/credit/data/credit_data.csv").dropna()
        categorical = ["Home", "Marital", "Records", "Job"]
        return pd.get_dummies(frame, columns=categorical, dtype=float), "Status"
    x, y = make_classification(
        n_samples=rows,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        n_classes=2,
        flip_y=0.05,
        random_state=7,
    )
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame, "label"


def safe(column: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in column)


def pipeline(features: list[str], target: str, classes: list[str]) -> str:
    schema = "\n".join(f"    {f}: float" for f in features)
    variants = ", ".join(f'"{c}"' for c in classes)
    sources = "\n".join(
        f"""source {part}: csv {{
  path = "{part}.csv"
  schema {{
{schema}
    {target}: enum({variants})
  }}
}}"""
        for part in ["train", "test"]
    )
    models = f"""
model forest: random_forest {{
  data = train
  target = {target}
  hyper {{ n_trees = {TREES}, max_features = "sqrt", seed = 1 }}
}}
model boosted: gradient_boosting {{
  data = train
  target = {target}
  hyper {{ n_trees = {TREES}, max_depth = {DEPTH}, learning_rate = {RATE} }}
}}
evaluate forest on test {{ metrics = [accuracy] }}
evaluate boosted on test {{ metrics = [accuracy] }}
"""
    return sources + "\n" + models


def compare(name: str, rows: int) -> list[tuple[str, str, float, float, float, float]]:
    frame, target = prepared(name, rows)
    frame.columns = [safe(c) for c in frame.columns]
    target = safe(target)
    features = [c for c in frame.columns if c != target]
    classes = sorted(frame[target].unique())
    order = np.random.default_rng(0).permutation(len(frame))
    cut = int(0.8 * len(frame))
    train, test = frame.iloc[np.sort(order[:cut])], frame.iloc[np.sort(order[cut:])]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        train.to_csv(project / "train.csv", index=False, float_format="%.17g")
        test.to_csv(project / "test.csv", index=False, float_format="%.17g")
        (project / "main.mlp").write_text(pipeline(features, target, classes))
        start = time.perf_counter()
        subprocess.run(
            [str(MLP), "run", str(project), "--force", "--quiet", "--out", str(project / "out")],
            check=True,
        )
        mlp_seconds = time.perf_counter() - start
        metrics = json.loads((project / "out" / "metrics.json").read_text())["models"]
    # Read back as mlp read them, so both sides fit the same numbers.
    x_train, y_train = train[features].to_numpy(float), train[target].to_numpy()
    x_test, y_test = test[features].to_numpy(float), test[target].to_numpy()
    sklearn = {
        "forest": RandomForestClassifier(
            n_estimators=TREES, max_features="sqrt", random_state=1, n_jobs=-1
        ),
        "boosted": HistGradientBoostingClassifier(
            max_iter=TREES,
            max_depth=DEPTH,
            learning_rate=RATE,
            max_leaf_nodes=None,
            min_samples_leaf=1,
            l2_regularization=0.0,
            early_stopping=False,
        ),
    }
    for model, estimator in sklearn.items():
        start = time.perf_counter()
        estimator.fit(x_train, y_train)
        seconds = time.perf_counter() - start
        theirs = float((estimator.predict(x_test) == y_test).mean())
        ours = metrics[model]["accuracy"]
        out.append((name, model, ours, theirs, mlp_seconds, seconds))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", choices=["penguins", "credit", "generated"])
    args = parser.parse_args()
    build_release()
    print(f"{mlp_version()}, {datetime.date.today()}, {args.rows} generated rows")
    print(f"{'data':<10} {'model':<18} {'mlp':>7} {'sklearn':>7} {'diff':>7}  time mlp (both models, whole run) / sklearn")
    worst = 0.0
    for name in ["penguins", "credit", "generated"]:
        if args.only and name != args.only:
            continue
        for data, model, ours, theirs, mlp_s, sk_s in compare(name, args.rows):
            algorithm = "random_forest" if model == "forest" else "gradient_boosting"
            worst = max(worst, abs(ours - theirs))
            print(
                f"{data:<10} {algorithm:<18} {ours:7.4f} {theirs:7.4f} {ours - theirs:+7.4f}"
                f"  {mlp_s:6.1f} s / {sk_s:6.1f} s"
            )
    print(f"largest difference: {worst:.4f} (target: 0.02)")
    sys.exit(0 if worst <= 0.02 else 1)


if __name__ == "__main__":
    main()
