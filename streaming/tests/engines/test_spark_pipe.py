"""The mapper under Spark's RDD `pipe`, as Hadoop Streaming runs it: each partition's
lines go to one mapper process on stdin, its stdout lines are the partition's output."""

import shlex

from support import MISSING_KIND, NOT_DICOM_KIND, check_rows, mapper_schema, parse_rows


def test_pipe_over_a_path_list(spark, corpus, reference, mapper_bin, tmp_path):
    pathlist = corpus.write_pathlist(tmp_path / "paths.txt")
    records = spark.sparkContext.textFile(str(pathlist), minPartitions=2)
    assert records.getNumPartitions() == 2  # the order check spans partitions
    command = shlex.join([str(mapper_bin), "--recipe", "ct-standard"])
    lines = records.pipe(command, checkCode=True).collect()
    rows = parse_rows(lines, mapper_schema(mapper_bin))
    check_rows(rows, corpus.records, reference,
               {str(corpus.not_dicom): NOT_DICOM_KIND, str(corpus.missing): MISSING_KIND})


def test_key_columns_pass_through(spark, corpus, reference, mapper_bin):
    # KEY<TAB>PATH records, as NLineInputFormat hands them over (byte offset, line).
    keyed = [f"{i}\t{record}" for i, record in enumerate(corpus.records)]
    command = shlex.join([str(mapper_bin), "--key-columns", "record_no"])
    lines = spark.sparkContext.parallelize(keyed, 2).pipe(command, checkCode=True).collect()
    schema = mapper_schema(mapper_bin, "--key-columns", "record_no")
    assert schema[0] == "record_no"
    rows = parse_rows(lines, schema)
    check_rows(rows, corpus.records, reference,
               {str(corpus.not_dicom): NOT_DICOM_KIND, str(corpus.missing): MISSING_KIND})
    expected_keys = [str(i) for i, record in enumerate(corpus.records)
                     for _ in range(max(reference.frames(record), 1))]
    assert [r["record_no"] for r in rows] == expected_keys
