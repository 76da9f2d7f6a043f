"""Writes the inputs of the series-mode test of `medprep run` and the expected results.

Usage: series_fixture.py OUTDIR

OUTDIR/scan/ gets a CT series (8 axial slices of 40 columns x 48 rows, int16 stored
values with RescaleIntercept -1024, HU drawn uniformly from [-900, 600], pixel spacing
0.8 mm along x and 0.7 mm along y, slices 2.5 mm apart; file names and InstanceNumbers
shuffled relative to z) and, in the same folder, an RTSTRUCT referring to it by series
with two ROIs: "tumour" (one star-shaped polygon on each of the 5 middle slices) and
"ring" (an outer and an inner star on 2 slices, the inner one a hole). OUTDIR/scan/other/
gets a second, small series in another frame of reference that no structure set refers
to. OUTDIR/scan/segmented/ gets a third series with a DICOM SEG (BINARY, written by
highdicom, an implementation of the standard independent of medprep) of one segment,
"lesion": random voxels on every slice but the first, which has no frame. Everything is
written with pydicom and highdicom, from a fixed seed.

OUTDIR/reference.json holds what medprep should find, computed here without medprep:
the segment's mask is the array given to highdicom; each RTSTRUCT ROI's mask is scikit-image's ``skimage.draw.polygon`` (pixel-centre sampling) of
each contour, XOR'ed per slice (the even-odd rule), from the contour coordinates as
written to the file mapped back into index space with the series' geometry; its
intensity statistics are numpy's over the ROI voxels within [-500, 400] HU (population
variance, numpy's default linear percentiles), and its intensity histogram uses grey
levels floor((x + 500) / 25) + 1 (IBSI's fixed bin width counted from the
re-segmentation range's lower bound).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian
from skimage.draw import polygon as skimage_polygon

# The synthetic-DICOM helpers shared with the Python module's tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python" / "tests"))
from synthetic_series import patient_and_study, write_seg  # noqa: E402

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
RT_STRUCTURE_SET_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
STUDY_UID = "2.25.71000"
PATIENT_ID = "SYNTH-SERIES-RUN"

SCAN_UID = "2.25.71001"
SCAN_FRAME = "2.25.71002"
NX, NY, NZ = 40, 48, 8
SPACING_X, SPACING_Y, SPACING_Z = 0.8, 0.7, 2.5
ORIGIN = (-16.2, -20.4, -35.0)

OTHER_UID = "2.25.72001"
OTHER_FRAME = "2.25.72002"
OTHER_NX, OTHER_NY, OTHER_NZ = 16, 12, 3

SEGMENTED_UID = "2.25.73001"
SEGMENTED_FRAME = "2.25.73002"
SEGMENTED_NX, SEGMENTED_NY, SEGMENTED_NZ = 20, 14, 5

RESEGMENT = (-500.0, 400.0)
BIN_WIDTH = 25.0

# Contour vertices are written with 6 decimals, which moves them by up to 5e-7 mm
# (under 1e-6 voxels); a centre closer than this to an edge could fall on either side
# (and medprep's half-open edges and scikit-image's boundary rule differ by design), so
# the fixture refuses to be built with one.
EDGE_MARGIN = 1e-4


def ds(value: float) -> str:
    """A Decimal String of at most 16 characters."""
    return "%.10g" % value


def new_file(path: Path, sop_uid: str, sop_class: str) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    dataset.SOPClassUID = sop_class
    dataset.SOPInstanceUID = sop_uid
    dataset.StudyInstanceUID = STUDY_UID
    dataset.PatientID = PATIENT_ID
    patient_and_study(dataset)
    return dataset


def write_series(folder: Path, hu: np.ndarray, origin, series_uid: str, frame: str,
                 seed: int) -> None:
    """`hu` (z, y, x) as slices at origin + k * SPACING_Z along z, in files with shuffled
    names and InstanceNumbers."""
    folder.mkdir(parents=True, exist_ok=True)
    nz, ny, nx = hu.shape
    order = list(range(nz))
    random.Random(seed).shuffle(order)
    numbers = list(range(1, nz + 1))
    random.Random(seed + 1).shuffle(numbers)
    for name_index, k in enumerate(order):
        sop_uid = f"{series_uid}.{k + 1}"
        path = folder / f"img{name_index:03d}.dcm"
        dataset = new_file(path, sop_uid, CT_IMAGE)
        dataset.Modality = "CT"
        dataset.SeriesInstanceUID = series_uid
        dataset.FrameOfReferenceUID = frame
        dataset.InstanceNumber = numbers[k]
        dataset.ImagePositionPatient = [ds(origin[0]), ds(origin[1]),
                                        ds(origin[2] + SPACING_Z * k)]
        dataset.ImageOrientationPatient = [ds(v) for v in AXIAL]
        # DICOM's order: row spacing (along y), then column spacing (along x).
        dataset.PixelSpacing = [ds(SPACING_Y), ds(SPACING_X)]
        dataset.SliceThickness = ds(SPACING_Z)
        dataset.Rows, dataset.Columns = ny, nx
        dataset.SamplesPerPixel = 1
        dataset.PhotometricInterpretation = "MONOCHROME2"
        dataset.BitsAllocated = 16
        dataset.BitsStored = 16
        dataset.HighBit = 15
        dataset.PixelRepresentation = 1
        dataset.RescaleSlope = "1"
        dataset.RescaleIntercept = "-1024"
        dataset.PixelData = (hu[k] + 1024).astype("<i2").tobytes()
        dataset.save_as(str(path), enforce_file_format=True)


def star(rng, centre, r_min, r_max) -> np.ndarray:
    """A star-shaped (hence simple) polygon of 20-60 vertices, index space (x, y)."""
    n = int(rng.integers(20, 61))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(r_min, r_max, n)
    return np.column_stack(
        [centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)]
    )


def contour_text(xy: np.ndarray, k: int) -> list[str]:
    """Contour Data of polygon `xy` (index space) on slice k, as the strings written."""
    x = ORIGIN[0] + xy[:, 0] * SPACING_X
    y = ORIGIN[1] + xy[:, 1] * SPACING_Y
    z = np.full(len(xy), ORIGIN[2] + SPACING_Z * k)
    return [f"{v:.6f}" for v in np.column_stack([x, y, z]).ravel()]


def write_rtstruct(path: Path, rois) -> None:
    """`rois`: (number, name, [Contour Data strings]) each."""
    sop_uid = "2.25.71900.1"
    dataset = new_file(path, sop_uid, RT_STRUCTURE_SET_STORAGE)
    dataset.Modality = "RTSTRUCT"
    dataset.SeriesInstanceUID = "2.25.71900"
    series = Dataset()
    series.SeriesInstanceUID = SCAN_UID
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    study.ReferencedSOPInstanceUID = STUDY_UID
    study.RTReferencedSeriesSequence = Sequence([series])
    referenced = Dataset()
    referenced.FrameOfReferenceUID = SCAN_FRAME
    referenced.RTReferencedStudySequence = Sequence([study])
    dataset.ReferencedFrameOfReferenceSequence = Sequence([referenced])
    set_items, contour_items = [], []
    for number, name, contours in rois:
        roi = Dataset()
        roi.ROINumber = number
        roi.ROIName = name
        roi.ReferencedFrameOfReferenceUID = SCAN_FRAME
        set_items.append(roi)
        items = []
        for data in contours:
            contour = Dataset()
            contour.ContourGeometricType = "CLOSED_PLANAR"
            contour.NumberOfContourPoints = len(data) // 3
            contour.ContourData = data
            items.append(contour)
        item = Dataset()
        item.ReferencedROINumber = number
        item.ContourSequence = Sequence(items)
        contour_items.append(item)
    dataset.StructureSetROISequence = Sequence(set_items)
    dataset.ROIContourSequence = Sequence(contour_items)
    dataset.save_as(str(path), enforce_file_format=True)


def edge_distance(xy: np.ndarray) -> float:
    """The smallest distance of any pixel centre of the slice to an edge of `xy`."""
    ys, xs = np.mgrid[0:NY, 0:NX]
    centres = np.column_stack([xs.ravel(), ys.ravel()]).astype(float)
    a, b = xy, np.roll(xy, -1, axis=0)
    ab = b - a
    t = np.clip(
        ((centres[:, None, :] - a[None]) * ab[None]).sum(-1) / (ab * ab).sum(-1), 0, 1
    )
    nearest = a[None] + t[..., None] * ab[None]
    return float(np.linalg.norm(centres[:, None, :] - nearest, axis=-1).min())


def reference_mask(contours: list[list[str]]) -> np.ndarray:
    """scikit-image's even-odd mask (z, y, x) of contours given as written to the file."""
    mask = np.zeros((NZ, NY, NX), bool)
    for data in contours:
        points = np.asarray([float(v) for v in data]).reshape(-1, 3)
        # Patient mm to index space: the slices are axial, so each axis is a shift and
        # a scale by the series' origin and spacing.
        x = (points[:, 0] - ORIGIN[0]) / SPACING_X
        y = (points[:, 1] - ORIGIN[1]) / SPACING_Y
        z = (points[:, 2] - ORIGIN[2]) / SPACING_Z
        k = int(round(float(z.mean())))
        assert np.allclose(z, k, atol=1e-6) and 0 <= k < NZ, z
        xy = np.column_stack([x, y])
        assert edge_distance(xy) > EDGE_MARGIN, "a pixel centre lies on a contour edge"
        rr, cc = skimage_polygon(y, x, shape=(NY, NX))
        inside = np.zeros((NY, NX), bool)
        inside[rr, cc] = True
        mask[k] ^= inside
    return mask


