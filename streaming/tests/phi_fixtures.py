"""Writes DICOM files with known fake PHI, and dumps Parquet tables as text.

Usage:
    phi_fixtures.py make CT_SLICE OUT_DIR
        OUT_DIR/a.dcm and b.dcm: the CT slice with the fake patient below (two SOP
        instances of one series), and cut.dcm: a copy of a.dcm whose pixel data ends
        early, so decoding fails after the header (PHI included) was read.
    phi_fixtures.py pseudonyms KEY_FILE
        The pseudonyms of the fake patient ID and UIDs under the key in KEY_FILE (one
        trailing newline dropped), as JSON, computed with Python's hmac module:
        HMAC-SHA256 of "patient_id:<id>" as hex, of "uid:<uid>" as 2.25.<first 16 bytes>.
    phi_fixtures.py dump FILE.parquet...
        Every value and the key/value metadata of each table, as text on stdout, so the
        test can search decoded (not compressed) contents.

Written with pydicom, independently of medprep; the file names carry no PHI.
"""

import hashlib
import hmac
import json
import sys

import pydicom
import pyarrow.parquet as pq

PHI = {
    "PatientName": "PHI^Jane^Canary",
    "PatientID": "PHI-CANARY-4242",
    "AccessionNumber": "ACC-CANARY-777",
    "InstitutionName": "Canary Creek General Hospital",
    "ReferringPhysicianName": "Dr^Canary^Referrer",
    "PatientBirthDate": "19420424",
    "StudyInstanceUID": "1.2.826.0.1.3680043.9.4242.1",
    "SeriesInstanceUID": "1.2.826.0.1.3680043.9.4242.2",
}
SOP_UIDS = {"a": "1.2.826.0.1.3680043.9.4242.3.1", "b": "1.2.826.0.1.3680043.9.4242.3.2"}


def make(source, out_dir):
    for name, sop in SOP_UIDS.items():
        ds = pydicom.dcmread(source)
        for keyword, value in PHI.items():
            setattr(ds, keyword, value)
        ds.SOPInstanceUID = sop
        ds.file_meta.MediaStorageSOPInstanceUID = sop
        ds.save_as(f"{out_dir}/{name}.dcm", enforce_file_format=True)
    data = open(f"{out_dir}/a.dcm", "rb").read()
    # Keep the header and half of the pixel data (the last element of the file).
    pixels = len(pydicom.dcmread(f"{out_dir}/a.dcm").PixelData)
    open(f"{out_dir}/cut.dcm", "wb").write(data[: len(data) - pixels // 2])


def pseudonyms(key_file):
    key = open(key_file, "rb").read().removesuffix(b"\n")

    def mac(text):
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    def uid(value):
        return "2.25." + str(int.from_bytes(mac("uid:" + value)[:16], "big"))

    print(
        json.dumps(
            {
                "patient_id": mac("patient_id:" + PHI["PatientID"]).hex(),
                "study_instance_uid": uid(PHI["StudyInstanceUID"]),
                "series_instance_uid": uid(PHI["SeriesInstanceUID"]),
                "sop_instance_uids": [uid(v) for v in SOP_UIDS.values()],
            }
        )
    )


def dump(paths):
    for path in paths:
        table = pq.read_table(path)
        print(path)
        print(table.schema.metadata)
        for row in table.to_pylist():
            print(row)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "pseudonyms":
        pseudonyms(sys.argv[2])
    else:
        dump(sys.argv[2:])
