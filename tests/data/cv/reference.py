"""Reference cross-validation and grid-search scores for tests/run_cv.rs.

Rebuilds the folds of `mlp run tests/fixtures/run/cv` from the run's
metrics.json (`cv.MODEL.fold_of_row`, the fold of each row of the source)
and scores the same models with scikit-learn on them:

    mlp run tests/fixtures/run/cv --out /tmp/cv-run
    python3 tests/data/cv/reference.py /tmp/cv-run/metrics.json > tests/data/cv/reference.json

The fold assignment is written out too, so the test also pins mlp's dealing.
"""

import json
import sys

import numpy as np
import csv
import sklearn
from sklearn.linear_model import Ridge
from sklearn.metrics import make_scorer, mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

FIXTURE = "tests/fixtures/run/cv/data"


def table(name):
    """The features (every column but the last) and the target (the last)."""
    with open(f"{FIXTURE}/{name}") as f:
        rows = list(csv.reader(f))[1:]
    return np.array([[float(v) for v in r[:-1]] for r in rows]), [r[-1] for r in rows]


def folds(metrics, model, section="cv"):
    fold_of_row = metrics[section][model]["fold_of_row"]
    return fold_of_row, PredefinedSplit(np.array(fold_of_row))


def scores(result, names):
    return {name: [float(v) for v in result[f"test_{name}"]] for name in names}


def main(path):
    with open(path) as f:
        metrics = json.load(f)
    out = {"scikit_learn": sklearn.__version__}

    x, y = table("diabetes.csv")
    y = np.array([float(v) for v in y])
    fold_of_row, split = folds(metrics, "progression")
    pipeline = make_pipeline(StandardScaler(), Ridge(alpha=10.0))
    scoring = {
        "rmse": make_scorer(root_mean_squared_error),
        "mae": make_scorer(mean_absolute_error),
        "r2": make_scorer(r2_score),
    }
    result = cross_validate(pipeline, x, y, cv=split, scoring=scoring)
    out["progression"] = {"fold_of_row": fold_of_row, "metrics": scores(result, scoring)}

    x, y = table("iris.csv")
    y = np.array(y)
    fold_of_row, split = folds(metrics, "species")
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    scoring = {
        "accuracy": make_scorer(accuracy_score),
        "f1_macro": make_scorer(f1_score, average="macro"),
    }
    result = cross_validate(tree, x, y, cv=split, scoring=scoring)
    out["species"] = {"fold_of_row": fold_of_row, "metrics": scores(result, scoring)}

    # The searches: the same folds, every candidate's mean and the best.
    x, y = table("diabetes.csv")
    y = np.array([float(v) for v in y])
    fold_of_row, split = folds(metrics, "tuned", "search")
    alphas = [0.01, 1.0, 10.0, 100.0, 1000.0]
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), Ridge()),
        {"ridge__alpha": alphas},
        cv=split,
        scoring="neg_root_mean_squared_error",
    ).fit(x, y)
    out["tuned"] = {
        "fold_of_row": fold_of_row,
        "means": [-float(v) for v in grid.cv_results_["mean_test_score"]],
        "best": {"l2": grid.best_params_["ridge__alpha"]},
    }
    x, y = table("iris.csv")
    y = np.array(y)
    fold_of_row, split = folds(metrics, "shallow", "search")
    grid = GridSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": [1, 2, 3, 4, 5]},
        cv=split,
        scoring="accuracy",
    ).fit(x, y)
    out["shallow"] = {
        "fold_of_row": fold_of_row,
        "means": [float(v) for v in grid.cv_results_["mean_test_score"]],
        "best": {"max_depth": grid.best_params_["max_depth"]},
    }

    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
