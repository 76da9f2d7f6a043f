"""Reference outputs for medprep::cpu::filters.

Independent libraries: scipy.ndimage (gaussian_filter, gaussian_laplace, sobel, correlate,
all mode="reflect"), numpy (hypot, .npy kernel banks) and scikit-image
(filters.gabor_kernel, the Gabor kernels). Inputs are seeded random float32 images
(including images smaller than the kernels) and the CT fixture fixtures/ct_slice.dcm,
read with pydicom, in HU and windowed to [0, 1] (c=40, w=400).

Writes OUTDIR/manifest.json: a list of cases {op, image, params, expected, scale}, where
`scale` bounds the magnitudes inside the computation (max |input| times the sum of the
absolute kernel weights); tests compare |got - expected| against a tolerance times it.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pydicom
import scipy.ndimage as ndi
from skimage.filters import gabor_kernel

out = Path(sys.argv[1])
repo = Path(__file__).resolve().parents[3]
rng = np.random.default_rng(20240611)
cases = []


def save(name, array):
    np.save(out / f"{name}.npy", array)
    return f"{name}.npy"


def case(op, image, params, expected, scale):
    tag = f"{image}_{op}_{len(cases)}"
    cases.append(
        {"op": op, "image": image, "params": params, "expected": save(tag, expected), "scale": float(scale)}
    )


# Images: tiny ones (kernels larger than the image, reflections repeat), odd and
# non-square ones, a smooth one with noise, and the real CT slice.
images = {}
for shape in [(1, 1), (2, 3), (5, 7), (3, 1), (40, 23), (97, 131)]:
    images[f"random{shape[0]}x{shape[1]}"] = (rng.random(shape) * 2000 - 1000).astype(np.float32)
r, c = np.mgrid[0:80, 0:80]
smooth = np.sin(r / 7.0) * np.cos(c / 5.0) * 100 + rng.normal(0, 5, (80, 80))
images["smooth80"] = smooth.astype(np.float32)
ds = pydicom.dcmread(repo / "fixtures" / "ct_slice.dcm")
hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
images["ct_hu"] = hu.astype(np.float32)
lo = 40 - 400 / 2
images["ct_window"] = np.clip((hu - lo) / 400, 0, 1).astype(np.float32)
for name, x in images.items():
    save(f"{name}_input", x)


def impulse_gain(sigma, order):
    """Sum of |weights| of scipy's 1-D Gaussian derivative kernel, from its impulse response."""
    radius = int(4 * sigma + 0.5)
    delta = np.zeros(4 * radius + 3)
    delta[2 * radius + 1] = 1
    return np.abs(ndi.gaussian_filter1d(delta, sigma, order=order, mode="constant")).sum()


kernels = {
    "random3x3": rng.normal(size=(3, 3)).astype(np.float32),
    "random5x5": rng.normal(size=(5, 5)).astype(np.float32),
    "random4x6": rng.normal(size=(4, 6)).astype(np.float32),
    "random1x4": rng.normal(size=(1, 4)).astype(np.float32),
    "separable5x3": np.outer(rng.normal(size=5), rng.normal(size=3)).astype(np.float32),
    "separable4x4": np.outer(rng.normal(size=4), rng.normal(size=4)).astype(np.float32),
    "box3x3": np.full((3, 3), 1 / 9, dtype=np.float32),
}
for name, k in kernels.items():
    save(f"kernel_{name}", k)

gabors = [
    {"sigma": 2.25, "wavelength": 4.0, "orientation": 0.0, "aspect": 1.0, "phase": 0.0},
    {"sigma": 3.0, "wavelength": 6.0, "orientation": math.pi / 4, "aspect": 0.5, "phase": 0.0},
    {"sigma": 1.5, "wavelength": 3.0, "orientation": 2 * math.pi / 3, "aspect": 2.0, "phase": math.pi / 2},
    {"sigma": 4.0, "wavelength": 8.0, "orientation": math.pi / 6, "aspect": 1.0, "phase": 0.3},
]


