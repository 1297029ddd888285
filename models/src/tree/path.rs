//! Znode paths: ZooKeeper's validation rules (`PathUtils.validatePath`), parent and child names,
//! and the sequential-node suffix.

use serde::{Deserialize, Serialize};

/// Why a path is not a valid znode path. Positions count UTF-16 code units from the start of the
/// path, as ZooKeeper's error messages do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PathError {
    Empty,
    NotAbsolute,
    TrailingSlash,
    NullCharacter { position: usize },
    EmptyNodeName { position: usize },
    RelativePath { position: usize },
    InvalidCharacter { position: usize },
}

/// Validates a path exactly as `PathUtils.validatePath(path, isSequential)`: a sequential create
/// is checked as if its suffix were already appended, so `/lock-` is fine and `/a/` is not.
pub fn validate_path(path: &str, is_sequential: bool) -> Result<(), PathError> {
    if is_sequential {
        validate(&format!("{path}1"))
    } else {
        validate(path)
    }
}

fn validate(path: &str) -> Result<(), PathError> {
    // Java checks UTF-16 code units; characters outside the BMP become surrogates, which the
    // invalid range below rejects.
    let units: Vec<u16> = path.encode_utf16().collect();
    let slash = u16::from(b'/');
    let dot = u16::from(b'.');
    if units.is_empty() {
        return Err(PathError::Empty);
    }
    if units[0] != slash {
        return Err(PathError::NotAbsolute);
    }
    if units.len() == 1 {
        return Ok(());
    }
    if units[units.len() - 1] == slash {
        return Err(PathError::TrailingSlash);
    }
    let mut last = slash;
    for position in 1..units.len() {
        let unit = units[position];
        let next_is_end_or_slash = position + 1 == units.len() || units[position + 1] == slash;
        if unit == 0 {
            return Err(PathError::NullCharacter { position });
        } else if unit == slash && last == slash {
            return Err(PathError::EmptyNodeName { position });
        } else if unit == dot && last == dot {
            if units[position - 2] == slash && next_is_end_or_slash {
                return Err(PathError::RelativePath { position });
            }
        } else if unit == dot {
            if units[position - 1] == slash && next_is_end_or_slash {
                return Err(PathError::RelativePath { position });
            }
        } else if (0x0001..=0x001f).contains(&unit)
            || (0x007f..=0x009f).contains(&unit)
            || (0xd800..=0xf8ff).contains(&unit)
            || unit >= 0xfff0
        {
            return Err(PathError::InvalidCharacter { position });
        }
        last = unit;
    }
    Ok(())
}

/// The parent of a path (`/` for a top-level node), or `None` for `/` itself.
pub fn parent_path(path: &str) -> Option<&str> {
    assert!(path.starts_with('/'), "not an absolute path: {path:?}");
    if path == "/" {
        return None;
    }
    let last_slash = path.rfind('/').expect("absolute path has a slash");
    Some(if last_slash == 0 {
        "/"
    } else {
        &path[..last_slash]
    })
}

/// The last component of a path (empty for `/`).
pub fn child_name(path: &str) -> &str {
    assert!(path.starts_with('/'), "not an absolute path: {path:?}");
    let last_slash = path.rfind('/').expect("absolute path has a slash");
    &path[last_slash + 1..]
}

/// Joins a parent path and a child name.
pub fn join_path(parent: &str, child: &str) -> String {
    if parent == "/" {
        format!("/{child}")
    } else {
        format!("{parent}/{child}")
    }
}

/// The path a sequential create gets: the requested path followed by the parent's persisted
/// cversion (the count of creates under it, [`super::StatPersisted::cversion`]) as `%010d`.
/// Computed at prep time, so every server applies the same name. Negative counters (after 2^31
/// creates) format as Java does, `-000000001`-style with the sign inside the width.
pub fn sequential_path(parent_cversion: i32, path_prefix: &str) -> String {
    format!("{path_prefix}{parent_cversion:010}")
}

/// Whether `path` lies strictly below `ancestor`.
pub fn is_descendant(path: &str, ancestor: &str) -> bool {
    if ancestor == "/" {
        return path != "/";
    }
    path.len() > ancestor.len()
        && path.starts_with(ancestor)
        && path.as_bytes()[ancestor.len()] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_paths() {
        for path in [
            "/",
            "/a",
            "/a/b",
            "/a.b",
            "/..a",
            "/a..",
            "/zookeeper",
            "/é",
        ] {
            assert_eq!(validate_path(path, false), Ok(()), "{path}");
        }
        assert_eq!(validate_path("/lock-", true), Ok(()));
        assert_eq!(validate_path("/a/", true), Ok(()));
    }

    #[test]
    fn invalid_paths() {
        assert_eq!(validate_path("", false), Err(PathError::Empty));
        assert_eq!(validate_path("a", false), Err(PathError::NotAbsolute));
        assert_eq!(validate_path("/a/", false), Err(PathError::TrailingSlash));
        assert_eq!(
            validate_path("/a//b", false),
            Err(PathError::EmptyNodeName { position: 3 })
        );
        assert_eq!(
            validate_path("/a/.", false),
            Err(PathError::RelativePath { position: 3 })
        );
        assert_eq!(
            validate_path("/a/../b", false),
            Err(PathError::RelativePath { position: 4 })
        );
        assert_eq!(
            validate_path("/./b", false),
            Err(PathError::RelativePath { position: 1 })
        );
        assert_eq!(
            validate_path("/a\u{0}", false),
            Err(PathError::NullCharacter { position: 2 })
        );
        assert_eq!(
            validate_path("/a\u{1f}", false),
            Err(PathError::InvalidCharacter { position: 2 })
        );
        assert_eq!(
            validate_path("/\u{85}", false),
            Err(PathError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            validate_path("/\u{1F600}", false),
            Err(PathError::InvalidCharacter { position: 1 })
        );
        assert_eq!(
            validate_path("/\u{fff0}", false),
            Err(PathError::InvalidCharacter { position: 1 })
        );
    }

    #[test]
    fn parents_and_names() {
        assert_eq!(parent_path("/"), None);
        assert_eq!(parent_path("/a"), Some("/"));
        assert_eq!(parent_path("/a/b"), Some("/a"));
        assert_eq!(child_name("/a/b"), "b");
        assert_eq!(child_name("/"), "");
        assert_eq!(join_path("/", "a"), "/a");
        assert_eq!(join_path("/a", "b"), "/a/b");
        assert!(is_descendant("/a/b", "/a"));
        assert!(!is_descendant("/ab", "/a"));
        assert!(!is_descendant("/a", "/a"));
        assert!(is_descendant("/a", "/"));
    }

    #[test]
    fn sequential_suffix_is_ten_digits() {
        assert_eq!(sequential_path(0, "/lock-"), "/lock-0000000000");
        assert_eq!(sequential_path(42, "/a/"), "/a/0000000042");
        assert_eq!(sequential_path(i32::MAX, "/x"), "/x2147483647");
        assert_eq!(sequential_path(-1, "/x"), "/x-000000001");
    }
}
