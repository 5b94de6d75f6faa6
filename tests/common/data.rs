//! The shared iris and diabetes tables of tests/data/, as matrices.

use mlp::exec::models::{Hyper, HyperValue, Prediction, Target, TrainedModel};
use ndarray::{Array2, ArrayView2};

pub struct Table {
    pub x: Array2<f64>,
    /// The last column, as text.
    pub target: Vec<String>,
}

/// Reads a CSV of numeric feature columns followed by one target column.
pub fn read_table(name: &str) -> Table {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let n_features = lines.next().expect("header").split(',').count() - 1;
    let mut values = Vec::new();
    let mut target = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), n_features + 1, "{line}");
        values.extend(
            cells[..n_features]
                .iter()
                .map(|c| c.parse::<f64>().unwrap()),
        );
        target.push(cells[n_features].to_string());
    }
    let x = Array2::from_shape_vec((target.len(), n_features), values).unwrap();
    Table { x, target }
}

pub struct Classes {
    pub x: Array2<f64>,
    pub y: Vec<usize>,
    pub names: Vec<String>,
}

impl Classes {
    pub fn target(&self) -> Target<'_> {
        Target::Classes {
            y: &self.y,
            names: &self.names,
        }
    }
}

/// Iris with its three species as classes 0, 1, 2 (sorted names).
pub fn iris() -> Classes {
    let table = read_table("iris.csv");
    let mut names = table.target.clone();
    names.sort();
    names.dedup();
    let y = table
        .target
        .iter()
        .map(|t| names.iter().position(|n| n == t).unwrap())
        .collect();
    Classes {
        x: table.x,
        y,
        names,
    }
}

/// The two iris species that are not linearly separable from each other.
pub fn iris_binary() -> Classes {
    let all = iris();
    let keep: Vec<usize> = (0..all.y.len()).filter(|&i| all.y[i] != 0).collect();
    Classes {
        x: all.x.select(ndarray::Axis(0), &keep),
        y: keep.iter().map(|&i| all.y[i] - 1).collect(),
        names: all.names[1..].to_vec(),
    }
}

pub fn diabetes() -> (Array2<f64>, Vec<f64>) {
    let table = read_table("diabetes.csv");
    let y = table.target.iter().map(|t| t.parse().unwrap()).collect();
    (table.x, y)
}

pub fn hyper(pairs: &[(&str, HyperValue)]) -> Hyper {
    pairs
        .iter()
        .fold(Hyper::new(), |h, (name, value)| h.with(name, value.clone()))
}

pub fn classes_of(model: &TrainedModel, x: ArrayView2<f64>) -> Vec<usize> {
    match model.predict(x).unwrap() {
        Prediction::Classes(c) => c,
        other => panic!("expected classes, got {other:?}"),
    }
}

pub fn values_of(model: &TrainedModel, x: ArrayView2<f64>) -> Vec<f64> {
    match model.predict(x).unwrap() {
        Prediction::Values(v) => v,
        other => panic!("expected values, got {other:?}"),
    }
}
