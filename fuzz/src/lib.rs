//! Zabkeeper's fuzz targets; their bodies are in `targets.rs`, shared with the corpus replay
//! in the root package's `tests/fuzz_corpus.rs`.

pub mod targets;
