//! Hive DDL for every table: `CREATE EXTERNAL TABLE` over Parquet files (`scans`,
//! `features`) or over the mapper's tab-separated text rows, with one quoting of names
//! and one escaping of the location.

use std::fmt::Write as _;

use anyhow::{bail, Result};

use super::{ColumnType, Spec};

/// The Hive type of a column type.
pub fn hive_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Text => "STRING",
        ColumnType::Int => "INT",
        ColumnType::Double => "DOUBLE",
        ColumnType::Date => "DATE",
    }
}

/// How the files under a table's LOCATION are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Parquet files (`medprep run`'s tables, the mapper's side tables).
    Parquet,
    /// Hive's default text format as the mapper writes it: tab-separated fields, one
    /// row per line, `\N` for null.
    TabSeparated,
}

/// Checks a table name: Hive identifiers, optionally qualified by a database (`db.table`).
pub fn check_table_name(name: &str) -> Result<()> {
    let part_ok =
        |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.split('.').count() > 2 || !name.split('.').all(part_ok) {
        bail!("table name {name:?} must be letters, digits and `_` (optionally `database.table`)");
    }
    Ok(())
}

/// `CREATE EXTERNAL TABLE IF NOT EXISTS name (...) ... LOCATION 'location'`. Column names
/// are quoted with backticks, so any feature name is a valid column; the location is a
/// Hive string literal, its backslashes and quotes escaped.
pub fn create_table(
    name: &str,
    columns: &[Spec],
    storage: Storage,
    location: &str,
) -> Result<String> {
    check_table_name(name)?;
    let mut sql = format!("CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n");
    for (i, column) in columns.iter().enumerate() {
        let separator = if i + 1 < columns.len() { "," } else { "" };
        writeln!(
            sql,
            "  `{}` {}{separator}",
            column.name.replace('`', "``"),
            hive_type(column.ty)
        )?;
    }
    sql.push_str(")\n");
    if storage == Storage::TabSeparated {
        sql.push_str(
            "ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n'\n\
             NULL DEFINED AS '\\\\N'\n",
        );
    }
    let stored = match storage {
        Storage::Parquet => "PARQUET",
        Storage::TabSeparated => "TEXTFILE",
    };
    writeln!(
        sql,
        "STORED AS {stored}\nLOCATION '{}';",
        location.replace('\\', "\\\\").replace('\'', "\\'")
    )?;
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<Spec> {
        vec![
            Spec::new("image_path", ColumnType::Text, false, ""),
            Spec::new("scan_date", ColumnType::Date, true, ""),
            Spec::new("rows", ColumnType::Int, false, ""),
            Spec::new("log_s2_p90", ColumnType::Double, false, ""),
        ]
    }

    #[test]
    fn parquet_statements_list_every_column_with_its_hive_type() {
        let sql =
            create_table("med.scans", &specs(), Storage::Parquet, "/data/it's here").expect("DDL");
        assert_eq!(
            sql,
            "CREATE EXTERNAL TABLE IF NOT EXISTS med.scans (\n  `image_path` STRING,\n  `scan_date` DATE,\n  \
             `rows` INT,\n  `log_s2_p90` DOUBLE\n)\nSTORED AS PARQUET\nLOCATION '/data/it\\'s here';\n"
        );
    }

    #[test]
    fn text_statements_declare_the_mappers_format_and_escape_the_location_alike() {
        let sql =
            create_table("raw", &specs(), Storage::TabSeparated, "C:\\out\\it's").expect("DDL");
        assert!(sql
            .contains("  `log_s2_p90` DOUBLE\n)\nROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t'"));
        assert!(sql.contains("NULL DEFINED AS '\\\\N'"));
        assert!(
            sql.ends_with("STORED AS TEXTFILE\nLOCATION 'C:\\\\out\\\\it\\'s';\n"),
            "{sql}"
        );
        let parquet =
            create_table("raw", &specs(), Storage::Parquet, "C:\\out\\it's").expect("DDL");
        assert!(
            parquet.ends_with("LOCATION 'C:\\\\out\\\\it\\'s';\n"),
            "{parquet}"
        );
    }

    #[test]
    fn table_names_are_checked() {
        assert!(check_table_name("scans").is_ok());
        assert!(check_table_name("db.run1_scans").is_ok());
        assert!(check_table_name("a.b.c").is_err());
        assert!(check_table_name("x; DROP TABLE y").is_err());
        assert!(check_table_name("").is_err());
        assert!(create_table("bad name", &specs(), Storage::Parquet, "/x").is_err());
    }
}
