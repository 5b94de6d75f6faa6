//! Metrics against scikit-learn.
//!
//! Expected values computed with scikit-learn 1.9.1 (numpy 2.4.6) by the
//! script below; its output is pasted into the tests as literals.
//!
//! ```python
//! import warnings
//! import numpy as np
//! import sklearn
//! from sklearn import metrics as m
//!
//! warnings.simplefilter("ignore")
//! print("sklearn", sklearn.__version__)
//!
//! # Binary classification, positive class 1 (and 0).
//! bt = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0]
//! bp = [0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0]
//! print("accuracy", repr(m.accuracy_score(bt, bp)))
//! for pos in (1, 0):
//!     print("precision", pos, repr(m.precision_score(bt, bp, pos_label=pos)))
//!     print("recall", pos, repr(m.recall_score(bt, bp, pos_label=pos)))
//!     print("f1", pos, repr(m.f1_score(bt, bp, pos_label=pos)))
//! print("confusion", m.confusion_matrix(bt, bp, labels=[0, 1]).tolist())
//!
//! # Multiclass, macro averages; class 3 is never predicted, class 2 never true.
//! mt = [0, 1, 3, 0, 1, 3, 3, 0, 1, 1, 3, 0]
//! mp = [0, 2, 1, 0, 1, 1, 0, 0, 1, 2, 1, 1]
//! print("m_accuracy", repr(m.accuracy_score(mt, mp)))
//! print("precision_macro", repr(m.precision_score(mt, mp, average="macro")))
//! print("recall_macro", repr(m.recall_score(mt, mp, average="macro")))
//! print("f1_macro", repr(m.f1_score(mt, mp, average="macro")))
//! print("m_confusion", m.confusion_matrix(mt, mp, labels=[0, 1, 2, 3]).tolist())
//!
//! # ROC AUC with tied scores.
//! rt = [0, 0, 1, 1, 0, 1, 1, 0, 1, 0]
//! rs = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.35, 0.9]
//! print("roc_auc", repr(m.roc_auc_score(rt, rs)))
//! # All scores tied: 0.5.
//! print("roc_auc_all_tied", repr(m.roc_auc_score(rt, [0.5] * len(rt))))
//!
//! # Log loss, binary with clipped 0/1 probabilities, and three classes.
//! lt = [0, 1, 1, 0, 1]
//! lp = [[0.9, 0.1], [0.2, 0.8], [1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
//! print("log_loss_binary", repr(m.log_loss(lt, lp, labels=[0, 1])))
//! lt3 = [0, 2, 1, 2, 0, 1]
//! lp3 = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25],
//!        [0.3, 0.4, 0.3], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]
//! print("log_loss_multi", repr(m.log_loss(lt3, lp3, labels=[0, 1, 2])))
//!
//! # Regression.
//! yt = [3.0, -0.5, 2.0, 7.0, 4.2, 10.5]
//! yp = [2.5, 0.0, 2.1, 7.8, 3.9, 9.0]
//! print("rmse", repr(m.root_mean_squared_error(yt, yp)))
//! print("mae", repr(m.mean_absolute_error(yt, yp)))
//! print("r2", repr(m.r2_score(yt, yp)))
//! print("mape", repr(m.mean_absolute_percentage_error(yt, yp)))
//! print("mape_zero", repr(m.mean_absolute_percentage_error([0.0, 2.0], [0.5, 1.0])))
//! print("r2_constant", repr(m.r2_score([2.0, 2.0, 2.0], [2.0, 2.5, 1.0])))
//! print("r2_constant_perfect", repr(m.r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0])))
//!
//! # Silhouette on a small 2-D dataset: three clusters, one a singleton.
//! sx = np.array([[1.0, 1.0], [1.5, 2.0], [0.5, 1.2], [5.0, 5.0], [6.0, 5.5],
//!                [5.5, 6.5], [9.0, 0.5], [1.2, 0.8]])
//! sl = [0, 0, 0, 1, 1, 1, 2, 0]
//! print("silhouette", repr(m.silhouette_score(sx, sl, metric="euclidean")))
//! # Labels need not be 0..k.
//! print("silhouette_sparse_labels", repr(m.silhouette_score(sx, [4, 4, 4, 9, 9, 9, 9, 4])))
//!
//! # Classification report and weighted averages of the multiclass case.
//! p, r, f, s = m.precision_recall_fscore_support(mt, mp, labels=[0, 1, 2, 3], zero_division=0)
//! print("per_class", p.tolist(), r.tolist(), f.tolist(), s.tolist())
//! for name in ("precision", "recall", "f1"):
//!     score = getattr(m, f"{name}_score")
//!     print(f"{name}_weighted", repr(score(mt, mp, average="weighted", zero_division=0)))
//! print("average_precision", repr(m.average_precision_score(rt, rs)))
//!
//! # Residuals (actual - predicted) of the regression case.
//! res = np.array(yt) - np.array(yp)
//! print("residuals", res.mean(), res.std(), res.min(), np.quantile(res, [0.05, 0.25, 0.5, 0.75, 0.95]).tolist(),
//!       res.max(), np.abs(res).max())
//! ```

