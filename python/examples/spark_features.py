"""Features of every DICOM file under a folder with Spark: `binaryFile` rows, `mapInArrow`,
`medprep.Pipeline`.

    python python/examples/spark_features.py INPUT [--out OUT] [--recipe ct-standard]
    spark-submit python/examples/spark_features.py INPUT --out OUT

Spark reads the files as `binaryFile` rows (path, modificationTime, length, content); each
Python worker hands a batch of file contents to `medprep.Pipeline.run` and yields Arrow
record batches. The rows have the columns of `medprep run`'s features.parquet (one row
per frame; `image_path` is the file's URI as Spark names it) followed by `error_kind`
and `error`, which are null for images that worked. A file that fails (not DICOM,
unsupported, ...) gives one row with null features and its error.

Without --out, a summary is printed; with it, the rows are written as Parquet. Every
worker needs medprep, pyarrow and pandas (PySpark's mapInArrow imports pandas) in the
Python that Spark runs (PYSPARK_PYTHON).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Iterator, Optional, Union

import pyarrow as pa

import medprep

KEY_COLUMNS = [("sop_instance_uid", pa.string()), ("patient_id", pa.string()),
               ("image_path", pa.string()), ("frame", pa.int32())]
ERROR_COLUMNS = [("error_kind", pa.string()), ("error", pa.string())]
# A batch of binaryFile rows is a batch of whole files in memory: keep it small.
RECORDS_PER_BATCH = 16

Recipe = Union[str, dict]


def arrow_schema(recipe: Recipe = "ct-standard") -> pa.Schema:
    """The schema of the rows: features.parquet's columns, then the error columns."""
    names = medprep.Pipeline(recipe).feature_names
    return pa.schema(KEY_COLUMNS + [(n, pa.float64()) for n in names] + ERROR_COLUMNS)


def spark_schema(recipe: Recipe = "ct-standard"):
    """`arrow_schema` as a Spark StructType (every column nullable)."""
    from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType

    spark_type = {pa.string(): StringType(), pa.int32(): IntegerType(), pa.float64(): DoubleType()}
    return StructType([StructField(f.name, spark_type[f.type], True) for f in arrow_schema(recipe)])


def features_function(recipe: Recipe = "ct-standard", jobs: Optional[int] = None
                      ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function for `df.mapInArrow` over binaryFile rows (it needs `path` and
    `content`). It builds the pipeline in the worker (pipelines are not picklable) and
    runs it with `jobs` threads (default: all cores)."""

    def features(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        pipeline = medprep.Pipeline(recipe)
        schema = arrow_schema(recipe)
        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = batch.column("content").to_pylist()
            yield _rows(pipeline, schema, paths, contents, jobs)

    return features


def _rows(pipeline, schema: pa.Schema, paths: list, contents: list, jobs) -> pa.RecordBatch:
    table = pipeline.run(contents, jobs=jobs, errors="skip")
    # Bytes inputs are named "<bytes #i>": i is the position in this batch.
    index = [int(name[len("<bytes #"):-1]) for name in table.column("image_path").to_pylist()]
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    columns["image_path"] = [paths[i] for i in index]
    columns["error_kind"] = [None] * table.num_rows
    columns["error"] = [None] * table.num_rows
    for failure in pipeline.errors:
        index.append(failure.index)
        for name in schema.names:
            columns[name].append(None)
        columns["image_path"][-1] = paths[failure.index]
        columns["error_kind"][-1] = failure.kind
        columns["error"][-1] = failure.message.replace(failure.image_path, paths[failure.index])
    # Input order: a file's frames together, failed files in their place.
    order = sorted(range(len(index)), key=lambda r: (index[r], columns["frame"][r] or 0))
    return pa.RecordBatch.from_pydict(
        {name: [columns[name][r] for r in order] for name in schema.names}, schema=schema)


def features(df, recipe: Recipe = "ct-standard", jobs: Optional[int] = None):
    """The feature rows of a binaryFile DataFrame (see the module docstring)."""
    return df.select("path", "content").mapInArrow(features_function(recipe, jobs),
                                                    spark_schema(recipe))


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="folder searched recursively (every file is read)")
    parser.add_argument("--out", help="write the rows here as Parquet (default: print a summary)")
    parser.add_argument("--recipe", default="ct-standard", help="preset name or recipe file")
    parser.add_argument("--jobs", type=int, help="threads per Spark task [default: all cores]")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession

    # Reuse a running session (spark-submit, a notebook); stop only one started here.
    spark = SparkSession.getActiveSession()
    started = spark is None
    if started:
        spark = SparkSession.builder.appName("medprep-features").getOrCreate()
    try:
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(RECORDS_PER_BATCH))
        files = (spark.read.format("binaryFile")
                 .option("recursiveFileLookup", "true")
                 .load(args.input))
        rows = features(files, args.recipe, args.jobs)
        if args.out:
            rows.write.mode("overwrite").parquet(args.out)
            rows = spark.read.parquet(args.out)
        counts = rows.groupBy((rows.error.isNull()).alias("ok")).count().collect()
        ok = sum(r["count"] for r in counts if r["ok"])
        failed = sum(r["count"] for r in counts if not r["ok"])
        print(f"spark_features: {ok} feature rows, {failed} failed files"
              + (f"; written to {args.out}" if args.out else ""))
        if failed:
            for r in rows.filter(rows.error.isNotNull()).select("error").collect():
                print(f"  {r.error}")
    finally:
        if started:
            spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
