"""``medprep.read_nifti`` and ``medprep.write_nifti`` against nibabel and SimpleITK.

Every input file is written here by nibabel (NIfTI-1 and NIfTI-2, each datatype, scaled
or not, gzipped or not, with the qform/sform combinations ITK distinguishes), so each
test states what the header holds. Two references:

- nibabel for the values: ``get_fdata()`` (float64, ``scl_slope``/``scl_inter`` applied)
  rounded to float32 must equal medprep's pixels within one float32 ulp (64-bit integers
  and scaled values round twice on one side and once on the other).
- SimpleITK 2.5.7 (ITK's NiftiImageIO) for the geometry: spacing, origin and direction
  within 1e-5 (NIfTI stores them in float32; ITK turns the quaternion into a matrix in
  float32, medprep in float64). SimpleITK does not read NIfTI-2, so a NIfTI-2 file is
  compared with SimpleITK's reading of the same image written as NIfTI-1 by nibabel,
  whose header fields are the same numbers.

Files medprep writes are read back by both: nibabel's affine (which uses the sform) and
SimpleITK's geometry must be the volume's, and the voxels exactly its float32 values.
Where SimpleITK and nibabel disagree, the test says so and which one medprep follows.
"""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import pytest

import medprep

sitk = pytest.importorskip("SimpleITK")
nib = pytest.importorskip("nibabel")

TOLERANCE = 1e-5
SHAPE = (5, 4, 3)  # nibabel's (x, y, z)
ZOOMS = (0.7, 0.9, 2.5)
LPS = np.diag([-1.0, -1.0, 1.0])


def rotation(ax: float, ay: float, az: float) -> np.ndarray:
    """A proper rotation: about x, then y, then z, by the given degrees."""
    cx, sx = math.cos(math.radians(ax)), math.sin(math.radians(ax))
    cy, sy = math.cos(math.radians(ay)), math.sin(math.radians(ay))
    cz, sz = math.cos(math.radians(az)), math.sin(math.radians(az))
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def affine(rot: np.ndarray, offset: Tuple[float, float, float], zooms=ZOOMS) -> np.ndarray:
    out = np.eye(4)
    out[:3, :3] = rot * np.asarray(zooms)
    out[:3, 3] = offset
    return out


OBLIQUE = affine(rotation(20, -10, 35), (-12.5, 40.0, 7.25))
OTHER = affine(rotation(-5, 30, 100), (3.0, -8.0, 120.0))
# A left-handed grid: the qform stores it with qfac -1.
LEFT = affine(rotation(20, -10, 35) @ np.diag([1, 1, -1]), (1.0, 2.0, 3.0))


def image(cls, data: np.ndarray, qform: Optional[np.ndarray], qcode: int,
          sform: Optional[np.ndarray], scode: int, zooms=ZOOMS, dtype=None):
    img = cls(data, None, dtype=dtype) if dtype is not None else cls(data, None)
    img.header.set_zooms(zooms[: data.ndim] if data.ndim <= 3 else zooms + (1.0,) * (data.ndim - 3))
    img.set_qform(qform, code=qcode) if qcode else img.set_qform(None, code=0)
    img.set_sform(sform, code=scode) if scode else img.set_sform(None, code=0)
    return img


def sitk_geometry(path: Path):
    im = sitk.ReadImage(str(path))
    return im.GetSpacing(), im.GetOrigin(), im.GetDirection()


