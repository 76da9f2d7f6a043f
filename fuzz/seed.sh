#!/usr/bin/env bash
# Fills corpus/<target>/ with seed inputs: the DICOM fixtures, the preset recipes (as
# TOML and as JSON), and generated typed bytes streams and record lines.
# Usage: fuzz/seed.sh   (from anywhere; needs python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="$here/corpus"
mkdir -p "$corpus"/{decode,typedbytes,records,recipe}

cp "$root"/fixtures/*.dcm "$corpus/decode/"

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
PY

for target in decode typedbytes records recipe; do
    echo "$target: $(ls "$corpus/$target" | wc -l) seeds"
done
