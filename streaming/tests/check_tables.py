"""Reads the Parquet tables of `medprep run` with pyarrow and DuckDB (independent readers).

Usage: check_tables.py OUT_DIR SCANS FRAMES FEATURE_COLUMNS
Checks that both libraries see the expected row counts, the column types medprep
promises (scan_date is a DATE), one features row per frame of every scan, and that
the two tables join on sop_instance_uid. Exits non-zero with a message otherwise.
"""

import datetime
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def check(condition, message):
    if not condition:
        sys.exit(f"check_tables.py: {message}")


def main():
    out, scans_rows, frames, feature_columns = sys.argv[1], *map(int, sys.argv[2:5])
    scans = pq.read_table(f"{out}/scans.parquet")
    features = pq.read_table(f"{out}/features.parquet")

    check(scans.num_rows == scans_rows, f"pyarrow: scans has {scans.num_rows} rows, expected {scans_rows}")
    check(features.num_rows == frames, f"pyarrow: features has {features.num_rows} rows, expected {frames}")
    check(scans.schema.field("scan_date").type == pa.date32(), f"scan_date is {scans.schema.field('scan_date').type}")
    check(scans.schema.field("rows").type == pa.int32(), "rows is not int32")
    check(scans.schema.field("pixel_spacing_row").type == pa.float64(), "pixel_spacing_row is not float64")
    check(features.schema.names[:4] == ["sop_instance_uid", "patient_id", "image_path", "frame"],
          f"features key columns are {features.schema.names[:4]}")
    check(len(features.schema.names) == 4 + feature_columns,
          f"features has {len(features.schema.names)} columns, expected {4 + feature_columns}")
    check(all(t == pa.float64() for t in features.schema.types[4:]), "a feature column is not float64")
    # The fixtures are all dated 2024-01-02.
    dates = scans.column("scan_date").to_pylist()
    check(all(d == datetime.date(2024, 1, 2) for d in dates), f"scan dates {dates}")

    con = duckdb.connect()
    n_scans = con.execute(f"SELECT count(*) FROM read_parquet('{out}/scans.parquet')").fetchone()[0]
    n_features = con.execute(f"SELECT count(*) FROM read_parquet('{out}/features.parquet')").fetchone()[0]
    check((n_scans, n_features) == (scans_rows, frames), f"duckdb counts {n_scans}, {n_features}")
    kind = con.execute(
        f"SELECT typeof(scan_date) FROM read_parquet('{out}/scans.parquet') LIMIT 1").fetchone()[0]
    check(kind == "DATE", f"duckdb sees scan_date as {kind}")
    # Every scan has exactly `frames` feature rows, and the join loses nothing.
    mismatched = con.execute(f"""
        SELECT count(*) FROM read_parquet('{out}/scans.parquet') s
        LEFT JOIN (SELECT sop_instance_uid, count(*) AS n
                   FROM read_parquet('{out}/features.parquet') GROUP BY 1) f
        USING (sop_instance_uid)
        WHERE f.n IS DISTINCT FROM s.frames""").fetchone()[0]
    check(mismatched == 0, f"{mismatched} scans whose feature rows do not match their frame count")
    print(f"check_tables.py: ok ({scans_rows} scans, {frames} frames, {feature_columns} features)")


if __name__ == "__main__":
    main()
