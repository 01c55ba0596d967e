"""Shared fixtures: the shared datasets, the Chinchilla reference data, the console script."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import scalinglaws as sl

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"


def shared_dataset_path(name: str) -> Path:
    """The folder of shared dataset ``name``; fails (never skips) when it is missing."""
    folder = SHARED_DATASETS / name
    if not (folder / "dataset.toml").is_file() or not (folder / "data.csv").is_file():
        pytest.fail(
            f"shared dataset {name!r} not found at {folder} (expected dataset.toml and data.csv); "
            "the tests need the shared datasets checked out next to the repository in "
            "../shared/datasets"
        )
    return folder


@pytest.fixture(scope="session")
def shared_dataset():
    """``shared_dataset(name)`` -> path of a shared dataset folder (fails if missing)."""
    return shared_dataset_path


@pytest.fixture(scope="session")
def chinchilla_law():
    return sl.get_law("chinchilla")


@pytest.fixture(scope="session")
def chinchilla_data(chinchilla_law):
    """The 240 Chinchilla runs that Besiroglu et al. 2024 (Epoch AI) fit."""
    folder = shared_dataset_path("chinchilla_epoch_svg")
    return sl.load_dataset(folder, law_inputs=chinchilla_law.inputs,
                           positive=[*chinchilla_law.inputs, "y"], law_name="chinchilla")


@pytest.fixture(scope="session")
def chinchilla_fit(chinchilla_law, chinchilla_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)  # a few outlying runs are flagged
        return sl.Fitter().fit(chinchilla_law, chinchilla_data)


@pytest.fixture(scope="session")
def chinchilla_bootstrap(chinchilla_law, chinchilla_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        return sl.Fitter(bootstrap=1000, seed=0).fit(chinchilla_law, chinchilla_data)


CLI = Path(sys.executable).parent / "scalinglaws"


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed ``scalinglaws`` console script (the real entry point)."""
    if not CLI.is_file():
        pytest.fail(f"console script {CLI} not found: install the package (pip install -e .)")
    return subprocess.run([str(CLI), *map(str, args)], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
