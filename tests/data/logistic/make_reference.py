"""scikit-learn's logistic regression coefficients on the rows that
tests/fixtures/run/logistic/main.mlp trains on, for tests/logistic.rs.

    python tests/data/logistic/make_reference.py   # writes reference.json

Both models are fitted with tol=1e-10, max_iter=10000, then refitted from
their own coefficients (warm_start) until a refit changes no coefficient by
more than 1e-10 relatively: scikit-learn's L-BFGS also stops when the
objective decreases by less than 64 ulps, which on these rows leaves some
coefficients about 2e-6 (relatively) away from the optimum, more than the
test's tolerance; the refits bring them within 3e-7 of it (checked against
a Newton-polished solution when this script was written).

- credit: binary, Status (class 1 = "bad", the second value of mlp's enum)
  on six numeric columns of examples/credit/data/credit_data.csv, each
  standardised with the population deviation (mlp's `standardize`,
  scikit-learn's StandardScaler); C = 1 (mlp's default l2 = 1).
- iris: multinomial, the three species of tests/data/iris.csv on the four
  measurements, standardised; l2 = 0.5, so C = 2.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[3]
CREDIT_FEATURES = ["Seniority", "Time", "Age", "Expenses", "Amount", "Price"]
IRIS_FEATURES = ["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]
IRIS_CLASSES = ["setosa", "versicolor", "virginica"]


def fit(x: np.ndarray, y: np.ndarray, c: float) -> dict:
    model = LogisticRegression(C=c, tol=1e-10, max_iter=10000, solver="lbfgs", warm_start=True)
    before = None
    for fits in range(1, 51):
        model.fit(x, y)
        now = np.hstack([model.coef_.ravel(), model.intercept_])
        if before is not None and np.max(np.abs(now - before) / np.abs(now)) < 1e-10:
            break
        before = now
    return {
        "weights": model.coef_.tolist(),
        "intercepts": model.intercept_.tolist(),
        "fits": fits,
    }


credit = pd.read_csv(ROOT / "examples/credit/data/credit_data.csv")
x = StandardScaler().fit_transform(credit[CREDIT_FEATURES].to_numpy(dtype=np.float64))
y = (credit["Status"] == "bad").to_numpy(dtype=np.int64)

iris = pd.read_csv(ROOT / "tests/data/iris.csv")
xi = StandardScaler().fit_transform(iris[IRIS_FEATURES].to_numpy(dtype=np.float64))
yi = iris["target"].map(IRIS_CLASSES.index).to_numpy(dtype=np.int64)

reference = {
    "scikit_learn": sklearn.__version__,
    "credit_scorer": fit(x, y, 1.0),
    "species": fit(xi, yi, 1.0 / 0.5),
}
out = Path(__file__).with_name("reference.json")
out.write_text(json.dumps(reference, indent=2) + "\n")
print(json.dumps(reference, indent=2))
