//! TLS with rustls (ring provider): the client configuration built from [`TlsOptions`], the
//! non-blocking handshake step, and [`Stream`], a plain or TLS byte stream over a non-blocking
//! `TcpStream` for the WebSocket transport.
//!
//! The I/O thread sleeps in `poll(2)` on the TCP socket, which cannot see what rustls buffers:
//! [`Stream::read`] returns plaintext rustls already decrypted before it reports `WouldBlock`,
//! and [`Stream::flush`] / [`Stream::wants_write`] include TLS records not yet on the socket.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::websocket::TransportError;
use crate::Error;

/// How TLS connections (`https://`, `wss://`) verify the server and identify the client.
/// `Default` verifies the server's certificate and host name against the system's trust store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// PEM file with one or more CA certificates to trust *instead of* the system's store.
    pub ca_file: Option<PathBuf>,
    /// PEM certificate chain and PEM private key presented to servers that ask for one (mutual
    /// TLS).
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Accept any server certificate and host name (handshake signatures are still checked).
    /// For testing only: it gives up all protection against a man in the middle.
    pub insecure: bool,
}

/// Builds the rustls client configuration for `opts`, reading every file it names.
///
/// Called once per client; the result is shared by all its connections. ALPN is left empty, so
/// the same configuration serves WebSocket upgrades and plain HTTP/1.1 requests. Another TLS
/// stack (an HTTP client) can be set up alike from [`load_ca_certs`], [`native_root_certs`],
/// [`load_client_identity`] and `opts.insecure`.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::InvalidArgument(format!("TLS configuration: {e}")))?;
    // Read even when `insecure`, so that a wrong path is reported either way.
    let custom_roots = opts.ca_file.as_deref().map(load_ca_certs).transpose()?;
    let builder = if opts.insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let mut roots = RootCertStore::empty();
        match custom_roots {
            Some(certs) => {
                for cert in certs {
                    roots.add(cert).map_err(|e| {
                        let path = opts.ca_file.as_deref().unwrap_or(Path::new("")).display();
                        Error::InvalidArgument(format!(
                            "CA certificate file {path}: unusable certificate: {e}"
                        ))
                    })?;
                }
            }
            None => {
                // Unreadable entries are skipped: what matters is whether any root is left.
                roots.add_parsable_certificates(native_root_certs());
                if roots.is_empty() {
                    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                }
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match &opts.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert_file, key_file)) => {
            let (certs, key) = load_client_identity(cert_file, key_file)?;
            builder.with_client_auth_cert(certs, key).map_err(|e| {
                Error::InvalidArgument(format!(
                    "client certificate {} with key {}: {e}",
                    cert_file.display(),
                    key_file.display()
                ))
            })?
        }
    };
    Ok(Arc::new(config))
}

/// The certificates of a PEM CA file (one or more); an unreadable file or none in it is
/// [`Error::InvalidArgument`] naming the path.
pub fn load_ca_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    load_certs(path, "CA certificate")
}

/// The system's trust store (`rustls-native-certs`: `SSL_CERT_FILE`, `SSL_CERT_DIR`, then the
/// distribution's bundle). If it is empty, [`client_config`] trusts the Mozilla roots of
/// `webpki-roots` instead.
pub fn native_root_certs() -> Vec<CertificateDer<'static>> {
    rustls_native_certs::load_native_certs().certs
}

/// A client certificate chain and its private key, from PEM files.
pub fn load_client_identity(
    cert_file: &Path,
    key_file: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    let certs = load_certs(cert_file, "client certificate")?;
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| invalid_file(key_file, "private key", e))?;
    Ok((certs, key))
}

/// `what` is `"CA certificate"`, `"client certificate"` or `"private key"`.
fn invalid_file(path: &Path, what: &str, e: rustls::pki_types::pem::Error) -> Error {
    use rustls::pki_types::pem::Error as PemError;
    let reason = match e {
        PemError::Io(e) => e.to_string(),
        PemError::NoItemsFound => format!("no PEM {what} in it"),
        other => format!("bad PEM: {other:?}"),
    };
    Error::InvalidArgument(format!("{what} file {}: {reason}", path.display()))
}

/// Every certificate of a PEM file; none is an error. `what` names the file in errors.
fn load_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid_file(path, what, e))?;
    if certs.is_empty() {
        return Err(invalid_file(path, what, rustls::pki_types::pem::Error::NoItemsFound));
    }
    Ok(certs)
}

