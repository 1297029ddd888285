#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| zabkeeper_fuzz::targets::request_preparation(data));
