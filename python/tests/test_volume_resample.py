"""Volume.resample: IBSI's centre-aligned 3D grid, against SimpleITK's linear resampler.

The reference is ``sitk.Resample`` with ``sitkLinear`` onto the grid that the IBSI
manual ("Interpolation", align grid centres) defines, worked out here from its formulas:
``n_b = ceil(n_a s_a / s_b)`` voxels per axis, the first centre
``(s_a (n_a - 1) - s_b (n_b - 1)) / 2`` mm from the old first centre along that axis.
Every new centre lies within half an old voxel of the old grid, where ITK's linear
interpolator clamps its neighbours to the edge, which is the edge padding IBSI asks for,
so the two must agree everywhere: to float32 rounding for scans, and exactly for masks
(mask voxels whose interpolated weight lies within 1e-6 of the 0.5 threshold are left
out, since rounding may put them either side).
"""

from __future__ import annotations

import math

import numpy as np
import SimpleITK as sitk

from medprep._native import Volume

SPACING = (0.7, 0.9, 2.5)
ORIGIN = (-20.0, 13.5, 101.0)
# An oblique, right-handed orientation: rotated 30 degrees about z.
C, S = math.cos(math.pi / 6), math.sin(math.pi / 6)
DIRECTION = (C, -S, 0.0, S, C, 0.0, 0.0, 0.0, 1.0)
NEW_SPACING = (1.1, 1.3, 2.0)


def ibsi_grid(shape_zyx, spacing, origin, direction, new_spacing):
    """Size (x, y, z) and origin of the centre-aligned grid, from the manual's formulas."""
    size_xyz = shape_zyx[::-1]
    new_size = [math.ceil(n * s / t) for n, s, t in zip(size_xyz, spacing, new_spacing)]
    offset_mm = [
        (s * (n - 1) - t * (m - 1)) / 2.0
        for n, m, s, t in zip(size_xyz, new_size, spacing, new_spacing)
    ]
    d = np.asarray(direction).reshape(3, 3)
    new_origin = np.asarray(origin) + d @ np.asarray(offset_mm)
    return new_size, tuple(new_origin)


def sitk_linear(array: np.ndarray, new_size, new_origin) -> np.ndarray:
    image = sitk.GetImageFromArray(array.astype(np.float64))
    image.SetSpacing(SPACING)
    image.SetOrigin(ORIGIN)
    image.SetDirection(DIRECTION)
    out = sitk.Resample(
        image,
        [int(n) for n in new_size],
        sitk.Transform(),
        sitk.sitkLinear,
        new_origin,
        NEW_SPACING,
        DIRECTION,
        float("nan"),
        sitk.sitkFloat64,
    )
    return sitk.GetArrayFromImage(out)


def test_scans_resample_like_simpleitk_on_the_ibsi_grid() -> None:
    rng = np.random.default_rng(19)
    pixels = rng.uniform(-1000, 2000, (12, 15, 17)).astype(np.float32)
    volume = Volume(pixels, SPACING, ORIGIN, list(DIRECTION))
    out = volume.resample(NEW_SPACING)

    new_size, new_origin = ibsi_grid(pixels.shape, SPACING, ORIGIN, DIRECTION, NEW_SPACING)
    assert out.pixels.shape == tuple(new_size[::-1])
    assert np.allclose(out.origin, new_origin, atol=1e-9)
    assert out.spacing == NEW_SPACING
    assert np.allclose(out.direction, DIRECTION, atol=1e-12)

    reference = sitk_linear(pixels, new_size, new_origin)
    assert np.isfinite(reference).all(), "every new centre lies inside ITK's buffer"
    # float32 output of values up to 2000: a few units in the last place.
    np.testing.assert_allclose(out.pixels, reference, rtol=0, atol=2000 * 4e-7)


def test_masks_are_interpolated_then_thresholded_at_one_half() -> None:
    z, y, x = np.mgrid[0:12, 0:15, 0:17]
    mask = ((x - 8.3) ** 2 + (y - 6.9) ** 2 + ((z - 5.6) * 3) ** 2) < 40.0
    volume = Volume(mask.astype(np.float32), SPACING, ORIGIN, list(DIRECTION))
    as_mask = volume.resample(NEW_SPACING)
    new_size, new_origin = ibsi_grid(mask.shape, SPACING, ORIGIN, DIRECTION, NEW_SPACING)
    weights = sitk_linear(mask.astype(np.float64), new_size, new_origin)
    # The float volume of 0/1 gives the weights; the mask path must threshold them.
    np.testing.assert_allclose(as_mask.pixels, weights, atol=1e-6)

    out = Volume(mask, SPACING, ORIGIN, list(DIRECTION)).resample(NEW_SPACING)
    assert out.pixels.dtype == np.bool_
    decided = np.abs(weights - 0.5) > 1e-6
    assert decided.mean() > 0.99
    np.testing.assert_array_equal(out.pixels[decided], (weights >= 0.5)[decided])
    assert 0 < out.pixels.sum() < out.pixels.size
