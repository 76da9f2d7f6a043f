//! Hadoop's typed bytes: the binary record format of Hadoop Streaming's `-io typedbytes`.
//!
//! The format is defined in the documentation of Hadoop's `org.apache.hadoop.typedbytes`
//! package. A typed bytes sequence starts with an unsigned type code byte; what follows
//! depends on the code, everything big-endian and unpadded:
//!
//! | code | type | subsequent bytes |
//! | ---: | --- | --- |
//! | 0 | bytes | 32-bit signed length, then that many bytes |
//! | 1 | byte | one signed byte |
//! | 2 | boolean | one signed byte, 0 = false and 1 = true |
//! | 3 | integer | 32-bit signed integer |
//! | 4 | long | 64-bit signed integer |
//! | 5 | float | 32-bit IEEE 754 floating point number |
//! | 6 | double | 64-bit IEEE 754 floating point number |
//! | 7 | string | 32-bit signed length, then that many UTF-8 bytes |
//! | 8 | vector | 32-bit signed count, then that many typed bytes sequences |
//! | 9 | list | any number of typed bytes sequences, then 255 as an unsigned byte |
//! | 10 | map | 32-bit signed count, then that many key and value sequences, alternating |
//! | 50–200 | application-specific | like code 0 (aliases of bytes): length, then bytes |
//! | 255 | marker | nothing; it only ends a list |
//!
//! A Streaming job with `-io typedbytes` hands a mapper its input as a stream of key
//! and value sequences, one after the other, and reads the mapper's output the same
//! way. [`Reader`] reads such a stream one [`Value`] (or one key/value pair) at a time;
//! [`write_value`] writes one.
//!
//! The reader is meant for input nobody vouches for: lengths and counts are checked
//! against [`Limits`] before anything is allocated, large byte strings are read in
//! pieces (so a length that lies allocates no more than the stream really holds),
//! nesting is capped, and every departure from the definition above (an unknown type
//! code, a negative length, a boolean other than 0 or 1, invalid UTF-8, a marker outside
//! a list, a stream that ends inside a value) is a [`TypedBytesError`], never a panic.
//!
//! ```
//! use medprep_cli::typedbytes::{write_value, Reader, Value};
//!
//! let mut stream = Vec::new();
//! write_value(&mut stream, &Value::String("scan.dcm".into())).unwrap();
//! write_value(&mut stream, &Value::Bytes(vec![1, 2, 3])).unwrap();
//! assert_eq!(stream, [7, 0, 0, 0, 8, b's', b'c', b'a', b'n', b'.', b'd', b'c', b'm',
//!                     0, 0, 0, 0, 3, 1, 2, 3]);
//!
//! let mut reader = Reader::new(stream.as_slice());
//! let (key, value) = reader.next_pair().unwrap().unwrap();
//! assert_eq!(key, Value::String("scan.dcm".into()));
//! assert_eq!(value, Value::Bytes(vec![1, 2, 3]));
//! assert!(reader.next_pair().unwrap().is_none());
//! ```

use std::fmt;
use std::io::{self, BufRead, Read, Write};

/// Type code of a byte string.
const BYTES: u8 = 0;
/// Type code of a signed byte.
const BYTE: u8 = 1;
/// Type code of a boolean.
const BOOL: u8 = 2;
/// Type code of a 32-bit integer.
const INT: u8 = 3;
/// Type code of a 64-bit integer.
const LONG: u8 = 4;
/// Type code of a 32-bit float.
const FLOAT: u8 = 5;
/// Type code of a 64-bit float.
const DOUBLE: u8 = 6;
/// Type code of a UTF-8 string.
const STRING: u8 = 7;
/// Type code of a counted sequence of values.
const VECTOR: u8 = 8;
/// Type code of a marker-terminated sequence of values.
const LIST: u8 = 9;
/// Type code of a counted sequence of key/value pairs.
const MAP: u8 = 10;
/// The type codes free for application-specific serialisations.
const APPLICATION: std::ops::RangeInclusive<u8> = 50..=200;
/// The code that ends a list.
const MARKER: u8 = 255;