def skimage_gabor(g):
    """scikit-image's complex kernel in medprep's parameters and scale (peak 1)."""
    sigma_x, sigma_y = g["sigma"], g["sigma"] / g["aspect"]
    k = gabor_kernel(
        1 / g["wavelength"], theta=g["orientation"], sigma_x=sigma_x, sigma_y=sigma_y,
        n_stds=3, offset=g["phase"],
    )
    return k * (2 * np.pi * sigma_x * sigma_y)


for i, g in enumerate(gabors):
    k = skimage_gabor(g)
    save(f"gabor{i}_real", k.real.astype(np.float32))
    save(f"gabor{i}_imag", k.imag.astype(np.float32))

for name, x in images.items():
    peak = float(np.abs(x).max()) or 1.0
    for sigma in [[0.5, 0.5], [1.0, 1.0], [2.0, 2.0], [4.0, 4.0], [1.0, 3.0], [0.0, 2.0]]:
        case("gaussian", name, {"sigma": sigma}, ndi.gaussian_filter(x, sigma, mode="reflect", truncate=4.0), peak)
    for sigma in [0.5, 1.0, 2.0, 4.0]:
        expected = ndi.gaussian_laplace(x, sigma, mode="reflect", truncate=4.0)
        case("laplace", name, {"sigma": sigma}, expected, peak * impulse_gain(sigma, 2))
    sobel = np.hypot(ndi.sobel(x, 0, mode="reflect"), ndi.sobel(x, 1, mode="reflect"))
    case("sobel", name, {}, sobel, peak * 8)
    for kname, k in kernels.items():
        case("correlate", name, {"kernel": kname}, ndi.correlate(x, k, mode="reflect"), peak * np.abs(k).sum())
    if x.size >= 64:
        for i in range(len(gabors)):
            re = np.load(out / f"gabor{i}_real.npy")
            im = np.load(out / f"gabor{i}_imag.npy")
            response = ndi.correlate(x, re, mode="reflect")
            gain = np.abs(re).sum() + np.abs(im).sum()
            case("gabor", name, {"gabor": i}, response, peak * gain)
            magnitude = np.hypot(response, ndi.correlate(x, im, mode="reflect"))
            case("gabor_magnitude", name, {"gabor": i}, magnitude, peak * gain)

# Kernel banks as numpy writes them, and broken ones.
bank = rng.normal(size=(3, 5, 4))
np.save(out / "bank_f64_3d.npy", bank)
save("bank_f64_3d_expected", bank.astype(np.float32))
np.save(out / "bank_f32_2d.npy", bank[0].astype(np.float32))
save("bank_f32_2d_expected", bank[:1].astype(np.float32))
np.save(out / "bank_f32_fortran.npy", np.asfortranarray(bank.astype(np.float32)))
save("bank_f32_fortran_expected", bank.astype(np.float32))
np.save(out / "bank_bad_4d.npy", np.zeros((1, 2, 3, 3), np.float32))
np.save(out / "bank_bad_1d.npy", np.zeros(9, np.float32))
np.save(out / "bank_bad_empty.npy", np.zeros((0, 3, 3), np.float32))
np.save(out / "bank_bad_empty_rows.npy", np.zeros((2, 0, 3), np.float64))
nan = bank.copy()
nan[1, 2, 3] = np.nan
np.save(out / "bank_bad_nan.npy", nan)
inf = bank[0].astype(np.float32)
inf[4, 0] = -np.inf
np.save(out / "bank_bad_inf.npy", inf)
np.save(out / "bank_bad_large.npy", np.zeros((1, 256, 3), np.float32))
np.save(out / "bank_bad_int.npy", np.zeros((3, 3), np.int32))
(out / "bank_bad_garbage.npy").write_bytes(b"not an npy file at all")

(out / "manifest.json").write_text(json.dumps({"cases": cases, "gabors": gabors}, indent=1))
