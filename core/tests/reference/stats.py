"""Reference values for medprep::cpu::stats, computed independently with numpy and scikit-image.

Usage: stats.py OUTDIR

For every case it writes OUTDIR/<case>_values.npy (float32), optionally <case>_mask.npy
(bool), and the expected results as float64 .npy files; cases.json lists what to compare.

- First-order statistics: written straight from the IBSI definitions with numpy
  (np.percentile 'linear', means of float64 copies of the float32 values).
- Percentiles: np.percentile.
- Histogram entropy and uniformity: np.histogram for a fixed bin number over the ROI's own
  [min, max]; np.floor/np.bincount for a fixed bin width and for integer grey levels.
- GLCM: without a mask the matrices come from skimage.feature.graycomatrix (distance 1,
  angles 0, pi/4, pi/2, 3pi/4, symmetric, normed) and contrast, dissimilarity, homogeneity
  (= IBSI inverse difference moment), ASM and correlation from skimage.feature.graycoprops;
  the remaining IBSI features are a plain numpy implementation of the IBSI definitions
  written here, applied to the same matrices. With a mask (scikit-image has none) the
  matrices are counted here with numpy, pairs needing both voxels inside the ROI.
  Features are averaged over every slice and angle (IBSI "2D, averaged").

Inputs are seeded random maps and the CT fixture fixtures/ct_slice.dcm (read with pydicom:
HU, and windowed c=40 w=400 to [0, 1]).
"""

import json
import os
import sys

import numpy as np
import pydicom
from skimage.feature import graycomatrix, graycoprops

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
ANGLES = [0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]
PERCENTILES = [0.0, 0.5, 1.0, 2.5, 10.0, 33.3, 50.0, 66.7, 90.0, 99.0, 99.5, 100.0]


def first_order(v):
    """The 18 IBSI intensity-based statistics of a float64 vector."""
    mean = v.mean()
    d = v - mean
    m2, m3, m4 = (d ** 2).mean(), (d ** 3).mean(), (d ** 4).mean()
    p10, p25, p50, p75, p90 = np.percentile(v, [10.0, 25.0, 50.0, 75.0, 90.0])
    mid = v[(v >= p10) & (v <= p90)]
    sd = np.sqrt(m2)
    return [
        mean, m2,
        m3 / m2 ** 1.5 if m2 > 0 else 0.0,
        m4 / m2 ** 2 - 3.0 if m2 > 0 else 0.0,
        p50, v.min(), p10, p90, v.max(), p75 - p25, v.max() - v.min(),
        np.abs(d).mean(),
        np.abs(mid - mid.mean()).mean() if mid.size else 0.0,
        np.abs(v - p50).mean(),
        sd / mean if mean != 0 else np.nan,
        (p75 - p25) / (p75 + p25) if p75 + p25 != 0 else np.nan,
        (v * v).sum(),
        np.sqrt((v * v).mean()),
    ]


def grey_levels(v, kind, param):
    """0-based level index of each ROI value, the number of levels, and grey value of level 0."""
    lo, hi = v.min(), v.max()
    if kind == "bins":
        if hi == lo:
            return np.zeros(v.shape, np.int64), param, 1.0
        edges = np.histogram_bin_edges(v, bins=param, range=(lo, hi))
        idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, param - 1)
        return idx, param, 1.0
    if kind == "width":
        idx = np.floor((v - lo) / param).astype(np.int64)
        return idx, int(np.floor((hi - lo) / param)) + 1, 1.0
    assert np.all(v == np.round(v))
    return (v - lo).astype(np.int64), int(hi - lo) + 1, lo


def histogram(v, kind, param):
    if kind == "bins":
        if v.max() == v.min():
            return [0.0, 1.0]
        counts = np.histogram(v, bins=param, range=(v.min(), v.max()))[0]
    else:
        counts = np.bincount(grey_levels(v, kind, param)[0])
    p = counts[counts > 0] / v.size
    return [float(-(p * np.log2(p)).sum()), float((p * p).sum())]


