"""Planning with a fitted law: FLOPs, compute-optimal and inference-aware allocation, IsoFLOP
approaches, hyperparameter prescriptions and the next runs to train.

Every planner accepts a :class:`~scalinglaws.FitResult` (its estimate and bootstrap draws; the
answer is computed for every draw, so each number has a percentile interval) or a law with
given parameter values::

    from scalinglaws import plan
    a = plan.compute_optimal(fit, 5.76e23)          # N_opt, D_opt, loss, exponents, intervals
    plan.least_compute(fit, 1.95)                   # the inverse
    plan.inference_optimal(fit, 1e13, budget=5.76e23)
    plan.isoflop(N, D, loss, budget=C, group=g)     # Approaches 1-3 side by side
    plan.fit_hyperparameters(lr, batch, N, D, loss) # optimal lr / batch laws from a sweep
    plan.suggest_runs(fit, max_flops=1e21, budget=5.76e23)
    plan.Transformer(80, 8192, 64, kv_size=128, vocab=32000).params("chinchilla")

See ``docs/planning.md`` for the methods and references.
"""

from ._allocation import Allocation, compute_optimal, least_compute, optimal_loss
from ._flops import CONVENTIONS, FLOP_METHODS, Transformer, training_flops
from ._hyper import (
    PRESCRIPTIONS,
    HyperparameterFit,
    PowerLaw,
    Prescription,
    fit_hyperparameters,
    prescription,
)
from ._inference import InferencePlan, inference_optimal
from ._isoflop import ApproachResult, IsoflopAnalysis, approach2_exponent, isoflop
from ._model import FittedLaw, as_fitted_law, recentred_draws
from ._next_runs import RunSuggestions, suggest_runs

__all__ = [
    "CONVENTIONS", "FLOP_METHODS", "PRESCRIPTIONS", "Allocation", "ApproachResult", "FittedLaw",
    "HyperparameterFit", "InferencePlan", "IsoflopAnalysis", "PowerLaw", "Prescription",
    "RunSuggestions", "Transformer", "approach2_exponent", "as_fitted_law", "compute_optimal",
    "fit_hyperparameters", "inference_optimal", "isoflop", "least_compute", "optimal_loss",
    "prescription", "recentred_draws", "suggest_runs", "training_flops",
]
