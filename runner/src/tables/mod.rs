//! Every output table, described once.
//!
//! A table is a list of [`Spec`]s (name, [`ColumnType`], nullability, doc). The fixed
//! columns of a row type are declared with the row's fields ([`ScanRow::COLUMNS`],
//! [`FeatureRow::COLUMNS`]): each [`Column`] also says how to get its [`Cell`] from a
//! row and how to set it back. From those descriptions come
//! - the Arrow schemas and record batches ([`arrow`]: the Parquet tables of
//!   `medprep run` and of the mapper's side outputs, the rerun reader, the Python
//!   module's pyarrow table),
//! - the Hive DDL of every table ([`hive`], one quoting and escaping for all),
//! - the cells of the mapper's rows ([`stream`]: TSV, JSON lines, typed bytes, and
//!   `preprocess_image --schema`).
//!
//! The tables:
//! - `scans`: one [`ScanRow`] per image (identifiers, dates as `DATE`, geometry).
//! - `features`: one [`FeatureRow`] per frame: identifiers, the frame index, then one
//!   `DOUBLE` per feature of the recipe (NaN allowed).
//! - series mode's `scans` ([`SeriesRow`], one per assembled scan) and `features`
//!   ([`RoiFeatureRow`], one per scan and ROI, the IBSI provenance in each feature
//!   column's doc).
//! - the mapper's rows ([`stream::columns`]): key columns, status, the scan columns,
//!   the features, error kind and message.

pub mod arrow;
mod dates;
mod features;
pub mod hive;
mod scans;
mod series;
pub mod stream;

use std::borrow::Cow;

pub use dates::{days_since_epoch, iso_date, Days};
pub use features::FeatureRow;
pub use scans::ScanRow;
pub use series::{roi_features_schema, RoiFeatureRow, SeriesRow};

/// The type of a column, as every sink spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text (Arrow `Utf8`, Hive `STRING`).
    Text,
    /// A 32-bit integer (Arrow `Int32`, Hive `INT`).
    Int,
    /// A 64-bit float, NaN and infinities allowed (Arrow `Float64`, Hive `DOUBLE`).
    Double,
    /// A calendar date as days since 1970-01-01 (Arrow `Date32`, Hive `DATE`).
    Date,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// Text; raw bytes for the mapper's key columns, passed through from its input.
    Text(Cow<'a, [u8]>),
    /// An integer.
    Int(i64),
    /// A floating-point value; NaN and infinities allowed.
    Double(f64),
    /// A date as days since 1970-01-01.
    Date(i32),
}

impl<'a> Cell<'a> {
    /// A text cell.
    pub fn text(text: &'a str) -> Self {
        Self::Text(Cow::Borrowed(text.as_bytes()))
    }
}

/// A column of a table: what every sink needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Column name.
    pub name: Cow<'static, str>,
    /// Value type.
    pub ty: ColumnType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
    /// What the column holds.
    pub doc: Cow<'static, str>,
}

impl Spec {
    /// A column `name` of `ty`.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        ty: ColumnType,
        nullable: bool,
        doc: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            name: name.into(),
            ty,
            nullable,
            doc: doc.into(),
        }
    }
}

/// A fixed column of row type `R`: its [`Spec`] and how to read and write it.
#[derive(Debug)]
pub struct Column<R> {
    /// Column name (the field's name).
    pub name: &'static str,
    /// Value type.
    pub ty: ColumnType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
    /// What the column holds (the field's doc).
    pub doc: &'static str,
    /// The cell of a row.
    pub get: for<'a> fn(&'a R) -> Cell<'a>,
    /// Sets the field of a row from a cell; `None` when the cell does not fit.
    pub set: fn(&mut R, Cell<'_>) -> Option<()>,
}

impl<R> Column<R> {
    /// The column as a [`Spec`].
    pub fn spec(&self) -> Spec {
        Spec::new(self.name, self.ty, self.nullable, self.doc.trim())
    }
}

/// A field type of a row, with its column type and nullability.
pub trait Value: Sized {
    /// Its column type.
    const TYPE: ColumnType;
    /// Whether it may be null.
    const NULLABLE: bool;
    /// The cell of a value.
    fn cell(&self) -> Cell<'_>;
    /// The value of a cell; `None` when the cell does not fit.
    fn from_cell(cell: Cell<'_>) -> Option<Self>;
}

impl Value for String {
    const TYPE: ColumnType = ColumnType::Text;
    const NULLABLE: bool = false;
    fn cell(&self) -> Cell<'_> {
        Cell::text(self)
    }
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Text(bytes) => String::from_utf8(bytes.into_owned()).ok(),
            _ => None,
        }
    }
}

impl Value for i32 {
    const TYPE: ColumnType = ColumnType::Int;
    const NULLABLE: bool = false;
    fn cell(&self) -> Cell<'_> {
        Cell::Int((*self).into())
    }
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Int(value) => i32::try_from(value).ok(),
            _ => None,
        }
    }
}

impl Value for f64 {
    const TYPE: ColumnType = ColumnType::Double;
    const NULLABLE: bool = false;
    fn cell(&self) -> Cell<'_> {
        Cell::Double(*self)
    }
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Double(value) => Some(value),
            _ => None,
        }
    }
}

impl Value for Days {
    const TYPE: ColumnType = ColumnType::Date;
    const NULLABLE: bool = false;
    fn cell(&self) -> Cell<'_> {
        Cell::Date(self.0)
    }
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Date(days) => Some(Self(days)),
            _ => None,
        }
    }
}

impl<T: Value> Value for Option<T> {
    const TYPE: ColumnType = T::TYPE;
    const NULLABLE: bool = true;
    fn cell(&self) -> Cell<'_> {
        self.as_ref().map_or(Cell::Null, T::cell)
    }
    fn from_cell(cell: Cell<'_>) -> Option<Self> {
        match cell {
            Cell::Null => Some(None),
            cell => T::from_cell(cell).map(Some),
        }
    }
}

/// Declares a row struct whose fields are columns: the struct itself, with each field's
/// doc, and `COLUMNS`, the [`Column`] of each field in declaration order (its type and
/// nullability from the field's [`Value`] type). Fields after `;` are not columns.
macro_rules! row_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(#[doc = $doc:literal] pub $field:ident: $ty:ty,)*
        }
        $(extra { $(#[doc = $extra_doc:literal] pub $extra:ident: $extra_ty:ty,)* })?
    ) => {
        $(#[$meta])*
        pub struct $name {
            $(#[doc = $doc] pub $field: $ty,)*
            $($(#[doc = $extra_doc] pub $extra: $extra_ty,)*)?
        }

        impl $name {
            /// The columns of this row type, in table order.
            pub const COLUMNS: &'static [$crate::tables::Column<$name>] = &[$(
                $crate::tables::Column {
                    name: stringify!($field),
                    ty: <$ty as $crate::tables::Value>::TYPE,
                    nullable: <$ty as $crate::tables::Value>::NULLABLE,
                    doc: $doc,
                    get: |row| $crate::tables::Value::cell(&row.$field),
                    set: |row, cell| {
                        row.$field = $crate::tables::Value::from_cell(cell)?;
                        Some(())
                    },
                },
            )*];
        }
    };
}
pub(crate) use row_struct;
