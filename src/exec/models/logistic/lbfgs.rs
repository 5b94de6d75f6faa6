//! Minimising [`Loss`] with argmin's L-BFGS and More–Thuente line search,
//! stopped as scikit-learn stops scipy's L-BFGS-B.

use std::cell::RefCell;

use argmin::core::{
    CostFunction, Error, Executor, Gradient, IterState, Problem, Solver, State, TerminationReason,
    TerminationStatus, KV,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::Array1;

use super::loss::Loss;

type Vector = Array1<f64>;
type Iterate = IterState<Vector, Vector, (), (), (), f64>;
type Inner = LBFGS<MoreThuenteLineSearch<Vector, Vector, f64>, Vector, Vector, f64>;

/// Corrections kept, as scipy's default (`maxcor = 10`).
const MEMORY: usize = 10;

/// The loss seen by argmin, which asks for the cost and the gradient at
/// the same point in two calls: both come from one pass, and the last pair
/// is kept for the second call.
struct Objective<'a> {
    loss: Loss<'a>,
    last: RefCell<Option<(Vector, f64, Vector)>>,
}

impl Objective<'_> {
    fn at(&self, theta: &Vector) -> (f64, Vector) {
        if let Some((at, cost, gradient)) = self.last.borrow().as_ref() {
            if at == theta {
                return (*cost, gradient.clone());
            }
        }
        let (cost, gradient) = self.loss.evaluate(&theta.to_vec());
        let gradient = Vector::from(gradient);
        *self.last.borrow_mut() = Some((theta.clone(), cost, gradient.clone()));
        (cost, gradient)
    }
}

impl CostFunction for Objective<'_> {
    type Param = Vector;
    type Output = f64;

    fn cost(&self, theta: &Vector) -> Result<f64, Error> {
        Ok(self.at(theta).0)
    }
}

impl Gradient for Objective<'_> {
    type Param = Vector;
    type Gradient = Vector;

    fn gradient(&self, theta: &Vector) -> Result<Vector, Error> {
        Ok(self.at(theta).1)
    }
}

/// argmin's L-BFGS stopped by scikit-learn's rule: the largest gradient
/// component at most `tolerance` (scipy's `gtol`, on a gradient with no
/// bounds to project on). argmin's own rules (the gradient's Euclidean
/// norm, a small absolute decrease) are not used. scipy also stops on a
/// decrease of 64 ulps at most (`ftol`); here only an iteration that does
/// not lower the objective at all ends the fit (or the line search finding
/// no step, or a cost that is not a number), so that a tight `tolerance`
/// gets as close to the optimum as the objective's rounding allows: on the
/// credit rows, a gradient of 3e-11 where `ftol` stops at 1e-9. The best
/// parameters seen are kept.
struct Lbfgs {
    inner: Inner,
    tolerance: f64,
}

impl<'a> Solver<Objective<'a>, Iterate> for Lbfgs {
    fn name(&self) -> &str {
        "L-BFGS"
    }

    fn init(
        &mut self,
        problem: &mut Problem<Objective<'a>>,
        state: Iterate,
    ) -> Result<(Iterate, Option<KV>), Error> {
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<Objective<'a>>,
        state: Iterate,
    ) -> Result<(Iterate, Option<KV>), Error> {
        self.inner.next_iter(problem, state)
    }

    fn terminate(&mut self, state: &Iterate) -> TerminationStatus {
        let small_gradient = state
            .get_gradient()
            .is_some_and(|g| g.iter().all(|v| v.abs() <= self.tolerance));
        let (before, after) = (state.get_prev_cost(), state.get_cost());
        let stalled = before.is_finite() && after >= before;
        if small_gradient || stalled || after.is_nan() {
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        } else {
            TerminationStatus::NotTerminated
        }
    }
}

/// The parameters minimising `loss` from zero, after at most
/// `max_iterations` iterations.
pub(super) fn minimise(
    loss: Loss<'_>,
    max_iterations: u64,
    tolerance: f64,
) -> Result<Vec<f64>, Error> {
    let start = Vector::zeros(loss.n_params());
    // scipy's line search conditions (sufficient decrease 1e-3, curvature 0.9).
    let line_search = MoreThuenteLineSearch::new().with_c(1e-3, 0.9)?;
    let solver = Lbfgs {
        inner: LBFGS::new(line_search, MEMORY),
        tolerance,
    };
    let objective = Objective {
        loss,
        last: RefCell::new(None),
    };
    let result = Executor::new(objective, solver)
        .configure(|state| state.param(start).max_iters(max_iterations))
        .ctrlc(false)
        .run()?;
    let best = result
        .state()
        .get_best_param()
        .ok_or_else(|| Error::msg("L-BFGS ended without parameters"))?;
    Ok(best.to_vec())
}