use mlp::exec::metrics::{
    accuracy, average_precision, confusion_matrix, f1, f1_macro, f1_weighted, log_loss, mae, mape,
    per_class, precision, precision_macro, precision_weighted, r2, recall, recall_macro,
    recall_weighted, residual_summary, rmse, roc_auc, silhouette,
};
use ndarray::{array, Array2};

const TOL: f64 = 1e-9;

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= TOL * expected.abs().max(1.0),
        "got {actual}, expected {expected}"
    );
}

const BT: [usize; 12] = [0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0];
const BP: [usize; 12] = [0, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0];
const MT: [usize; 12] = [0, 1, 3, 0, 1, 3, 3, 0, 1, 1, 3, 0];
const MP: [usize; 12] = [0, 2, 1, 0, 1, 1, 0, 0, 1, 2, 1, 1];

#[test]
fn binary_classification_matches_scikit_learn() {
    close(accuracy(&BT, &BP).unwrap(), 0.5833333333333334);
    close(precision(&BT, &BP, 1).unwrap(), 0.5714285714285714);
    close(recall(&BT, &BP, 1).unwrap(), 0.6666666666666666);
    close(f1(&BT, &BP, 1).unwrap(), 0.6153846153846154);
    close(precision(&BT, &BP, 0).unwrap(), 0.6);
    close(recall(&BT, &BP, 0).unwrap(), 0.5);
    close(f1(&BT, &BP, 0).unwrap(), 0.5454545454545454);
    assert_eq!(
        confusion_matrix(&BT, &BP, 2).unwrap(),
        vec![vec![3, 3], vec![2, 4]]
    );
}

#[test]
fn multiclass_macro_averages_match_scikit_learn() {
    close(accuracy(&MT, &MP).unwrap(), 0.4166666666666667);
    close(precision_macro(&MT, &MP).unwrap(), 0.2708333333333333);
    close(recall_macro(&MT, &MP).unwrap(), 0.3125);
    close(f1_macro(&MT, &MP).unwrap(), 0.2875);
    assert_eq!(
        confusion_matrix(&MT, &MP, 4).unwrap(),
        vec![
            vec![3, 1, 0, 0],
            vec![0, 2, 2, 0],
            vec![0, 0, 0, 0],
            vec![1, 3, 0, 0],
        ]
    );
}

#[test]
fn precision_without_predicted_positives_is_zero() {
    assert_eq!(precision(&[0, 1, 1], &[0, 0, 0], 1).unwrap(), 0.0);
    assert_eq!(recall(&[0, 0, 0], &[0, 1, 0], 1).unwrap(), 0.0);
    assert_eq!(f1(&[0, 0, 0], &[0, 0, 0], 1).unwrap(), 0.0);
}

#[test]
fn roc_auc_handles_tied_scores_like_scikit_learn() {
    let truth = [0, 0, 1, 1, 0, 1, 1, 0, 1, 0].map(|c| c == 1);
    let scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.35, 0.9];
    close(roc_auc(&truth, &scores).unwrap(), 0.62);
    close(roc_auc(&truth, &[0.5; 10]).unwrap(), 0.5);
}

#[test]
fn roc_auc_with_a_single_class_is_an_error() {
    let err = roc_auc(&[true, true], &[0.1, 0.7]).unwrap_err();
    assert!(err.message().contains("only one class"), "{err}");
    let err = roc_auc(&[true, false], &[0.1, f64::NAN]).unwrap_err();
    assert!(err.message().contains("not a finite number"), "{err}");
}

#[test]
fn log_loss_clips_like_scikit_learn() {
    let proba = array![[0.9, 0.1], [0.2, 0.8], [1.0, 0.0], [0.5, 0.5], [0.0, 1.0]];
    close(
        log_loss(&[0, 1, 1, 0, 1], proba.view()).unwrap(),
        7.413060927329828,
    );
    let proba = array![
        [0.7, 0.2, 0.1],
        [0.1, 0.3, 0.6],
        [0.25, 0.5, 0.25],
        [0.3, 0.4, 0.3],
        [0.6, 0.3, 0.1],
        [0.2, 0.2, 0.6]
    ];
    close(
        log_loss(&[0, 2, 1, 2, 0, 1], proba.view()).unwrap(),
        0.8141473481317826,
    );
}

#[test]
fn log_loss_rejects_rows_that_are_not_probabilities() {
    let proba = array![[0.5, 0.6]];
    let err = log_loss(&[0], proba.view()).unwrap_err();
    assert!(err.message().contains("sum to"), "{err}");
    let proba = array![[0.5, 0.5]];
    let err = log_loss(&[2], proba.view()).unwrap_err();
    assert!(err.message().contains("class 2"), "{err}");
}

