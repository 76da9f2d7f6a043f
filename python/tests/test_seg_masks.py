"""``medprep.read_mask`` on DICOM Segmentations written by highdicom.

highdicom (an implementation of the SEG IOD independent of medprep's reader) writes each
segmentation from a numpy mask on a series generated with pydicom
(``synthetic_series``); the reference is that numpy mask, so every voxel must agree
exactly. The series is 6 x 5 pixels, so a BINARY frame is 30 bits and every frame after
the first starts inside a byte: the bit packing across frames is exercised. FRACTIONAL
values are kept away from the 0.5 threshold (the writer rounds them to 8 bits), so which
side each voxel falls on does not depend on that rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import medprep

pytest.importorskip("highdicom")
pydicom = pytest.importorskip("pydicom")

from synthetic_series import COLS, ROWS, write_seg, write_stack  # noqa: E402

SLICES = 7


def stack(folder: Path, *, x0: float = -3.0, step: float = 2.5) -> list:
    """An axial series of SLICES slices in `folder`, as pydicom datasets in file order."""
    write_stack(folder, [(x0, 7.0, -40.0 + step * k) for k in range(SLICES)], seed=3)
    return [pydicom.dcmread(path) for path in sorted(folder.glob("*.dcm"))]


def slice_order(sources: list) -> list:
    """The sources sorted along z, the order of the volume's slices."""
    return sorted(sources, key=lambda d: float(d.ImagePositionPatient[2]))


def random_mask(seed: int, fraction: float = 0.4) -> np.ndarray:
    mask = np.random.default_rng(seed).random((SLICES, ROWS, COLS)) < fraction
    mask[0] = False  # a slice without frames: outside
    return mask


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_segments_match_the_written_mask(tmp_path, seed):
    sources = slice_order(stack(tmp_path / "ct"))
    volume = medprep.read_series(tmp_path / "ct")
    first, second = random_mask(seed), random_mask(seed + 100, 0.6)
    write_seg(tmp_path / "seg.dcm", sources, np.stack([first, second], axis=-1).astype(np.uint8),
              ["liver", "spleen"])
    for roi, want in (("liver", first), ("2", second), ("SPLEEN", second)):
        mask = medprep.read_mask(tmp_path / "seg.dcm", like=volume, roi=roi)
        assert mask.pixels.dtype == np.bool_
        np.testing.assert_array_equal(mask.pixels, want)
        assert mask.spacing == pytest.approx(volume.spacing)
        assert mask.origin == pytest.approx(volume.origin)


def test_fractional_segments_are_inside_from_one_half(tmp_path):
    sources = slice_order(stack(tmp_path / "ct"))
    volume = medprep.read_series(tmp_path / "ct")
    rng = np.random.default_rng(7)
    fractions = rng.choice([0.0, 0.1, 0.3, 0.7, 0.9, 1.0], size=(SLICES, ROWS, COLS))
    write_seg(tmp_path / "seg.dcm", sources, fractions.astype(np.float32), ["tumour"], "FRACTIONAL")
    mask = medprep.read_mask(tmp_path / "seg.dcm", like=volume)
    np.testing.assert_array_equal(mask.pixels, fractions >= 0.5)


def test_a_segmentation_of_part_of_the_series_leaves_the_rest_outside(tmp_path):
    sources = slice_order(stack(tmp_path / "ct"))
    volume = medprep.read_series(tmp_path / "ct")
    part = random_mask(5)[2:5]
    part[:, 0, 0] = True  # no empty frame: highdicom keeps exactly these three
    write_seg(tmp_path / "seg.dcm", sources[2:5], part.astype(np.uint8), ["nodule"])
    want = np.zeros((SLICES, ROWS, COLS), bool)
    want[2:5] = part
    mask = medprep.read_mask(tmp_path / "seg.dcm", like=volume)
    np.testing.assert_array_equal(mask.pixels, want)


def test_several_segments_without_a_choice_are_an_error_listing_them(tmp_path):
    sources = slice_order(stack(tmp_path / "ct"))
    volume = medprep.read_series(tmp_path / "ct")
    pixels = np.stack([random_mask(1), random_mask(2)], axis=-1).astype(np.uint8)
    write_seg(tmp_path / "seg.dcm", sources, pixels, ["liver", "spleen"])
    with pytest.raises(medprep.DecodeError, match=r'liver.*spleen'):
        medprep.read_mask(tmp_path / "seg.dcm", like=volume)
    with pytest.raises(medprep.DecodeError, match=r'kidney'):
        medprep.read_mask(tmp_path / "seg.dcm", like=volume, roi="kidney")


def test_a_segmentation_made_on_another_grid_is_an_error_naming_both(tmp_path):
    # The same slices shifted by a third of a pixel along x: every frame falls between
    # voxel centres of the series it is laid on.
    sources = slice_order(stack(tmp_path / "other", x0=-3.0 + 0.25))
    stack(tmp_path / "ct")
    volume = medprep.read_series(tmp_path / "ct")
    write_seg(tmp_path / "seg.dcm", sources, random_mask(3).astype(np.uint8), ["liver"])
    with pytest.raises(medprep.DecodeError, match=r"another grid") as raised:
        medprep.read_mask(tmp_path / "seg.dcm", like=volume)
    message = str(raised.value)
    assert "-2.75" in message and "-3" in message, message


def test_a_segmentation_beyond_the_last_slice_is_an_error(tmp_path):
    sources = slice_order(stack(tmp_path / "long"))
    write_stack(tmp_path / "ct", [(-3.0, 7.0, -40.0 + 2.5 * k) for k in range(SLICES - 2)])
    volume = medprep.read_series(tmp_path / "ct")
    write_seg(tmp_path / "seg.dcm", sources, np.ones((SLICES, ROWS, COLS), np.uint8), ["body"])
    with pytest.raises(medprep.DecodeError, match=r"outside|beyond"):
        medprep.read_mask(tmp_path / "seg.dcm", like=volume)
