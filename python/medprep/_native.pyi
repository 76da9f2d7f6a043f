"""Type stubs of the compiled module ``medprep._native`` (use the ``medprep`` API)."""

import os
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Source = Union[str, os.PathLike[str], bytes, bytearray, memoryview]
_F32 = npt.NDArray[np.float32]

class MedprepError(Exception): ...
class DecodeError(MedprepError): ...
class PipelineError(MedprepError): ...
class RecipeError(MedprepError): ...
class StatsError(MedprepError): ...

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

class Pipeline:
    def __init__(
        self,
        recipe: Union[str, os.PathLike[str], Dict[str, Any], None] = None,
        device: str = "auto",
    ) -> None: ...
    @property
    def feature_names(self) -> List[str]: ...
    @property
    def recipe_toml(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def device_note(self) -> str: ...
    def _run(
        self, items: List[_Source], jobs: Optional[int] = None, stop_on_error: bool = True
    ) -> Tuple[
        npt.NDArray[np.int64],
        List[Optional[str]],
        List[Optional[str]],
        List[str],
        npt.NDArray[np.int32],
        npt.NDArray[np.float64],
        List[Tuple[int, str, str, str]],
    ]: ...

def _compute(
    values: npt.NDArray[np.float32],
    mask: Optional[npt.NDArray[np.bool_]],
    bins: Optional[int],
    bin_width: Optional[float],
) -> Dict[str, float]: ...
def _window(x: _F32, center: float, width: float, invert: bool = False) -> _F32: ...
def _resample(
    x: _F32,
    spacing: Tuple[float, float],
    target_spacing: Optional[Tuple[float, float]],
    size: Optional[Tuple[int, int]],
    interpolator: str,
) -> _F32: ...
def _gaussian(x: _F32, sigma: Tuple[float, float]) -> _F32: ...
def _log(x: _F32, sigma: float) -> _F32: ...
def _sobel(x: _F32) -> _F32: ...
def _gabor(
    x: _F32,
    wavelength: float,
    orientation: float,
    sigma: Optional[float],
    aspect: float,
    phase: float,
) -> _F32: ...
def _correlate(x: _F32, kernel: _F32) -> _F32: ...