/// One typed bytes value.
///
/// Floating-point values compare with IEEE semantics (`NaN != NaN`); maps keep their
/// pairs in stream order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Code 0: a byte string.
    Bytes(Vec<u8>),
    /// Code 1: a signed byte.
    Byte(i8),
    /// Code 2: a boolean.
    Bool(bool),
    /// Code 3: a 32-bit signed integer.
    Int(i32),
    /// Code 4: a 64-bit signed integer.
    Long(i64),
    /// Code 5: a 32-bit float.
    Float(f32),
    /// Code 6: a 64-bit float.
    Double(f64),
    /// Code 7: a UTF-8 string.
    String(String),
    /// Code 8: a sequence of values written with its length up front.
    Vector(Vec<Value>),
    /// Code 9: a sequence of values ended by the 255 marker.
    List(Vec<Value>),
    /// Code 10: key/value pairs, in stream order.
    Map(Vec<(Value, Value)>),
    /// Codes 50 to 200: bytes whose meaning an application defines.
    Application {
        /// The type code, in `50..=200`.
        code: u8,
        /// The raw bytes.
        bytes: Vec<u8>,
    },
}

impl Value {
    /// The type code this value is written with.
    pub fn type_code(&self) -> u8 {
        match self {
            Value::Bytes(_) => BYTES,
            Value::Byte(_) => BYTE,
            Value::Bool(_) => BOOL,
            Value::Int(_) => INT,
            Value::Long(_) => LONG,
            Value::Float(_) => FLOAT,
            Value::Double(_) => DOUBLE,
            Value::String(_) => STRING,
            Value::Vector(_) => VECTOR,
            Value::List(_) => LIST,
            Value::Map(_) => MAP,
            Value::Application { code, .. } => *code,
        }
    }

    /// The name of this value's type, for messages ("expected bytes, got a map").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bytes(_) => "bytes",
            Value::Byte(_) => "byte",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Long(_) => "long",
            Value::Float(_) => "float",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Vector(_) => "vector",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Application { .. } => "application-specific bytes",
        }
    }
}

/// Bounds a [`Reader`] enforces before it allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest length accepted for bytes, strings and application-specific values, and
    /// largest number of items in one vector, list or map.
    pub max_len: usize,
    /// Deepest nesting of vectors, lists and maps; a container at the top level is at
    /// depth 1.
    pub max_depth: usize,
}

impl Default for Limits {
    /// 1 GiB and 64 levels: far beyond any image record, small enough to stop a corrupt
    /// stream before it exhausts memory or the stack.
    fn default() -> Self {
        Limits {
            max_len: 1 << 30,
            max_depth: 64,
        }
    }
}

/// Why a typed bytes stream could not be read. Offsets count bytes from the start of
/// the stream the [`Reader`] was given.
#[derive(Debug)]
pub enum TypedBytesError {
    /// Reading the underlying stream failed.
    Io(io::Error),
    /// The stream ended inside a value.
    Truncated {
        /// Where the stream ended.
        offset: u64,
    },
    /// A type code the format does not define (11–49 or 201–254).
    UnknownType {
        /// The code.
        code: u8,
        /// Where the code is.
        offset: u64,
    },
    /// A 255 marker where no list is open.
    UnexpectedMarker {
        /// Where the marker is.
        offset: u64,
    },
    /// A length or count below zero.
    NegativeLength {
        /// The length as written.
        length: i32,
        /// Where the length is.
        offset: u64,
    },
    /// A length or count above [`Limits::max_len`].
    TooLong {
        /// The length as written (or the number of list items read so far).
        length: u64,
        /// The limit.
        max: usize,
        /// Where the length (or the list) is.
        offset: u64,
    },
    /// Vectors, lists and maps nested deeper than [`Limits::max_depth`].
    TooDeep {
        /// The limit.
        max: usize,
        /// Where the container that goes too deep starts.
        offset: u64,
    },
    /// A boolean byte other than 0 or 1.
    InvalidBool {
        /// The byte.
        byte: u8,
        /// Where the byte is.
        offset: u64,
    },
    /// A string that is not valid UTF-8.
    InvalidUtf8 {
        /// Where the string's bytes start.
        offset: u64,
    },
}