#[test]
fn regression_metrics_match_scikit_learn() {
    let truth = [3.0, -0.5, 2.0, 7.0, 4.2, 10.5];
    let pred = [2.5, 0.0, 2.1, 7.8, 3.9, 9.0];
    close(rmse(&truth, &pred).unwrap(), 0.7626707459098366);
    close(mae(&truth, &pred).unwrap(), 0.6166666666666667);
    close(r2(&truth, &pred).unwrap(), 0.9539172535211268);
    close(mape(&truth, &pred).unwrap(), 0.25753968253968257);
    close(mape(&[0.0, 2.0], &[0.5, 1.0]).unwrap(), 1125899906842624.2);
    close(r2(&[2.0, 2.0, 2.0], &[2.0, 2.5, 1.0]).unwrap(), 0.0);
    close(r2(&[2.0, 2.0, 2.0], &[2.0, 2.0, 2.0]).unwrap(), 1.0);
}

fn silhouette_points() -> Array2<f64> {
    array![
        [1.0, 1.0],
        [1.5, 2.0],
        [0.5, 1.2],
        [5.0, 5.0],
        [6.0, 5.5],
        [5.5, 6.5],
        [9.0, 0.5],
        [1.2, 0.8]
    ]
}

#[test]
fn silhouette_matches_scikit_learn() {
    let x = silhouette_points();
    close(
        silhouette(x.view(), &[0, 0, 0, 1, 1, 1, 2, 0]).unwrap(),
        0.7241781851737568,
    );
    close(
        silhouette(x.view(), &[4, 4, 4, 9, 9, 9, 9, 4]).unwrap(),
        0.6592228122173636,
    );
}

#[test]
fn silhouette_needs_two_to_n_minus_one_clusters() {
    let x = silhouette_points();
    let err = silhouette(x.view(), &[0; 8]).unwrap_err();
    assert!(err.message().contains("found 1"), "{err}");
    let err = silhouette(x.view(), &[0, 1, 2, 3, 4, 5, 6, 7]).unwrap_err();
    assert!(err.message().contains("found 8"), "{err}");
}

#[test]
fn empty_and_mismatched_inputs_are_errors() {
    assert!(accuracy(&[], &[])
        .unwrap_err()
        .message()
        .contains("no samples"));
    let err = f1_macro(&[0, 1], &[0]).unwrap_err();
    assert!(
        err.message().contains("2 true values but 1 predictions"),
        "{err}"
    );
    assert!(rmse(&[], &[]).is_err());
    let err = mae(&[1.0, f64::INFINITY], &[1.0, 2.0]).unwrap_err();
    assert!(err.message().contains("row 1"), "{err}");
    let err = confusion_matrix(&[0, 3], &[0, 1], 2).unwrap_err();
    assert!(err.message().contains("class 3"), "{err}");
    assert!(silhouette(Array2::zeros((0, 2)).view(), &[]).is_err());
}

#[test]
fn the_classification_report_and_weighted_averages_match_scikit_learn() {
    let mt = [0, 1, 3, 0, 1, 3, 3, 0, 1, 1, 3, 0];
    let mp = [0, 2, 1, 0, 1, 1, 0, 0, 1, 2, 1, 1];
    let report = per_class(&mt, &mp, 4).unwrap();
    let expected = [
        (0.75, 0.75, 0.75, 4),
        (0.3333333333333333, 0.5, 0.4, 4),
        (0.0, 0.0, 0.0, 0),
        (0.0, 0.0, 0.0, 4),
    ];
    for (got, (p, r, f, support)) in report.iter().zip(expected) {
        close(got.precision, p);
        close(got.recall, r);
        close(got.f1, f);
        assert_eq!(got.support, support);
    }
    close(precision_weighted(&mt, &mp).unwrap(), 0.3611111111111111);
    close(recall_weighted(&mt, &mp).unwrap(), 0.4166666666666667);
    close(f1_weighted(&mt, &mp).unwrap(), 0.3833333333333333);
}

#[test]
fn average_precision_matches_scikit_learn() {
    let rt = [
        false, false, true, true, false, true, true, false, true, false,
    ];
    let rs = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2, 0.35, 0.9];
    close(average_precision(&rt, &rs).unwrap(), 0.5833333333333333);
    let none = average_precision(&[false, false], &[0.2, 0.4]).unwrap_err();
    assert!(
        none.message().contains("no sample of the positive class"),
        "{none}"
    );
}

#[test]
fn residuals_are_summarised_like_numpy() {
    let yt = [3.0, -0.5, 2.0, 7.0, 4.2, 10.5];
    let yp = [2.5, 0.0, 2.1, 7.8, 3.9, 9.0];
    let r = residual_summary(&yt, &yp).unwrap();
    close(r.mean, 0.15000000000000005);
    close(r.std, 0.7477744758058185);
    close(r.min, -0.7999999999999998);
    close(r.p05, -0.7249999999999999);
    close(r.p25, -0.4);
    close(r.median, 0.10000000000000009);
    close(r.p75, 0.45000000000000007);
    close(r.p95, 1.25);
    close(r.max, 1.5);
    close(r.max_abs, 1.5);
    assert!(residual_summary(&[], &[]).is_err());
}