def ibsi_glcm_features(p, grey):
    """IBSI GLCM features of one normalised symmetric matrix p; grey = grey value per level."""
    ng = len(grey)
    gi, gj = np.meshgrid(grey, grey, indexing="ij")
    ii, jj = np.meshgrid(np.arange(ng), np.arange(ng), indexing="ij")
    px = p.sum(axis=1)
    mu = (gi * p).sum()
    var = ((gi - mu) ** 2 * p).sum()
    nz = p > 0
    hxy = -(p[nz] * np.log2(p[nz])).sum()
    k = np.abs(ii - jj)
    pd = np.array([p[k == d].sum() for d in range(ng)])
    s = gi + gj
    sums = np.unique(s)
    ps = np.array([p[s == t].sum() for t in sums])
    da = (np.arange(ng) * pd).sum()
    sa = (sums * ps).sum()
    hx = -(px[px > 0] * np.log2(px[px > 0])).sum()
    pxpy = np.outer(px, px)
    hxy1 = -(p[nz] * np.log2(pxpy[nz])).sum()
    hxy2 = -(pxpy[pxpy > 0] * np.log2(pxpy[pxpy > 0])).sum()
    ent = lambda q: -(q[q > 0] * np.log2(q[q > 0])).sum()
    return {
        "glcm_joint_max": p.max(),
        "glcm_joint_average": mu,
        "glcm_joint_variance": var,
        "glcm_joint_entropy": hxy,
        "glcm_difference_average": da,
        "glcm_difference_variance": ((np.arange(ng) - da) ** 2 * pd).sum(),
        "glcm_difference_entropy": ent(pd),
        "glcm_sum_average": sa,
        "glcm_sum_variance": ((sums - sa) ** 2 * ps).sum(),
        "glcm_sum_entropy": ent(ps),
        "glcm_inverse_difference": (p / (1 + k)).sum(),
        "glcm_normalised_inverse_difference": (p / (1 + k / ng)).sum(),
        "glcm_normalised_inverse_difference_moment": (p / (1 + k ** 2 / ng ** 2)).sum(),
        "glcm_inverse_variance": (p[k > 0] / k[k > 0] ** 2).sum(),
        "glcm_autocorrelation": (gi * gj * p).sum(),
        "glcm_cluster_tendency": ((gi + gj - 2 * mu) ** 2 * p).sum(),
        "glcm_cluster_shade": ((gi + gj - 2 * mu) ** 3 * p).sum(),
        "glcm_cluster_prominence": ((gi + gj - 2 * mu) ** 4 * p).sum(),
        # Conventions where IBSI's formulas divide by zero (flat ROI): see glcm.rs.
        "glcm_information_correlation_1": (hxy - hxy1) / hx if hx > 0 else 0.0,
        "glcm_information_correlation_2": np.sqrt(max(0.0, 1 - np.exp(-2 * (hxy2 - hxy)))),
        # Filled below from scikit-image (no mask) or from these definitions (mask).
        "glcm_angular_second_moment": (p * p).sum(),
        "glcm_contrast": (k ** 2 * p).sum(),
        "glcm_dissimilarity": (k * p).sum(),
        "glcm_inverse_difference_moment": (p / (1 + k ** 2)).sum(),
        "glcm_correlation": ((gi - mu) * (gj - mu) * p).sum() / var if var > 0 else 1.0,
    }


GLCM_NAMES = [
    "glcm_joint_max", "glcm_joint_average", "glcm_joint_variance", "glcm_joint_entropy",
    "glcm_difference_average", "glcm_difference_variance", "glcm_difference_entropy",
    "glcm_sum_average", "glcm_sum_variance", "glcm_sum_entropy", "glcm_angular_second_moment",
    "glcm_contrast", "glcm_dissimilarity", "glcm_inverse_difference",
    "glcm_normalised_inverse_difference", "glcm_inverse_difference_moment",
    "glcm_normalised_inverse_difference_moment", "glcm_inverse_variance", "glcm_correlation",
    "glcm_autocorrelation", "glcm_cluster_tendency", "glcm_cluster_shade",
    "glcm_cluster_prominence", "glcm_information_correlation_1", "glcm_information_correlation_2",
]
SKIMAGE_PROPS = {
    "glcm_angular_second_moment": "ASM", "glcm_contrast": "contrast",
    "glcm_dissimilarity": "dissimilarity", "glcm_inverse_difference_moment": "homogeneity",
    "glcm_correlation": "correlation",
}


def masked_matrices(levels, inside, ng):
    """Symmetric GLCM counts of one slice per angle, pairs with both voxels inside."""
    out = []
    rows, cols = levels.shape
    for dr, dc in [(0, 1), (-1, 1), (-1, 0), (-1, -1)]:
        m = np.zeros((ng, ng))
        for r in range(rows):
            for c in range(cols):
                r2, c2 = r + dr, c + dc
                if 0 <= r2 < rows and 0 <= c2 < cols and inside[r, c] and inside[r2, c2]:
                    m[levels[r, c], levels[r2, c2]] += 1
                    m[levels[r2, c2], levels[r, c]] += 1
        out.append(m)
    return out


def glcm(values, mask, kind, param):
    vol = values.astype(np.float64)
    if vol.ndim == 2:
        vol = vol[None]
        mask = None if mask is None else mask[None]
    inside = np.ones(vol.shape, bool) if mask is None else mask
    idx, ng, g0 = grey_levels(vol[inside], kind, param)
    levels = np.zeros(vol.shape, np.int64)
    levels[inside] = idx
    grey = g0 + np.arange(ng, dtype=np.float64)
    per_matrix = []
    for z in range(vol.shape[0]):
        if mask is None:
            P = graycomatrix(levels[z].astype(np.uint16), distances=[1], angles=ANGLES,
                             levels=ng, symmetric=True, normed=True)
            props = {name: graycoprops(P, prop)[0] for name, prop in SKIMAGE_PROPS.items()}
            for a in range(len(ANGLES)):
                f = ibsi_glcm_features(P[:, :, 0, a], grey)
                f.update({name: props[name][a] for name in SKIMAGE_PROPS})
                per_matrix.append(f)
        else:
            for m in masked_matrices(levels[z], inside[z], ng):
                if m.sum() > 0:
                    per_matrix.append(ibsi_glcm_features(m / m.sum(), grey))
    return [float(np.mean([f[name] for f in per_matrix])) for name in GLCM_NAMES]