/// A rustls error for humans, with a hint for the usual causes.
pub fn describe(e: &rustls::Error) -> String {
    use rustls::{AlertDescription, CertificateError};
    let hint = match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            " (not signed by a trusted CA: see the CA file option)"
        }
        rustls::Error::AlertReceived(AlertDescription::CertificateRequired) => {
            " (the server requires a client certificate)"
        }
        _ => "",
    };
    format!("{e}{hint}")
}

/// The verifier of [`TlsOptions::insecure`]: any certificate for any name, but the handshake
/// signatures must still be valid (the peer holds the key of the certificate it sent).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The name the server's certificate must carry: the URL's host (SNI too, for a DNS name).
pub fn server_name(url: &url::Url) -> Result<ServerName<'static>, TransportError> {
    match url.host() {
        Some(url::Host::Domain(d)) => ServerName::try_from(d.to_owned())
            .map_err(|e| TransportError::Failed(format!("invalid TLS server name {d:?}: {e}"))),
        Some(url::Host::Ipv4(ip)) => Ok(ServerName::from(std::net::IpAddr::V4(ip))),
        Some(url::Host::Ipv6(ip)) => Ok(ServerName::from(std::net::IpAddr::V6(ip))),
        None => Err(TransportError::Failed("URL has no host".into())),
    }
}

/// What a handshake step waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake {
    /// The handshake is complete (and its last records are on the socket).
    Done,
    /// Call [`handshake_step`] again once the socket is readable.
    WantRead,
    /// Call [`handshake_step`] again once the socket is writable.
    WantWrite,
}

/// Advances the TLS handshake of `conn` over the non-blocking `sock` as far as it goes now.
/// `host` names the server in error messages.
pub fn handshake_step(
    conn: &mut ClientConnection,
    sock: &mut TcpStream,
    host: &str,
) -> Result<Handshake, TransportError> {
    let fail = |what: String| TransportError::Failed(format!("TLS handshake with {host} failed: {what}"));
    loop {
        while conn.wants_write() {
            match conn.write_tls(sock) {
                Ok(0) => return Err(fail("the connection was closed".into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Handshake::WantWrite),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(fail(e.to_string())),
            }
        }
        if !conn.is_handshaking() {
            return Ok(Handshake::Done);
        }
        match conn.read_tls(sock) {
            Ok(0) => return Err(fail("the server closed the connection".into())),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Handshake::WantRead),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(fail(e.to_string())),
        }
        if let Err(e) = conn.process_new_packets() {
            // Tell the server why (the alert rustls queued), if the socket takes it now.
            let _ = conn.write_tls(sock);
            return Err(fail(describe(&e)));
        }
    }
}

/// A byte stream over a non-blocking TCP socket, with or without TLS.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    /// Whether bytes wait for the socket to become writable (TLS records rustls holds).
    pub fn wants_write(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(s) => s.conn.wants_write(),
        }
    }

    /// Queues TLS close_notify and sends what the socket takes now (nothing for plain TCP).
    pub fn close_notify(&mut self) {
        if let Stream::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = Stream::write_tls(s);
        }
    }

    /// Writes the TLS records rustls holds until done or the socket would block.
    fn write_tls(s: &mut rustls::StreamOwned<ClientConnection, TcpStream>) -> io::Result<()> {
        while s.conn.wants_write() {
            match s.conn.write_tls(&mut s.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Stream::Plain(s) => s.as_raw_fd(),
            Stream::Tls(s) => s.sock.as_raw_fd(),
        }
    }
}

