#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zabkeeper_fuzz::targets::config(data));
