"""Spark SQL with Hive support over both outputs: the Parquet tables of `medprep run`
(declared by its tables.sql, and by `medprep tables-sql` for the cluster layout) and a
text table over mapper output (declared by `preprocess_image --hive-ddl`), and the mapper
inside a query (Hive `TRANSFORM`)."""

import datetime
import re
import shlex
import shutil
import subprocess

import pytest

DATE = datetime.date(2024, 1, 2)  # every fixture and synthetic slice is dated 2024-01-02


def statements(sql: str) -> list[str]:
    """The statements of a SQL script, without `--` comment lines and `;`."""
    text = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


@pytest.fixture(scope="module")
def tables(spark, corpus, reference, mapper_bin, tmp_path_factory):
    """Creates `scans` and `features` from tables.sql and `mapper_rows` over the mapper's
    output saved by Spark as text (part files in one folder)."""
    spark.sql("CREATE DATABASE IF NOT EXISTS medprep_test")
    spark.sql("USE medprep_test")
    for statement in statements((reference.out / "tables.sql").read_text()):
        spark.sql(statement)

    base = tmp_path_factory.mktemp("mapper-table")
    pathlist = corpus.write_pathlist(base / "paths.txt")
    location = base / "rows"
    records = spark.sparkContext.textFile(str(pathlist), 2)
    records.pipe(shlex.quote(str(mapper_bin)), checkCode=True).saveAsTextFile(str(location))
    ddl = subprocess.run([str(mapper_bin), "--hive-ddl", "mapper_rows", str(location)],
                         capture_output=True, text=True, check=True).stdout
    for statement in statements(ddl):
        spark.sql(statement)
    yield
    spark.sql("USE default")
    spark.sql("DROP DATABASE medprep_test CASCADE")


def test_row_counts(spark, tables, corpus, reference):
    count = lambda sql: spark.sql(sql).collect()[0][0]
    assert count("SELECT count(*) FROM scans") == reference.scans.num_rows == len(corpus.good)
    assert count("SELECT count(*) FROM features") == reference.features.num_rows
    assert count("SELECT count(*) FROM mapper_rows WHERE status = 'ok'") == reference.features.num_rows
    assert count("SELECT count(*) FROM mapper_rows WHERE status = 'error'") == 2


def test_mapper_and_features_tables_agree(spark, tables, reference):
    from pyspark.sql.types import DoubleType

    rows = spark.sql("""
        SELECT m.image_path, m.frame, m.original_mean AS mapper, f.original_mean AS features
        FROM mapper_rows m JOIN features f
          ON m.sop_instance_uid = f.sop_instance_uid AND m.frame = f.frame""")
    assert rows.schema["mapper"].dataType == DoubleType()
    got = rows.collect()
    assert len(got) == reference.features.num_rows
    expected = {k: r["original_mean"] for k, r in reference.feature_rows().items()}
    for r in got:
        assert r.mapper == r.features == expected[(r.image_path, r.frame)], r


def test_features_join_scans_with_a_date(spark, tables, reference):
    from pyspark.sql.types import DateType

    rows = spark.sql("""
        SELECT f.image_path, f.frame, s.scan_date, s.modality
        FROM features f JOIN scans s ON f.sop_instance_uid = s.sop_instance_uid""")
    assert rows.schema["scan_date"].dataType == DateType()
    got = rows.collect()
    assert len(got) == reference.features.num_rows
    assert {(r.scan_date, r.modality) for r in got} == {(DATE, "CT")}
    # The mapper's text table parses its dates the same way.
    same = spark.sql("""
        SELECT count(*) FROM mapper_rows m JOIN scans s ON m.sop_instance_uid = s.sop_instance_uid
        WHERE m.scan_date = s.scan_date AND m.frame = 0""").collect()[0][0]
    assert same == reference.scans.num_rows


def test_hive_ddl_names_the_schema_columns(mapper_bin):
    ddl = subprocess.run([str(mapper_bin), "--hive-ddl", "t", "/data/t"], capture_output=True,
                         text=True, check=True).stdout
    schema = subprocess.run([str(mapper_bin), "--schema"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert re.findall(r"^\s*`([^`]+)`", ddl, re.MULTILINE) == schema
    assert "FIELDS TERMINATED BY '\\t'" in ddl and "STORED AS TEXTFILE" in ddl


def test_tables_sql_over_copied_run_files(spark, reference, medprep_bin, tmp_path):
    # The cluster layout `medprep tables-sql` declares: one folder per table under
    # --location, each run's Parquet files copied in.
    base = tmp_path / "features"
    for table, name in (("mri_scans", "scans"), ("image_features", "features")):
        (base / table).mkdir(parents=True)
        shutil.copyfile(reference.out / f"{name}.parquet", base / table / "run1.parquet")
    ddl = subprocess.run([str(medprep_bin), "tables-sql", "--location", str(base),
                          "--scans-table", "cluster.mri_scans",
                          "--features-table", "cluster.image_features"],
                         capture_output=True, text=True, check=True).stdout
    spark.sql("CREATE DATABASE cluster")
    try:
        for statement in statements(ddl):
            spark.sql(statement)
        count = lambda sql: spark.sql(sql).collect()[0][0]
        assert count("SELECT count(*) FROM cluster.mri_scans") == reference.scans.num_rows
        assert count("SELECT count(*) FROM cluster.image_features") == reference.features.num_rows
        joined = spark.sql("""
            SELECT f.image_path, f.frame, f.original_mean, s.scan_date
            FROM cluster.image_features f JOIN cluster.mri_scans s USING (sop_instance_uid)""")
        expected = {k: r["original_mean"] for k, r in reference.feature_rows().items()}
        got = {(r.image_path, r.frame): (r.original_mean, r.scan_date) for r in joined.collect()}
        assert got == {k: (v, DATE) for k, v in expected.items()}
    finally:
        spark.sql("DROP DATABASE cluster CASCADE")


def test_transform_runs_the_mapper_inside_a_query(spark, tables, reference, mapper_bin):
    # Hive's TRANSFORM, as docs/hadoop.md shows it: rows of the scans table go to the
    # mapper as KEY<TAB>PATH records, its rows come back typed by the --hive-ddl types.
    command = f"{shlex.quote(str(mapper_bin))} --key-columns patient_id_in --jobs 1"
    ddl = subprocess.run([*shlex.split(command), "--hive-ddl", "t", "/t"],
                         capture_output=True, text=True, check=True).stdout
    columns = re.findall(r"^\s*(`[^`]+` [A-Z]+),?$", ddl, re.MULTILINE)
    assert columns[0] == "`patient_id_in` STRING"
    rows = spark.sql(f"""
        SELECT TRANSFORM(patient_id, image_path) USING '{command}'
          AS ({", ".join(columns)})
        FROM scans""")
    assert rows.schema["scan_date"].dataType.typeName() == "date"
    got = rows.collect()
    assert {r.status for r in got} == {"ok"}
    assert all(r.patient_id_in == r.patient_id for r in got)
    expected = {k: r["original_mean"] for k, r in reference.feature_rows().items()}
    assert {(r.image_path, r.frame): r.original_mean for r in got} == expected
    assert {r.scan_date for r in got} == {DATE}
