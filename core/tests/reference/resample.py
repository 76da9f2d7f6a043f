"""Reference outputs for medprep's resampling (the ITK/SimpleITK grid of
docs/architecture.md, resampling).

Usage: resample.py OUTDIR

Inputs: seeded random images in [0, 1) (64x48, 1x37, 2x2, the benchmark's 512x512 at
0.7 mm and 300x900, large enough to run on several threads) and fixtures/ct_slice.dcm in HU (128x128 at 2.8 mm, read with pydicom). Each is
resampled on several grids: spacing changes that shrink and enlarge (the benchmark's
0.7 -> 1.0 mm, the fixture's 2.8 -> 1.0 mm), anisotropic targets, resize to a size, and
keep-aspect resize with padding (fill value) and cropping. The grid parameters (size,
step, offset) are computed here from the formulas of docs/architecture.md (resampling),
with Python's round() (half to even), for the Rust side to check its constructors
against.

Who produces each reference:
- nearest, linear: scipy.ndimage.affine_transform(order=0 / 1, mode="nearest") with the
  diagonal matrix `step` and `offset` (the benchmark's scipy peer), on grids without a
  fill value, since scipy's constant mode is not ITK's rule for outside samples.
- nearest, linear: SimpleITK.Resample (sitkNearestNeighbor, sitkLinear) on the ITK grid:
  input origin 0 and spacing s, output origin offset * s, spacing step * s, identity
  direction; defaultPixelValue = the fill value. Without a fill, nearest uses SimpleITK's
  nearest-neighbour extrapolator (the same as clamping to the edge), and linear is only
  compared where the sample lies inside the input, because ITK extrapolates the others by
  nearest neighbour where medprep clamps each tap.
- cubic (Keys a = -0.5) and lanczos3 (sinc(x) sinc(x/3) over 6 taps, normalised): an
  independent straightforward numpy implementation written here from the formulas: a
  dense float64 weight matrix per axis (edge-clamped taps accumulated into the clamped
  column), output = W_rows @ image @ W_cols.T.

Samples that are not compared are NaN in the expected arrays: for nearest, coordinates
within 1e-9 of a half-integer (a rounding tie, decided by the last bit of the
coordinate) against SimpleITK, which computes coordinates through physical points; for
fill grids, coordinates within 1e-9 of the inside boundary -0.5 / n - 0.5.

Writes OUTDIR/input_<name>.npy (float32), OUTDIR/<case>_<interpolator>_<source>.npy
(float64) and OUTDIR/cases.json describing every case.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pydicom
import scipy.ndimage as ndi
import SimpleITK as sitk

REPO = Path(__file__).resolve().parents[3]
AMBIGUOUS = 1e-9


def inputs():
    rng = np.random.default_rng(20240611)
    images = {
        "rand_64x48": rng.random((64, 48)).astype(np.float32),
        "rand_1x37": rng.random((1, 37)).astype(np.float32),
        "rand_2x2": rng.random((2, 2)).astype(np.float32),
        "rand_512x512": rng.random((512, 512)).astype(np.float32),
        "rand_300x900": rng.random((300, 900)).astype(np.float32),
    }
    ds = pydicom.dcmread(REPO / "fixtures" / "ct_slice.dcm")
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    images["ct_hu"] = hu.astype(np.float32)
    return images, [float(v) for v in ds.PixelSpacing]


def to_spacing(shape, spacing, target):
    size = [max(1, int(round(n * s / t))) for n, s, t in zip(shape, spacing, target)]
    step = [t / s for s, t in zip(spacing, target)]
    return dict(size=size, step=step, offset=[0.0, 0.0], fill=None,
                constructor=dict(kind="to_spacing", spacing=spacing, target=target))


def to_size(shape, spacing, target_size):
    step = [n / t for n, t in zip(shape, target_size)]
    return dict(size=list(target_size), step=step, offset=[0.0, 0.0], fill=None,
                constructor=dict(kind="to_size", spacing=spacing, target_size=target_size))


def keep_aspect(shape, spacing, target_size, fit, fill):
    fitted = [n * s / t for n, s, t in zip(shape, spacing, target_size)]
    common = max(fitted) if fit == "pad" else min(fitted)
    step = [common / s for s in spacing]
    # The output field of view is centred on the input's.
    offset = [(n - 1) / 2 - (t - 1) / 2 * st for n, t, st in zip(shape, target_size, step)]
    return dict(size=list(target_size), step=step, offset=offset,
                fill=fill if fit == "pad" else None,
                constructor=dict(kind="keep_aspect", spacing=spacing, target_size=target_size,
                                 fit=fit, fill=fill))


def grids(name, shape, ct_spacing):
    sp = [0.7, 0.7]
    if name == "rand_512x512":
        return {"shrink": to_spacing(shape, sp, [1.0, 1.0])}
    if name == "rand_300x900":
        # Large enough for medprep to split rows over threads, one grid per pass order.
        return {"tall": to_spacing(shape, [2.8, 0.7], [1.0, 1.0]),
                "wide": to_spacing(shape, [0.7, 2.8], [1.0, 1.0])}
    if name == "ct_hu":
        s = ct_spacing
        return {
            "enlarge": to_spacing(shape, s, [1.0, 1.0]),
            "shrink": to_spacing(shape, s, [4.0, 4.0]),
            "aniso": to_spacing(shape, s, [1.0, 1.5]),
            "size": to_size(shape, s, [100, 100]),
            "pad": keep_aspect(shape, s, [60, 96], "pad", -1024.0),
            "crop": keep_aspect(shape, s, [96, 64], "crop", -1024.0),
        }
    cases = {
        "shrink": to_spacing(shape, sp, [1.0, 1.0]),
        "enlarge": to_spacing(shape, [2.8, 2.8], [1.0, 1.0]),
        "aniso": to_spacing(shape, [0.8, 0.6], [1.0, 1.0]),
    }
    if name == "rand_64x48":
        cases.update(size=to_size(shape, sp, [23, 57]),
                     pad=keep_aspect(shape, [0.8, 0.6], [40, 40], "pad", -2.0),
                     crop=keep_aspect(shape, [0.8, 0.6], [40, 40], "crop", -2.0))
    elif name == "rand_1x37":
        cases.update(size=to_size(shape, sp, [3, 50]),
                     pad=keep_aspect(shape, sp, [8, 8], "pad", -2.0))
    else:
        cases.update(size=to_size(shape, sp, [5, 3]),
                     pad=keep_aspect(shape, sp, [4, 6], "pad", -2.0),
                     crop=keep_aspect(shape, sp, [4, 6], "crop", -2.0))
    return cases


def coords(grid, axis):
    return grid["offset"][axis] + np.arange(grid["size"][axis]) * grid["step"][axis]


def outside(x, n):
    return ~((x >= -0.5) & (x < n - 0.5))


def near(x, targets):
    return np.any([np.abs(x - t) < AMBIGUOUS for t in targets], axis=0)


def ambiguous(grid, shape, nearest, boundary):
    """Samples whose value hangs on the last bit of the coordinate."""
    mask = np.zeros(grid["size"], dtype=bool)
    for axis in (0, 1):
        x = coords(grid, axis)
        bad = np.zeros(x.shape, dtype=bool)
        if nearest:
            bad |= near(x - np.floor(x), [0.5])
        if boundary:
            bad |= near(x, [-0.5, shape[axis] - 0.5])
        mask |= bad[:, None] if axis == 0 else bad[None, :]
    return mask


def keys(d):
    a = -0.5
    d = abs(d)
    if d <= 1:
        return (a + 2) * d**3 - (a + 3) * d**2 + 1
    if d < 2:
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a
    return 0.0


def lanczos3(d):
    return float(np.sinc(d) * np.sinc(d / 3)) if abs(d) < 3 else 0.0


def weight_matrix(x, n, kernel, support, normalise):
    w = np.zeros((len(x), n))
    for i, xi in enumerate(x):
        f = int(np.floor(xi))
        for k in range(f - support + 1, f + support + 1):
            w[i, min(max(k, 0), n - 1)] += kernel(xi - k)
    if normalise:
        w /= w.sum(axis=1, keepdims=True)
    return w


def numpy_reference(image, grid, kernel, support, normalise):
    img = image.astype(np.float64)
    wr = weight_matrix(coords(grid, 0), img.shape[0], kernel, support, normalise)
    wc = weight_matrix(coords(grid, 1), img.shape[1], kernel, support, normalise)
    out = wr @ img @ wc.T
    if grid["fill"] is not None:
        out[outside(coords(grid, 0), img.shape[0]), :] = grid["fill"]
        out[:, outside(coords(grid, 1), img.shape[1])] = grid["fill"]
    return out


def scipy_reference(image, grid, order):
    return ndi.affine_transform(image.astype(np.float64), grid["step"], offset=grid["offset"],
                                output_shape=tuple(grid["size"]), order=order, mode="nearest")


def sitk_reference(image, spacing, grid, interpolator):
    img = sitk.GetImageFromArray(image.astype(np.float64))
    img.SetSpacing((spacing[1], spacing[0]))
    img.SetOrigin((0.0, 0.0))
    out_spacing = (grid["step"][1] * spacing[1], grid["step"][0] * spacing[0])
    out_origin = (grid["offset"][1] * spacing[1], grid["offset"][0] * spacing[0])
    fill = grid["fill"]
    extrapolate = fill is None and interpolator == sitk.sitkNearestNeighbor
    out = sitk.Resample(img, (grid["size"][1], grid["size"][0]), sitk.Transform(), interpolator,
                        out_origin, out_spacing, (1.0, 0.0, 0.0, 1.0),
                        0.0 if fill is None else fill, sitk.sitkFloat64, extrapolate)
    out = sitk.GetArrayFromImage(out)
    if fill is None and not extrapolate:
        inside = ~outside(coords(grid, 0), image.shape[0])[:, None] \
            & ~outside(coords(grid, 1), image.shape[1])[None, :]
        out = np.where(inside, out, np.nan)
    return out


def main():
    outdir = Path(sys.argv[1])
    images, ct_spacing = inputs()
    cases = []
    for name, image in images.items():
        np.save(outdir / f"input_{name}.npy", image)
        # The spacing the grid was built for; SimpleITK needs it for its physical grid.
        for grid_name, grid in grids(name, image.shape, ct_spacing).items():
            spacing = grid["constructor"]["spacing"]
            case = f"{name}_{grid_name}"
            filled = grid["fill"] is not None
            refs = []

            def add(interpolator, source, values, skip=None):
                values = np.asarray(values, dtype=np.float64).copy()
                if skip is not None:
                    values[skip] = np.nan
                file = f"{case}_{interpolator}_{source}.npy"
                np.save(outdir / file, values)
                refs.append(dict(interpolator=interpolator, source=source, file=file,
                                 compared=int(np.isfinite(values).sum())))

            if not filled:
                # scipy computes (i + offset / step) * step: the same coordinates as medprep
                # only when the offset is 0.
                shifted = any(o != 0.0 for o in grid["offset"])
                add("nearest", "scipy", scipy_reference(image, grid, 0),
                    ambiguous(grid, image.shape, True, False) if shifted else None)
                add("linear", "scipy", scipy_reference(image, grid, 1))
            add("nearest", "simpleitk",
                sitk_reference(image, spacing, grid, sitk.sitkNearestNeighbor),
                ambiguous(grid, image.shape, True, filled))
            add("linear", "simpleitk", sitk_reference(image, spacing, grid, sitk.sitkLinear),
                ambiguous(grid, image.shape, False, filled))
            add("cubic", "numpy", numpy_reference(image, grid, keys, 2, False),
                ambiguous(grid, image.shape, False, filled))
            add("lanczos3", "numpy", numpy_reference(image, grid, lanczos3, 3, True),
                ambiguous(grid, image.shape, False, filled))
            cases.append(dict(name=case, input=f"input_{name}.npy", size=grid["size"],
                              step=grid["step"], offset=grid["offset"], fill=grid["fill"],
                              constructor=grid["constructor"], references=refs))
    (outdir / "cases.json").write_text(json.dumps(cases, indent=1))


if __name__ == "__main__":
    main()
