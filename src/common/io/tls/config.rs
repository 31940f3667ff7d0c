//! rustls client and server configurations from PEM (bytes or file contents).
//!
//! Every configuration uses the *ring* crypto provider and rustls's safe default protocol
//! versions (TLS 1.2 and 1.3). Errors are plain messages naming what was wrong with which input;
//! the bindings turn them into `ValueError`.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The crypto provider of every configuration.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificates of a PEM text (`what` names it in errors).
pub fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
    let certs = certs.map_err(|e| format!("{what}: not valid PEM certificates ({e})"))?;
    if certs.is_empty() {
        return Err(format!("{what}: no certificate found in the PEM data"));
    }
    Ok(certs)
}

/// The private key of a PEM text (PKCS#8, PKCS#1 or SEC1).
pub fn private_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| format!("private_key: no usable private key in the PEM data ({e})"))
}

fn root_store(pem: &[u8], what: &str) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(pem, what)? {
        roots
            .add(cert)
            .map_err(|e| format!("{what}: a certificate cannot be a trust anchor ({e})"))?;
    }
    Ok(roots)
}

/// The operating system's trust store.
fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(
            "ClientConfig: no ca_certs given and no certificate found in the system trust store"
                .into(),
        );
    }
    Ok(roots)
}

/// A client configuration: trust `ca_certs` (PEM) or the system store, present a client
/// certificate if given, offer `alpn`.
pub fn client_config(
    ca_certs: Option<&[u8]>,
    cert_chain: Option<&[u8]>,
    private_key_pem: Option<&[u8]>,
    alpn: Vec<Vec<u8>>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let roots = match ca_certs {
        Some(pem) => root_store(pem, "ca_certs")?,
        None => system_roots()?,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("ClientConfig: {e}"))?
        .with_root_certificates(roots);
    let mut config = match (cert_chain, private_key_pem) {
        (Some(chain), Some(key)) => builder
            .with_client_auth_cert(certificates(chain, "cert_chain")?, private_key(key)?)
            .map_err(|e| format!("ClientConfig: the client certificate is unusable ({e})"))?,
        (None, None) => builder.with_no_client_auth(),
        _ => return Err("ClientConfig: cert_chain and private_key go together".into()),
    };
    config.alpn_protocols = alpn;
    Ok(Arc::new(config))
}

/// A server configuration: present `cert_chain` with `private_key_pem`; with `client_ca`,
/// require client certificates issued by it; offer `alpn`.
pub fn server_config(
    cert_chain: &[u8],
    private_key_pem: &[u8],
    client_ca: Option<&[u8]>,
    alpn: Vec<Vec<u8>>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("ServerConfig: {e}"))?;
    let builder = match client_ca {
        Some(pem) => {
            let roots = Arc::new(root_store(pem, "client_ca")?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
                .build()
                .map_err(|e| format!("ServerConfig: client_ca is unusable ({e})"))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(
            certificates(cert_chain, "cert_chain")?,
            private_key(private_key_pem)?,
        )
        .map_err(|e| format!("ServerConfig: the certificate and key are unusable ({e})"))?;
    config.alpn_protocols = alpn;
    Ok(Arc::new(config))
}
