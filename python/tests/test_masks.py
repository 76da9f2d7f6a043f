"""medprep.read_mask: RTSTRUCT ROIs rasterised on a volume's grid, against scikit-image.

The structure sets are written here with pydicom. The reference mask of each slice is
``skimage.draw.polygon`` (a point-in-polygon test at pixel centres, the same sampling
rule medprep documents) for each contour, combined by XOR, which is the even-odd rule
medprep applies to contours sharing a slice. scikit-image was chosen over a numpy
re-implementation so that the reference shares no code or reasoning with medprep.

The two differ by design on centres lying on an edge (medprep's edges are half-open;
scikit-image's boundary handling is its own), so the comparison leaves out every voxel
whose centre is within ``EDGE_MARGIN`` of an edge, and checks that few are left out.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian
from skimage.draw import polygon as skimage_polygon

import medprep
from medprep._native import Volume

RT_STRUCTURE_SET_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
FRAME_OF_REFERENCE = "2.25.314159"

# Contour coordinates are written with 6 decimals (Decimal Strings hold 16 characters),
# so a vertex moves by up to 5e-7 mm, about 1e-6 voxels on these grids; centres closer
# than this (in voxels) to an edge may fall either way and are not compared.
EDGE_MARGIN = 1e-4

SHAPE_ZYX = (6, 32, 40)
SPACING = (0.7, 0.9, 2.5)
ORIGIN = (-12.3, 4.1, -30.0)
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
# x along +y, y along -x, slices towards feet: an axial grid stored rotated and flipped.
ROTATED = (0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def like(direction=IDENTITY) -> Volume:
    return Volume(np.zeros(SHAPE_ZYX, np.float32), SPACING, ORIGIN, direction)


def to_patient(direction, index_xyz: np.ndarray) -> np.ndarray:
    """Index (n, 3) -> patient mm (n, 3): origin + D (spacing * index), SimpleITK's rule."""
    d = np.asarray(direction, float).reshape(3, 3)
    return np.asarray(ORIGIN) + (index_xyz * np.asarray(SPACING)) @ d.T


def star(rng, centre, r_min, r_max) -> np.ndarray:
    """A star-shaped (hence simple) polygon of 20-60 vertices, index-space (x, y)."""
    n = int(rng.integers(20, 61))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(r_min, r_max, n)
    return np.column_stack(
        [centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)]
    )


def contour_item(direction, xy: np.ndarray, k: int, kind="CLOSED_PLANAR") -> Dataset:
    index = np.column_stack([xy, np.full(len(xy), float(k))])
    points = to_patient(direction, index)
    item = Dataset()
    item.ContourGeometricType = kind
    item.NumberOfContourPoints = len(points)
    item.ContourData = [f"{v:.6f}" for v in points.ravel()]
    return item


def write_rtstruct(path, rois, frame_of_reference=FRAME_OF_REFERENCE) -> None:
    """``rois``: (number, name, [contour items]) each."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = RT_STRUCTURE_SET_STORAGE
    meta.MediaStorageSOPInstanceUID = "2.25.1001"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = RT_STRUCTURE_SET_STORAGE
    ds.SOPInstanceUID = "2.25.1001"
    ds.Modality = "RTSTRUCT"
    ds.PatientID = "SYNTH-MASKS"
    referenced = Dataset()
    referenced.FrameOfReferenceUID = frame_of_reference
    ds.ReferencedFrameOfReferenceSequence = Sequence([referenced])
    set_items, contour_items = [], []
    for number, name, contours in rois:
        roi = Dataset()
        roi.ROINumber = number
        roi.ROIName = name
        roi.ReferencedFrameOfReferenceUID = frame_of_reference
        set_items.append(roi)
        item = Dataset()
        item.ReferencedROINumber = number
        item.ContourSequence = Sequence(contours)
        contour_items.append(item)
    ds.StructureSetROISequence = Sequence(set_items)
    ds.ROIContourSequence = Sequence(contour_items)
    ds.save_as(path, enforce_file_format=True)


def reference(slices: dict[int, list[np.ndarray]]):
    """scikit-image's mask (z, y, x) and the voxels far enough from every edge."""
    nz, ny, nx = SHAPE_ZYX
    mask = np.zeros(SHAPE_ZYX, bool)
    comparable = np.ones(SHAPE_ZYX, bool)
    ys, xs = np.mgrid[0:ny, 0:nx]
    centres = np.column_stack([xs.ravel(), ys.ravel()]).astype(float)
    for k, polygons in slices.items():
        for xy in polygons:
            rr, cc = skimage_polygon(xy[:, 1], xy[:, 0], shape=(ny, nx))
            inside = np.zeros((ny, nx), bool)
            inside[rr, cc] = True
            mask[k] ^= inside
            a, b = xy, np.roll(xy, -1, axis=0)
            ab = b - a
            # Distance of every centre to every edge segment.
            t = np.clip(
                ((centres[:, None, :] - a[None]) * ab[None]).sum(-1) / (ab * ab).sum(-1),
                0,
                1,
            )
            nearest = a[None] + t[..., None] * ab[None]
            distance = np.linalg.norm(centres[:, None, :] - nearest, axis=-1).min(axis=1)
            comparable[k] &= (distance > EDGE_MARGIN).reshape(ny, nx)
    return mask, comparable


