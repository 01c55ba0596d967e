"""Data layer: read tables and ``dataset.toml`` task descriptions, validate them into datasets.

Reading (:func:`read_table`, :func:`read_task_spec`), matching a law's inputs to columns
(:func:`resolve_input_mapping`), and validating into an immutable :class:`Dataset`
(:func:`make_dataset`; :func:`load_dataset` and :func:`load_dataset_targets` do all three).
Every problem with the user's data raises :class:`~scalinglaws._errors.DataError` with a
one-line message naming the column and the original row.
"""

from ._dataset import Dataset
from ._make import load_dataset, load_dataset_targets, make_dataset
from ._mapping import resolve_input_mapping
from ._spec import TaskSpec, read_task_spec
from ._table import ROW_COLUMN, read_table

__all__ = [
    "ROW_COLUMN",
    "Dataset",
    "TaskSpec",
    "load_dataset",
    "load_dataset_targets",
    "make_dataset",
    "read_table",
    "read_task_spec",
    "resolve_input_mapping",
]
