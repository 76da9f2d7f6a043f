//! Golden byte vectors written by hand from the format's published definition (see the
//! module documentation), round trips, and hostile input.
//!
//! Every golden vector follows the definition byte by byte: the type code, then the
//! big-endian payload. They were also checked once, independently of this code, against
//! Python's `struct` module (`struct.pack(">bi", 3, 1)` and so on).

use super::*;

fn decode_all(bytes: &[u8]) -> Result<Vec<Value>, TypedBytesError> {
    decode_all_with(bytes, Limits::default())
}

fn decode_all_with(bytes: &[u8], limits: Limits) -> Result<Vec<Value>, TypedBytesError> {
    let mut reader = Reader::with_limits(bytes, limits);
    let mut values = Vec::new();
    while let Some(value) = reader.next_value()? {
        values.push(value);
    }
    Ok(values)
}

fn encode(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_value(&mut bytes, value).unwrap();
    bytes
}

/// Decodes `golden` to exactly `value`, and `value` encodes to exactly `golden`.
#[track_caller]
fn check_golden(golden: &[u8], value: Value) {
    assert_eq!(
        decode_all(golden).unwrap(),
        std::slice::from_ref(&value),
        "decoding {golden:?}"
    );
    assert_eq!(encode(&value), golden, "encoding {value:?}");
}

/// A value with every container type nested: the map
/// `{"k": [vector(int 1, "a"), byte 5], bytes(0xff): application 50 (0xab)}`.
fn nested() -> (Vec<u8>, Value) {
    let golden = vec![
        10, 0, 0, 0, 2, // map of 2 pairs
        7, 0, 0, 0, 1, b'k', // key: string "k"
        9,    // value: list
        8, 0, 0, 0, 2, // vector of 2
        3, 0, 0, 0, 1, // int 1
        7, 0, 0, 0, 1, b'a', // string "a"
        1, 5,   // byte 5
        255, // end of list
        0, 0, 0, 0, 1, 0xff, // key: bytes [0xff]
        50, 0, 0, 0, 1, 0xab, // value: application code 50, [0xab]
    ];
    let value = Value::Map(vec![
        (
            Value::String("k".into()),
            Value::List(vec![
                Value::Vector(vec![Value::Int(1), Value::String("a".into())]),
                Value::Byte(5),
            ]),
        ),
        (
            Value::Bytes(vec![0xff]),
            Value::Application {
                code: 50,
                bytes: vec![0xab],
            },
        ),
    ]);
    (golden, value)
}

#[test]
fn code_0_bytes_have_a_32_bit_big_endian_length() {
    check_golden(&[0, 0, 0, 0, 3, 1, 2, 3], Value::Bytes(vec![1, 2, 3]));
    check_golden(&[0, 0, 0, 0, 0], Value::Bytes(Vec::new()));
    let long = vec![7u8; 258];
    let mut golden = vec![0, 0, 0, 1, 2];
    golden.extend_from_slice(&long);
    check_golden(&golden, Value::Bytes(long));
}

#[test]
fn code_1_byte_is_signed() {
    check_golden(&[1, 0xff], Value::Byte(-1));
    check_golden(&[1, 0x7f], Value::Byte(127));
    check_golden(&[1, 0x80], Value::Byte(-128));
}

#[test]
fn code_2_bool_is_0_or_1() {
    check_golden(&[2, 0], Value::Bool(false));
    check_golden(&[2, 1], Value::Bool(true));
}

#[test]
fn code_3_int_is_32_bit_big_endian() {
    check_golden(&[3, 1, 2, 3, 4], Value::Int(0x0102_0304));
    check_golden(&[3, 0xff, 0xff, 0xff, 0xfe], Value::Int(-2));
    check_golden(&[3, 0x80, 0, 0, 0], Value::Int(i32::MIN));
}

