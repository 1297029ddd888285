//! The codec's encoding of each jute type, and its refusals.

use super::*;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Everything {
    flag: bool,
    byte: i8,
    int: i32,
    long: i64,
    float: f32,
    double: f64,
    text: String,
    #[serde(with = "serde_bytes")]
    buffer: Vec<u8>,
    numbers: Vec<i32>,
    nullable_text: Option<String>,
    #[serde(with = "serde_bytes")]
    nullable_buffer: Option<Vec<u8>>,
    nullable_vector: Option<Vec<String>>,
}

#[test]
fn every_type_encodes_as_binary_output_archive_does() {
    let value = Everything {
        flag: true,
        byte: -2,
        int: 0x0102_0304,
        long: -1,
        float: 1.0,
        double: -2.0,
        text: "zé".to_string(),
        buffer: vec![0xab, 0xcd],
        numbers: vec![7, -1],
        nullable_text: None,
        nullable_buffer: Some(vec![]),
        nullable_vector: Some(vec!["a".to_string()]),
    };
    let bytes = to_vec(&value).unwrap();
    let expected: Vec<u8> = [
        &[1][..],
        &[0xfe],
        &[1, 2, 3, 4],
        &[0xff; 8],
        &[0x3f, 0x80, 0, 0],
        &[0xc0, 0, 0, 0, 0, 0, 0, 0],
        &[0, 0, 0, 3, b'z', 0xc3, 0xa9],
        &[0, 0, 0, 2, 0xab, 0xcd],
        &[0, 0, 0, 2, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff],
        &[0xff; 4],
        &[0, 0, 0, 0],
        &[0, 0, 0, 1, 0, 0, 0, 1, b'a'],
    ]
    .concat();
    assert_eq!(bytes, expected);
    assert_eq!(from_slice::<Everything>(&bytes).unwrap(), value);
}

#[test]
fn a_vec_of_bytes_without_serde_bytes_is_a_vector_of_jute_bytes() {
    let bytes = to_vec(&vec![1_u8, 2]).unwrap();
    assert_eq!(bytes, [0, 0, 0, 2, 1, 2]);
    assert_eq!(from_slice::<Vec<u8>>(&bytes).unwrap(), [1, 2]);
}

#[test]
fn any_non_zero_byte_is_true() {
    assert!(from_slice::<bool>(&[2]).unwrap());
    assert!(!from_slice::<bool>(&[0]).unwrap());
}

#[test]
fn null_reads_as_none_where_optional_and_as_empty_elsewhere() {
    let null = (-1_i32).to_be_bytes();
    assert_eq!(from_slice::<Option<String>>(&null).unwrap(), None);
    assert_eq!(from_slice::<String>(&null).unwrap(), "");
    assert_eq!(from_slice::<Vec<i32>>(&null).unwrap(), Vec::<i32>::new());
    assert!(from_slice::<serde_bytes::ByteBuf>(&null)
        .unwrap()
        .is_empty());
}

#[test]
fn lengths_below_minus_one_are_rejected() {
    let minus_two = (-2_i32).to_be_bytes();
    assert!(matches!(
        from_slice::<String>(&minus_two),
        Err(JuteError::NegativeLength(-2))
    ));
    assert!(matches!(
        from_slice::<Option<Vec<i64>>>(&minus_two),
        Err(JuteError::NegativeLength(-2))
    ));
}

#[test]
fn lengths_beyond_the_input_are_rejected_before_allocating() {
    let huge = i32::MAX.to_be_bytes();
    assert!(matches!(
        from_slice::<String>(&huge),
        Err(JuteError::LengthBeyondInput {
            length: 0x7fff_ffff,
            remaining: 0
        })
    ));
    assert!(matches!(
        from_slice::<Vec<String>>(&[0, 0, 0, 5, 0, 0, 0, 0]),
        Err(JuteError::LengthBeyondInput {
            length: 5,
            remaining: 4
        })
    ));
}

#[test]
fn truncated_input_is_reported_with_what_was_missing() {
    assert!(matches!(
        from_slice::<i64>(&[1, 2, 3]),
        Err(JuteError::Truncated {
            needed: 8,
            remaining: 3
        })
    ));
    assert!(matches!(
        from_slice::<Option<String>>(&[0xff]),
        Err(JuteError::Truncated { .. })
    ));
}

#[test]
fn invalid_utf8_is_rejected() {
    assert!(matches!(
        from_slice::<String>(&[0, 0, 0, 1, 0xff]),
        Err(JuteError::InvalidUtf8(_))
    ));
}