impl fmt::Display for TypedBytesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypedBytesError::Io(e) => write!(f, "cannot read the typed bytes stream: {e}"),
            TypedBytesError::Truncated { offset } => {
                write!(
                    f,
                    "typed bytes stream ends inside a value (at byte {offset})"
                )
            }
            TypedBytesError::UnknownType { code, offset } => {
                write!(f, "unknown typed bytes type code {code} at byte {offset}")
            }
            TypedBytesError::UnexpectedMarker { offset } => {
                write!(
                    f,
                    "typed bytes list end marker outside a list at byte {offset}"
                )
            }
            TypedBytesError::NegativeLength { length, offset } => {
                write!(f, "negative typed bytes length {length} at byte {offset}")
            }
            TypedBytesError::TooLong {
                length,
                max,
                offset,
            } => write!(
                f,
                "typed bytes length {length} at byte {offset} is above the limit of {max}"
            ),
            TypedBytesError::TooDeep { max, offset } => write!(
                f,
                "typed bytes containers nested deeper than {max} levels at byte {offset}"
            ),
            TypedBytesError::InvalidBool { byte, offset } => {
                write!(
                    f,
                    "typed bytes boolean {byte} (not 0 or 1) at byte {offset}"
                )
            }
            TypedBytesError::InvalidUtf8 { offset } => {
                write!(f, "typed bytes string at byte {offset} is not valid UTF-8")
            }
        }
    }
}

impl std::error::Error for TypedBytesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TypedBytesError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads typed bytes values from a stream, one at a time.
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
    limits: Limits,
    /// Bytes consumed so far, for error messages.
    offset: u64,
}

impl<R: BufRead> Reader<R> {
    /// A reader with the default [`Limits`].
    pub fn new(inner: R) -> Self {
        Self::with_limits(inner, Limits::default())
    }

    /// A reader with the given limits.
    pub fn with_limits(inner: R, limits: Limits) -> Self {
        Reader {
            inner,
            limits,
            offset: 0,
        }
    }

    /// Number of bytes consumed from the stream so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The stream, positioned after the last value read.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The next value; `Ok(None)` when the stream ends cleanly between values. After an
    /// error the stream position is unspecified: stop reading.
    pub fn next_value(&mut self) -> Result<Option<Value>, TypedBytesError> {
        if self.at_end()? {
            return Ok(None);
        }
        self.value(0).map(Some)
    }

    /// The next key and value; `Ok(None)` when the stream ends cleanly before a key. A
    /// key without its value is [`TypedBytesError::Truncated`].
    pub fn next_pair(&mut self) -> Result<Option<(Value, Value)>, TypedBytesError> {
        let Some(key) = self.next_value()? else {
            return Ok(None);
        };
        let value = self.value(0)?;
        Ok(Some((key, value)))
    }

    fn at_end(&mut self) -> Result<bool, TypedBytesError> {
        loop {
            match self.inner.fill_buf() {
                Ok(buffer) => return Ok(buffer.is_empty()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TypedBytesError::Io(e)),
            }
        }
    }

    /// One value whose enclosing containers number `depth`.
    fn value(&mut self, depth: usize) -> Result<Value, TypedBytesError> {
        let start = self.offset;
        let code = self.array::<1>()?[0];
        if code == MARKER {
            return Err(TypedBytesError::UnexpectedMarker { offset: start });
        }
        self.after_code(code, start, depth)
    }

