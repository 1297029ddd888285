//! The `java.util.Properties` syntax, case by case from its documentation.

use crate::config::properties::{read_properties, MalformedUnicodeEscape, Property};

/// (key, value, line) of every property in `text`.
fn read(text: &[u8]) -> Vec<(String, String, usize)> {
    read_properties(text)
        .expect("valid properties")
        .into_iter()
        .map(|Property { key, value, line }| (key, value, line))
        .collect()
}

fn pair(key: &str, value: &str, line: usize) -> (String, String, usize) {
    (key.to_owned(), value.to_owned(), line)
}

#[test]
fn equals_colon_and_blanks_all_separate_key_from_value() {
    let text = b"a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf\x0c=\x0c6\n";
    assert_eq!(
        read(text),
        vec![
            pair("a", "1", 1),
            pair("b", "2", 2),
            pair("c", "3", 3),
            pair("d", "4", 4),
            pair("e", "5", 5),
            pair("f", "6", 6),
        ]
    );
}

#[test]
fn only_one_separator_is_consumed() {
    assert_eq!(
        read(b"a==b\nc = = d\ne:=f\n"),
        vec![pair("a", "=b", 1), pair("c", "= d", 2), pair("e", "=f", 3)]
    );
}

#[test]
fn a_key_alone_has_an_empty_value() {
    assert_eq!(
        read(b"flag\nother=\n"),
        vec![pair("flag", "", 1), pair("other", "", 2)]
    );
}

#[test]
fn comments_and_blank_lines_are_skipped_but_counted() {
    let text =
        b"# comment\n! also a comment\n   # indented comment\n\n \t \nkey=value # not a comment\n";
    assert_eq!(read(text), vec![pair("key", "value # not a comment", 6)]);
}

#[test]
fn trailing_blanks_stay_in_the_value_for_the_caller_to_trim() {
    assert_eq!(read(b"  key=value  \n"), vec![pair("key", "value  ", 1)]);
}

#[test]
fn an_odd_backslash_continues_the_line_and_drops_leading_blanks() {
    let text = b"list=one, \\\n    two, \\\n\tthree\nnext=1\n";
    assert_eq!(
        read(text),
        vec![pair("list", "one, two, three", 1), pair("next", "1", 4)]
    );
}

#[test]
fn an_even_number_of_backslashes_is_a_literal_backslash() {
    assert_eq!(
        read(b"a=x\\\\\nb=y\n"),
        vec![pair("a", "x\\", 1), pair("b", "y", 2)]
    );
}

#[test]
fn a_comment_never_continues() {
    assert_eq!(read(b"# comment \\\na=b\n"), vec![pair("a", "b", 2)]);
}

#[test]
fn a_continuation_line_is_never_a_comment() {
    assert_eq!(read(b"a=b\\\n  #c\n"), vec![pair("a", "b#c", 1)]);
}

#[test]
fn an_empty_continuation_line_ends_the_logical_line() {
    assert_eq!(
        read(b"a=b\\\n\nc=d\n"),
        vec![pair("a", "b", 1), pair("c", "d", 3)]
    );
}

#[test]
fn a_backslash_at_the_end_of_input_is_dropped() {
    assert_eq!(read(b"a=b\\"), vec![pair("a", "b", 1)]);
    assert_eq!(read(b"\\\n"), vec![]);
}

#[test]
fn every_line_ending_counts_as_one_line() {
    assert_eq!(
        read(b"a=1\r\nb=2\rc=3\nd=4"),
        vec![
            pair("a", "1", 1),
            pair("b", "2", 2),
            pair("c", "3", 3),
            pair("d", "4", 4),
        ]
    );
    assert_eq!(read(b"a=1\\\r\n  2\r\n"), vec![pair("a", "12", 1)]);
}

#[test]
fn escapes_are_resolved_in_keys_and_values() {
    let text = b"e\\=mc2=yes\nkey\\ with\\ spaces=v\nc=\\t\\n\\r\\f\\u0041\\q\\\\\n";
    assert_eq!(
        read(text),
        vec![
            pair("e=mc2", "yes", 1),
            pair("key with spaces", "v", 2),
            pair("c", "\t\n\r\u{c}Aq\\", 3),
        ]
    );
}

#[test]
fn unicode_escapes_may_spell_surrogate_pairs() {
    assert_eq!(
        read(b"a=\\ud83d\\ude00\nb=\\ud83d\n"),
        vec![pair("a", "\u{1f600}", 1), pair("b", "\u{fffd}", 2)]
    );
}

#[test]
fn a_malformed_unicode_escape_is_an_error_on_its_line() {
    assert_eq!(
        read_properties(b"a=1\nb=\\u12x4\n"),
        Err(MalformedUnicodeEscape { line: 2 })
    );
    assert_eq!(
        read_properties(b"# c\n\nkey\\u00=1\n"),
        Err(MalformedUnicodeEscape { line: 3 })
    );
}

#[test]
fn bytes_are_latin_1_as_in_properties_load_of_a_stream() {
    // "é" in UTF-8 is two bytes; Java's load(InputStream) reads them as "Ã©".
    assert_eq!(
        read(b"dataDir=/data/caf\xc3\xa9\n"),
        vec![pair("dataDir", "/data/caf\u{c3}\u{a9}", 1)]
    );
}

#[test]
fn duplicates_are_all_returned_in_order() {
    assert_eq!(
        read(b"a=1\na=2\n"),
        vec![pair("a", "1", 1), pair("a", "2", 2)]
    );
}
