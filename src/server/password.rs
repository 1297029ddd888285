//! Session passwords as ZooKeeper derives them: 16 bytes from `java.util.Random` seeded with
//! the session id XOR a fixed secret. Deriving them the same way means a client that holds a
//! session id and password can reconnect after the server restarts, without the server storing
//! passwords anywhere.

/// ZooKeeper's `superSecret`.
const SECRET: i64 = 0xB341_5C00;
const MULTIPLIER: i64 = 0x5_DEEC_E66D;
const INCREMENT: i64 = 0xB;
const SEED_MASK: i64 = (1 << 48) - 1;

/// The password of `session_id`.
pub fn session_password(session_id: i64) -> [u8; 16] {
    let mut generator = JavaRandom::new(session_id ^ SECRET);
    let mut password = [0u8; 16];
    for chunk in password.chunks_mut(4) {
        let mut bits = generator.next_int();
        for byte in chunk {
            *byte = bits as u8;
            bits >>= 8;
        }
    }
    password
}

/// True when `offered` is the password of `session_id` (compared in constant time).
pub fn password_matches(session_id: i64, offered: &[u8]) -> bool {
    let expected = session_password(session_id);
    offered.len() == expected.len()
        && offered
            .iter()
            .zip(expected.iter())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// The linear congruential generator of `java.util.Random`, as its documentation specifies it.
struct JavaRandom {
    seed: i64,
}

impl JavaRandom {
    fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed ^ MULTIPLIER) & SEED_MASK,
        }
    }

    fn next_int(&mut self) -> i32 {
        self.seed = self.seed.wrapping_mul(MULTIPLIER).wrapping_add(INCREMENT) & SEED_MASK;
        (self.seed >> 16) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Values printed by `new java.util.Random(id ^ 0xB3415C00L).nextBytes(new byte[16])` on
    /// OpenJDK 17, the computation ZooKeeper's `generatePasswd` performs.
    #[test]
    fn passwords_match_what_java_derives() {
        assert_eq!(
            hex(&session_password(72_057_594_037_927_937)),
            "054cc74a37327db215e702e20c73f005"
        );
        assert_eq!(
            hex(&session_password(0)),
            "f22acd4a97e69d6d20a49bb638eadb38"
        );
        assert_eq!(
            hex(&session_password(-1)),
            "20f62cb5648dc2d771471c8a2486a9ee"
        );
    }

    #[test]
    fn only_the_right_password_matches() {
        let password = session_password(42);
        assert!(password_matches(42, &password));
        assert!(!password_matches(43, &password));
        assert!(!password_matches(42, &password[..15]));
    }
}
