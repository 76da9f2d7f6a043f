"""medprep.features.compute_volume: series mode's features of a volume ROI.

References: the IBSI-1 digital phantom's published values for every intensity histogram
feature and all six GLCM aggregations (core/tests/reference/ibsi_phantom, provenance in
its README), and numpy for re-segmentation by range and by 3-sigma outliers.
"""

import json

import numpy as np
import pytest

import medprep
from medprep import features
from test_features import PHANTOM, _phantom, _three_significant_digits

SUFFIX = {
    "2D, averaged": "2d_avg",
    "2D, slice-merged": "2d_s_mrg",
    "2.5D, direction-merged": "2_5d_d_mrg",
    "2.5D, merged": "2_5d_v_mrg",
    "3D, averaged": "3d_avg",
    "3D, merged": "3d_v_mrg",
}


def column(symbol: str, aggregation: str = "") -> str:
    """The documented column name: the IBSI symbol with dots as underscores, lower case,
    then the aggregation's suffix."""
    name = "original_" + symbol.replace(".", "_").lower()
    return f"{name}_{SUFFIX[aggregation]}" if aggregation else name


@pytest.mark.parametrize("texture", ["2d", "3d"])
def test_the_digital_phantom_under_every_aggregation(texture):
    values, mask = _phantom()
    reference = json.loads((PHANTOM / "reference_values.json").read_text())
    got = features.compute_volume(values, mask, texture=texture)
    expected = {column(s): v for s, v in reference["intensity_histogram"].items()}
    for aggregation, table in reference["glcm_aggregated"].items():
        if aggregation.startswith("3D") == (texture == "3d"):
            expected.update({column(s, aggregation): v for s, v in table.items()})
    assert len(got) == 18 + 23 + 25 * (4 if texture == "2d" else 2)
    bad = [
        f"{name}: {got[name]} vs {want}"
        for name, want in expected.items()
        if abs(got[name] - want) > _three_significant_digits(want)
    ]
    assert not bad, bad


def test_resegmentation_by_range_then_outliers_matches_numpy():
    rng = np.random.default_rng(5)
    image = rng.normal(0, 100, (6, 20, 24)).astype(np.float32)
    image[2, 5, 5] = 5000.0  # an outlier the range keeps and 3 sigma removes
    mask = rng.random(image.shape) < 0.7
    got = features.compute_volume(image, mask, bins=16, resegment_range=(-250, 1e9), outliers=3.0)
    inside = mask & (image >= -250)
    kept = image[inside].astype(np.float64)
    mean, sd = kept.mean(), kept.std()
    final = kept[np.abs(kept - mean) <= 3 * sd]
    assert 5000.0 not in final
    np.testing.assert_allclose(got["original_stat_mean"], final.mean(), rtol=1e-9)
    np.testing.assert_allclose(got["original_stat_var"], final.var(), rtol=1e-9)
    np.testing.assert_allclose(got["original_stat_min"], final.min(), rtol=1e-9)
    np.testing.assert_allclose(got["original_stat_max"], final.max(), rtol=1e-9)


def test_bad_settings_and_empty_rois_are_errors():
    image = np.zeros((2, 3, 3), np.float32)
    mask = np.ones((2, 3, 3), bool)
    with pytest.raises(ValueError, match="not both"):
        features.compute_volume(image, mask, bins=4, bin_width=2.0)
    with pytest.raises(ValueError, match="low <= high"):
        features.compute_volume(image, mask, resegment_range=(10, -10))
    with pytest.raises(medprep.StatsError, match="re-segmentation"):
        features.compute_volume(image, mask, resegment_range=(5, 10))
    with pytest.raises(ValueError, match="geometry"):
        features.compute_volume(image, mask, spacing=(2, 2, 2))