@pytest.mark.parametrize("direction", [IDENTITY, ROTATED], ids=["identity", "rotated"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_polygons_match_scikit_image(tmp_path, direction, seed):
    rng = np.random.default_rng(seed)
    slices: dict[int, list[np.ndarray]] = {}
    # One star on each of slices 0-3 (some crossing the grid's edges, which both clip).
    for k in range(4):
        slices[k] = [star(rng, rng.uniform([5, 5], [35, 27]), 2.0, 12.0)]
    # A ring on slice 4: a hole whose outermost vertex is inside the outer star's
    # innermost radius, so the inner contour lies wholly inside the outer one.
    centre = np.array([20.3, 15.7])
    slices[4] = [star(rng, centre, 9.0, 13.0), star(rng, centre, 3.0, 7.0)]
    # Two separate stars on slice 5.
    slices[5] = [star(rng, [9.2, 9.1], 2.0, 6.5), star(rng, [28.6, 20.4], 2.0, 8.0)]
    contours = [contour_item(direction, xy, k) for k, ps in slices.items() for xy in ps]
    path = tmp_path / "rs.dcm"
    write_rtstruct(path, [(3, "tumour", contours)])

    volume = medprep.read_mask(path, like(direction))
    expected, comparable = reference(slices)

    got = np.asarray(volume.pixels)
    assert got.dtype == np.bool_ and got.shape == SHAPE_ZYX
    assert volume.roi == "tumour" and volume.warnings == []
    assert volume.spacing == SPACING and volume.origin == ORIGIN
    assert tuple(volume.direction) == direction
    # Centres on an edge are rare for random vertices: nearly every voxel is compared.
    assert comparable.mean() > 0.99
    mismatched = np.argwhere((got != expected) & comparable)
    assert len(mismatched) == 0, f"{len(mismatched)} voxels differ, first (z, y, x): {mismatched[:5]}"
    # The ring's hole is there: centres within 2 voxels of its centre are outside (the
    # inner contour's vertices are at least 3 away), and the annulus is inside.
    ys, xs = np.mgrid[0 : SHAPE_ZYX[1], 0 : SHAPE_ZYX[2]]
    radius = np.hypot(xs - centre[0], ys - centre[1])
    assert not got[4][radius < 2].any() and got[4][(radius > 7) & (radius < 9)].any()
    assert expected.sum() > 500


def test_centres_on_edges_follow_the_half_open_rule(tmp_path):
    # Index corners x 2..6, y 3..5 on slice 1 (patient mm through the grid's spacing and
    # origin): medprep keeps the centres on the lower edges (x = 2, y = 3) and leaves
    # out those on the upper ones (x = 6, y = 5): x 2..5 by y 3..4, 8 voxels.
    square = np.array([[2.0, 3.0], [6.0, 3.0], [6.0, 5.0], [2.0, 5.0]])
    path = tmp_path / "rs.dcm"
    write_rtstruct(path, [(1, "box", [contour_item(IDENTITY, square, 1)])])
    got = np.asarray(medprep.read_mask(path, like()).pixels)
    expected = np.zeros(SHAPE_ZYX, bool)
    expected[1, 3:5, 2:6] = True
    np.testing.assert_array_equal(got, expected)


@pytest.fixture
def two_rois(tmp_path):
    square = np.array([[2.0, 3.0], [6.0, 3.0], [6.0, 5.0], [2.0, 5.0]])
    point = np.array([[4.0, 4.0]])
    path = tmp_path / "rs.dcm"
    write_rtstruct(
        path,
        [
            (1, "GTV", [contour_item(IDENTITY, square, 2)]),
            (
                7,
                "Lung",
                [
                    contour_item(IDENTITY, square + 10, 0),
                    contour_item(IDENTITY, point, 0, kind="POINT"),
                ],
            ),
        ],
    )
    return path


def test_rois_are_chosen_by_name_or_number(two_rois):
    by_name = medprep.read_mask(two_rois, like(), roi="lung")
    by_number = medprep.read_mask(two_rois, like(), roi="7")
    assert by_name.roi == by_number.roi == "Lung"
    np.testing.assert_array_equal(by_name.pixels, by_number.pixels)
    # The POINT contour is reported, not silently dropped.
    assert by_name.warnings == [
        'ROI "Lung": 1 POINT contour(s) enclose no area and were left out of the mask'
    ]
    assert np.asarray(medprep.read_mask(two_rois, like(), roi="GTV").pixels)[2].sum() == 8


def test_without_a_choice_several_rois_are_an_error_listing_them(two_rois):
    with pytest.raises(medprep.DecodeError, match=r'1 "GTV", 7 "Lung"'):
        medprep.read_mask(two_rois, like())
    with pytest.raises(medprep.DecodeError, match=r'no ROI "heart".*1 "GTV", 7 "Lung"'):
        medprep.read_mask(two_rois, like(), roi="heart")


def test_a_contour_beyond_the_grid_is_an_error(tmp_path):
    square = np.array([[2.0, 3.0], [6.0, 3.0], [6.0, 5.0], [2.0, 5.0]])
    path = tmp_path / "rs.dcm"
    write_rtstruct(path, [(1, "GTV", [contour_item(IDENTITY, square, 6)])])
    with pytest.raises(medprep.DecodeError, match="outside the grid's 6 slices"):
        medprep.read_mask(path, like())


def test_an_image_is_not_a_structure_set():
    from conftest import CT_SLICE

    with pytest.raises(medprep.DecodeError, match="not an RT Structure Set"):
        medprep.read_mask(CT_SLICE, like())


def test_identifiers_stay_out_of_error_messages(two_rois):
    with pytest.raises(medprep.DecodeError) as error:
        medprep.read_mask(two_rois, like(), roi="heart")
    message = str(error.value)
    assert FRAME_OF_REFERENCE not in message and "SYNTH-MASKS" not in message
    assert pydicom.dcmread(two_rois).PatientID == "SYNTH-MASKS"
