//! Hive DDL for the Parquet tables: `CREATE EXTERNAL TABLE ... STORED AS PARQUET`.

use std::fmt::Write as _;

use anyhow::{bail, Result};
use arrow_schema::{DataType, Schema};

/// The Hive type of an Arrow column type written by medprep.
pub fn hive_type(data_type: &DataType) -> Result<&'static str> {
    Ok(match data_type {
        DataType::Utf8 => "STRING",
        DataType::Date32 => "DATE",
        DataType::Int32 => "INT",
        DataType::Int64 => "BIGINT",
        DataType::Float64 => "DOUBLE",
        other => bail!("no Hive type for Arrow type {other}"),
    })
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

/// `CREATE EXTERNAL TABLE IF NOT EXISTS name (...) STORED AS PARQUET LOCATION 'location'`.
/// Column names are quoted with backticks, so any feature name is a valid column.
pub fn create_table(name: &str, schema: &Schema, location: &str) -> Result<String> {
    check_table_name(name)?;
    let mut sql = format!("CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n");
    let fields = schema.fields();
    for (i, field) in fields.iter().enumerate() {
        let separator = if i + 1 < fields.len() { "," } else { "" };
        let column = field.name().replace('`', "``");
        writeln!(
            sql,
            "  `{column}` {}{separator}",
            hive_type(field.data_type())?
        )?;
    }
    writeln!(
        sql,
        ")\nSTORED AS PARQUET\nLOCATION '{}';",
        location.replace('\'', "\\'")
    )?;
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::Field;

    #[test]
    fn statements_list_every_column_with_its_hive_type() {
        let schema = Schema::new(vec![
            Field::new("image_path", DataType::Utf8, false),
            Field::new("scan_date", DataType::Date32, true),
            Field::new("rows", DataType::Int32, false),
            Field::new("log_s2_p90", DataType::Float64, false),
        ]);
        let sql = create_table("med.scans", &schema, "/data/it's here").expect("DDL");
        assert_eq!(
            sql,
            "CREATE EXTERNAL TABLE IF NOT EXISTS med.scans (\n  `image_path` STRING,\n  `scan_date` DATE,\n  \
             `rows` INT,\n  `log_s2_p90` DOUBLE\n)\nSTORED AS PARQUET\nLOCATION '/data/it\\'s here';\n"
        );
    }

    #[test]
    fn table_names_are_checked() {
        assert!(check_table_name("scans").is_ok());
        assert!(check_table_name("db.run1_scans").is_ok());
        assert!(check_table_name("a.b.c").is_err());
        assert!(check_table_name("x; DROP TABLE y").is_err());
        assert!(check_table_name("").is_err());
    }
}