impl Read for Stream {
    /// Plaintext rustls already holds comes first; `WouldBlock` only once it is empty and the
    /// socket has nothing more, so a caller that reads until `WouldBlock` may then `poll(2)`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let s = match self {
            Stream::Plain(s) => return s.read(buf),
            Stream::Tls(s) => s,
        };
        loop {
            match s.conn.reader().read(buf) {
                // Data, or 0 after the server's close_notify.
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // UnexpectedEof: the TCP connection ended without close_notify.
                Err(e) => return Err(e),
            }
            // `read_tls` returning 0 marks the end of the stream: the next `reader().read` says so.
            match s.conn.read_tls(&mut s.sock) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if let Err(e) = s.conn.process_new_packets() {
                let _ = Stream::write_tls(s);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            // Post-handshake messages may need an answer (a key update): send it if we can;
            // otherwise `wants_write` keeps the I/O thread polling for POLLOUT.
            let _ = Stream::write_tls(s);
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let s = match self {
            Stream::Plain(s) => return s.write(buf),
            Stream::Tls(s) => s,
        };
        loop {
            let n = s.conn.writer().write(buf)?;
            if n > 0 || buf.is_empty() {
                // Best effort: errors other than WouldBlock come back from `flush`.
                let _ = Stream::write_tls(s);
                return Ok(n);
            }
            // rustls' buffer is full: make room on the socket first (or report WouldBlock).
            if !s.conn.wants_write() {
                return Err(io::ErrorKind::WriteZero.into());
            }
            Stream::write_tls(s)?;
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => {
                Stream::write_tls(s)?;
                s.sock.flush()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_verifies_against_system_roots() {
        let config = client_config(&TlsOptions::default()).unwrap();
        assert!(config.alpn_protocols.is_empty());
    }

    #[test]
    fn missing_or_empty_files_are_invalid_arguments_naming_the_path() {
        let opts = TlsOptions { ca_file: Some("/nonexistent/ca.pem".into()), ..TlsOptions::default() };
        match client_config(&opts) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("/nonexistent/ca.pem"), "{m}"),
            other => panic!("{other:?}"),
        }
        let empty = std::env::temp_dir().join(format!("sio-empty-{}.pem", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let opts = TlsOptions { ca_file: Some(empty.clone()), ..TlsOptions::default() };
        let result = client_config(&opts);
        let _ = std::fs::remove_file(&empty);
        match result {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("no PEM CA certificate"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    /// A TLS echo server on a thread (blocking rustls over loopback), for `Stream` tests.
    fn echo_server() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().self_signed(&key).unwrap();
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![cert.der().clone()], PrivateKeyDer::Pkcs8(key.serialize_der().into()))
                .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, sock);
            let mut buf = vec![0u8; 50_000];
            loop {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        tls.write_all(&buf[..n]).unwrap();
                        tls.flush().unwrap();
                    }
                }
            }
        });
        (addr, server)
    }

    /// Writes and reads through a non-blocking [`Stream`] the way the I/O thread does: read
    /// (in small pieces) until `WouldBlock`, then sleep in `poll(2)`. Plaintext rustls holds
    /// must never be left behind for a `poll` that cannot see it.
    #[test]
    fn stream_reads_buffered_plaintext_before_would_block() {
        use crate::transport::{poll, Waker};
        use std::time::{Duration, Instant};

        let (addr, server) = echo_server();
        let insecure = TlsOptions { insecure: true, ..TlsOptions::default() };
        let mut sock = TcpStream::connect(addr).unwrap();
        sock.set_nonblocking(true).unwrap();
        let name = server_name(&url::Url::parse(&format!("wss://{addr}/")).unwrap()).unwrap();
        let mut conn = ClientConnection::new(client_config(&insecure).unwrap(), name).unwrap();
        let waker = Waker::new().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let want_write = match handshake_step(&mut conn, &mut sock, "127.0.0.1").unwrap() {
                Handshake::Done => break,
                Handshake::WantRead => false,
                Handshake::WantWrite => true,
            };
            poll(Some(sock.as_raw_fd()), want_write, &waker, Some(deadline)).unwrap();
            assert!(Instant::now() < deadline, "handshake timed out");
        }
        let mut stream = Stream::Tls(Box::new(rustls::StreamOwned::new(conn, sock)));

        let sent: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (mut written, mut received) = (0, Vec::new());
        let mut buf = [0u8; 100];
        while received.len() < sent.len() {
            while written < sent.len() {
                match stream.write(&sent[written..(written + 7_000).min(sent.len())]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("write: {e}"),
                }
            }
            match stream.flush() {
                Ok(()) => assert!(!stream.wants_write()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => assert!(stream.wants_write()),
                Err(e) => panic!("flush: {e}"),
            }
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => panic!("unexpected end of stream"),
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read: {e}"),
                }
            }
            if received.len() == sent.len() {
                break;
            }
            let want_write = written < sent.len() || stream.wants_write();
            let ready = poll(Some(stream.as_raw_fd()), want_write, &waker, Some(deadline)).unwrap();
            assert!(
                ready.readable || ready.writable,
                "poll timed out with {} of {} bytes echoed: data stuck in rustls",
                received.len(),
                sent.len()
            );
        }
        assert!(received == sent, "the echo differs");
        drop(stream);
        server.join().unwrap();
    }

    #[test]
    fn server_names_come_from_the_url_host() {
        let name = |u: &str| server_name(&url::Url::parse(u).unwrap()).unwrap();
        assert!(matches!(name("wss://127.0.0.1:3000/"), ServerName::IpAddress(_)));
        assert!(matches!(name("wss://[::1]:3000/"), ServerName::IpAddress(_)));
        assert!(matches!(name("wss://example.test/"), ServerName::DnsName(_)));
    }
}
