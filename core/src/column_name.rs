//! Map and feature names become column names in Hive and Parquet: plain ASCII letters,
//! digits and underscores.

/// `1` for 1.0, `0p5` for 0.5, `m2` for -2: a number as it may appear in a column name.
pub(crate) fn number_label(v: f64) -> String {
    format!("{v}").replace('.', "p").replace('-', "m")
}

/// Whether `name` is usable as a column name as it is.
pub(crate) fn is_column_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
