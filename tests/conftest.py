import pathlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> pathlib.Path:
    """tests/data: the SMS Spam Collection and long documents (see its README)."""
    return DATA


@pytest.fixture
def rng():
    return np.random.RandomState(0)
