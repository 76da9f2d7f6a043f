#!/usr/bin/env python3
"""Generate medprep's small committed DICOM test fixtures (fixtures/*.dcm).

    make_fixtures.py [--out-dir DIR] [--check]

Every file is synthetic (the phantom of gen_corpus.py, fictional "SYNTH^..."
identifiers, fixed dates, uuid5-derived "2.25.<int>" UIDs) and deterministic:
running the script twice with the same pinned packages (numpy 2.4.6,
pydicom 3.0.2, pyjpegls 1.5.1) gives byte-identical files.

After writing, each file is read back with pydicom (dcmread, pixel_array,
apply_modality_lut; per frame for the multi-frame file) and compared with the
arrays it was generated from; a summary table and sha256 sums are printed.

--check regenerates into a temporary directory and compares it byte for byte
with the existing fixtures instead of writing them (exit 1 on a difference).

The CT fixtures ct_slice, ct_12bit, ct_rle and ct_jpegls hold the same slice:
after the modality LUT all four give identical HU values.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_corpus as gc  # noqa: E402  (phantom, UIDs and dataset helpers)

FIXTURE_SEED = 20240102
FIXTURE_KEY = "fixtures/v1"
CT_Z = 120.0  # mm: through both lungs, the heart and a right-lung nodule
CT_SIZE = 128
CT_SPACING = 2.8  # mm: 128 x 2.8 = 358.4 mm, the same field of view as 512 x 0.7
CT_THICKNESS = 2.5
NOISE_HU = 15.0

MR_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.4")
ENHANCED_CT_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2.1")
SECONDARY_CAPTURE_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.7")
DX_FOR_PRESENTATION_STORAGE = UID("1.2.840.10008.5.1.4.1.1.1.1")

STUDY_UID = gc.derived_uid(FIXTURE_KEY, "study")
CT_FOR_UID = gc.derived_uid(FIXTURE_KEY, "frame-of-reference", "ct")
MR_FOR_UID = gc.derived_uid(FIXTURE_KEY, "frame-of-reference", "mr")

# Multi-frame: per-frame rescale intercepts (slope 1) and frame positions.
MF_INTERCEPTS = (-1024, -1000, 0, 10)
MF_SIZE = 64
MF_SPACING = 5.6
MF_Z = (110.0, 115.0, 120.0, 125.0)


@dataclass
class Fixture:
    name: str
    ds: Dataset
    stored: np.ndarray  # what pixel_array must return
    modality_out: np.ndarray  # what the modality LUT (rescale) must give
    encoder: str = ""  # encoder plugin used ("" = uncompressed)
    per_frame_rescale: bool = False


def uid(name: str, what: str) -> UID:
    return gc.derived_uid(FIXTURE_KEY, name, what)


def common(ds: Dataset, name: str, modality: str, series_number: int, desc: str) -> None:
    gc.fill_patient_study(
        ds,
        study_uid=STUDY_UID,
        series_uid=uid(name, "series"),
        modality=modality,
        series_number=series_number,
        series_description=desc,
        study_description="SYNTHETIC TEST FIXTURES",
    )
    ds.InstanceNumber = 1


# ---------------------------------------------------------------------------
# CT single slices
# ---------------------------------------------------------------------------


def ct_hu() -> tuple[np.ndarray, tuple[float, float]]:
    x, y, origin = gc.slice_grid(CT_SIZE, CT_SPACING)
    rng = gc.slice_rng(FIXTURE_SEED, 0, "ct")
    hu = np.rint(gc.noisy_slice_hu(x, y, CT_Z, NOISE_HU, rng))
    return np.clip(hu, -1024, 3071), origin


def ct_fixture(name: str, series_number: int, bits_stored: int, desc: str) -> Fixture:
    hu, origin = ct_hu()
    stored, intercept = gc.hu_to_stored(hu, bits_stored)
    ds = gc.ct_slice_dataset(
        stored,
        intercept=intercept,
        bits_stored=bits_stored,
        spacing=CT_SPACING,
        thickness=CT_THICKNESS,
        origin_xy=origin,
        z=CT_Z,
        index=0,
        sop_uid=uid(name, "instance"),
        study_uid=STUDY_UID,
        series_uid=uid(name, "series"),
        for_uid=CT_FOR_UID,
        series_number=series_number,
        series_description=desc,
    )
    ds.StudyDescription = "SYNTHETIC TEST FIXTURES"
    return Fixture(name, ds, stored, hu.astype(np.float64))


def make_ct_slice() -> Fixture:
    f = ct_fixture("ct_slice", 1, 16, "SYNTH CT INT16 EXPLICIT LE")
    gc.compress(f.ds, "explicit", f.stored, "")
    return f


def make_ct_12bit() -> Fixture:
    f = ct_fixture("ct_12bit", 2, 12, "SYNTH CT 12BIT IMPLICIT LE")
    gc.set_pixel_data(f.ds, f.stored)
    f.ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    return f


def make_ct_rle() -> Fixture:
    f = ct_fixture("ct_rle", 3, 16, "SYNTH CT INT16 RLE")
    # pydicom's own RLE encoder: always installed (pylibjpeg-rle gives the same bytes)
    gc.compress(f.ds, "rle", f.stored, "pydicom")
    f.encoder = "pydicom (native RLE)"
    return f


def make_ct_jpegls() -> Fixture | None:
    plugin = gc.encoder_plugin("jpegls-lossless")
    if plugin is None:
        print(
            "make_fixtures.py: WARNING: skipping ct_jpegls.dcm: "
            + gc.missing_message("jpegls-lossless"),
            file=sys.stderr,
        )
        return None
    f = ct_fixture("ct_jpegls", 4, 16, "SYNTH CT INT16 JPEG-LS LOSSLESS")
    gc.compress(f.ds, "jpegls-lossless", f.stored, plugin)
    f.encoder = plugin
    return f


# ---------------------------------------------------------------------------
# MR, big endian
# ---------------------------------------------------------------------------


def make_mr_slice() -> Fixture:
    name = "mr_slice"
    x, y, origin = gc.slice_grid(CT_SIZE, CT_SPACING)
    hu = gc.phantom_hu(x, y, CT_Z)
    # crude T1-weighted look: fat and marrow bright, air, lung and cortex dark
    xp = [-1000, -850, -100, 0, 40, 100, 180, 250, 500, 1000]
    fp = [0, 40, 3000, 1100, 1000, 1300, 1800, 2200, 400, 150]
    signal = np.interp(hu, xp, fp)
    rng = gc.slice_rng(FIXTURE_SEED, 0, "mr")
    sigma = 20.0
    n1 = rng.standard_normal(signal.shape) * sigma
    n2 = rng.standard_normal(signal.shape) * sigma
    mag = np.sqrt((signal + n1) ** 2 + n2**2)  # Rician magnitude noise
    stored = np.clip(np.rint(mag), 0, 4095).astype(np.uint16)

    ds = gc.new_dataset(MR_IMAGE_STORAGE, uid(name, "instance"))
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
    common(ds, name, "MR", 5, "SYNTH MR T1 12BIT EXPLICIT BE")
    ds.BodyPartExamined = "CHEST"
    ds.ScanningSequence = "SE"
    ds.SequenceVariant = "NONE"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "2D"
    ds.SliceThickness = "5"
    ds.RepetitionTime = "500"
    ds.EchoTime = "15"
    ds.NumberOfAverages = "1"
    ds.ImagingFrequency = "63.87"
    ds.ImagedNucleus = "1H"
    ds.EchoNumbers = "1"
    ds.MagneticFieldStrength = "1.5"
    ds.SpacingBetweenSlices = "5"
    ds.EchoTrainLength = "1"
    ds.PatientPosition = "HFS"
    ds.ImagePositionPatient = [gc.ds_str(origin[0]), gc.ds_str(origin[1]), gc.ds_str(CT_Z)]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = MR_FOR_UID
    ds.PositionReferenceIndicator = ""
    ds.SliceLocation = gc.ds_str(CT_Z)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = stored.shape
    ds.PixelSpacing = [gc.ds_str(CT_SPACING), gc.ds_str(CT_SPACING)]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    gc.set_pixel_data(ds, stored, big_endian=True)
    return Fixture(name, ds, stored, stored.astype(np.float64))


# ---------------------------------------------------------------------------
# RGB secondary capture, colour-by-plane
# ---------------------------------------------------------------------------


def make_rgb() -> Fixture:
    name = "rgb_secondary_capture"
    n = 64
    r, c = np.mgrid[0:n, 0:n]
    rgb = np.empty((n, n, 3), dtype=np.uint8)
    rgb[..., 0] = c * 4  # red grows to the right
    rgb[..., 1] = r * 4  # green grows downwards
    rgb[..., 2] = np.clip(255 - (r + c) * 2, 0, 255)
    disc = (r - 31.5) ** 2 + (c - 31.5) ** 2 <= 10.0**2
    rgb[disc] = (255, 255, 255)
    # 8x8 orientation markers: red TL, green TR, blue BL, yellow BR
    rgb[:8, :8] = (255, 0, 0)
    rgb[:8, -8:] = (0, 255, 0)
    rgb[-8:, :8] = (0, 0, 255)
    rgb[-8:, -8:] = (255, 255, 0)

    ds = gc.new_dataset(SECONDARY_CAPTURE_IMAGE_STORAGE, uid(name, "instance"))
    ds.ImageType = ["DERIVED", "SECONDARY"]
    common(ds, name, "OT", 6, "SYNTH RGB PLANAR")
    ds.ConversionType = "WSD"
    ds.Laterality = ""
    ds.PatientOrientation = ""
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 1
    ds.Rows, ds.Columns = n, n
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    gc.set_pixel_data(ds, np.ascontiguousarray(rgb.transpose(2, 0, 1)))  # R, G, B planes
    return Fixture(name, ds, rgb, rgb.astype(np.float64))


# ---------------------------------------------------------------------------
# Enhanced CT multi-frame with per-frame rescale
# ---------------------------------------------------------------------------


def _item(**kwargs) -> Dataset:
    """Sequence item from keyword=value; numbers given as text for binary
    floating-point VRs (FD/FL) are converted."""
    d = Dataset()
    for k, v in kwargs.items():
        if dictionary_VR(k) in ("FD", "FL"):
            v = [float(x) for x in v] if isinstance(v, list) else float(v)
        setattr(d, k, v)
    return d


def code(value: str, scheme: str, meaning: str) -> Dataset:
    return _item(CodeValue=value, CodingSchemeDesignator=scheme, CodeMeaning=meaning)


def make_multiframe() -> Fixture:
    name = "multiframe_ct"
    x, y, origin = gc.slice_grid(MF_SIZE, MF_SPACING)
    frames_hu, frames_stored = [], []
    for i, z in enumerate(MF_Z):
        rng = gc.slice_rng(FIXTURE_SEED, i, "multiframe")
        hu = np.clip(np.rint(gc.noisy_slice_hu(x, y, z, NOISE_HU, rng)), -1024, 3071)
        frames_hu.append(hu)
        frames_stored.append((hu - MF_INTERCEPTS[i]).astype(np.int16))
    hu = np.stack(frames_hu)
    stored = np.stack(frames_stored)

    ds = gc.new_dataset(ENHANCED_CT_IMAGE_STORAGE, uid(name, "instance"))
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    common(ds, name, "CT", 7, "SYNTH ENHANCED CT 4 FRAMES")
    del ds.AcquisitionDate, ds.AcquisitionTime  # Enhanced CT uses AcquisitionDateTime
    ds.AcquisitionDateTime = gc.STUDY_DATE + gc.ACQUISITION_TIME
    ds.BodyPartExamined = "CHEST"
    ds.DeviceSerialNumber = "SYNTH0"
    ds.PatientPosition = "HFS"
    ds.ContentQualification = "RESEARCH"
    ds.AcquisitionDuration = 2.0
    ds.AcquisitionContextSequence = Sequence([])
    ds.ImageComments = gc.SYNTHETIC_COMMENT
    ds.FrameOfReferenceUID = CT_FOR_UID
    ds.PositionReferenceIndicator = ""
    ds.AcquisitionNumber = 1
    ds.PixelPresentation = "MONOCHROME"
    ds.VolumetricProperties = "VOLUME"
    ds.VolumeBasedCalculationTechnique = "NONE"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = len(MF_Z)
    ds.Rows, ds.Columns = MF_SIZE, MF_SIZE
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.PresentationLUTShape = "IDENTITY"

    dim_org = uid(name, "dimension-organization")
    ds.DimensionOrganizationSequence = Sequence([_item(DimensionOrganizationUID=dim_org)])
    ds.DimensionOrganizationType = "3D"
    index_item = Dataset()
    index_item.DimensionOrganizationUID = dim_org
    index_item.DimensionIndexPointer = 0x00200032  # Image Position (Patient)
    index_item.FunctionalGroupPointer = 0x00209113  # Plane Position Sequence
    index_item.DimensionDescriptionLabel = "Image Position"
    ds.DimensionIndexSequence = Sequence([index_item])

    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence(
        [
            _item(
                SliceThickness=gc.ds_str(MF_Z[1] - MF_Z[0]),
                PixelSpacing=[gc.ds_str(MF_SPACING), gc.ds_str(MF_SPACING)],
            )
        ]
    )
    shared.PlaneOrientationSequence = Sequence(
        [_item(ImageOrientationPatient=["1", "0", "0", "0", "1", "0"])]
    )
    shared.FrameVOILUTSequence = Sequence([_item(WindowCenter="40", WindowWidth="400")])
    shared.CTImageFrameTypeSequence = Sequence(
        [
            _item(
                FrameType=["ORIGINAL", "PRIMARY", "VOLUME", "NONE"],
                PixelPresentation="MONOCHROME",
                VolumetricProperties="VOLUME",
                VolumeBasedCalculationTechnique="NONE",
            )
        ]
    )
    # CT acquisition/reconstruction macros required by the Enhanced CT IOD
    shared.FrameAnatomySequence = Sequence(
        [
            _item(
                AnatomicRegionSequence=Sequence([code("51185008", "SCT", "Thorax")]),
                FrameLaterality="U",
            )
        ]
    )
    shared.IrradiationEventIdentificationSequence = Sequence(
        [_item(IrradiationEventUID=uid(name, "irradiation-event"))]
    )
    shared.CTAcquisitionTypeSequence = Sequence(
        [_item(AcquisitionType="SPIRAL", ConstantVolumeFlag="NO", FluoroscopyFlag="NO")]
    )
    shared.CTAcquisitionDetailsSequence = Sequence(
        [
            _item(
                DataCollectionDiameter="500",
                RevolutionTime="0.5",
                SingleCollimationWidth="0.625",
                TotalCollimationWidth="40",
                TableHeight="150",
                GantryDetectorTilt="0",
            )
        ]
    )
    shared.CTTableDynamicsSequence = Sequence(
        [_item(TableSpeed="80", TableFeedPerRotation="40", SpiralPitchFactor="1")]
    )
    shared.CTGeometrySequence = Sequence(
        [_item(DistanceSourceToDetector="1000", DistanceSourceToDataCollectionCenter="540")]
    )
    shared.CTReconstructionSequence = Sequence(
        [
            _item(
                ReconstructionAlgorithm="FILTER_BACK_PROJ",
                ConvolutionKernel="STANDARD",
                ConvolutionKernelGroup="SOFT_TISSUE",
                ReconstructionDiameter=gc.ds_str(MF_SIZE * MF_SPACING),
                ReconstructionPixelSpacing=[gc.ds_str(MF_SPACING), gc.ds_str(MF_SPACING)],
                ReconstructionAngle="360",
                ImageFilter="NONE",
            )
        ]
    )
    shared.CTExposureSequence = Sequence(
        [
            _item(
                ExposureTimeInms=500.0,
                XRayTubeCurrentInmA=200.0,
                ExposureInmAs=100.0,
                ExposureModulationType="NONE",
                CTDIvol=8.0,
                CTDIPhantomTypeCodeSequence=Sequence(
                    [code("113691", "DCM", "IEC Body Dosimetry Phantom")]
                ),
            )
        ]
    )
    shared.CTXRayDetailsSequence = Sequence(
        [_item(KVP="120", FocalSpots=["1.0"], FilterType="BODY", FilterMaterial=["ALUMINUM"])]
    )
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    per_frame = []
    for i, z in enumerate(MF_Z):
        item = Dataset()
        item.FrameContentSequence = Sequence(
            [
                _item(
                    FrameAcquisitionNumber=1,
                    FrameReferenceDateTime=gc.STUDY_DATE + gc.ACQUISITION_TIME,
                    FrameAcquisitionDateTime=gc.STUDY_DATE + gc.ACQUISITION_TIME,
                    FrameAcquisitionDuration=500.0,
                    StackID="1",
                    InStackPositionNumber=i + 1,
                    DimensionIndexValues=[i + 1],
                )
            ]
        )
        item.PlanePositionSequence = Sequence(
            [
                _item(
                    ImagePositionPatient=[
                        gc.ds_str(origin[0]),
                        gc.ds_str(origin[1]),
                        gc.ds_str(z),
                    ]
                )
            ]
        )
        item.CTPositionSequence = Sequence(
            [
                _item(
                    TablePosition=-z,
                    ReconstructionTargetCenterPatient=[0.0, 0.0, z],
                    DataCollectionCenterPatient=[0.0, 0.0, z],
                )
            ]
        )
        item.PixelValueTransformationSequence = Sequence(
            [
                _item(
                    RescaleIntercept=str(MF_INTERCEPTS[i]),
                    RescaleSlope="1",
                    RescaleType="HU",
                )
            ]
        )
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)

    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    gc.set_pixel_data(ds, stored)
    return Fixture(name, ds, stored, hu.astype(np.float64), per_frame_rescale=True)


# ---------------------------------------------------------------------------
# MONOCHROME1 DX-like projection, 10 bits stored
# ---------------------------------------------------------------------------


def make_mono1_xray() -> Fixture:
    name = "mono1_xray"
    n, spacing = 64, 5.0
    idx = np.arange(n, dtype=np.float32) - (n - 1) / 2.0
    xs = (idx * spacing)[np.newaxis, np.newaxis, :]  # columns -> patient left
    zs = (125.0 - idx * spacing)[np.newaxis, :, np.newaxis]  # rows -> feet
    step = 2.0
    ys = np.arange(-180.0, 180.0 + step, step, dtype=np.float32)[:, np.newaxis, np.newaxis]
    hu = gc.phantom_hu(xs, ys, zs)
    mu = np.clip(0.02 * (1.0 + hu / 1000.0), 0.0, None)  # 1/mm
    path = mu.sum(axis=0) * step  # line integral along the PA beam
    rng = gc.slice_rng(FIXTURE_SEED, 0, "dx")
    # log signal: more attenuation -> lower value -> displayed whiter (MONOCHROME1)
    value = 1000.0 - 165.0 * path + 4.0 * rng.standard_normal(path.shape)
    stored = np.clip(np.rint(value), 0, 1023).astype(np.uint16)

    ds = gc.new_dataset(DX_FOR_PRESENTATION_STORAGE, uid(name, "instance"))
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    common(ds, name, "DX", 8, "SYNTH DX PA MONOCHROME1")
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.BodyPartExamined = "CHEST"
    ds.KVP = "120"
    ds.DistanceSourceToDetector = "1800"
    ds.DistanceSourceToPatient = "1650"
    ds.ImagerPixelSpacing = [gc.ds_str(spacing), gc.ds_str(spacing)]
    ds.ViewPosition = "PA"
    ds.DetectorType = "DIRECT"
    ds.PatientOrientation = ["L", "F"]
    ds.ImageLaterality = "U"
    ds.PositionerType = ""
    ds.AcquisitionContextSequence = Sequence([])
    ds.AnatomicRegionSequence = Sequence([code("51185008", "SCT", "Thorax")])
    ds.ViewCodeSequence = Sequence([code("399348003", "SCT", "postero-anterior")])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 10
    ds.HighBit = 9
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = 1
    ds.WindowCenter = "512"
    ds.WindowWidth = "1024"
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.PresentationLUTShape = "INVERSE"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    gc.set_pixel_data(ds, stored)
    return Fixture(name, ds, stored, stored.astype(np.float64))


BUILDERS = (
    make_ct_slice,
    make_ct_12bit,
    make_mr_slice,
    make_rgb,
    make_multiframe,
    make_ct_rle,
    make_ct_jpegls,
    make_mono1_xray,
)


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------


def verify(f: Fixture, path: Path) -> dict:
    ds = pydicom.dcmread(path)
    ts = ds.file_meta.TransferSyntaxUID
    arr = ds.pixel_array
    same_type = (arr.dtype.kind, arr.dtype.itemsize) == (
        f.stored.dtype.kind,
        f.stored.dtype.itemsize,
    )
    if arr.shape != f.stored.shape or not same_type:
        raise AssertionError(
            f"{f.name}: pixel_array {arr.shape} {arr.dtype}, "
            f"expected {f.stored.shape} {f.stored.dtype}"
        )
    if not np.array_equal(arr, f.stored):
        raise AssertionError(f"{f.name}: pixel_array differs from the source")
    if f.per_frame_rescale:
        items = ds.PerFrameFunctionalGroupsSequence
        out = np.stack(
            [
                apply_modality_lut(arr[i], items[i].PixelValueTransformationSequence[0])
                for i in range(arr.shape[0])
            ]
        )
    else:
        out = apply_modality_lut(arr, ds)
    if not np.array_equal(np.asarray(out, dtype=np.float64), f.modality_out):
        raise AssertionError(f"{f.name}: modality LUT output differs from the source")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return {
        "file": path.name,
        "bytes": path.stat().st_size,
        "syntax": ts.name.replace(" Image Compression", "").replace(" (Lossless Only)", ""),
        "mod": ds.Modality,
        "shape": "x".join(str(s) for s in arr.shape),
        "frames": frames,
        "bits": f"{ds.BitsAllocated}/{ds.BitsStored}/{ds.HighBit}",
        "sign": "s" if ds.PixelRepresentation else "u",
        "photometric": ds.PhotometricInterpretation,
        "stored": f"{arr.min()}..{arr.max()}",
        "modality_lut": f"{out.min():g}..{out.max():g}",
    }


def print_table(rows: list[dict]) -> None:
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    line = "  ".join(c.ljust(widths[c]) for c in cols)
    print(line)
    print("  ".join("-" * widths[c] for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generate(out_dir: Path, quiet: bool = False) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, paths = [], []
    for build in BUILDERS:
        f = build()
        if f is None:
            continue
        path = out_dir / f"{f.name}.dcm"
        gc.save(f.ds, str(path))
        rows.append(verify(f, path) | {"check": "ok"})
        paths.append(path)
    if not quiet:
        print_table(rows)
        total = sum(p.stat().st_size for p in paths)
        print(
            f"\n{len(paths)} files, {total} bytes; all read back with pydicom "
            f"{pydicom.__version__} and matched their source arrays\n"
        )
        for p in paths:
            print(f"{sha256(p)}  {p.name}")
    return paths


def main(argv: list[str] | None = None) -> int:
    default_out = Path(__file__).resolve().parent.parent / "fixtures"
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out-dir", type=Path, default=default_out)
    p.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary directory and compare with --out-dir",
    )
    args = p.parse_args(argv)

    if not args.check:
        generate(args.out_dir)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp), quiet=True)
        bad = []
        for new in paths:
            old = args.out_dir / new.name
            if not old.exists() or not filecmp.cmp(new, old, shallow=False):
                bad.append(new.name)
        if bad:
            print("fixtures differ from a fresh generation: " + ", ".join(bad), file=sys.stderr)
            return 1
    print(f"{len(paths)} fixtures in {args.out_dir} match a fresh generation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
