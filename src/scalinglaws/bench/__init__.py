"""Benchmark laws by extrapolation: fit on the train rows of real data, score the test rows.

:func:`run_bench` takes dataset folders (``dataset.toml`` + ``data.csv``), fits every law whose
inputs a dataset can supply (or the laws you name) on its train split, predicts its test split
and scores the predictions with the metrics of :mod:`scalinglaws.bench._metrics` (R², NMSE,
NMAE, mean absolute relative error, RMSE of log-predictions), pooling the test rows of all
groups as SLDBench does. Fits run in parallel through :func:`scalinglaws.parallel.run_tasks`;
a fit that fails or times out is a result with status ``"failed"`` and its reason.

Data without a published split take a split rule declared by value: :class:`Threshold`
(``"params>=1e10"``) or :class:`Largest` (the largest distinct value(s) of a column held out).
"""

from ._metrics import METRICS, are, log_rmse, nmae, nmse, r2, score
from ._results import BenchReport, BenchResult, DatasetInfo, GroupScore, Score
from ._runner import (
    LOSSES,
    BenchSettings,
    LawCandidate,
    PreparedDataset,
    candidate_laws,
    prepare_dataset,
    run_bench,
)
from ._split import Largest, SplitRule, Threshold, parse_largest, parse_threshold

__all__ = [
    "LOSSES", "METRICS", "BenchReport", "BenchResult", "BenchSettings", "DatasetInfo",
    "GroupScore", "LawCandidate", "Largest", "PreparedDataset", "Score", "SplitRule",
    "Threshold", "are", "candidate_laws",
    "log_rmse", "nmae", "nmse", "parse_largest", "parse_threshold", "prepare_dataset", "r2",
    "run_bench", "score",
]