#[test]
fn trailing_bytes_are_an_error_for_whole_input_decodes() {
    assert!(matches!(
        from_slice::<i32>(&[0, 0, 0, 1, 9]),
        Err(JuteError::TrailingBytes(1))
    ));
    assert_eq!(from_slice_prefix::<i32>(&[0, 0, 0, 1, 9]).unwrap(), (1, 4));
}

#[test]
fn the_reader_counts_what_it_consumed() {
    let bytes = to_vec(&(5_i32, "ab".to_string(), true)).unwrap();
    let mut reader = Deserializer::new(&bytes);
    assert_eq!(reader.read::<i32>().unwrap(), 5);
    assert_eq!(reader.consumed(), 4);
    assert_eq!(reader.read::<&str>().unwrap(), "ab");
    assert_eq!(reader.consumed(), 10);
    assert!(reader.end().is_err());
    assert!(reader.read::<bool>().unwrap());
    assert!(reader.is_empty());
    reader.end().unwrap();
}

#[test]
fn shapes_without_a_jute_encoding_are_refused() {
    assert!(matches!(
        to_vec(&Some(5_i32)),
        Err(JuteError::UnsupportedShape(_))
    ));
    assert!(matches!(
        to_vec(&Some(Some("a".to_string()))),
        Err(JuteError::UnsupportedShape(_))
    ));
    assert!(matches!(
        to_vec(&5_u64),
        Err(JuteError::UnsupportedShape(_))
    ));
    assert!(matches!(to_vec(&'x'), Err(JuteError::UnsupportedShape(_))));
    let map: std::collections::BTreeMap<i32, i32> = [(1, 2)].into();
    assert!(matches!(to_vec(&map), Err(JuteError::UnsupportedShape(_))));
    assert!(matches!(
        from_slice::<Option<i32>>(&[0, 0, 0, 1]),
        Err(JuteError::UnsupportedShape(_))
    ));
    assert!(matches!(
        from_slice::<u64>(&[0; 8]),
        Err(JuteError::UnsupportedShape(_))
    ));
}

#[test]
fn enums_are_refused() {
    #[derive(Serialize, Deserialize)]
    enum Shape {
        Round,
    }
    assert!(matches!(
        to_vec(&Shape::Round),
        Err(JuteError::UnsupportedShape("enum"))
    ));
    assert!(matches!(
        from_slice::<Shape>(&[0, 0, 0, 0]),
        Err(JuteError::UnsupportedShape("enum"))
    ));
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct WithTrailing {
    version: i32,
    #[serde(with = "trailing")]
    read_only: Option<bool>,
}

#[test]
fn a_trailing_field_is_present_exactly_when_input_remains() {
    let long = WithTrailing {
        version: 3,
        read_only: Some(true),
    };
    let short = WithTrailing {
        version: 3,
        read_only: None,
    };
    assert_eq!(to_vec(&long).unwrap(), [0, 0, 0, 3, 1]);
    assert_eq!(to_vec(&short).unwrap(), [0, 0, 0, 3]);
    assert_eq!(from_slice::<WithTrailing>(&[0, 0, 0, 3, 1]).unwrap(), long);
    assert_eq!(from_slice::<WithTrailing>(&[0, 0, 0, 3]).unwrap(), short);
    assert!(matches!(
        from_slice::<WithTrailing>(&[0, 0, 0, 3, 1, 0]),
        Err(JuteError::TrailingBytes(1))
    ));
}

proptest! {
    #[test]
    fn values_round_trip(
        flag: bool,
        byte: i8,
        int: i32,
        long: i64,
        float: f32,
        double: f64,
        text in ".*",
        buffer in proptest::collection::vec(any::<u8>(), 0..32),
        numbers in proptest::collection::vec(any::<i32>(), 0..8),
        nullable_text in proptest::option::of(".*"),
        nullable_buffer in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..8)),
        nullable_vector in proptest::option::of(proptest::collection::vec(".*", 0..4)),
    ) {
        let value = Everything {
            flag, byte, int, long, float, double, text, buffer, numbers, nullable_text,
            nullable_buffer, nullable_vector,
        };
        let bytes = to_vec(&value).unwrap();
        let decoded: Everything = from_slice(&bytes).unwrap();
        // Compare through the encoding: NaN floats are not equal to themselves.
        prop_assert_eq!(to_vec(&decoded).unwrap(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        let _ = from_slice::<Everything>(&bytes);
        let _ = from_slice::<WithTrailing>(&bytes);
        let _ = from_slice::<Vec<Option<String>>>(&bytes);
    }
}
