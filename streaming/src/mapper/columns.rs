//! The mapper's cells in its three output formats: a tab-separated field (Hive's
//! LazySimpleSerDe text format: `\N` for null, no tab or line break inside a field), a
//! JSON value, or a typed bytes value. The columns themselves are described in
//! [`medprep_runner::tables::stream`].

use medprep_runner::tables::{iso_date, Cell};

use crate::typedbytes::Value;

/// Appends `cell` as a LazySimpleSerDe text field.
pub fn write_tsv(cell: &Cell<'_>, line: &mut Vec<u8>) {
    match cell {
        Cell::Null => line.extend_from_slice(b"\\N"),
        Cell::Text(bytes) => line.extend(bytes.iter().map(|&b| match b {
            b'\t' | b'\n' | b'\r' => b' ',
            other => other,
        })),
        Cell::Int(value) => line.extend_from_slice(value.to_string().as_bytes()),
        Cell::Double(value) => line.extend_from_slice(format_double(*value).as_bytes()),
        Cell::Date(days) => line.extend_from_slice(iso_date(*days).as_bytes()),
    }
}

/// `cell` as a JSON value (NaN and infinities, which JSON lacks, become null).
pub fn to_json(cell: &Cell<'_>) -> serde_json::Value {
    match cell {
        Cell::Null => serde_json::Value::Null,
        Cell::Text(bytes) => String::from_utf8_lossy(bytes).into_owned().into(),
        Cell::Int(value) => (*value).into(),
        Cell::Double(value) => serde_json::Number::from_f64(*value)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Cell::Date(days) => iso_date(*days).into(),
    }
}

/// `cell` as a typed bytes value; `None` for null (typed bytes has no null).
pub fn to_typed(cell: &Cell<'_>) -> Option<Value> {
    match cell {
        Cell::Null => None,
        Cell::Text(bytes) => Some(Value::String(String::from_utf8_lossy(bytes).into_owned())),
        Cell::Int(value) => Some(Value::Long(*value)),
        Cell::Double(value) => Some(Value::Double(*value)),
        Cell::Date(days) => Some(Value::String(iso_date(*days))),
    }
}

/// A double as text that Java's `Double.parseDouble` (Hive) and Python's `float` read
/// back to the same value: the shortest round-trip digits, `NaN`, `Infinity`.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        // Debug, unlike Display, switches to an exponent for tiny and huge values.
        format!("{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    use medprep_runner::tables::hive::{create_table, Storage};
    use medprep_runner::tables::stream;

    #[test]
    fn doubles_round_trip_through_text() {
        for value in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-7,
            123_456.789,
            1e300,
            f64::MIN_POSITIVE,
        ] {
            let text = format_double(value);
            assert_eq!(
                text.parse::<f64>().expect("parses").to_bits(),
                value.to_bits(),
                "{text}"
            );
        }
        assert_eq!(format_double(1e-7), "1e-7");
        assert_eq!(format_double(f64::NAN), "NaN");
        assert_eq!(format_double(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn fields_never_break_a_line() {
        let mut line = Vec::new();
        write_tsv(&Cell::Text(Cow::Borrowed(b"a\tb\nc\rd")), &mut line);
        line.push(b'\t');
        write_tsv(&Cell::Null, &mut line);
        line.push(b'\t');
        write_tsv(&Cell::Date(19_724), &mut line);
        assert_eq!(line, b"a b c d\t\\N\t2024-01-02");
    }

    #[test]
    fn hive_ddl_declares_a_tab_separated_text_table() {
        let columns = stream::columns(&["patient_id".into()], &["original_mean".into()], false);
        let sql = create_table(
            "image_features_raw",
            &columns,
            Storage::TabSeparated,
            "/data/out",
        )
        .expect("DDL");
        assert!(sql.starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS image_features_raw (\n  `patient_id` STRING,\n  `status` STRING,"));
        assert!(sql.contains("  `frame` INT,\n"));
        assert!(sql.contains("  `scan_date` DATE,\n"));
        assert!(
            sql.contains("  `original_mean` DOUBLE,\n  `error_kind` STRING,\n  `error` STRING\n)")
        );
        assert!(sql.contains("FIELDS TERMINATED BY '\\t'"));
        assert!(sql.contains("NULL DEFINED AS '\\\\N'"));
        assert!(sql.ends_with("STORED AS TEXTFILE\nLOCATION '/data/out';\n"));
        assert!(create_table("bad name", &columns, Storage::TabSeparated, "/x").is_err());
    }
}
