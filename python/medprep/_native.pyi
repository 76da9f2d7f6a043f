"""Type stubs of the compiled module ``medprep._native`` (use the ``medprep`` API)."""

import os
from typing import Any, Dict, List, Optional, Tuple, Union, final

from typing_extensions import Self

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "__version__",
    "MedprepError",
    "DecodeError",
    "PipelineError",
    "RecipeError",
    "StatsError",
    "Image",
    "Pipeline",
    "Volume",
    "read",
    "read_mask",
    "read_nifti",
    "read_series",
    "write_nifti",
    "_compute",
    "_compute_volume",
    "_window",
    "_resample",
    "_gaussian",
    "_sobel",
    "_gabor",
    "_correlate",
]

__version__: str

_Source = Union[str, os.PathLike[str], bytes, bytearray, memoryview]
_F32 = npt.NDArray[np.float32]

class MedprepError(Exception): ...
class DecodeError(MedprepError): ...
class PipelineError(MedprepError): ...
class RecipeError(MedprepError): ...
class StatsError(MedprepError): ...

@final
class Image:
    @property
    def pixels(self) -> _F32: ...
    @property
    def raw(self) -> npt.NDArray[Any]: ...
    @property
    def spacing(self) -> Optional[Tuple[float, float]]: ...
    @property
    def meta(self) -> Dict[str, Any]: ...
    @property
    def name(self) -> str: ...

def read(source: _Source, frame: Optional[int] = None) -> Image: ...

@final
class Volume:
    def __new__(
        cls,
        pixels: Union[_F32, npt.NDArray[np.bool_]],
        spacing: Tuple[float, float, float] = ...,
        origin: Tuple[float, float, float] = ...,
        direction: Optional[List[float]] = None,
    ) -> Self: ...
    @property
    def pixels(self) -> npt.NDArray[Any]: ...
    @property
    def spacing(self) -> Tuple[float, float, float]: ...
    @property
    def origin(self) -> Tuple[float, float, float]: ...
    @property
    def direction(self) -> List[float]: ...
    @property
    def roi(self) -> Optional[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    def to_sitk(self) -> Any: ...
    @staticmethod
    def from_sitk(image: Any) -> Volume: ...
    def resample(self, spacing: Tuple[float, float, float]) -> Volume: ...

def read_series(
    source: Union[str, os.PathLike[str], List[Union[str, os.PathLike[str]]]],
    *,
    series: Optional[int] = None,
) -> Volume: ...
def read_mask(
    path: Union[str, os.PathLike[str]], like: Volume, roi: Optional[str] = None
) -> Volume: ...
def read_nifti(
    path: Union[str, os.PathLike[str]], *, time_point: Optional[int] = None
) -> Volume: ...
def write_nifti(volume: Volume, path: Union[str, os.PathLike[str]]) -> None: ...

@final
class Pipeline:
    def __new__(
        cls,
        recipe: Union[str, os.PathLike[str], Dict[str, Any], None] = None,
        device: str = "auto",
    ) -> Self: ...
    @property
    def feature_names(self) -> List[str]: ...
    @property
    def recipe_toml(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def device_note(self) -> str: ...
    @property
    def kind(self) -> str: ...
    def _run(
        self, items: List[_Source], jobs: Optional[int] = None, stop_on_error: bool = True
    ) -> Tuple[pa.RecordBatch, List[Tuple[int, str, str, str]]]: ...
    def _run_series(
        self,
        items: List[Union[str, os.PathLike[str]]],
        jobs: Optional[int] = None,
        stop_on_error: bool = True,
    ) -> Tuple[pa.RecordBatch, pa.RecordBatch, List[Tuple[int, str, str, str]]]: ...

def _compute(
    values: npt.NDArray[np.float32],
    mask: Optional[npt.NDArray[np.bool_]],
    bins: Optional[int],
    bin_width: Optional[float],
) -> Dict[str, float]: ...
def _compute_volume(
    values: npt.NDArray[np.float32],
    mask: npt.NDArray[np.bool_],
    spacing: Tuple[float, float, float],
    settings: str,
) -> Tuple[List[Tuple[str, float]], int, int]: ...
def _window(x: _F32, center: float, width: float, invert: bool = False) -> _F32: ...
def _resample(
    x: _F32,
    spacing: Tuple[float, float],
    target_spacing: Optional[Tuple[float, float]],
    size: Optional[Tuple[int, int]],
    interpolator: str,
) -> _F32: ...
def _gaussian(
    x: _F32,
    sigma: Tuple[float, float, float],
    spacing: Tuple[float, float, float],
    padding: str,
    dims: int,
    truncate: float,
    laplace: bool,
) -> _F32: ...
def _sobel(x: _F32, padding: str, dims: int) -> _F32: ...
def _gabor(
    x: _F32,
    wavelength: float,
    orientation: float,
    sigma: Optional[float],
    aspect: float,
    phase: float,
) -> _F32: ...
def _correlate(x: _F32, kernel: _F32) -> _F32: ...
