//! The `java.util.Properties` text format, which ZooKeeper loads `zoo.cfg` with
//! (`Properties.load(InputStream)`), read the way Java reads it:
//!
//! - bytes are ISO 8859-1, one byte one character: a UTF-8 `dataDir` then names the very same
//!   directory Apache ZooKeeper used, mangled or not, which is what a drop-in replacement needs;
//! - lines end with `\n`, `\r` or `\r\n`; blank lines are skipped; a line whose first
//!   non-blank character is `#` or `!` is a comment, and a comment never continues;
//! - an odd number of backslashes at the end of a line joins the next line to it, whose
//!   leading blanks are dropped;
//! - the key runs to the first unescaped `=`, `:` or blank; blanks, at most one `=` or `:`,
//!   and blanks again separate it from the value, which runs to the end of the logical line;
//! - `\t`, `\n`, `\r`, `\f` and `\uXXXX` are escapes; a backslash before any other character
//!   is dropped.
//!
//! Blanks are space, tab and form feed, as in Java. Trimming and the rule that a later
//! duplicate wins belong to the caller.

/// One `key=value` pair, unescaped, with the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Property {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// Java's `Properties.load` rejects exactly one thing: a `\u` not followed by four hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct MalformedUnicodeEscape {
    pub line: usize,
}

/// Reads every property in file order; duplicates are kept, the caller decides which wins.
pub(super) fn read_properties(contents: &[u8]) -> Result<Vec<Property>, MalformedUnicodeEscape> {
    let characters: Vec<char> = contents.iter().map(|&byte| char::from(byte)).collect();
    let mut properties = Vec::new();
    for logical_line in logical_lines(&characters) {
        let (raw_key, raw_value) = split_key_and_value(&logical_line.characters);
        let line = logical_line.first_line;
        properties.push(Property {
            key: unescape(raw_key).ok_or(MalformedUnicodeEscape { line })?,
            value: unescape(raw_value).ok_or(MalformedUnicodeEscape { line })?,
            line,
        });
    }
    Ok(properties)
}

/// A key-value line with its continuations joined, escapes still in place.
struct LogicalLine {
    characters: Vec<char>,
    first_line: usize,
}

fn is_blank(character: char) -> bool {
    matches!(character, ' ' | '\t' | '\u{c}')
}

fn is_line_end(character: char) -> bool {
    matches!(character, '\n' | '\r')
}

/// Walks the natural lines, dropping blank and comment lines and joining continuations.
fn logical_lines(characters: &[char]) -> Vec<LogicalLine> {
    let mut cursor = Cursor {
        characters,
        position: 0,
        line: 1,
    };
    let mut lines = Vec::new();
    loop {
        cursor.skip_blanks();
        let Some(first) = cursor.peek() else {
            return lines;
        };
        if is_line_end(first) {
            cursor.skip_line_end();
            continue;
        }
        let first_line = cursor.line;
        if first == '#' || first == '!' {
            cursor.take_rest_of_line();
            cursor.skip_line_end();
            continue;
        }
        let mut joined = Vec::new();
        loop {
            let segment = cursor.take_rest_of_line();
            let trailing_backslashes = segment.iter().rev().take_while(|&&c| c == '\\').count();
            joined.extend_from_slice(segment);
            let at_end_of_input = cursor.peek().is_none();
            cursor.skip_line_end();
            if trailing_backslashes % 2 == 0 {
                break;
            }
            // The odd backslash escapes the line end; at the end of input Java drops it too.
            joined.pop();
            if at_end_of_input {
                break;
            }
            cursor.skip_blanks();
        }
        // A lone continuation backslash leaves nothing: Java then reads no property at all.
        if joined.is_empty() {
            continue;
        }
        lines.push(LogicalLine {
            characters: joined,
            first_line,
        });
    }
}

struct Cursor<'text> {
    characters: &'text [char],
    position: usize,
    line: usize,
}

impl<'text> Cursor<'text> {
    fn peek(&self) -> Option<char> {
        self.characters.get(self.position).copied()
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.position += 1;
        }
    }

    fn take_rest_of_line(&mut self) -> &'text [char] {
        let start = self.position;
        while self.peek().is_some_and(|c| !is_line_end(c)) {
            self.position += 1;
        }
        &self.characters[start..self.position]
    }

    /// Consumes one `\n`, `\r` or `\r\n`, if the cursor is on one.
    fn skip_line_end(&mut self) {
        match self.peek() {
            Some('\r') => {
                self.position += 1;
                if self.peek() == Some('\n') {
                    self.position += 1;
                }
            }
            Some('\n') => self.position += 1,
            _ => return,
        }
        self.line += 1;
    }
}

/// Splits a logical line as `Properties.load` does; both halves keep their escapes.
fn split_key_and_value(line: &[char]) -> (&[char], &[char]) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut separator_seen = false;
    let mut escaped = false;
    for (index, &character) in line.iter().enumerate() {
        if !escaped && (character == '=' || character == ':') {
            key_end = index;
            value_start = index + 1;
            separator_seen = true;
            break;
        }
        if !escaped && is_blank(character) {
            key_end = index;
            value_start = index + 1;
            break;
        }
        escaped = character == '\\' && !escaped;
    }
    while let Some(&character) = line.get(value_start) {
        if is_blank(character) {
            value_start += 1;
        } else if !separator_seen && (character == '=' || character == ':') {
            separator_seen = true;
            value_start += 1;
        } else {
            break;
        }
    }
    (&line[..key_end], &line[value_start..])
}

/// Resolves escapes; `None` for a malformed `\uXXXX`. Java strings are UTF-16, so `\u` escapes
/// may spell surrogate pairs: the text is built as UTF-16 and a lone surrogate becomes U+FFFD.
fn unescape(raw: &[char]) -> Option<String> {
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        let character = raw[index];
        index += 1;
        if character != '\\' {
            push_utf16(&mut units, character);
            continue;
        }
        let Some(&escaped) = raw.get(index) else {
            // Unreachable through logical_lines (a final odd backslash is dropped there), kept
            // literal rather than lost should another caller pass one.
            units.push(u16::from(b'\\'));
            break;
        };
        index += 1;
        match escaped {
            't' => units.push(u16::from(b'\t')),
            'n' => units.push(u16::from(b'\n')),
            'r' => units.push(u16::from(b'\r')),
            'f' => units.push(0x0c),
            'u' => {
                let digits = raw.get(index..index + 4)?;
                let mut unit: u16 = 0;
                for digit in digits {
                    let value = u16::try_from(digit.to_digit(16)?).ok()?;
                    unit = unit * 16 + value;
                }
                units.push(unit);
                index += 4;
            }
            other => push_utf16(&mut units, other),
        }
    }
    Some(String::from_utf16_lossy(&units))
}

fn push_utf16(units: &mut Vec<u16>, character: char) {
    let mut buffer = [0u16; 2];
    units.extend_from_slice(character.encode_utf16(&mut buffer));
}
