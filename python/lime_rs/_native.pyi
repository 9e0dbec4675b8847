# Type stubs of the compiled module lime_rs._native (checked with mypy.stubtest).
from typing import final

import numpy as np
import numpy.typing as npt

__version__: str

# PyO3 lists every name it adds in the module's __all__ (stubtest compares the two lists).
__all__ = [
    "__version__",
    "explain_with_data",
    "select_features",
    "ridge",
    "lars_path",
    "distances",
    "kernel",
    "num_threads",
    "prewake",
    "explain_with_data_many",
    "tabular_sample_many",
    "tabular_column_moments",
    "tabular_percentiles",
    "tabular_bin_stats",
    "tabular_quantile_bins",
    "tabular_sample_bins",
    "TabularSampler",
    "PooledBuffer",
    "TextIndex",
    "quickshift_segments",
    "quickshift_segments_f32",
    "rgb2lab",
    "image_masks",
    "ImagePerturber",
    "submodular_pick",
]

# --- engine (src/bindings/base.rs) ---

from typing import Any  # noqa: E402

# (intercept, features, weights, score, local_pred) per label; return_stderr=True adds
# a 6th element: the weights' sandwich (HC1) standard errors, in the same order.

def explain_with_data(
    data: npt.NDArray[np.float64],
    labels: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    which: list[int],
    num_features: int,
    method: str,
    alpha: float = 1.0,
    return_stderr: bool = False,
    distances: npt.NDArray[np.float64] | None = None,
) -> list[tuple[Any, ...]]: ...
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
def prewake() -> None: ...

# --- tabular (src/bindings/tabular.rs) ---

def tabular_column_moments(
    data: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def tabular_percentiles(
    data: npt.NDArray[np.float64], features: list[int], q: list[float]
) -> npt.NDArray[np.float64]: ...
def tabular_quantile_bins(
    data: npt.NDArray[np.float64], features: list[int], q: list[float]
) -> tuple[
    list[
        tuple[
            npt.NDArray[np.float64],
            npt.NDArray[np.float64],
            tuple[
                npt.NDArray[np.int64],
                npt.NDArray[np.float64],
                npt.NDArray[np.float64],
                float,
                float,
            ],
        ]
    ],
    tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]],
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
        groups: list[tuple[list[int], npt.NDArray[np.float64]]] | None = None,
        missing: tuple[list[float], list[float]] | None = None,
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
    def sample_data(
        self,
        instance: npt.NDArray[np.float64],
        num_samples: int,
        seed: int,
        sampling_method: str = "gaussian",
        around_instance: bool = False,
        undiscretize: bool = True,
        first_row: npt.NDArray[np.float64] | None = None,
        fixed: list[int] = ...,
    ) -> tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        list[tuple[str, int, bool, float]],
    ]: ...

# --- text (src/bindings/text.rs) ---

@final
class TextIndex:
    """A tokenised document (the core of IndexedString / IndexedCharacters)."""

    @staticmethod
    def from_tokens(tokens: list[str], is_word: list[bool], bow: bool, mask: str) -> TextIndex: ...
    @staticmethod
    def from_tokenizer(text: str, tokens: list[str], bow: bool, mask: str) -> TextIndex: ...
    @staticmethod
    def from_chars(text: str, bow: bool, mask: str) -> TextIndex: ...
    def num_features(self) -> int: ...
    def num_tokens(self) -> int: ...
    def tokens(self) -> list[str]: ...
    def words(self) -> list[str]: ...
    def token_char_lengths(self) -> npt.NDArray[np.int64]: ...
    def token_features(self) -> npt.NDArray[np.int64]: ...
    def positions(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
    def inverse_removing(self, words_to_remove: list[int]) -> str: ...
    def sample(
        self, num_samples: int, seed: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def perturbed_strings(self, data: npt.NDArray[np.float64]) -> list[str]: ...

# --- image (src/bindings/image.rs) ---

def quickshift_segments(
    image: npt.NDArray[np.float64],
    ratio: float,
    kernel_size: float,
    max_dist: float,
    convert2lab: bool,
    noise: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]: ...
def quickshift_segments_f32(
    image: npt.NDArray[np.float32],
    kernel_size: float,
    max_dist: float,
    noise: npt.NDArray[np.float32],
) -> npt.NDArray[np.int64]: ...
def rgb2lab(image: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
def image_masks(seed: int, num_samples: int, n_features: int) -> npt.NDArray[np.float64]: ...

@final
class ImagePerturber:
    def __new__(
        cls,
        image: npt.NDArray[np.uint8],
        fudged: npt.NDArray[np.uint8],
        pixel_feature: npt.NDArray[np.int64],
        n_features: int,
    ) -> ImagePerturber: ...
    def fill(self, masks: npt.NDArray[np.float64], out: npt.NDArray[np.uint8]) -> None: ...

# --- submodular pick (src/bindings/submodular.rs) ---

def submodular_pick(w: npt.NDArray[np.float64], k: int) -> list[int]: ...

# --- batch (src/bindings/batch.rs) ---

def explain_with_data_many(
    data: list[npt.NDArray[np.float64]],
    labels: list[npt.NDArray[np.float64]],
    weights: list[npt.NDArray[np.float64]],
    which: list[list[int]],
    num_features: int,
    method: str,
    alpha: float = 1.0,
    return_stderr: bool = False,
) -> list[list[tuple[Any, ...]]]: ...
def tabular_sample_many(
    sampler: TabularSampler,
    rows: npt.NDArray[np.float64],
    seeds: list[int],
    num_samples: int,
    sampling_method: str,
    around_instance: bool,
    undiscretize: bool,
    scaled: npt.NDArray[np.float64],
    inverse: npt.NDArray[np.float64],
    distances: npt.NDArray[np.float64],
) -> None: ...
