//! A certificate authority for tests (rcgen): a self-signed CA that issues leaf certificates
//! for host names and IP addresses, all in memory, as PEM.

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};

pub struct TestCa {
    /// The self-signed CA certificate, which signs every leaf.
    cert: Certificate,
    key: KeyPair,
    pub cert_pem: String,
}

/// A leaf certificate issued by a [`TestCa`].
pub struct Leaf {
    /// The leaf, then the CA (the chain a server presents).
    pub cert_chain_pem: String,
    pub private_key_pem: String,
}

/// Ed25519 keys: their signatures have a fixed length, so a TLS handshake with these
/// certificates has the same message sizes in every run, which keeps simulated runs over TLS a
/// function of their seed (an ECDSA signature's DER length varies from run to run).
fn new_key() -> Result<KeyPair, String> {
    KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(failed)
}

fn failed(e: rcgen::Error) -> String {
    format!("cannot generate the certificate: {e}")
}

impl TestCa {
    pub fn new() -> Result<TestCa, String> {
        let key = new_key()?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        let mut name = DistinguishedName::new();
        // Each CA gets its own name (from its key): a certificate issued by another test CA
        // is then reported as from an unknown CA, not as a bad signature of a namesake.
        let tag: String = key.public_key_raw()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        name.push(DnType::OrganizationName, "tonio testing CA");
        name.push(DnType::CommonName, format!("tonio testing CA {tag}"));
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).map_err(failed)?;
        Ok(TestCa {
            cert_pem: cert.pem(),
            cert,
            key,
        })
    }

    /// A leaf for `names` (DNS names or IP addresses), usable by servers and clients.
    pub fn issue(&self, names: &[String]) -> Result<Leaf, String> {
        if names.is_empty() {
            return Err("issue_cert needs at least one host name".into());
        }
        let key = new_key()?;
        let mut params = CertificateParams::new(names.to_vec()).map_err(failed)?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, names[0].clone());
        params.distinguished_name = name;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        // Python 3.13's default contexts verify strictly (VERIFY_X509_STRICT): a leaf needs
        // the Authority Key Identifier of its issuer.
        params.use_authority_key_identifier_extension = true;
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let leaf = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(failed)?;
        Ok(Leaf {
            cert_chain_pem: format!("{}{}", leaf.pem(), self.cert_pem),
            private_key_pem: pkcs8_v1_pem(&key.serialize_der())?,
        })
    }
}

/// The PKCS#8 v1 form of an Ed25519 key that ring wrote as v2 (with the public key): OpenSSL
/// 3.0, behind Python's `ssl`, reads only v1 for Ed25519. v2 is
/// `30 51 | 02 01 01 | 30 05 06 03 2b 65 70 | 04 22 04 20 <seed> | 81 21 00 <public key>`;
/// v1 is the same with version 0 and without the public key.
fn pkcs8_v1_pem(v2: &[u8]) -> Result<String, String> {
    const V2_HEAD: [u8; 16] = [
        0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    const V1_HEAD: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    if v2.len() < 48 || v2[..16] != V2_HEAD {
        return Err("unexpected Ed25519 key encoding from the key generator".into());
    }
    let mut v1 = V1_HEAD.to_vec();
    v1.extend_from_slice(&v2[16..48]);
    Ok(pem("PRIVATE KEY", &v1))
}

/// PEM armour: base64 in lines of 64 characters.
fn pem(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in der.chunks(3) {
        let bytes = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_armour_is_standard_base64() {
        assert_eq!(
            pem("X", b"hello"),
            "-----BEGIN X-----\naGVsbG8=\n-----END X-----\n"
        );
        assert_eq!(
            pem("X", b"hi!"),
            "-----BEGIN X-----\naGkh\n-----END X-----\n"
        );
    }

    #[test]
    fn leaves_chain_to_the_ca_and_keys_are_pkcs8_v1() {
        let ca = TestCa::new().unwrap();
        let leaf = ca.issue(&["localhost".to_owned()]).unwrap();
        assert!(leaf.cert_chain_pem.ends_with(&ca.cert_pem));
        assert!(leaf
            .private_key_pem
            .starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAw"));
        assert!(ca.issue(&[]).is_err());
    }
}
