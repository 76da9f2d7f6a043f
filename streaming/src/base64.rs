//! Standard base64 (RFC 4648 §4: alphabet `A–Z a–z 0–9 + /`, `=` padding), for image
//! bytes carried inside text records (`KEY<TAB>base64:...`).
//!
//! [`encode`] always pads. [`decode`] is strict: it accepts exactly what a conforming
//! encoder writes, and nothing is ignored: no whitespace or line breaks, no missing or
//! misplaced padding, no URL-safe alphabet, and no non-zero bits in the last character
//! before the padding (RFC 4648 §3.5 lets decoders refuse those), so every accepted text
//! is the one encoding of its bytes.
//!
//! ```
//! use medprep_cli::base64::{decode, encode};
//!
//! assert_eq!(encode(b"foobar"), "Zm9vYmFy");
//! assert_eq!(decode("Zm9vYg==").unwrap(), b"foob");
//! assert!(decode("Zm9vYg").is_err());
//! ```

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD: u8 = b'=';
/// Marks a byte outside the alphabet in [`DECODE`].
const INVALID: u8 = 0xff;

/// The 6-bit value of each alphabet byte, [`INVALID`] for every other byte.
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why a text is not standard base64. Offsets count bytes from the start of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base64Error {
    /// The length is not a multiple of 4 (padding is required).
    Length {
        /// The length of the text.
        len: usize,
    },
    /// A byte outside the alphabet and not padding.
    InvalidByte {
        /// The byte.
        byte: u8,
        /// Where it is.
        offset: usize,
    },
    /// `=` anywhere but as one or two final characters.
    Padding {
        /// Where the misplaced `=` is.
        offset: usize,
    },
    /// The last character before the padding has bits set that encode nothing.
    TrailingBits {
        /// Where that character is.
        offset: usize,
    },
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base64Error::Length { len } => {
                write!(f, "base64 length {len} is not a multiple of 4")
            }
            Base64Error::InvalidByte { byte, offset } => write!(
                f,
                "byte {:?} at {offset} is not in the base64 alphabet",
                char::from(*byte)
            ),
            Base64Error::Padding { offset } => {
                write!(f, "misplaced base64 padding at {offset}")
            }
            Base64Error::TrailingBits { offset } => write!(
                f,
                "base64 character at {offset} has bits set after the end of the data"
            ),
        }
    }
}

impl std::error::Error for Base64Error {}

/// Encodes `bytes` as padded standard base64.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    let symbol = |bits: u32| ALPHABET[(bits & 0x3f) as usize];
    let mut chunks = bytes.chunks_exact(3);
    for chunk in &mut chunks {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        out.extend_from_slice(&[symbol(n >> 18), symbol(n >> 12), symbol(n >> 6), symbol(n)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend_from_slice(&[symbol(n >> 18), symbol(n >> 12), PAD, PAD]);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend_from_slice(&[symbol(n >> 18), symbol(n >> 12), symbol(n >> 6), PAD]);
        }
        _ => {}
    }
    // Every byte pushed comes from the ASCII alphabet or is `=`.
    out.into_iter().map(char::from).collect()
}

/// Decodes padded standard base64, strictly (see the module documentation).
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Base64Error> {
    let text = text.as_ref();
    if text.len() % 4 != 0 {
        return Err(Base64Error::Length { len: text.len() });
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let last = text.len().saturating_sub(4);
    for (index, chunk) in text.chunks_exact(4).enumerate() {
        let start = index * 4;
        // Padding: `xx==` or `xxx=`, in the last chunk only.
        let pads = if start == last {
            match chunk {
                [_, _, PAD, PAD] => 2,
                [_, _, _, PAD] => 1,
                _ => 0,
            }
        } else {
            0
        };
        let mut n = 0u32;
        for (i, &byte) in chunk[..4 - pads].iter().enumerate() {
            let value = DECODE[usize::from(byte)];
            if value == INVALID {
                let offset = start + i;
                return Err(if byte == PAD {
                    Base64Error::Padding { offset }
                } else {
                    Base64Error::InvalidByte { byte, offset }
                });
            }
            n = n << 6 | u32::from(value);
        }
        n <<= 6 * pads as u32;
        let [_, a, b, c] = n.to_be_bytes();
        match pads {
            0 => out.extend_from_slice(&[a, b, c]),
            1 if c == 0 => out.extend_from_slice(&[a, b]),
            2 if b == 0 && c == 0 => out.push(a),
            _ => {
                return Err(Base64Error::TrailingBits {
                    offset: start + 3 - pads,
                })
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10, "Test Vectors", BASE64 column.
    const RFC_4648_VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc_4648_test_vectors() {
        for (plain, encoded) in RFC_4648_VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes(), "{encoded}");
        }
    }

    #[test]
    fn the_whole_alphabet_and_every_byte_round_trip() {
        // 0x00 0x10 0x83 0x10 0x51 0x87 ... spells the alphabet in order, 6 bits at a time.
        let alphabet = std::str::from_utf8(ALPHABET).unwrap();
        let bytes = decode(alphabet).unwrap();
        assert_eq!(bytes.len(), 48);
        assert_eq!(&bytes[..3], [0x00, 0x10, 0x83]);
        assert_eq!(&bytes[45..], [0xf3, 0xdf, 0xbf]);
        assert_eq!(encode(&bytes), alphabet);
        let all: Vec<u8> = (0..=255).collect();
        for len in 0..all.len() {
            assert_eq!(decode(encode(&all[..len])).unwrap(), &all[..len]);
        }
    }

    #[test]
    fn lengths_not_a_multiple_of_4_are_refused() {
        for text in ["Zg", "Zg=", "Zm9vY", "Zm9vYmFy="] {
            assert_eq!(
                decode(text),
                Err(Base64Error::Length { len: text.len() }),
                "{text}"
            );
        }
    }

    #[test]
    fn bytes_outside_the_alphabet_are_refused() {
        for (text, byte, offset) in [
            ("Zm9v\nYmFy", b'\n', 4),
            ("Zm9 ", b' ', 3),
            ("Zm-_", b'-', 2),
            ("Zm9\u{e9}", 0xc3, 3),
            ("\0AAA", 0, 0),
        ] {
            let text = text.as_bytes();
            let text = &text[..text.len() / 4 * 4];
            assert_eq!(
                decode(text),
                Err(Base64Error::InvalidByte { byte, offset }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn padding_only_ends_the_text() {
        for (text, offset) in [
            ("Zg==Zg==", 2),
            ("Z===", 1),
            ("====", 0),
            ("Zm=v", 2),
            ("Zm9=Zm9v", 3),
        ] {
            assert_eq!(decode(text), Err(Base64Error::Padding { offset }), "{text}");
        }
    }

    #[test]
    fn bits_after_the_data_are_refused() {
        // "Zh==" and "Zm9=" carry set bits below the last whole byte.
        assert_eq!(decode("Zh=="), Err(Base64Error::TrailingBits { offset: 1 }));
        assert_eq!(decode("Zm9="), Err(Base64Error::TrailingBits { offset: 2 }));
        assert_eq!(decode("Zg==").unwrap(), b"f");
        assert_eq!(decode("Zm8=").unwrap(), b"fo");
    }

    #[test]
    fn messages_say_what_and_where() {
        assert_eq!(
            decode("Zm 9").unwrap_err().to_string(),
            "byte ' ' at 2 is not in the base64 alphabet"
        );
    }
}
