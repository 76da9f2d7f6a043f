"""Synthetic CT series written with pydicom, for the tests that need scans on disk.

CT Image Storage, explicit VR little endian, int16 pixels with RescaleSlope 1.5 and
RescaleIntercept -1024, ROWS x COLS pixels of PIXEL_SPACING: every value is stated here,
so each test knows exactly what the files hold without asking medprep.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
ROWS, COLS = 6, 5
PIXEL_SPACING = (0.5, 0.75)  # (row spacing, column spacing) as DICOM writes it


def patient_and_study(dataset: Dataset) -> None:
    """The rest of the Patient and General Study modules (Type 2: present, may be empty),
    which writers of derived objects such as highdicom copy from their sources."""
    dataset.PatientName = "Synthetic^Series"
    dataset.PatientBirthDate = ""
    dataset.PatientSex = ""
    dataset.StudyDate = "20260101"
    dataset.StudyTime = "120000"
    dataset.StudyID = "1"
    dataset.AccessionNumber = ""
    dataset.ReferringPhysicianName = ""


def write_seg(path: Path, sources: Sequence[Dataset], pixels: np.ndarray, labels: List[str],
              kind: str = "BINARY") -> None:
    """A SEG written by highdicom: `pixels` (slices, rows, columns[, segments]) over
    `sources` in the same slice order, segment i + 1 labelled labels[i]; `kind` is
    BINARY or FRACTIONAL."""
    import highdicom as hd
    from highdicom.sr.coding import CodedConcept

    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i + 1,
            segment_label=label,
            segmented_property_category=CodedConcept("85756007", "SCT", "Tissue"),
            segmented_property_type=CodedConcept("113343008", "SCT", "Organ"),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for i, label in enumerate(labels)
    ]
    seg = hd.seg.Segmentation(
        source_images=list(sources),
        pixel_array=pixels,
        segmentation_type=hd.seg.SegmentationTypeValues[kind],
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=2,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="medprep tests",
        manufacturer_model_name="synthetic",
        software_versions="0",
        device_serial_number="0",
    )
    seg.save_as(str(path))


def ds(value: float) -> str:
    """A DS value both readers parse identically (at most 16 characters)."""
    return "%.10g" % value


def pixels(k: int) -> np.ndarray:
    """Stored values of slice k, distinct per slice and pixel."""
    rng = np.random.default_rng(k)
    return rng.integers(-2000, 3000, size=(ROWS, COLS)).astype(np.int16)


def common(dataset: Dataset, series_uid: str, sop_uid: str, sop_class: str) -> None:
    dataset.SOPClassUID = sop_class
    dataset.SOPInstanceUID = sop_uid
    dataset.Modality = "CT"
    dataset.StudyInstanceUID = "2.25.1000"
    dataset.SeriesInstanceUID = series_uid
    dataset.FrameOfReferenceUID = "2.25.2000"
    dataset.PatientID = "SYNTH-SERIES"
    patient_and_study(dataset)
    dataset.Rows, dataset.Columns = ROWS, COLS
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated = 16
    dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 1


def new_file(path: Path, sop_uid: str, sop_class: str) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)


def write_slice(path: Path, k: int, position: Sequence[float],
                orientation: Sequence[float] = AXIAL, *, series_uid: str = "2.25.3000",
                instance: int = 1) -> None:
    sop_uid = f"{series_uid}.{k}"
    dataset = new_file(path, sop_uid, CT_IMAGE)
    common(dataset, series_uid, sop_uid, CT_IMAGE)
    dataset.InstanceNumber = instance
    dataset.ImagePositionPatient = [ds(v) for v in position]
    dataset.ImageOrientationPatient = [ds(v) for v in orientation]
    dataset.PixelSpacing = [ds(v) for v in PIXEL_SPACING]
    dataset.SliceThickness = "1.25"
    dataset.RescaleSlope = "1.5"
    dataset.RescaleIntercept = "-1024"
    dataset.PixelData = pixels(k).astype("<i2").tobytes()
    dataset.save_as(str(path), enforce_file_format=True)


def write_stack(folder: Path, positions: List[Tuple[float, float, float]],
                orientation: Sequence[float] = AXIAL, *, series_uid: str = "2.25.3000",
                prefix: str = "", seed: int = 0) -> None:
    """Slice k at positions[k], in files with shuffled names and InstanceNumbers."""
    folder.mkdir(parents=True, exist_ok=True)
    order = list(range(len(positions)))
    random.Random(seed).shuffle(order)
    numbers = list(range(1, len(positions) + 1))
    random.Random(seed + 1).shuffle(numbers)
    for name_index, k in enumerate(order):
        write_slice(folder / f"{prefix}{name_index:03d}.dcm", k, positions[k], orientation,
                    series_uid=series_uid, instance=numbers[k])