def ct_hu():
    ds = pydicom.dcmread(os.path.join(ROOT, "fixtures", "ct_slice.dcm"))
    slope = float(getattr(ds, "RescaleSlope", 1.0))
    intercept = float(getattr(ds, "RescaleIntercept", 0.0))
    return (ds.pixel_array.astype(np.float64) * slope + intercept).astype(np.float32)


def main(out):
    rng = np.random.default_rng(20240611)
    hu = ct_hu()
    window = np.clip((hu - (40 - 200)) / 400, 0, 1).astype(np.float32)
    yy, xx = np.mgrid[: hu.shape[0], : hu.shape[1]]
    disc = (yy - hu.shape[0] / 2) ** 2 + (xx - hu.shape[1] / 2) ** 2 < (0.35 * hu.shape[0]) ** 2
    # Exactly zero mean: dyadic values in +/- pairs sum exactly in any order.
    dyadic = rng.integers(-200, 200, size=300).astype(np.float32) / 8
    zero_mean = np.concatenate([dyadic, -dyadic]).reshape(20, 30)
    edges = np.tile((np.arange(65) / 64).astype(np.float32), 3).reshape(3, 65)
    integers = rng.integers(-3, 20, size=(50, 40)).astype(np.float32)
    volume = rng.normal(100, 30, size=(5, 20, 30)).astype(np.float32)
    normal = rng.normal(40, 200, size=(100, 80)).astype(np.float32)
    uniform = rng.random((64, 64), dtype=np.float32)

    cases = [
        # name, values, mask, histogram discretisations, glcm discretisation or None
        ("uniform", uniform, None, [("bins", 64), ("bins", 7), ("width", 0.013)], ("bins", 16)),
        ("uniform_masked", uniform, rng.random(uniform.shape) < 0.3,
         [("bins", 64), ("width", 0.05)], ("bins", 8)),
        ("normal", normal, None, [("bins", 64), ("width", 25.0)], ("width", 60.0)),
        ("normal_float_zero_mean", normal - normal.mean(dtype=np.float64).astype(np.float32),
         None, [("bins", 64)], None),
        ("zero_mean", zero_mean, None, [("bins", 64)], ("bins", 5)),
        ("constant", np.full((10, 10), 3.25, np.float32), None, [("bins", 64), ("width", 1.0)],
         ("bins", 8)),
        ("tiny", np.array([[7.5]], np.float32), None, [("bins", 64)], None),
        ("two_by_three", np.array([[1, 4, 2], [8, 5, 7]], np.float32), None,
         [("bins", 64), ("bins", 3)], ("bins", 3)),
        ("bin_edges", edges, None, [("bins", 64), ("bins", 16)], ("bins", 64)),
        ("integers", integers, None, [("none", 0), ("bins", 64), ("width", 2.0)], ("none", 0)),
        ("integers_masked", integers, rng.random(integers.shape) < 0.6, [("none", 0)], ("none", 0)),
        ("volume", volume, None, [("bins", 64)], ("bins", 8)),
        ("volume_masked", volume, rng.random(volume.shape) < 0.7, [("bins", 64)], ("bins", 8)),
        ("ct_hu", hu, None, [("bins", 64), ("width", 25.0)], ("bins", 32)),
        ("ct_window", window, None, [("bins", 64)], ("bins", 64)),
        ("ct_window_disc", window, disc, [("bins", 64), ("width", 0.02)], ("bins", 32)),
    ]
    manifest = []
    for name, values, mask, hists, glcm_disc in cases:
        np.save(os.path.join(out, f"{name}_values.npy"), values)
        if mask is not None:
            np.save(os.path.join(out, f"{name}_mask.npy"), mask)
        v = values.astype(np.float64)[mask if mask is not None else np.ones(values.shape, bool)]
        np.save(os.path.join(out, f"{name}_first_order.npy"), np.array(first_order(v)))
        np.save(os.path.join(out, f"{name}_percentiles.npy"), np.percentile(v, PERCENTILES))
        entry = {"name": name, "mask": mask is not None, "histograms": [], "glcm": None}
        for kind, param in hists:
            key = f"{name}_hist_{kind}_{param}"
            np.save(os.path.join(out, key + ".npy"), np.array(histogram(v, kind, param)))
            entry["histograms"].append({"kind": kind, "param": param, "file": key + ".npy"})
        if glcm_disc is not None:
            kind, param = glcm_disc
            key = f"{name}_glcm_{kind}_{param}"
            np.save(os.path.join(out, key + ".npy"), np.array(glcm(values, mask, kind, param)))
            entry["glcm"] = {"kind": kind, "param": param, "file": key + ".npy"}
        manifest.append(entry)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"percentiles": PERCENTILES, "cases": manifest}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
