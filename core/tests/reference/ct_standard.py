"""Reference features of the ct-standard recipe, computed with pydicom, numpy and scipy.

    ct_standard.py FILE_OR_DIR... OUT_DIR

The pipeline of docs/architecture.md (numeric conventions), written with the Python
tools people use today, independently of medprep: pydicom decodes and applies
RescaleSlope/Intercept; the soft-tissue window (40/400) maps HU to 0..1;
`scipy.ndimage.affine_transform` (order 1, mode "nearest") samples the ITK grid at
1 mm (output pixel i centred at input coordinate i * 1.0 / s, output size
round(n * s / 1.0)); `scipy.ndimage` makes the Gaussian (sigma 1, 2, 4, truncate 4,
mode "reflect"), Laplacian-of-Gaussian and Sobel-magnitude maps; the IBSI statistics
come from `np.percentile` (linear) and `np.histogram` (64 bins over each map's own
min..max).

Writes OUT_DIR/reference.json: {"features": [names...], "images": {path: [[frame values]...]}},
with null for NaN.
Folders are searched for *.dcm files.
"""
import json
import pathlib
import sys

import numpy as np
import pydicom
import scipy.ndimage as ndi

CENTER, WIDTH = 40.0, 400.0
TARGET_MM = 1.0
MAPS = ["original", "gaussian_s1", "gaussian_s2", "gaussian_s4", "log_s1", "log_s2", "log_s4", "sobel"]
STATS = ["mean", "variance", "skewness", "kurtosis", "median", "minimum", "p10", "p90", "maximum",
         "iqr", "range", "mad", "rmad", "medad", "cov", "qcod", "energy", "rms", "entropy", "uniformity"]


def statistics(image):
    v = np.asarray(image, dtype=np.float32).astype(np.float64).ravel()
    mean = v.mean()
    d = v - mean
    var = (d ** 2).mean()
    skew = (d ** 3).mean() / var ** 1.5 if var > 0 else 0.0
    kurt = (d ** 4).mean() / var ** 2 - 3.0 if var > 0 else 0.0
    p10, p25, p50, p75, p90 = np.percentile(v, [10, 25, 50, 75, 90])
    robust = v[(v >= p10) & (v <= p90)]
    lo, hi = v.min(), v.max()
    if hi > lo:
        counts = np.histogram(v, bins=64, range=(lo, hi))[0]
        p = counts[counts > 0] / v.size
        entropy, uniformity = -(p * np.log2(p)).sum(), (p * p).sum()
    else:
        entropy, uniformity = 0.0, 1.0
    return [mean, var, skew, kurt, p50, lo, p10, p90, hi, p75 - p25, hi - lo,
            np.abs(d).mean(), np.abs(robust - robust.mean()).mean(), np.abs(v - p50).mean(),
            np.sqrt(var) / mean if mean != 0 else float("nan"),
            (p75 - p25) / (p75 + p25) if p75 + p25 != 0 else float("nan"),
            (v * v).sum(), np.sqrt((v * v).mean()), entropy, uniformity]


def frames_in_hu(ds):
    pixels = ds.pixel_array.astype(np.float64)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    pixels = pixels.reshape(frames, ds.Rows, ds.Columns)
    for i in range(frames):
        slope, intercept = float(getattr(ds, "RescaleSlope", 1.0)), float(getattr(ds, "RescaleIntercept", 0.0))
        groups = getattr(ds, "PerFrameFunctionalGroupsSequence", None)
        if "RescaleSlope" not in ds and groups is not None:
            t = groups[i].PixelValueTransformationSequence[0]
            slope, intercept = float(t.RescaleSlope), float(t.RescaleIntercept)
        yield (pixels[i] * slope + intercept).astype(np.float32)


def spacing_of(ds):
    if "PixelSpacing" in ds:
        return [float(x) for x in ds.PixelSpacing]
    shared = ds.SharedFunctionalGroupsSequence[0]
    return [float(x) for x in shared.PixelMeasuresSequence[0].PixelSpacing]


def maps(hu, spacing):
    """The eight ct-standard maps of one frame in HU, in MAPS order."""
    windowed = np.clip((hu.astype(np.float64) - (CENTER - WIDTH / 2)) / WIDTH, 0, 1).astype(np.float32)
    size = [int(round(n * s / TARGET_MM)) for n, s in zip(windowed.shape, spacing)]
    step = [TARGET_MM / s for s in spacing]
    r = ndi.affine_transform(windowed, step, output_shape=size, order=1, mode="nearest")
    out = [r]
    out += [ndi.gaussian_filter(r, s, mode="reflect", truncate=4.0) for s in (1, 2, 4)]
    out += [ndi.gaussian_laplace(r, s, mode="reflect", truncate=4.0) for s in (1, 2, 4)]
    out.append(np.hypot(ndi.sobel(r, 0, mode="reflect"), ndi.sobel(r, 1, mode="reflect")))
    return out


def features(hu, spacing):
    return [float(x) for m in maps(hu, spacing) for x in statistics(m)]


def json_safe(values):
    """NaN (cov or qcod with a zero denominator) becomes null: JSON has no NaN."""
    return [None if np.isnan(v) else v for v in values]


def main():
    *inputs, out = sys.argv[1:]
    paths = []
    for item in map(pathlib.Path, inputs):
        paths += sorted(item.rglob("*.dcm")) if item.is_dir() else [item]
    images = {}
    for path in paths:
        ds = pydicom.dcmread(path)
        spacing = spacing_of(ds)
        images[str(path)] = [json_safe(features(hu, spacing)) for hu in frames_in_hu(ds)]
    names = [f"{m}_{s}" for m in MAPS for s in STATS]
    pathlib.Path(out, "reference.json").write_text(json.dumps({"features": names, "images": images}))


if __name__ == "__main__":
    main()
