"""medprep.read against pydicom on every fixture: stored values, physical values, header."""

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

import medprep
from conftest import CT_SLICE, FIXTURES, MULTIFRAME


def _modality_lut(ds: pydicom.Dataset, stored: np.ndarray) -> np.ndarray:
    """pydicom's modality LUT, per frame for enhanced multi-frame files (where the rescale
    lives in the per-frame functional groups)."""
    if "PerFrameFunctionalGroupsSequence" not in ds:
        return apply_modality_lut(stored, ds).astype(np.float32)
    frames = []
    for i, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        transform = item.PixelValueTransformationSequence[0]
        frames.append(stored[i] * float(transform.RescaleSlope) + float(transform.RescaleIntercept))
    return np.stack(frames).astype(np.float32)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_raw_is_pydicom_pixel_array(path):
    expected = pydicom.dcmread(path).pixel_array
    raw = medprep.read(path).raw
    # pydicom keeps a Big Endian file's byte order; medprep gives native order.
    assert raw.dtype == expected.dtype.newbyteorder("=")
    assert raw.shape == expected.shape
    np.testing.assert_array_equal(raw, expected)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_pixels_are_pydicom_modality_lut(path):
    ds = pydicom.dcmread(path)
    expected = _modality_lut(ds, ds.pixel_array)
    pixels = medprep.read(path).pixels
    assert pixels.dtype == np.float32
    assert pixels.shape == expected.shape
    np.testing.assert_array_equal(pixels, expected)


def test_bytes_and_pathlike_give_the_same_image():
    from_path = medprep.read(str(CT_SLICE))
    from_bytes = medprep.read(CT_SLICE.read_bytes())
    from_bytearray = medprep.read(bytearray(CT_SLICE.read_bytes()))
    for other in (from_bytes, from_bytearray):
        np.testing.assert_array_equal(other.pixels, from_path.pixels)
        assert other.meta == from_path.meta
    assert from_bytes.name == "<bytes>"


def test_one_frame_of_a_multiframe_file():
    ds = pydicom.dcmread(MULTIFRAME)
    every = _modality_lut(ds, ds.pixel_array)
    image = medprep.read(MULTIFRAME, frame=2)
    assert image.pixels.shape == every.shape[1:]
    np.testing.assert_array_equal(image.pixels, every[2])
    np.testing.assert_array_equal(image.raw, ds.pixel_array[2])


def test_spacing_and_meta_follow_the_header():
    ds = pydicom.dcmread(CT_SLICE)
    image = medprep.read(CT_SLICE)
    assert image.spacing == tuple(float(v) for v in ds.PixelSpacing)
    meta = image.meta
    assert meta["sop_instance_uid"] == ds.SOPInstanceUID
    assert meta["patient_id"] == ds.PatientID
    assert meta["modality"] == "CT"
    assert meta["rows"] == ds.Rows and meta["cols"] == ds.Columns
    assert meta["study_date"] == "2024-01-02"
    assert medprep.read(MULTIFRAME).spacing == (5.6, 5.6)


def test_errors_are_decode_errors_with_the_rust_message(tmp_path):
    with pytest.raises(medprep.DecodeError, match="<bytes>: not a DICOM file"):
        medprep.read(b"definitely not DICOM")
    missing = tmp_path / "missing.dcm"
    with pytest.raises(medprep.DecodeError, match="cannot read file") as info:
        medprep.read(missing)
    assert isinstance(info.value, medprep.MedprepError)
    with pytest.raises(medprep.DecodeError, match="frame 9 requested"):
        medprep.read(MULTIFRAME, frame=9)
    with pytest.raises(TypeError, match="expected a path"):
        medprep.read(42)