    /// The rest of a value once its type `code`, found at `start`, has been read.
    fn after_code(&mut self, code: u8, start: u64, depth: usize) -> Result<Value, TypedBytesError> {
        Ok(match code {
            BYTES => Value::Bytes(self.sized_bytes()?),
            BYTE => Value::Byte(i8::from_be_bytes(self.array()?)),
            BOOL => {
                let offset = self.offset;
                match self.array::<1>()?[0] {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    byte => return Err(TypedBytesError::InvalidBool { byte, offset }),
                }
            }
            INT => Value::Int(i32::from_be_bytes(self.array()?)),
            LONG => Value::Long(i64::from_be_bytes(self.array()?)),
            FLOAT => Value::Float(f32::from_be_bytes(self.array()?)),
            DOUBLE => Value::Double(f64::from_be_bytes(self.array()?)),
            STRING => {
                let bytes = self.sized_bytes()?;
                let len = bytes.len() as u64;
                let text = String::from_utf8(bytes).map_err(|_| TypedBytesError::InvalidUtf8 {
                    offset: self.offset - len,
                })?;
                Value::String(text)
            }
            VECTOR => {
                let depth = self.enter(depth, start)?;
                let count = self.length()?;
                let mut items = Vec::with_capacity(count.min(PREALLOCATED_ITEMS));
                for _ in 0..count {
                    items.push(self.value(depth)?);
                }
                Value::Vector(items)
            }
            LIST => {
                let depth = self.enter(depth, start)?;
                let mut items = Vec::new();
                loop {
                    let item_start = self.offset;
                    let code = self.array::<1>()?[0];
                    if code == MARKER {
                        break;
                    }
                    if items.len() >= self.limits.max_len {
                        return Err(TypedBytesError::TooLong {
                            length: items.len() as u64 + 1,
                            max: self.limits.max_len,
                            offset: start,
                        });
                    }
                    items.push(self.after_code(code, item_start, depth)?);
                }
                Value::List(items)
            }
            MAP => {
                let depth = self.enter(depth, start)?;
                let count = self.length()?;
                let mut pairs = Vec::with_capacity(count.min(PREALLOCATED_ITEMS));
                for _ in 0..count {
                    let key = self.value(depth)?;
                    let value = self.value(depth)?;
                    pairs.push((key, value));
                }
                Value::Map(pairs)
            }
            code if APPLICATION.contains(&code) => Value::Application {
                code,
                bytes: self.sized_bytes()?,
            },
            code => {
                return Err(TypedBytesError::UnknownType {
                    code,
                    offset: start,
                })
            }
        })
    }

    /// The depth inside a container that starts at `start`, if within the limit.
    fn enter(&self, depth: usize, start: u64) -> Result<usize, TypedBytesError> {
        if depth >= self.limits.max_depth {
            return Err(TypedBytesError::TooDeep {
                max: self.limits.max_depth,
                offset: start,
            });
        }
        Ok(depth + 1)
    }

    /// A 32-bit signed length or count, checked against the limits.
    fn length(&mut self) -> Result<usize, TypedBytesError> {
        let offset = self.offset;
        let length = i32::from_be_bytes(self.array()?);
        let length = usize::try_from(length)
            .map_err(|_| TypedBytesError::NegativeLength { length, offset })?;
        if length > self.limits.max_len {
            return Err(TypedBytesError::TooLong {
                length: length as u64,
                max: self.limits.max_len,
                offset,
            });
        }
        Ok(length)
    }