#[test]
fn code_4_long_is_64_bit_big_endian() {
    check_golden(
        &[4, 1, 2, 3, 4, 5, 6, 7, 8],
        Value::Long(0x0102_0304_0506_0708),
    );
    check_golden(
        &[4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        Value::Long(-1),
    );
}

#[test]
fn code_5_float_is_ieee_single_big_endian() {
    check_golden(&[5, 0x3f, 0x80, 0, 0], Value::Float(1.0));
    check_golden(&[5, 0xc0, 0x20, 0, 0], Value::Float(-2.5));
}

#[test]
fn code_6_double_is_ieee_double_big_endian() {
    check_golden(&[6, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], Value::Double(1.0));
    check_golden(&[6, 0xc0, 0x04, 0, 0, 0, 0, 0, 0], Value::Double(-2.5));
    check_golden(
        &[6, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a],
        Value::Double(0.1),
    );
}

#[test]
fn code_7_string_length_counts_utf8_bytes() {
    check_golden(&[7, 0, 0, 0, 2, 0xc3, 0xa9], Value::String("é".into()));
    check_golden(&[7, 0, 0, 0, 0], Value::String(String::new()));
}

#[test]
fn code_8_vector_has_a_count_of_values() {
    check_golden(
        &[8, 0, 0, 0, 2, 3, 0, 0, 0, 1, 7, 0, 0, 0, 1, b'a'],
        Value::Vector(vec![Value::Int(1), Value::String("a".into())]),
    );
    check_golden(&[8, 0, 0, 0, 0], Value::Vector(Vec::new()));
}

#[test]
fn code_9_list_ends_with_the_255_marker() {
    check_golden(
        &[9, 1, 5, 2, 1, 255],
        Value::List(vec![Value::Byte(5), Value::Bool(true)]),
    );
    check_golden(&[9, 255], Value::List(Vec::new()));
}

#[test]
fn code_10_map_has_a_count_of_alternating_keys_and_values() {
    check_golden(
        &[
            10, 0, 0, 0, 1, 7, 0, 0, 0, 1, b'k', 6, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0,
        ],
        Value::Map(vec![(Value::String("k".into()), Value::Double(1.0))]),
    );
    check_golden(&[10, 0, 0, 0, 0], Value::Map(Vec::new()));
}

#[test]
fn codes_50_to_200_are_application_bytes_with_a_length() {
    for code in [50, 100, 200] {
        check_golden(
            &[code, 0, 0, 0, 2, 0xab, 0xcd],
            Value::Application {
                code,
                bytes: vec![0xab, 0xcd],
            },
        );
    }
}

#[test]
fn containers_nest() {
    let (golden, value) = nested();
    check_golden(&golden, value);
}

#[test]
fn type_codes_match_the_definition() {
    let (_, nested) = nested();
    let Value::Map(pairs) = &nested else {
        panic!("nested() is a map")
    };
    assert_eq!(nested.type_code(), 10);
    assert_eq!(pairs[0].1.type_code(), 9);
    assert_eq!(pairs[1].1.type_code(), 50);
    assert_eq!(Value::Double(0.0).type_code(), 6);
    assert_eq!(Value::Map(Vec::new()).type_name(), "map");
}

#[test]
fn a_stream_is_values_one_after_the_other() {
    let stream = [7, 0, 0, 0, 1, b'k', 0, 0, 0, 0, 2, 9, 8];
    let mut reader = Reader::new(&stream[..]);
    assert_eq!(
        reader.next_pair().unwrap(),
        Some((Value::String("k".into()), Value::Bytes(vec![9, 8])))
    );
    assert_eq!(reader.offset(), stream.len() as u64);
    assert!(reader.next_pair().unwrap().is_none());
    assert!(reader.next_value().unwrap().is_none());
}

#[test]
fn a_key_without_its_value_is_truncated() {
    let mut reader = Reader::new(&[3, 0, 0, 0, 1][..]);
    assert!(matches!(
        reader.next_pair(),
        Err(TypedBytesError::Truncated { offset: 5 })
    ));
}

#[test]
fn the_convenience_writers_match_write_value() {
    let mut direct = Vec::new();
    write_bytes(&mut direct, b"xyz").unwrap();
    write_string(&mut direct, "ab").unwrap();
    let mut via_value = encode(&Value::Bytes(b"xyz".to_vec()));
    via_value.extend(encode(&Value::String("ab".into())));
    assert_eq!(direct, via_value);
}

#[test]
fn application_codes_outside_50_to_200_are_not_written() {
    for code in [0, 10, 49, 201, 255] {
        let mut out = Vec::new();
        let error = write_value(
            &mut out,
            &Value::Application {
                code,
                bytes: vec![1],
            },
        )
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(out.is_empty());
    }
}

#[test]
fn every_truncation_of_a_nested_value_is_an_error() {
    let (golden, _) = nested();
    assert!(decode_all(&[]).unwrap().is_empty());
    for end in 1..golden.len() {
        match decode_all(&golden[..end]) {
            Err(TypedBytesError::Truncated { offset }) => assert_eq!(offset, end as u64),
            other => panic!("prefix of {end} bytes: {other:?}"),
        }
    }
}

#[test]
fn lengths_above_the_limit_are_refused_before_reading() {
    // 2^31 - 1 is above the default 1 GiB.
    assert!(matches!(
        decode_all(&[0, 0x7f, 0xff, 0xff, 0xff]),
        Err(TypedBytesError::TooLong {
            length: 0x7fff_ffff,
            offset: 1,
            ..
        })
    ));
    let small = Limits {
        max_len: 4,
        ..Limits::default()
    };
    assert_eq!(
        decode_all_with(&[7, 0, 0, 0, 4, b'a', b'b', b'c', b'd'], small).unwrap(),
        [Value::String("abcd".into())]
    );
    for code in [0, 7, 8, 10, 50] {
        assert!(
            matches!(
                decode_all_with(&[code, 0, 0, 0, 5], small),
                Err(TypedBytesError::TooLong { length: 5, .. })
            ),
            "code {code}"
        );
    }
    // A list has no count up front; its items are counted as they come.
    assert!(matches!(
        decode_all_with(&[9, 1, 1, 1, 2, 1, 3, 1, 4, 1, 5, 255], small),
        Err(TypedBytesError::TooLong {
            length: 5,
            offset: 0,
            ..
        })
    ));
}

#[test]
fn a_length_that_lies_costs_only_what_the_stream_holds() {
    // Just under 1 GiB declared, 3 bytes present: an error, without a 1 GiB buffer
    // (which would also make this test slow).
    for code in [0, 7, 50] {
        assert!(matches!(
            decode_all(&[code, 0x3f, 0xff, 0xff, 0xff, 1, 2, 3]),
            Err(TypedBytesError::Truncated { offset: 8 })
        ));
    }
    assert!(matches!(
        decode_all(&[8, 0x3f, 0xff, 0xff, 0xff, 1, 2]),
        Err(TypedBytesError::Truncated { offset: 7 })
    ));
    assert!(matches!(
        decode_all(&[10, 0x3f, 0xff, 0xff, 0xff, 1, 2]),
        Err(TypedBytesError::Truncated { offset: 7 })
    ));
}

#[test]
fn negative_lengths_are_errors() {
    for code in [0, 7, 8, 10, 200] {
        assert!(
            matches!(
                decode_all(&[code, 0xff, 0xff, 0xff, 0xff]),
                Err(TypedBytesError::NegativeLength {
                    length: -1,
                    offset: 1
                })
            ),
            "code {code}"
        );
    }
    assert!(matches!(
        decode_all(&[0, 0x80, 0, 0, 0]),
        Err(TypedBytesError::NegativeLength {
            length: i32::MIN,
            ..
        })
    ));
}

#[test]
fn nesting_is_capped() {
    let nest = |depth: usize, open: u8| {
        let mut bytes = vec![open; depth];
        bytes.extend(std::iter::repeat_n(255, depth));
        bytes
    };
    let limits = Limits::default();
    assert_eq!(decode_all(&nest(limits.max_depth, 9)).unwrap().len(), 1);
    assert!(matches!(
        decode_all(&nest(limits.max_depth + 1, 9)),
        Err(TypedBytesError::TooDeep {
            max: 64,
            offset: 64
        })
    ));
    // Far too deep for the stack, were it not capped.
    assert!(matches!(
        decode_all(&nest(1_000_000, 9)),
        Err(TypedBytesError::TooDeep { .. })
    ));
    // Vectors of one vector, and maps whose first key is a map, count the same way.
    let vectors: Vec<u8> = std::iter::repeat_n([8, 0, 0, 0, 1], 65).flatten().collect();
    assert!(matches!(
        decode_all(&vectors),
        Err(TypedBytesError::TooDeep { offset: 320, .. })
    ));
    let maps: Vec<u8> = std::iter::repeat_n([10, 0, 0, 0, 1], 65)
        .flatten()
        .collect();
    assert!(matches!(
        decode_all(&maps),
        Err(TypedBytesError::TooDeep { offset: 320, .. })
    ));
}

#[test]
fn strings_must_be_utf8() {
    // A lone continuation byte, a UTF-16 surrogate, an overlong encoding of '/'.
    for bad in [&[0x80][..], &[0xed, 0xa0, 0x80], &[0xc0, 0xaf]] {
        let mut bytes = vec![7, 0, 0, 0, bad.len() as u8];
        bytes.extend_from_slice(bad);
        assert!(
            matches!(
                decode_all(&bytes),
                Err(TypedBytesError::InvalidUtf8 { offset: 5 })
            ),
            "{bad:?}"
        );
    }
    // Bytes (code 0) are not text: the same bytes are fine there.
    assert!(decode_all(&[0, 0, 0, 0, 1, 0x80]).is_ok());
}

#[test]
fn unknown_type_codes_are_errors() {
    for code in [11, 20, 49, 201, 254] {
        assert!(
            matches!(
                decode_all(&[code, 0, 0, 0, 0]),
                Err(TypedBytesError::UnknownType { code: c, offset: 0 }) if c == code
            ),
            "code {code}"
        );
    }
    assert!(matches!(
        decode_all(&[8, 0, 0, 0, 1, 11]),
        Err(TypedBytesError::UnknownType {
            code: 11,
            offset: 5
        })
    ));
    assert!(matches!(
        decode_all(&[9, 1, 0, 254, 255]),
        Err(TypedBytesError::UnknownType {
            code: 254,
            offset: 3
        })
    ));
}

#[test]
fn a_marker_outside_a_list_is_an_error() {
    for (bytes, at) in [
        (&[255][..], 0),
        (&[3, 0, 0, 0, 1, 255][..], 5),
        (&[8, 0, 0, 0, 1, 255][..], 5),
        (&[10, 0, 0, 0, 1, 255][..], 5),
        (&[10, 0, 0, 0, 1, 1, 0, 255][..], 7),
    ] {
        assert!(
            matches!(
                decode_all(bytes),
                Err(TypedBytesError::UnexpectedMarker { offset }) if offset == at
            ),
            "{bytes:?}"
        );
    }
    // A marker ends the innermost list only.
    assert_eq!(
        decode_all(&[9, 9, 255, 255]).unwrap(),
        [Value::List(vec![Value::List(Vec::new())])]
    );
}

#[test]
fn booleans_other_than_0_and_1_are_errors() {
    assert!(matches!(
        decode_all(&[2, 2]),
        Err(TypedBytesError::InvalidBool { byte: 2, offset: 1 })
    ));
}

#[test]
fn read_failures_are_io_errors() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    let mut reader = Reader::new(io::BufReader::new(Failing));
    let error = reader.next_value().unwrap_err();
    assert!(matches!(error, TypedBytesError::Io(_)));
    assert!(error.to_string().contains("disk on fire"), "{error}");
}

