#!/usr/bin/env bash
# Fills corpus/<target>/ with seed inputs: the DICOM fixtures and pydicom's small test
# images, the preset recipes (as TOML and as JSON), and generated typed bytes streams and
# record lines.
# Usage: fuzz/seed.sh   (from anywhere; needs python3, and makes the test virtualenv of
# scripts/python-env.sh for pydicom's files)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="$here/corpus"
mkdir -p "$corpus"/{decode,typedbytes,records,recipe,pipeline}

cp "$root"/fixtures/*.dcm "$corpus/decode/"

# The fixtures hold no JPEG baseline, JPEG lossless, JPEG 2000 or deflated image and no
# Modality LUT Sequence; the test files of pydicom and pydicom-data do. Those with Pixel
# Data up to 64 KiB join the decode seeds as pydicom-NAME (larger inputs slow every
# execution). Larger native ones join cut to their first 2 frames of 16 x 16 pixels, so
# their headers (LUTs, functional groups, colour models) are seeds too.
py="$("$root/scripts/python-env.sh" | tail -1)"
"$py" - "$corpus/decode" <<'PY'
import pathlib, shutil, sys, warnings
import data_store, pydicom

SMALL = 65536
out = pathlib.Path(sys.argv[1])
folders = [pathlib.Path(pydicom.__file__).parent / "data" / "test_files",
           pathlib.Path(data_store.__file__).parent / "data"]
warnings.simplefilter("ignore")


def cut(ds):
    """ds with its native pixels cut to at most 2 frames of 16 x 16."""
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    pixels = ds.pixel_array
    if frames == 1:
        pixels = pixels[None]
    pixels = pixels[:2, :16, :16]
    if ds.get("PlanarConfiguration") == 1:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = len(pixels)
    ds.Rows, ds.Columns = pixels.shape[1:3]
    ds.PixelData = pixels.tobytes()
    return ds


for path in sorted(p for folder in folders for p in folder.rglob("*") if p.is_file()):
    try:
        ds = pydicom.dcmread(path)
        if "PixelData" not in ds:
            continue
        if path.stat().st_size <= SMALL:
            shutil.copyfile(path, out / f"pydicom-{path.name}")
        elif not ds.file_meta.TransferSyntaxUID.is_compressed and ds.BitsAllocated >= 8:
            seed = out / f"pydicom-cut-{path.name}"
            cut(ds).save_as(seed)
            if seed.stat().st_size > SMALL:
                seed.unlink()
    except Exception:
        continue

# mlut_18 is their one Modality LUT Sequence (SS descriptor, US entries, signed pixels).
# Variants of its cut seed reach the other branches of the table's reading: OW and SS
# entries, a US or text descriptor, 65536 entries, an 8-bit table, a missing or short
# table, unsigned pixels and implicit VR.
from pydicom.dataelem import DataElement
from pydicom.uid import ImplicitVRLittleEndian
lut_seed = out / "pydicom-cut-mlut_18.dcm"
if lut_seed.exists():
    def descriptor(item, vr, value): item["LUTDescriptor"] = DataElement(0x00283002, vr, value)
    def entries(item, vr, value): item["LUTData"] = DataElement(0x00283006, vr, value)
    def ow(item): entries(item, "OW", b"".join(v.to_bytes(2, "little") for v in item.LUTData))
    def ss(item): entries(item, "SS", [v - 65536 if v > 32767 else v for v in item.LUTData])
    def unsigned(ds, item): ds.PixelRepresentation = 0; descriptor(item, "US", [4096, 0, 16])
    variants = {
        "ow_entries": lambda ds, item: ow(item),
        "ss_entries": lambda ds, item: ss(item),
        "us_descriptor": lambda ds, item: descriptor(item, "US", [4096, 63488, 16]),
        "text_descriptor": lambda ds, item: descriptor(item, "IS", ["4096", "-2048", "16"]),
        "65536_entries": lambda ds, item: descriptor(item, "SS", [0, -2048, 16]),
        "two_values": lambda ds, item: descriptor(item, "SS", [4096, -2048]),
        "8_bit": lambda ds, item: (descriptor(item, "SS", [256, -128, 8]),
                                   entries(item, "US", list(range(256)))),
        "no_entries": lambda ds, item: item.pop("LUTData"),
        "unsigned": unsigned,
        "implicit": lambda ds, item: setattr(ds.file_meta, "TransferSyntaxUID",
                                             ImplicitVRLittleEndian),
    }
    for name, edit in variants.items():
        ds = pydicom.dcmread(lut_seed)
        edit(ds, ds.ModalityLUTSequence[0])
        implicit = ds.file_meta.TransferSyntaxUID.is_implicit_VR
        seed = out / f"pydicom-cut-mlut_18-{name}.dcm"
        ds.save_as(seed, implicit_vr=implicit, little_endian=True)
PY

python3 - "$root" "$corpus" <<'PY'
import base64, json, pathlib, struct, sys, tomllib

root, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

# Recipes: every preset, as written and converted to JSON.
for preset in sorted((root / "core/src/recipe/presets").glob("*.toml")):
    text = preset.read_text()
    (corpus / "recipe" / preset.name).write_text(text)
    as_json = json.dumps(tomllib.loads(text), indent=1)
    (corpus / "recipe" / (preset.stem + ".json")).write_text(as_json)

# Typed bytes (big-endian; see streaming/src/typedbytes.rs for the codes).
def tb_bytes(b, code=0): return struct.pack(">Bi", code, len(b)) + b
def tb_str(s): return struct.pack(">Bi", 7, len(s.encode())) + s.encode()
def tb_vector(items): return struct.pack(">Bi", 8, len(items)) + b"".join(items)
def tb_list(items): return b"\x09" + b"".join(items) + b"\xff"
def tb_map(pairs): return struct.pack(">Bi", 10, len(pairs)) + b"".join(k + v for k, v in pairs)
scalars = [b"\x01\x7f", b"\x02\x01", struct.pack(">Bi", 3, -7), struct.pack(">Bq", 4, 1 << 40),
           struct.pack(">Bf", 5, 0.5), struct.pack(">Bd", 6, -2.25)]
small_dcm = (root / "fixtures/mono1_xray.dcm").read_bytes()
seeds = {
    "path_pair": tb_str("p1") + tb_str("/data/a.dcm"),
    "dicom_pair": tb_str("SYNTH0001") + tb_bytes(small_dcm),
    "scalars": b"".join(s + tb_str("x") for s in scalars),
    "containers": tb_vector([tb_str("p1"), scalars[3]]) + tb_bytes(b"\x00\x01")
                  + tb_list(scalars) + tb_map([(tb_str("k"), tb_list([]))])
                  + tb_bytes(b"app", 77) + tb_str("v"),
    "nested": tb_list([tb_vector([tb_map([(scalars[0], tb_list([scalars[1]]))])])]) + tb_str("v"),
}
for name, data in seeds.items():
    (corpus / "typedbytes" / name).write_bytes(data)

# Record lines, as Hive, NLineInputFormat and `medprep pack` write them.
b64 = b"base64:" + base64.b64encode(small_dcm[:600])
records = {
    "paths": b"/data/a.dcm\nrelative/b.dcm\r\nfile:///data/a%20b.dcm\nfile:/data/c.dcm\n",
    "keys": b"p1\t2024\t/data/a.dcm\n0\tfile://localhost/x.dcm\n\t/data/a.dcm\n",
    "uris": b"hdfs://nn:8020/raw/a.dcm\nfile://host/a.dcm\ns3a://bucket/k\n%zz%4\n",
    "base64": b"k\t" + b64 + b"\nk\tbase64:AAEC\nk\tbase64:A=B\n\n",
    "long": b"k\t" + b"x" * 400 + b"\nshort\n",
}
for name, data in records.items():
    (corpus / "records" / name).write_bytes(data)

# Pipeline inputs (layout in fuzz_targets/pipeline.rs): each of its 10 recipes (the 6
# presets, then 4 more) on a 32 x 32 CT-like ramp at 0.7 mm with a soft-tissue window,
# and variants in colour, MONOCHROME1, two frames, float pixels, without spacing and at
# extreme spacings.
def pipeline_input(recipe, flags=0, spacing=(0.7, 0.7), window=(40.0, 400.0), size=32):
    header = struct.pack("<BBBB4d", recipe, size - 1, size - 1, flags, *spacing, *window)
    if flags & 32:
        return header + struct.pack(f"<{size * size}f", *(i * 0.37 - 100 for i in range(size * size)))
    return header + struct.pack(f"<{size * size}h", *(i * 3 - 1024 for i in range(size * size)))
pipeline = {f"recipe{i}": pipeline_input(i) for i in range(10)}
pipeline |= {
    "rgb": pipeline_input(0, flags=1), "monochrome1": pipeline_input(4, flags=2),
    "no_spacing": pipeline_input(0, flags=4), "two_frames": pipeline_input(1, flags=8),
    "no_window": pipeline_input(2, flags=16), "float": pipeline_input(3, flags=32),
    "tiny_spacing": pipeline_input(0, spacing=(1e-300, 0.7)),
    "huge_spacing": pipeline_input(5, spacing=(0.7, 1e300)), "one_pixel": pipeline_input(0, size=1),
}
for name, data in pipeline.items():
    (corpus / "pipeline" / name).write_bytes(data)
PY

for target in decode typedbytes records recipe pipeline; do
    echo "$target: $(ls "$corpus/$target" | wc -l) seeds"
done