    /// A length, then that many bytes.
    fn sized_bytes(&mut self) -> Result<Vec<u8>, TypedBytesError> {
        let length = self.length()?;
        // `read_to_end` grows the buffer as bytes arrive, so a length larger than the
        // stream costs no more memory than the stream holds.
        let mut bytes = Vec::with_capacity(length.min(PREALLOCATED_BYTES));
        (&mut self.inner)
            .take(length as u64)
            .read_to_end(&mut bytes)
            .map_err(TypedBytesError::Io)?;
        self.offset += bytes.len() as u64;
        if bytes.len() < length {
            return Err(TypedBytesError::Truncated {
                offset: self.offset,
            });
        }
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TypedBytesError> {
        let mut bytes = [0; N];
        let mut filled = 0;
        while filled < N {
            match self.inner.read(&mut bytes[filled..]) {
                Ok(0) => {
                    return Err(TypedBytesError::Truncated {
                        offset: self.offset + filled as u64,
                    })
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TypedBytesError::Io(e)),
            }
        }
        self.offset += N as u64;
        Ok(bytes)
    }
}

/// Items reserved up front for a vector or map, whatever count it declares.
const PREALLOCATED_ITEMS: usize = 1024;
/// Bytes reserved up front for a byte string, whatever length it declares: a typical
/// DICOM slice fits, and a length that lies wastes at most this much.
const PREALLOCATED_BYTES: usize = 1 << 20;

/// Writes `value` as one typed bytes sequence. Fails with
/// [`io::ErrorKind::InvalidInput`] (before writing anything for that item) when a
/// length does not fit the format's 32-bit signed lengths, or when an application code
/// is outside `50..=200`.
pub fn write_value(w: &mut impl Write, value: &Value) -> io::Result<()> {
    match value {
        Value::Bytes(bytes) => write_bytes(w, bytes),
        Value::Byte(v) => w.write_all(&[BYTE, v.to_be_bytes()[0]]),
        Value::Bool(v) => w.write_all(&[BOOL, u8::from(*v)]),
        Value::Int(v) => write_fixed(w, INT, &v.to_be_bytes()),
        Value::Long(v) => write_fixed(w, LONG, &v.to_be_bytes()),
        Value::Float(v) => write_fixed(w, FLOAT, &v.to_be_bytes()),
        Value::Double(v) => write_fixed(w, DOUBLE, &v.to_be_bytes()),
        Value::String(text) => write_string(w, text),
        Value::Vector(items) => {
            write_header(w, VECTOR, items.len())?;
            items.iter().try_for_each(|item| write_value(w, item))
        }
        Value::List(items) => {
            w.write_all(&[LIST])?;
            items.iter().try_for_each(|item| write_value(w, item))?;
            w.write_all(&[MARKER])
        }
        Value::Map(pairs) => {
            write_header(w, MAP, pairs.len())?;
            pairs.iter().try_for_each(|(key, value)| {
                write_value(w, key)?;
                write_value(w, value)
            })
        }
        Value::Application { code, bytes } => {
            if !APPLICATION.contains(code) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("typed bytes application codes are 50 to 200, not {code}"),
                ));
            }
            write_header(w, *code, bytes.len())?;
            w.write_all(bytes)
        }
    }
}

/// Writes a byte string (code 0) without building a [`Value`].
pub fn write_bytes(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    write_header(w, BYTES, bytes.len())?;
    w.write_all(bytes)
}

/// Writes a string (code 7) without building a [`Value`].
pub fn write_string(w: &mut impl Write, text: &str) -> io::Result<()> {
    write_header(w, STRING, text.len())?;
    w.write_all(text.as_bytes())
}

fn write_fixed(w: &mut impl Write, code: u8, bytes: &[u8]) -> io::Result<()> {
    w.write_all(&[code])?;
    w.write_all(bytes)
}

/// A type code and a 32-bit signed length or count.
fn write_header(w: &mut impl Write, code: u8, length: usize) -> io::Result<()> {
    let length = i32::try_from(length).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{length} is too long for a typed bytes length (at most 2^31 - 1)"),
        )
    })?;
    let [a, b, c, d] = length.to_be_bytes();
    w.write_all(&[code, a, b, c, d])
}

#[cfg(test)]
mod tests;
