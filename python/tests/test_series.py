"""``medprep.read_series`` against SimpleITK's ``ImageSeriesReader`` (GDCM).

Every series is written here with pydicom (CT Image Storage, explicit VR little endian,
int16 pixels, RescaleSlope 1.5 and RescaleIntercept -1024), so each test states exactly
what the files hold. SimpleITK is the reference: pixels must agree exactly as float32 HU
(both apply the rescale in float64 and round once), spacing, origin and direction
within 1e-6 mm (the positions are DS text read by both sides; only the arithmetic order
differs). Where medprep departs from SimpleITK on purpose (gantry tilt, missing
slices), the test says what SimpleITK does and checks medprep against values derived by
hand.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

import medprep

sitk = pytest.importorskip("SimpleITK")
pydicom = pytest.importorskip("pydicom")

from pydicom.dataset import Dataset  # noqa: E402
from pydicom.sequence import Sequence as DicomSequence  # noqa: E402
from synthetic_series import (  # noqa: E402
    AXIAL, COLS, PIXEL_SPACING, ROWS, common, ds, new_file, pixels, write_stack,
)

ENHANCED_CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2.1"
TOLERANCE = 1e-6


def sitk_read(folder: Path, series_uid: Optional[str] = None):
    reader = sitk.ImageSeriesReader()
    if series_uid is None:
        names = reader.GetGDCMSeriesFileNames(str(folder))
    else:
        names = reader.GetGDCMSeriesFileNames(str(folder), series_uid)
    reader.SetFileNames(names)
    return reader.Execute()


def assert_matches(volume, image, *, z_spacing: Optional[float] = None) -> None:
    """Pixels exactly, geometry within TOLERANCE; `z_spacing` replaces SimpleITK's z."""
    expected = sitk.GetArrayFromImage(image).astype(np.float32)
    assert volume.pixels.dtype == np.float32
    assert volume.pixels.shape == expected.shape
    np.testing.assert_array_equal(volume.pixels, expected)
    spacing = list(image.GetSpacing())
    if z_spacing is not None:
        spacing[2] = z_spacing
    np.testing.assert_allclose(volume.spacing, spacing, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(volume.origin, image.GetOrigin(), rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(volume.direction, image.GetDirection(), rtol=0,
                               atol=TOLERANCE)


def test_shuffled_files_and_instance_numbers(tmp_path: Path) -> None:
    positions = [(-12.0, 30.5, -40.0 + 2.5 * k) for k in range(7)]
    write_stack(tmp_path, positions)
    volume = medprep.read_series(tmp_path)
    assert_matches(volume, sitk_read(tmp_path))
    assert volume.warnings == []
    # The same files as a list, in their (shuffled) name order.
    again = medprep.read_series(sorted(str(p) for p in tmp_path.iterdir()))
    np.testing.assert_array_equal(again.pixels, volume.pixels)


def test_oblique_orientation(tmp_path: Path) -> None:
    # Rows and columns rotated 30° about z, then 20° about x: neither axial, sagittal
    # nor coronal. Slice k lies 3 mm further along n = row × column.
    a, b = math.radians(30), math.radians(20)
    row = np.array([math.cos(a), math.sin(a) * math.cos(b), math.sin(a) * math.sin(b)])
    col = np.array([-math.sin(a), math.cos(a) * math.cos(b), math.cos(a) * math.sin(b)])
    normal = np.cross(row, col)
    origin = np.array([4.0, -7.0, 12.0])
    positions = [tuple(origin + 3.0 * k * normal) for k in range(5)]
    write_stack(tmp_path, positions, tuple(row) + tuple(col), seed=3)
    volume = medprep.read_series(tmp_path)
    assert_matches(volume, sitk_read(tmp_path))


def test_gantry_tilt(tmp_path: Path) -> None:
    # Each 2 mm step along z shifts y by 0.5 mm: a tilt of atan(0.5 / 2) = 14.04°.
    # SimpleITK takes z spacing as |last − first| / (n − 1) = sqrt(2² + 0.5²) = 2.0616 mm,
    # the distance along the tilted stack; medprep keeps the projection on the normal,
    # 2 mm, as the distance between slices of the volume it places (and warns).
    positions = [(0.0, 0.5 * k, 2.0 * k) for k in range(6)]
    write_stack(tmp_path, positions, seed=5)
    image = sitk_read(tmp_path)
    assert image.GetSpacing()[2] == pytest.approx(math.hypot(2.0, 0.5), abs=TOLERANCE)
    volume = medprep.read_series(tmp_path)
    assert_matches(volume, image, z_spacing=2.0)
    assert any("gantry tilt of 14.04°" in w for w in volume.warnings), volume.warnings


def test_two_series_in_one_folder(tmp_path: Path) -> None:
    write_stack(tmp_path, [(0.0, 0.0, 2.0 * k) for k in range(4)], series_uid="2.25.41",
                prefix="a", seed=7)
    write_stack(tmp_path, [(0.0, 0.0, 5.0 * k) for k in range(3)], series_uid="2.25.42",
                prefix="b", seed=8)
    with pytest.raises(medprep.DecodeError, match="2 series found"):
        medprep.read_series(tmp_path)
    # Series are numbered in the order of their first file by name: "a…" is 0.
    assert_matches(medprep.read_series(tmp_path, series=0), sitk_read(tmp_path, "2.25.41"))
    assert_matches(medprep.read_series(tmp_path, series=1), sitk_read(tmp_path, "2.25.42"))
    with pytest.raises(ValueError, match="there are 2 series"):
        medprep.read_series(tmp_path, series=2)


def test_missing_slice(tmp_path: Path) -> None:
    # Slices every 2 mm with z = 6 absent. SimpleITK reads it anyway, logging "Non
    # uniform sampling or missing slices detected", on a stretched grid: 6 slices over
    # 0..12 mm give (12 − 0) / 5 = 2.4 mm, so every slice but the ends is misplaced.
    # medprep refuses and names the gap.
    positions = [(0.0, 0.0, z) for z in (0.0, 2.0, 4.0, 8.0, 10.0, 12.0)]
    write_stack(tmp_path, positions, seed=9)
    assert sitk_read(tmp_path).GetSpacing()[2] == pytest.approx(2.4, abs=TOLERANCE)
    with pytest.raises(medprep.DecodeError,
                       match=r"slices are missing .*1 between 4\.000 mm and 8\.000 mm"):
        medprep.read_series(tmp_path)


def test_enhanced_multi_frame(tmp_path: Path) -> None:
    # One Enhanced CT file whose frames are the slices of a classic series, in scrambled
    # order; SimpleITK reads the classic files, medprep the single file.
    positions = [(3.0, -2.0, -20.0 + 2.5 * k) for k in range(5)]
    classic = tmp_path / "classic"
    write_stack(classic, positions, seed=11)

    frame_order = [3, 0, 4, 1, 2]
    sop_uid = "2.25.5000.1"
    path = tmp_path / "enhanced.dcm"
    dataset = new_file(path, sop_uid, ENHANCED_CT_IMAGE)
    common(dataset, "2.25.5000", sop_uid, ENHANCED_CT_IMAGE)
    dataset.NumberOfFrames = len(frame_order)
    measures = Dataset()
    measures.PixelSpacing = [ds(v) for v in PIXEL_SPACING]
    measures.SliceThickness = "1.25"
    orientation = Dataset()
    orientation.ImageOrientationPatient = [ds(v) for v in AXIAL]
    transform = Dataset()
    transform.RescaleSlope = "1.5"
    transform.RescaleIntercept = "-1024"
    transform.RescaleType = "HU"
    shared = Dataset()
    shared.PixelMeasuresSequence = DicomSequence([measures])
    shared.PlaneOrientationSequence = DicomSequence([orientation])
    shared.PixelValueTransformationSequence = DicomSequence([transform])
    dataset.SharedFunctionalGroupsSequence = DicomSequence([shared])
    frames = []
    for k in frame_order:
        plane = Dataset()
        plane.ImagePositionPatient = [ds(v) for v in positions[k]]
        item = Dataset()
        item.PlanePositionSequence = DicomSequence([plane])
        frames.append(item)
    dataset.PerFrameFunctionalGroupsSequence = DicomSequence(frames)
    dataset.PixelData = np.stack([pixels(k) for k in frame_order]).astype("<i2").tobytes()
    dataset.save_as(str(path), enforce_file_format=True)

    volume = medprep.read_series([path])
    assert_matches(volume, sitk_read(classic))


def test_masks_are_skipped(tmp_path: Path) -> None:
    write_stack(tmp_path, [(0.0, 0.0, 2.0 * k) for k in range(3)], seed=13)
    rtstruct_uid = "2.25.6000.1"
    rtstruct = new_file(tmp_path / "rtstruct.dcm", rtstruct_uid, "1.2.840.10008.5.1.4.1.1.481.3")
    rtstruct.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    rtstruct.SOPInstanceUID = rtstruct_uid
    rtstruct.Modality = "RTSTRUCT"
    rtstruct.save_as(str(tmp_path / "rtstruct.dcm"), enforce_file_format=True)
    volume = medprep.read_series(tmp_path)
    assert volume.pixels.shape == (3, ROWS, COLS)
    assert any("RTSTRUCT/SEG" in w for w in volume.warnings), volume.warnings
