//! Small hashing and crypto primitives shared by several modules, kept in a leaf so nobody
//! imports a sibling just for them: the stable FNV-1a hash of identity keys (`parse`, `mailer`),
//! the one rustls crypto provider (`fetch`, `mailer`, `channel`) and HMAC-SHA256 signatures of
//! webhook bodies (`channel`), all on the `ring` that rustls already compiles.

/// 64-bit FNV-1a: a stable (across runs and versions) hash for identity keys.
pub fn fnv64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in p.as_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Installs the one rustls crypto provider (ring) used by reqwest and lettre.
pub fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is what we want anyway.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Lowercase hex HMAC-SHA256 of `body` keyed with `key`.
pub fn hmac_sha256_hex(key: &[u8], body: &[u8]) -> String {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let tag = ring::hmac::sign(&k, body);
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            super::hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