#[test]
fn messages_say_what_and_where() {
    let error = decode_all(&[8, 0, 0, 0, 1, 33]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown typed bytes type code 33 at byte 5"
    );
    let error = decode_all(&[7, 0, 0, 0, 9, b'a']).unwrap_err();
    assert_eq!(
        error.to_string(),
        "typed bytes stream ends inside a value (at byte 6)"
    );
}

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// A random value up to `depth` containers deep.
fn random_value(rng: &mut Rng, depth: u32) -> Value {
    let kinds = if depth == 0 { 9 } else { 12 };
    let bytes = |rng: &mut Rng| (0..rng.below(6)).map(|_| rng.byte()).collect::<Vec<_>>();
    match rng.below(kinds) {
        0 => Value::Bytes(bytes(rng)),
        1 => Value::Byte(rng.byte() as i8),
        2 => Value::Bool(rng.below(2) == 1),
        3 => Value::Int(rng.next() as i32),
        4 => Value::Long(rng.next() as i64),
        // Any bit pattern, NaNs included: round trips compare bytes, not values.
        5 => Value::Float(f32::from_bits(rng.next() as u32)),
        6 => Value::Double(f64::from_bits(rng.next())),
        7 => Value::String(
            (0..rng.below(4))
                .map(|_| ['a', 'é', '€', '𝄞', '\t', '\0'][rng.below(6) as usize])
                .collect(),
        ),
        8 => Value::Application {
            code: 50 + rng.below(151) as u8,
            bytes: bytes(rng),
        },
        9 => Value::Vector(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        10 => Value::List(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => Value::Map(
            (0..rng.below(3))
                .map(|_| (random_value(rng, depth - 1), random_value(rng, depth - 1)))
                .collect(),
        ),
    }
}

#[test]
fn random_values_round_trip() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let values: Vec<Value> = (0..rng.below(3) + 1)
            .map(|_| random_value(&mut rng, 3))
            .collect();
        let mut stream = Vec::new();
        for value in &values {
            write_value(&mut stream, value).unwrap();
        }
        let decoded = decode_all(&stream).unwrap();
        assert_eq!(decoded.len(), values.len());
        let mut again = Vec::new();
        for value in &decoded {
            write_value(&mut again, value).unwrap();
        }
        assert_eq!(again, stream, "{values:?}");
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let small = Limits {
        max_len: 64,
        max_depth: 8,
    };
    let mut errors = 0;
    for _ in 0..50_000 {
        // Mostly defined type codes and small lengths, so decoding gets deep into
        // values rather than failing on the first byte.
        let bytes: Vec<u8> = (0..rng.below(48))
            .map(|_| match rng.below(4) {
                0 => rng.byte(),
                1 => rng.below(11) as u8,
                2 => [0, 255, 50, 9][rng.below(4) as usize],
                _ => rng.below(4) as u8,
            })
            .collect();
        if decode_all_with(&bytes, small).is_err() {
            errors += 1;
        }
        // Mutations of a valid stream: one byte changed, or cut short.
        let (mut golden, _) = nested();
        let at = rng.below(golden.len() as u64) as usize;
        golden[at] = rng.byte();
        let _ = decode_all(&golden);
    }
    // The generator must reach both outcomes, or the test proves little.
    assert!(errors > 1000 && errors < 50_000, "{errors} errors");
}
