"""medprep.Volume against SimpleITK: the geometry reads the same both ways."""

import numpy as np
import pytest
import SimpleITK as sitk

import medprep


def _oblique_image() -> sitk.Image:
    # A rotation about z by 30 degrees (columns are the index axes in patient space).
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    pixels = np.random.default_rng(3).normal(size=(4, 5, 6)).astype(np.float32)
    image = sitk.GetImageFromArray(pixels)
    image.SetSpacing((0.7, 0.8, 2.5))
    image.SetOrigin((-12.5, 40.0, 7.25))
    image.SetDirection((c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0))
    return image


def test_from_sitk_reads_what_sitk_holds():
    image = _oblique_image()
    volume = medprep.Volume.from_sitk(image)
    np.testing.assert_array_equal(volume.pixels, sitk.GetArrayFromImage(image))
    assert volume.spacing == image.GetSpacing()
    assert volume.origin == image.GetOrigin()
    assert tuple(volume.direction) == image.GetDirection()


def test_to_sitk_round_trip_keeps_geometry_and_values():
    image = _oblique_image()
    back = medprep.Volume.from_sitk(image).to_sitk()
    np.testing.assert_array_equal(sitk.GetArrayFromImage(back), sitk.GetArrayFromImage(image))
    assert back.GetSpacing() == image.GetSpacing()
    assert back.GetOrigin() == image.GetOrigin()
    assert back.GetDirection() == image.GetDirection()
    # SimpleITK maps index to patient space the same way medprep's grid does.
    assert back.TransformIndexToPhysicalPoint((1, 2, 3)) == image.TransformIndexToPhysicalPoint(
        (1, 2, 3)
    )


def test_constructor_checks_its_arguments():
    pixels = np.zeros((2, 3, 4), np.float32)
    volume = medprep.Volume(pixels, spacing=(1.0, 2.0, 3.0))
    assert volume.spacing == (1.0, 2.0, 3.0)
    assert volume.direction == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert volume.roi is None and volume.warnings == []
    assert "shape=(2, 3, 4)" in repr(volume)
    with pytest.raises(ValueError, match="spacing must be positive"):
        medprep.Volume(pixels, spacing=(1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="3-D"):
        medprep.Volume.from_sitk(sitk.Image(4, 4, sitk.sitkFloat32))
