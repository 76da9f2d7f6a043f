"""Reads the records of `medprep pack` with Python's standard library (an independent reader).

Usage: check_records.py FORMAT RECORDS_FILE COUNT
FORMAT is `base64` (lines `PATH<TAB>base64:DATA`, decoded with the `base64` module in
strict mode) or `typedbytes` (pairs parsed with `struct` from the published format:
code 7, big-endian signed 32-bit length, UTF-8 path; code 0, length, file bytes).
Checks that there are COUNT records and that each one holds exactly the bytes of the
file its key names. Exits non-zero with a message otherwise.
"""

import base64
import binascii
import struct
import sys


def check(condition, message):
    if not condition:
        sys.exit(f"check_records.py: {message}")


def base64_records(data):
    lines = data.split(b"\n")
    check(lines[-1] == b"", "the last record does not end with a newline")
    for line in lines[:-1]:
        key, sep, value = line.partition(b"\t")
        check(sep == b"\t" and value.startswith(b"base64:"), f"not a base64 record: {line[:80]!r}")
        try:
            content = base64.b64decode(value[len(b"base64:"):], validate=True)
        except binascii.Error as error:
            sys.exit(f"check_records.py: {key!r}: {error}")
        yield key.decode("utf-8"), content


def typedbytes_records(data):
    at = 0

    def sized(code):
        nonlocal at
        check(data[at] == code, f"type code {data[at]} at byte {at}, expected {code}")
        (length,) = struct.unpack_from(">i", data, at + 1)
        check(0 <= length <= len(data) - at - 5, f"bad length {length} at byte {at + 1}")
        value = data[at + 5 : at + 5 + length]
        at += 5 + length
        return value

    while at < len(data):
        key = sized(7).decode("utf-8")
        yield key, sized(0)


def main():
    fmt, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path, "rb") as f:
        data = f.read()
    records = list(base64_records(data) if fmt == "base64" else typedbytes_records(data))
    check(len(records) == count, f"{len(records)} records, expected {count}")
    for key, content in records:
        with open(key, "rb") as f:
            check(f.read() == content, f"{key}: the record does not hold the file's bytes")
    print(f"check_records.py: {len(records)} {fmt} records hold their files' bytes")


main()
