"""Shared fixtures. Data comes from $NASLIB_ZERO_DATA or ../shared/data beside the checkout.

Under CI (``CI=true``) a test that needs data fails when the data is missing; elsewhere it skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def _data_dir() -> Path:
    env = os.environ.get("NASLIB_ZERO_DATA")
    return Path(env) if env else DEFAULT_DATA


@pytest.fixture(autouse=True, scope="session")
def _private_score_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands that use the default score cache write into a temporary one, not the user's."""
    os.environ["NASLIB_ZERO_CACHE"] = str(tmp_path_factory.mktemp("cache") / "scores.sqlite")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder; fails under CI=true if it is missing, skips otherwise."""
    path = _data_dir()
    if not (path / "nb201" / "nb201_test_accuracy.csv").is_file():
        message = f"test data not found in {path} (set NASLIB_ZERO_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def one_thread():
    """Torch on one thread for the test (results compared bit for bit with a one-thread
    worker or subprocess: another thread count reorders float reductions)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
