//! A server certificate's fingerprint, as a join link carries it
//! (`fp=sha256:<64 hex digits>`) so the app can pin a self-signed
//! certificate and needs no certificate authority.

use std::fmt;
use std::str::FromStr;

/// The SHA-256 digest of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

/// Why a text is not a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a certificate fingerprint is written sha256: followed by 64 hexadecimal digits")]
pub struct FingerprintError;

const PREFIX: &str = "sha256:";

impl fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Reads `sha256:<hex>`; the prefix is optional and the digits may be
/// upper case or grouped with colons, as other tools print them.
impl FromStr for CertFingerprint {
    type Err = FingerprintError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits = match text.get(..PREFIX.len()) {
            Some(head) if head.eq_ignore_ascii_case(PREFIX) => &text[PREFIX.len()..],
            _ => text,
        };
        let digits: Vec<u8> = digits.bytes().filter(|b| *b != b':').collect();
        if digits.len() != 64 {
            return Err(FingerprintError);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| FingerprintError)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| FingerprintError)?;
        }
        Ok(CertFingerprint(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_and_read_back() {
        let fp = CertFingerprint(std::array::from_fn(|i| i as u8 * 7));
        let text = fp.to_string();
        assert!(text.starts_with("sha256:00070e15"), "{text}");
        assert_eq!(text.len(), 7 + 64);
        assert_eq!(text.parse(), Ok(fp));
        assert_eq!(text.to_uppercase().parse(), Ok(fp));
        let grouped: Vec<String> = fp.0.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(grouped.join(":").parse(), Ok(fp));
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "sha256:",
            "sha256:abcd",
            &format!("sha256:{}", "zz".repeat(32)),
        ] {
            assert_eq!(
                bad.parse::<CertFingerprint>(),
                Err(FingerprintError),
                "{bad}"
            );
        }
    }
}
