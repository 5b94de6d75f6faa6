"""Expected fairness metrics for tests/fairness.rs, computed by Fairlearn.

Run from the repository root:

    pip install fairlearn==0.13.0 scikit-learn==1.9.1
    python3 tests/data/fairness/generate.py

It writes tests/data/fairness/cases.json (checked in: the Rust tests read
it and never run Python). Labels are 0/1 with 1 the positive class, as mlp
scores the second class of a binary target. Every case lists its rows
(true class, predicted class, group) and what Fairlearn computes:
demographic_parity_difference and equalized_odds_difference with their
defaults (method="between_groups", agg="worst_case"), and
MetricFrame(...).by_group of accuracy, precision, recall, f1 and
selection_rate, with scikit-learn's default zero_division (a warning,
and 0).
"""

import json
import pathlib
import warnings

import fairlearn
import numpy as np
import sklearn
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

# Precision and recall of a group without predicted or actual positives
# warn and return 0: that is the behaviour being recorded.
warnings.simplefilter("ignore")

OUT = pathlib.Path(__file__).with_name("cases.json")

BY_GROUP = {
    "accuracy": accuracy_score,
    "precision": precision_score,
    "recall": recall_score,
    "f1": f1_score,
    "selection_rate": selection_rate,
}


def case(name, y_true, y_pred, groups):
    assert len(y_true) == len(y_pred) == len(groups), name
    frame = MetricFrame(
        metrics=BY_GROUP,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
    )
    by_group = frame.by_group
    counts = {g: 0 for g in by_group.index}
    for g in groups:
        counts[g] += 1
    return {
        "name": name,
        "y_true": [int(v) for v in y_true],
        "y_pred": [int(v) for v in y_pred],
        # As text, the way mlp reads a groups column; the order of
        # `by_group.groups` is Fairlearn's (numeric for the int case).
        "groups": [str(g) for g in groups],
        "demographic_parity_difference": float(
            demographic_parity_difference(y_true, y_pred, sensitive_features=groups)
        ),
        "equalized_odds_difference": float(
            equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
        ),
        "by_group": {
            "groups": [str(g) for g in by_group.index],
            "rows": [counts[g] for g in by_group.index],
            **{
                metric: [float(v) for v in by_group[metric]]
                for metric in BY_GROUP
            },
        },
    }


def cases():
    out = []
    # Two groups of equal size.
    out.append(
        case(
            "two_groups",
            [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0],
            [0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0],
            ["f", "m", "f", "m", "f", "m", "f", "m", "f", "m", "f", "m"],
        )
    )
    # Three groups of 2, 5 and 9 rows.
    out.append(
        case(
            "three_groups_unequal_sizes",
            [1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0],
            [1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0],
            ["x", "x", "y", "y", "y", "y", "y", "z", "z", "z", "z", "z", "z", "z", "z", "z"],
        )
    )
    # Group "a" has no actual positive (its recall and true positive rate
    # are 0 by zero_division), group "b" no predicted positive (precision
    # 0), group "c" no actual negative (false positive rate 0).
    out.append(
        case(
            "groups_without_positives_or_negatives",
            [0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1],
            [0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1],
            ["a", "a", "a", "a", "b", "b", "b", "c", "c", "c", "c"],
        )
    )
    # Integer groups: Fairlearn orders them as numbers (-1, 2, 10).
    y_true = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0]
    y_pred = [1, 0, 0, 1, 1, 0, 1, 1, 1, 0]
    groups = [10, 2, 10, -1, 2, -1, 10, 2, -1, 10]
    out.append(case("integer_groups", y_true, y_pred, groups))
    # One group: no disparity.
    out.append(
        case("one_group", [0, 1, 1, 0, 1], [1, 1, 0, 0, 1], ["all"] * 5)
    )
    # A larger random case: four groups of unequal sizes and base rates.
    rng = np.random.default_rng(2024)
    n = 400
    groups = rng.choice(["north", "south", "east", "west"], size=n, p=[0.5, 0.25, 0.15, 0.1])
    base = {"north": 0.3, "south": 0.5, "east": 0.2, "west": 0.6}
    y_true = np.array([int(rng.random() < base[g]) for g in groups])
    flip = rng.random(n) < np.where(groups == "east", 0.35, 0.15)
    y_pred = np.where(flip, 1 - y_true, y_true)
    out.append(case("random_four_groups", list(y_true), list(y_pred), [str(g) for g in groups]))
    return out


def main():
    document = {
        "generated_by": "tests/data/fairness/generate.py",
        "fairlearn": fairlearn.__version__,
        "scikit_learn": sklearn.__version__,
        "numpy": np.__version__,
        "cases": cases(),
    }
    # One line per case: the file stays readable in a diff.
    head = {k: v for k, v in document.items() if k != "cases"}
    lines = [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    cases_text = ",\n".join("  " + json.dumps(c) for c in document["cases"])
    OUT.write_text("{\n" + "\n".join(lines) + '\n "cases": [\n' + cases_text + "\n ]\n}\n")
    print(f"wrote {OUT} ({len(document['cases'])} cases)")


if __name__ == "__main__":
    main()
