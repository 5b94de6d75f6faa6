"""The pandas + scikit-learn side of bench/run_vs_sklearn.py, run as its own
process so that its wall time and peak memory include the imports, as they
do for a user.

    python bench/sklearn_pipeline.py SPEC.json

SPEC.json: {"csv", "task": "classification"|"regression", "target",
"numeric": [...], "categorical": {"col": [levels in mlp's enum order]},
"positive": label (classification), "test_rows": path of a .npy of the test
row numbers, or null to use train_test_split(test_size, seed),
"test_size", "seed", "max_iter", "C", "fit_on": "train"|"all",
"out": where to write the metrics}.

Same steps as the mlp pipeline: load, impute (median), one-hot, standardize,
split, fit, evaluate. With "fit_on": "train" the fitted steps (imputer,
scaler, encoder) learn from the training rows only and are applied to the
test rows; with "all" they learn from every row before the split. The
harness sets it to what the mlp binary under test does.
"""

import json
import sys

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def preprocess(spec: dict) -> ColumnTransformer:
    categorical = spec["categorical"]
    return ColumnTransformer(
        [
            (
                "numeric",
                Pipeline(
                    [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                spec["numeric"],
            ),
            (
                "categorical",
                OneHotEncoder(categories=list(categorical.values()), sparse_output=False),
                list(categorical),
            ),
        ]
    )


def main(spec_path: str) -> None:
    with open(spec_path) as f:
        spec = json.load(f)
    frame = pd.read_csv(spec["csv"])
    target = spec["target"]
    y = frame[target]
    x = frame.drop(columns=[target])

    if spec["fit_on"] == "all":
        # Preprocess every row first, as a transform placed before a split does.
        x = pd.DataFrame(preprocess(spec).fit_transform(x), index=x.index)
    if spec["test_rows"] is not None:
        test = np.zeros(len(frame), dtype=bool)
        test[np.load(spec["test_rows"])] = True
        x_train, x_test, y_train, y_test = x[~test], x[test], y[~test], y[test]
    else:
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=spec["test_size"], random_state=spec["seed"]
        )

    if spec["task"] == "classification":
        model = LogisticRegression(C=spec["C"], max_iter=spec["max_iter"], tol=1e-4)
    else:
        model = LinearRegression()
    if spec["fit_on"] == "all":
        pipeline = Pipeline([("model", model)])
    else:
        pipeline = Pipeline([("preprocess", preprocess(spec)), ("model", model)])
    pipeline.fit(x_train, y_train)

    if spec["task"] == "classification":
        predicted = pipeline.predict(x_test)
        positive = list(pipeline.classes_).index(spec["positive"])
        scores = pipeline.predict_proba(x_test)[:, positive]
        metrics = {
            "accuracy": accuracy_score(y_test, predicted),
            "roc_auc": roc_auc_score(y_test == spec["positive"], scores),
        }
    else:
        predicted = pipeline.predict(x_test)
        metrics = {
            "rmse": float(np.sqrt(mean_squared_error(y_test, predicted))),
            "r2": r2_score(y_test, predicted),
        }
    metrics["train_rows"] = len(x_train)
    metrics["test_rows"] = len(x_test)
    with open(spec["out"], "w") as f:
        json.dump(metrics, f)


if __name__ == "__main__":
    main(sys.argv[1])
