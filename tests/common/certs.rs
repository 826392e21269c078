//! Certificates for the TLS tests, made at test time with `rcgen`: a CA, server certificates
//! for the right and a wrong host, and a client certificate.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// PEM files in a directory of their own (one per test process).
pub struct Certs {
    pub ca: PathBuf,
    /// For `127.0.0.1` (IP SAN) and `localhost`, signed by the CA.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// For `example.test` only, signed by the CA.
    pub other_cert: PathBuf,
    pub other_key: PathBuf,
    /// A client certificate signed by the CA.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

pub fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, pem: String| {
            let path = dir.join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };

        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "libsio test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = write("ca.pem", ca_params.self_signed(&ca_key).unwrap().pem());
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf = |names: &[&str], cn: &str, file: &str| {
            let mut params =
                CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
            params.distinguished_name.push(DnType::CommonName, cn);
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &issuer).unwrap();
            (
                write(&format!("{file}.pem"), cert.pem()),
                write(&format!("{file}-key.pem"), key.serialize_pem()),
            )
        };
        let (server_cert, server_key) = leaf(&["127.0.0.1", "localhost"], "127.0.0.1", "server");
        let (other_cert, other_key) = leaf(&["example.test"], "example.test", "other");
        let (client_cert, client_key) = leaf(&[], "libsio test client", "client");
        Certs { ca, server_cert, server_key, other_cert, other_key, client_cert, client_key }
    })
}
