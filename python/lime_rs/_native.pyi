# Type stubs of the compiled module lime_rs._native (checked with mypy.stubtest).
from typing import final

import numpy as np
import numpy.typing as npt

__version__: str

# --- engine (src/bindings/base.rs) ---

def explain_with_data(
    data: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    which: list[int],
    num_features: int,
    method: str,
    alpha: float = 1.0,
) -> list[tuple[float, npt.NDArray[np.int64], npt.NDArray[np.float64], float, float]]: ...
def select_features(
    data: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    num_features: int,
    method: str,
) -> npt.NDArray[np.int64]: ...
def ridge(
    data: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    alpha: float,
) -> tuple[npt.NDArray[np.float64], float]: ...
def lars_path(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def distances(
    data: npt.NDArray[np.float64], point: npt.NDArray[np.float64], metric: str
) -> npt.NDArray[np.float64]: ...
def kernel(distances: npt.NDArray[np.float64], width: float) -> npt.NDArray[np.float64]: ...
def num_threads() -> int: ...

# --- tabular (src/bindings/tabular.rs) ---

def tabular_column_moments(
    data: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def tabular_percentiles(
    data: npt.NDArray[np.float64], features: list[int], q: list[float]
) -> npt.NDArray[np.float64]: ...
def tabular_quantile_bins(
    data: npt.NDArray[np.float64], features: list[int], q: list[float]
) -> list[
    tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        tuple[
            npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64], float, float
        ],
    ]
]: ...
def tabular_bin_stats(
    data: npt.NDArray[np.float64], features: list[int], edges: list[list[float]]
) -> list[
    tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64], float, float]
]: ...
def tabular_sample_bins(
    mins: list[float],
    maxs: list[float],
    means: list[float],
    stds: list[float],
    idx: list[int],
    seed: int,
) -> npt.NDArray[np.float64]: ...

@final
class PooledBuffer: ...

@final
class TabularSampler:
    def __new__(
        cls,
        means: list[float],
        scales: list[float],
        categorical: dict[int, tuple[list[float], list[float]]],
        edges: dict[int, list[float]],
        bins: dict[int, tuple[list[float], list[float], list[float], list[float]]],
    ) -> TabularSampler: ...
    @property
    def num_columns(self) -> int: ...
    def first_row(self, instance: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def sample(
        self,
        instance: npt.NDArray[np.float64],
        num_samples: int,
        seed: int,
        sampling_method: str = "gaussian",
        around_instance: bool = False,
        undiscretize: bool = True,
        first_row: npt.NDArray[np.float64] | None = None,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...


# --- text (src/bindings/text.rs) ---


# --- image (src/bindings/image.rs) ---


# --- submodular pick (src/bindings/submodular.rs) ---