def intensity_reference(values: np.ndarray) -> dict:
    """numpy's statistics of the re-segmented ROI values (HU, float64)."""
    levels = np.floor((values - RESEGMENT[0]) / BIN_WIDTH) + 1
    _, counts = np.unique(levels, return_counts=True)
    p = counts / counts.sum()
    return {
        "count": int(values.size),
        "mean": float(values.mean()),
        "var": float(values.var()),
        "min": float(values.min()),
        "max": float(values.max()),
        "median": float(np.median(values)),
        "p10": float(np.percentile(values, 10)),
        "p90": float(np.percentile(values, 90)),
        "ih_entropy": float(-(p * np.log2(p)).sum()),
        "ih_mean": float(levels.mean()),
    }


def main() -> None:
    out = Path(sys.argv[1])
    scan = out / "scan"
    rng = np.random.default_rng(20240611)

    hu = rng.integers(-900, 601, size=(NZ, NY, NX)).astype(np.int16)
    # Both bounds of the re-segmentation range and the values just beyond them, in the
    # middle of the tumour on slice 4, so the range is checked to be closed and a value
    # on the upper bound to start a grey level of its own.
    hu[4, 24, 18:22] = [-501, -500, 400, 401]
    write_series(scan, hu, ORIGIN, SCAN_UID, SCAN_FRAME, seed=7)
    other = rng.integers(-900, 601, size=(OTHER_NZ, OTHER_NY, OTHER_NX)).astype(np.int16)
    write_series(scan / "other", other, (40.0, 12.5, 100.0), OTHER_UID, OTHER_FRAME, seed=11)

    tumour = [contour_text(star(rng, rng.uniform([17, 21], [23, 27]), 4.0, 14.0), k)
              for k in range(2, 7)]
    centre = np.array([19.6, 23.3])
    # The hole's outermost vertex (7) is inside the outer star's innermost radius (9).
    ring = [contour_text(star(rng, centre, r_min, r_max), k)
            for k in (1, 6) for r_min, r_max in ((9.0, 15.0), (3.0, 7.0))]
    rois = [(3, "tumour", tumour), (5, "ring", ring)]
    write_rtstruct(scan / "rtstruct.dcm", rois)

    segmented = rng.integers(-900, 601, size=(SEGMENTED_NZ, SEGMENTED_NY, SEGMENTED_NX))
    segmented = segmented.astype(np.int16)
    write_series(scan / "segmented", segmented, (-8.0, 3.5, 60.0), SEGMENTED_UID,
                 SEGMENTED_FRAME, seed=13)
    lesion = rng.random(segmented.shape) < 0.5
    lesion[0] = False
    sources = sorted((pydicom.dcmread(f) for f in (scan / "segmented").glob("img*.dcm")),
                     key=lambda d: float(d.ImagePositionPatient[2]))
    write_seg(scan / "segmented" / "seg.dcm", sources, lesion.astype(np.uint8), ["lesion"])

    reference = {
        "series_instance_uid": SCAN_UID,
        "other_series_instance_uid": OTHER_UID,
        "size": [NX, NY, NZ],
        "other_size": [OTHER_NX, OTHER_NY, OTHER_NZ],
        "segmented_series_instance_uid": SEGMENTED_UID,
        "segmented_size": [SEGMENTED_NX, SEGMENTED_NY, SEGMENTED_NZ],
        "spacing": [SPACING_X, SPACING_Y, SPACING_Z],
        "rois": {},
    }
    masks = [(number, name, SCAN_UID, hu, reference_mask(contours))
             for number, name, contours in rois]
    masks.append((1, "lesion", SEGMENTED_UID, segmented, lesion))
    for number, name, series_uid, image, mask in masks:
        values = image.astype(np.float64)[mask]
        values = values[(values >= RESEGMENT[0]) & (values <= RESEGMENT[1])]
        if name == "tumour":
            assert mask[4, 24, 18:22].all(), "the bound-testing voxels left the tumour"
        reference["rois"][name] = {
            "number": number,
            "series_instance_uid": series_uid,
            "voxels": int(mask.sum()),
            # Inside voxels as (z, y, x), z counted from the lowest slice.
            "mask_zyx": np.argwhere(mask).tolist(),
            "intensity": intensity_reference(values),
        }
    (out / "reference.json").write_text(json.dumps(reference, indent=1))


if __name__ == "__main__":
    main()