def assert_geometry(volume, spacing, origin, direction) -> None:
    np.testing.assert_allclose(volume.spacing, spacing, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(volume.origin, origin, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(volume.direction, direction, atol=TOLERANCE, rtol=0)


def nib_pixels(path: Path) -> np.ndarray:
    """nibabel's scaled values, as medprep lays them out: float32, (z, y, x)."""
    return np.asarray(nib.load(str(path)).get_fdata(), dtype=np.float32).transpose(2, 1, 0)


DTYPES = [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
          np.uint64, np.float32, np.float64]


def sample(dtype) -> np.ndarray:
    """Values across the type's range, with its extremes."""
    rng = np.random.default_rng(7)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = rng.integers(info.min, info.max, size=SHAPE, dtype=dtype, endpoint=True)
        values.flat[0], values.flat[1] = info.min, info.max
    else:
        values = (rng.normal(size=SHAPE) * 1000).astype(dtype)
    return values


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("scaled", [False, True], ids=["raw", "scaled"])
@pytest.mark.parametrize("kind", ["nifti1.nii", "nifti1.nii.gz", "nifti2.nii"])
def test_datatypes_and_scaling(tmp_path, dtype, scaled, kind):
    version, suffix = kind.split(".", 1)
    data = sample(dtype)
    paths = {}
    for cls, name in [(nib.Nifti1Image, "nifti1"), (nib.Nifti2Image, "nifti2")]:
        img = image(cls, data, OBLIQUE, 1, OBLIQUE, 1, dtype=dtype)
        if scaled:
            img.header.set_slope_inter(0.25, -1024.0)
        paths[name] = tmp_path / f"{name}.{suffix}"
        nib.save(img, str(paths[name]))
    path = paths[version]
    volume = medprep.read_nifti(path)
    assert volume.pixels.dtype == np.float32 and volume.pixels.shape == SHAPE[::-1]
    np.testing.assert_array_max_ulp(volume.pixels, nib_pixels(path), maxulp=1)
    # SimpleITK reads the NIfTI-1 twin (it does not read NIfTI-2).
    reference = sitk.ReadImage(str(paths["nifti1"]))
    expected = sitk.GetArrayFromImage(reference).astype(np.float32)
    # ITK rounds integers to float32 before scaling them: one rounding more.
    np.testing.assert_array_max_ulp(volume.pixels, expected, maxulp=2)
    assert_geometry(volume, reference.GetSpacing(), reference.GetOrigin(),
                    reference.GetDirection())


@pytest.mark.parametrize("big_endian", [False, True], ids=["little", "big"])
def test_byte_order(tmp_path, big_endian):
    data = sample(np.int16)
    header = nib.Nifti1Header(endianness=">" if big_endian else "<")
    path = tmp_path / "order.nii"
    nib.save(nib.Nifti1Image(data, OBLIQUE, header), str(path))
    assert (path.read_bytes()[:4] == struct.pack(">i", 348)) == big_endian
    volume = medprep.read_nifti(path)
    np.testing.assert_array_equal(volume.pixels, nib_pixels(path))
    assert_geometry(volume, *sitk_geometry(path))


# (qform, qform_code, sform, sform_code): the cases ITK's rule tells apart.
GEOMETRIES = {
    "sform-only-scanner": (None, 0, OBLIQUE, 1),
    "sform-only-aligned": (None, 0, OBLIQUE, 2),
    "sform-only-mni": (None, 0, OTHER, 4),
    "qform-only-scanner": (OBLIQUE, 1, None, 0),
    "qform-only-talairach": (OTHER, 3, None, 0),
    "neither": (None, 0, None, 0),
    "both-same-codes-2-3": (OBLIQUE, 2, OBLIQUE, 3),
    "both-differ-sform-scanner": (OBLIQUE, 2, OTHER, 1),
    "both-differ-qform-scanner": (OBLIQUE, 1, OTHER, 2),
    "both-differ-codes-3-4": (OBLIQUE, 3, OTHER, 4),
    "negative-qfac-qform": (LEFT, 1, None, 0),
    "negative-qfac-both": (LEFT, 1, LEFT, 1),
    "left-sform-right-qform": (OBLIQUE, 2, LEFT, 2),
}


@pytest.mark.parametrize("case", sorted(GEOMETRIES))
@pytest.mark.parametrize("suffix", ["nii", "nii.gz"])
def test_geometry_matches_simpleitk(tmp_path, case, suffix):
    qform, qcode, sform, scode = GEOMETRIES[case]
    data = sample(np.int16)
    one = tmp_path / f"one.{suffix}"
    two = tmp_path / f"two.{suffix}"
    nib.save(image(nib.Nifti1Image, data, qform, qcode, sform, scode), str(one))
    nib.save(image(nib.Nifti2Image, data, qform, qcode, sform, scode), str(two))
    expected = sitk_geometry(one)
    for path in (one, two):
        assert_geometry(medprep.read_nifti(path), *expected)


@pytest.mark.parametrize("case", ["sform-only-aligned", "qform-only-scanner",
                                  "negative-qfac-qform", "both-differ-sform-scanner"])
def test_geometry_matches_nibabel_where_the_rules_agree(tmp_path, case):
    """nibabel takes the sform whenever sform_code > 0, else the qform; ITK agrees when
    the sform is orthonormal and the qform unknown or the sform scanner-anatomical."""
    qform, qcode, sform, scode = GEOMETRIES[case]
    path = tmp_path / "agree.nii"
    nib.save(image(nib.Nifti2Image, sample(np.uint8), qform, qcode, sform, scode), str(path))
    ras = nib.load(str(path)).affine
    volume = medprep.read_nifti(path)
    columns = LPS @ ras[:3, :3]
    spacing = np.linalg.norm(columns, axis=0)
    np.testing.assert_allclose(volume.spacing, spacing, atol=TOLERANCE)
    np.testing.assert_allclose(volume.origin, LPS @ ras[:3, 3], atol=TOLERANCE)
    np.testing.assert_allclose(np.reshape(volume.direction, (3, 3)), columns / spacing,
                               atol=TOLERANCE)


def test_units_and_sheared_sforms_follow_simpleitk(tmp_path):
    data = sample(np.uint8)
    metres = image(nib.Nifti1Image, data, OBLIQUE, 1, None, 0)
    metres.header.set_xyzt_units("meter")
    path = tmp_path / "metres.nii"
    nib.save(metres, str(path))
    # ITK converts spacing and origin to mm; nibabel leaves units to the caller.
    assert_geometry(medprep.read_nifti(path), *sitk_geometry(path))
    assert medprep.read_nifti(path).spacing[2] == pytest.approx(2500.0)

    sheared = OTHER.copy()
    sheared[0, 1] += 0.4
    path = tmp_path / "sheared-with-qform.nii"
    nib.save(image(nib.Nifti1Image, data, OBLIQUE, 2, sheared, 1), str(path))
    assert_geometry(medprep.read_nifti(path), *sitk_geometry(path))
    path = tmp_path / "sheared-alone.nii"
    nib.save(image(nib.Nifti1Image, data, None, 0, sheared, 1), str(path))
    with pytest.raises(RuntimeError):
        sitk.ReadImage(str(path))
    with pytest.raises(medprep.DecodeError, match="not orthonormal"):
        medprep.read_nifti(path)


def patched(tmp_path: Path, name: str, offset: int, fmt: str, *values) -> Path:
    """A nibabel-written NIfTI-1 file (qform only) with header fields overwritten."""
    path = tmp_path / name
    nib.save(image(nib.Nifti1Image, sample(np.int16), OBLIQUE, 1, None, 0), str(path))
    raw = bytearray(path.read_bytes())
    struct.pack_into(fmt, raw, offset, *values)
    path.write_bytes(bytes(raw))
    return path


def test_zero_and_negative_pixdim_follow_simpleitk(tmp_path):
    """A pixdim of 0 reads as 1 (ITK and nibabel agree); a negative one flips its axis as
    ITK's reader does (nibabel only takes its absolute value)."""
    for name, value in [("zero.nii", 0.0), ("negative.nii", -0.9)]:
        path = patched(tmp_path, name, 84, "<f", value)  # pixdim[2]
        volume = medprep.read_nifti(path)
        assert_geometry(volume, *sitk_geometry(path))
        np.testing.assert_array_equal(volume.pixels, nib_pixels(path))


def test_a_half_turn_quaternion_follows_simpleitk(tmp_path):
    """b² + c² + d² = 1 leaves a = 0: a half turn about the axis (0.6, 0.8, 0)."""
    path = patched(tmp_path, "half-turn.nii", 256, "<fff", 0.6, 0.8, 0.0)
    volume = medprep.read_nifti(path)
    assert_geometry(volume, *sitk_geometry(path))
    # By hand: R = 2 u uᵀ - I for the unit axis u, in LPS (first two rows negated).
    u = np.array([0.6, 0.8, 0.0])
    np.testing.assert_allclose(np.reshape(volume.direction, (3, 3)),
                               LPS @ (2 * np.outer(u, u) - np.eye(3)), atol=TOLERANCE)


def test_zero_slope_means_no_scaling_as_nibabel(tmp_path):
    """The NIfTI standard and nibabel scale only with a nonzero slope; ITK still adds the
    intercept when the slope is 0. medprep follows nibabel."""
    path = patched(tmp_path, "zero-slope.nii", 112, "<ff", 0.0, 5.0)
    volume = medprep.read_nifti(path)
    np.testing.assert_array_equal(volume.pixels, nib_pixels(path))
    itk = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    np.testing.assert_array_equal(itk, volume.pixels + 5)


def test_four_dimensional_files_need_a_time_point(tmp_path):
    data = np.stack([sample(np.int16) + t for t in range(3)], axis=-1)
    path = tmp_path / "four.nii.gz"
    nib.save(image(nib.Nifti1Image, data, OBLIQUE, 1, OBLIQUE, 1), str(path))
    with pytest.raises(medprep.DecodeError, match="3 time points.*time_point=0 to 2"):
        medprep.read_nifti(path)
    with pytest.raises(ValueError, match="time_point=3"):
        medprep.read_nifti(path, time_point=3)
    volume = medprep.read_nifti(path, time_point=1)
    reference = sitk.ReadImage(str(path))  # 4-D; its geometry's first three axes
    np.testing.assert_array_equal(volume.pixels, data[..., 1].transpose(2, 1, 0))
    direction = np.reshape(reference.GetDirection(), (4, 4))[:3, :3].ravel()
    assert_geometry(volume, reference.GetSpacing()[:3], reference.GetOrigin()[:3], direction)


def test_gzip_is_recognised_by_content(tmp_path):
    path = tmp_path / "plain.nii"
    nib.save(image(nib.Nifti1Image, sample(np.uint16), OBLIQUE, 1, None, 0), str(path))
    disguised = tmp_path / "disguised.nii"
    disguised.write_bytes(gzip.compress(path.read_bytes()))
    np.testing.assert_array_equal(medprep.read_nifti(disguised).pixels, nib_pixels(path))


def test_bad_files_raise_decode_errors_naming_the_problem(tmp_path):
    path = tmp_path / "good.nii"
    nib.save(image(nib.Nifti1Image, sample(np.int16), OBLIQUE, 1, None, 0), str(path))
    raw = path.read_bytes()
    cases = {
        "truncated-header.nii": (raw[:200], "header needs 348 bytes"),
        "truncated-data.nii": (raw[:-10], "voxel data needs"),
        "not-nifti.nii": (b"\0" * 400, "sizeof_hdr is 0"),
    }
    for name, (content, message) in cases.items():
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(medprep.DecodeError, match=message):
            medprep.read_nifti(bad)
    complex_path = tmp_path / "complex.nii"
    nib.save(nib.Nifti1Image(np.zeros((2, 2, 2), np.complex64), np.eye(4)), str(complex_path))
    with pytest.raises(medprep.DecodeError, match="datatype 32 \\(complex64\\)"):
        medprep.read_nifti(complex_path)
    with pytest.raises(medprep.DecodeError):
        medprep.read_nifti(tmp_path / "missing.nii")


def written_volume(left_handed: bool) -> medprep.Volume:
    rot = rotation(25, 10, -40) @ (np.diag([1, 1, -1]) if left_handed else np.eye(3))
    pixels = (np.arange(60, dtype=np.float32).reshape(3, 4, 5) * 1.25 - 30)
    return medprep.Volume(pixels, spacing=(0.8, 0.6, 3.0), origin=(-100.5, 20.25, 55.0),
                          direction=list(rot.ravel()))


@pytest.mark.parametrize("left_handed", [False, True], ids=["right", "left"])
@pytest.mark.parametrize("suffix", ["nii", "nii.gz"])
def test_written_files_read_alike_in_nibabel_and_simpleitk(tmp_path, left_handed, suffix):
    volume = written_volume(left_handed)
    path = tmp_path / f"written.{suffix}"
    medprep.write_nifti(volume, path)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == suffix.endswith("gz")

    reference = sitk.ReadImage(str(path))
    assert reference.GetPixelID() == sitk.sitkFloat32
    np.testing.assert_array_equal(sitk.GetArrayFromImage(reference), volume.pixels)
    assert_geometry(volume, reference.GetSpacing(), reference.GetOrigin(),
                    reference.GetDirection())

    img = nib.load(str(path))
    assert int(img.header["qform_code"]) == 1 and int(img.header["sform_code"]) == 1
    np.testing.assert_array_equal(np.asarray(img.dataobj).transpose(2, 1, 0), volume.pixels)
    expected = np.eye(4)
    expected[:3, :3] = LPS @ np.reshape(volume.direction, (3, 3)) * np.asarray(volume.spacing)
    expected[:3, 3] = LPS @ np.asarray(volume.origin)
    np.testing.assert_allclose(img.affine, expected, atol=TOLERANCE)
    # The qform gives the same grid as the sform.
    np.testing.assert_allclose(img.get_qform(), expected, atol=TOLERANCE)

    back = medprep.read_nifti(path)
    np.testing.assert_array_equal(back.pixels, volume.pixels)
    assert_geometry(back, volume.spacing, volume.origin, volume.direction)


def test_masks_are_written_as_uint8(tmp_path):
    scan = written_volume(False)
    inside = scan.pixels > 10
    mask = medprep.Volume(inside, spacing=scan.spacing, origin=scan.origin,
                          direction=scan.direction)
    path = tmp_path / "mask.nii.gz"
    medprep.write_nifti(mask, path)
    img = nib.load(str(path))
    assert img.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(np.asarray(img.dataobj).transpose(2, 1, 0), inside.astype(np.uint8))
    reference = sitk.ReadImage(str(path))
    assert reference.GetPixelID() == sitk.sitkUInt8
    assert_geometry(mask, reference.GetSpacing(), reference.GetOrigin(), reference.GetDirection())


def test_simpleitk_written_files_round_trip(tmp_path):
    """A volume through SimpleITK's writer (qform and sform, code 1) comes back as it was."""
    volume = written_volume(True)
    path = tmp_path / "by-sitk.nii.gz"
    sitk.WriteImage(volume.to_sitk(), str(path))
    back = medprep.read_nifti(path)
    np.testing.assert_array_equal(back.pixels, volume.pixels)
    assert_geometry(back, volume.spacing, volume.origin, volume.direction)


def label_map(tmp_path: Path, labels: np.ndarray, rot=OBLIQUE) -> Path:
    """`labels` (nibabel's x, y, z) as a uint16 label map written by nibabel."""
    path = tmp_path / "labels.nii.gz"
    nib.save(image(nib.Nifti1Image, labels.astype(np.uint16), rot, 1, rot, 1), str(path))
    return path


def test_label_maps_are_masks_chosen_by_label_value(tmp_path):
    rng = np.random.default_rng(3)
    labels = rng.choice([0, 2, 7], size=SHAPE)
    path = label_map(tmp_path, labels)
    scan = medprep.read_nifti(path)
    for label in (2, 7):
        mask = medprep.read_mask(path, like=scan, roi=str(label))
        assert mask.pixels.dtype == np.bool_
        np.testing.assert_array_equal(mask.pixels, (labels == label).transpose(2, 1, 0))
        assert_geometry(mask, *sitk_geometry(path))
    with pytest.raises(medprep.DecodeError, match=r"2.*7"):
        medprep.read_mask(path, like=scan)
    with pytest.raises(medprep.DecodeError, match=r"by number"):
        medprep.read_mask(path, like=scan, roi="liver")
    with pytest.raises(medprep.DecodeError, match=r"5"):
        medprep.read_mask(path, like=scan, roi="5")


def test_a_label_map_on_another_grid_is_an_error_naming_both(tmp_path):
    path = label_map(tmp_path, np.ones(SHAPE), rot=OTHER)
    other = image(nib.Nifti1Image, np.zeros(SHAPE, np.float32), OBLIQUE, 1, OBLIQUE, 1)
    nib.save(other, str(tmp_path / "scan.nii"))
    scan = medprep.read_nifti(tmp_path / "scan.nii")
    with pytest.raises(medprep.DecodeError) as raised:
        medprep.read_mask(path, like=scan)
    message = str(raised.value)
    assert "120" in message and "7.25" in message, message
