"""medprep.features.compute: the IBSI-1 digital phantom's consensus values and a numpy
reference of the definitions on the CT fixture."""

import json
import math

import numpy as np
import pydicom
import pytest
import scipy.stats

import medprep
from medprep import features
from conftest import CT_SLICE, ROOT

PHANTOM = ROOT / "core" / "tests" / "reference" / "ibsi_phantom"
# Relative agreement with numpy's float64 formulas on the same float32 values; only the
# order of summation differs.
NUMPY_RELATIVE_TOLERANCE = 1e-9


def _phantom():
    data = json.loads((PHANTOM / "phantom.json").read_text())
    values = np.array(data["values"], dtype=np.float32)
    mask = np.array(data["mask"], dtype=bool)
    assert values.shape == tuple(data["shape"])
    return values, mask


def _three_significant_digits(expected: float) -> float:
    """Half a unit in the third significant digit, as IBSI publishes three digits."""
    if expected == 0:
        return 0.0005
    return 0.5 * 10 ** (math.floor(math.log10(abs(expected))) - 2)


def test_ibsi_phantom_matches_consensus_values():
    values, mask = _phantom()
    reference = json.loads((PHANTOM / "reference_values.json").read_text())
    # The phantom's grey levels need no discretisation.
    got = features.compute(values, mask, bins=None)
    failures = []
    for family in ("first_order", "histogram", "glcm_2d_averaged"):
        for name, expected in reference[family].items():
            if abs(got[name] - expected) > _three_significant_digits(expected):
                failures.append(f"{family}.{name}: got {got[name]!r}, expected {expected}")
    assert not failures, "\n".join(failures)


def _ct_hu() -> np.ndarray:
    ds = pydicom.dcmread(CT_SLICE)
    return (ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)).astype(np.float32)


def _numpy_reference(roi: np.ndarray, bins: int) -> dict:
    """IBSI first-order and histogram definitions in plain numpy/scipy (float64)."""
    x = roi.astype(np.float64)
    mean = x.mean()
    p10, p25, p75, p90 = np.percentile(x, [10, 25, 75, 90])
    median = np.median(x)
    inner = x[(x >= p10) & (x <= p90)]
    counts, _ = np.histogram(x, bins=bins, range=(x.min(), x.max()))
    p = counts[counts > 0] / x.size
    return {
        "mean": mean,
        "variance": x.var(),
        "skewness": scipy.stats.skew(x),
        "kurtosis": scipy.stats.kurtosis(x),
        "median": median,
        "minimum": x.min(),
        "p10": p10,
        "p90": p90,
        "maximum": x.max(),
        "iqr": p75 - p25,
        "range": x.max() - x.min(),
        "mad": np.abs(x - mean).mean(),
        "rmad": np.abs(inner - inner.mean()).mean(),
        "medad": np.abs(x - median).mean(),
        "cov": x.std() / mean,
        "qcod": (p75 - p25) / (p75 + p25),
        "energy": (x * x).sum(),
        "rms": math.sqrt((x * x).mean()),
        "entropy": -(p * np.log2(p)).sum(),
        "uniformity": (p * p).sum(),
    }


@pytest.mark.parametrize("with_mask", [False, True], ids=["whole", "roi"])
def test_first_order_and_histogram_match_numpy(with_mask):
    hu = _ct_hu()
    mask = hu > -500 if with_mask else None
    got = features.compute(hu, mask, bins=64)
    expected = _numpy_reference(hu[mask] if with_mask else hu.ravel(), 64)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=NUMPY_RELATIVE_TOLERANCE, abs=1e-9), name


def test_order_names_and_glcm_presence():
    got = features.compute(_ct_hu(), bins=32)
    names = list(got)
    assert names[:3] == ["mean", "variance", "skewness"]
    assert names[18:20] == ["entropy", "uniformity"]
    assert any(n.startswith("glcm_") for n in names)
    # 1-D input has no GLCM features.
    assert not any(n.startswith("glcm_") for n in features.compute(np.arange(10.0)))


def test_mask_of_numbers_and_other_dtypes_convert():
    hu = _ct_hu()
    as_bool = features.compute(hu, hu > 0)
    as_int = features.compute(hu.astype(np.float64), (hu > 0).astype(np.uint8))
    assert as_bool == as_int


def test_three_d_stack_is_accepted():
    values, mask = _phantom()
    got = features.compute(values, mask, bins=None)
    assert got["mean"] == pytest.approx(2.15, abs=0.005)


def test_bin_width_alone_and_bins_conflict():
    x = np.array([[0.0, 1.0], [2.0, 5.0]])
    wide = features.compute(x, bin_width=10.0)
    assert wide["entropy"] == 0.0  # one bin holds everything
    assert features.compute(x, bins=None, bin_width=10.0) == wide
    with pytest.raises(ValueError, match="not both"):
        features.compute(x, bins=8, bin_width=1.0)


def test_errors_are_stats_errors_with_the_rust_message():
    x = np.ones((3, 3), np.float32)
    with pytest.raises(medprep.StatsError, match="the ROI mask is empty"):
        features.compute(x, np.zeros((3, 3), bool))
    with pytest.raises(medprep.StatsError, match="has shape"):
        features.compute(x, np.ones((2, 3), bool))
    x[1, 1] = np.nan
    with pytest.raises(medprep.StatsError, match="not finite"):
        features.compute(x)
    with pytest.raises(medprep.StatsError, match="must be integers"):
        features.compute(np.array([[0.5, 1.0]]), bins=None)
    with pytest.raises(medprep.MedprepError):
        features.compute(x, bins=0)
