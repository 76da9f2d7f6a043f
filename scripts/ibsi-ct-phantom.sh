#!/usr/bin/env bash
# Runs the IBSI-1 presets on the IBSI CT radiomics phantom and writes docs/ibsi.md: every
# reference value of configurations A, B and C (intensity-based statistics, intensity
# histogram, GLCM), medprep's value, the tolerance, pass or fail. Ends with the line
# "N passed, M failed" and exits 1 when any value fails.
#
#   scripts/ibsi-ct-phantom.sh DATA_DIR
#
# DATA_DIR is laid out as the IBSI publishes its data sets: ibsi1_ct_phantom/dicom/
# (the 60-slice series "PAT1" and its RTSTRUCT) and ibsi1_reference_values/
# ibsi1_reference_values.csv (the IBSI-1 manual's reference table). The phantom is
# licensed CC BY-NC 3.0, so medprep does not ship it: download it from the IBSI
# (theibsi/data_sets, ibsi_1_ct_radiomics_phantom) and point DATA_DIR at it.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 DATA_DIR  (laid out like the IBSI data sets; see the comment at the top)" >&2
  exit 2
fi
data="$(cd "$1" && pwd)"
cd "$(dirname "$0")/.."
for needed in ibsi1_ct_phantom/dicom ibsi1_reference_values/ibsi1_reference_values.csv; do
  if [ ! -e "$data/$needed" ]; then
    echo "ibsi-ct-phantom: $data/$needed is missing" >&2
    exit 2
  fi
done

cargo build --release --bin medprep --locked
py="$(scripts/python-env.sh | tail -1)"
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
for config in a b c; do
  target/release/medprep run --recipe "ibsi-ct-$config" --quiet \
    --out "$results/$config" "$data/ibsi1_ct_phantom/dicom"
done
"$py" scripts/ibsi_ct_phantom.py "$data" "$results" docs/ibsi.md
