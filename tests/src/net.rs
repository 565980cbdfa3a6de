//! Loopback network pieces for testing the path a service really takes: a TLS front (certificate
//! made at test time, HTTP/2 offered by ALPN) before a wiremock server, and a CONNECT proxy.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// A certificate authority made for this test run, and a server certificate it signed for
/// `127.0.0.1`, `localhost` and the production hosts of every spec (reached through
/// `ClientBuilder::configure_http(|b| b.resolve(host, front))`, never over the network).
pub struct Pki {
    pub ca_pem: String,
    cert_der: rustls::pki_types::CertificateDer<'static>,
    key_der: Vec<u8>,
}

pub const HOSTS: [&str; 3] = ["api.dub.co", "api.partnerize.com", "api.geni.us"];

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "affiliate-tests CA");
        ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();

        let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into()];
        names.extend(HOSTS.iter().map(|h| h.to_string()));
        let mut leaf_params = rcgen::CertificateParams::new(names).unwrap();
        leaf_params.distinguished_name.push(rcgen::DnType::CommonName, "affiliate-tests server");
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        Pki { ca_pem: ca.pem(), cert_der: leaf.der().clone(), key_der: leaf_key.serialize_der() }
    })
}

/// The test CA as reqwest takes it.
pub fn test_root() -> reqwest::Certificate {
    reqwest::Certificate::from_pem(pki().ca_pem.as_bytes()).unwrap()
}

/// Terminates TLS on a loopback port and forwards the plain bytes to `backend` (a wiremock
/// server, which speaks HTTP/1.1 and HTTP/2 alike). Counts connections and handshakes and
/// records each connection's ALPN protocol.
pub struct TlsFront {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    handshakes: Arc<AtomicUsize>,
    alpn: Arc<Mutex<Vec<String>>>,
}

impl TlsFront {
    pub async fn start(backend: SocketAddr) -> TlsFront {
        let pki = pki();
        let key = rustls::pki_types::PrivateKeyDer::try_from(pki.key_der.clone()).unwrap();
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![pki.cert_der.clone()], key)
                .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front = TlsFront {
            addr: listener.local_addr().unwrap(),
            connections: Arc::default(),
            handshakes: Arc::default(),
            alpn: Arc::default(),
        };
        let (connections, handshakes, alpn) = (front.connections.clone(), front.handshakes.clone(), front.alpn.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                let (acceptor, handshakes, alpn) = (acceptor.clone(), handshakes.clone(), alpn.clone());
                tokio::spawn(async move {
                    // Without TCP_NODELAY on both legs, Nagle and delayed ACKs add 40 ms stalls
                    // that land on whichever request comes next.
                    let _ = tcp.set_nodelay(true);
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    handshakes.fetch_add(1, Ordering::SeqCst);
                    let protocol = tls.get_ref().1.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
                    alpn.lock().unwrap().push(protocol.unwrap_or_else(|| "none".into()));
                    if let Ok(mut plain) = TcpStream::connect(backend).await {
                        let _ = plain.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
        front
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// TLS handshakes that completed.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }

    /// The ALPN protocol of every completed handshake (`h2`, `http/1.1`, `none`).
    pub fn alpn(&self) -> Vec<String> {
        self.alpn.lock().unwrap().clone()
    }
}

/// A plain HTTP/1.1 and HTTP/2 server answering every request from `answer`, with TCP_NODELAY
/// on its connections (wiremock leaves Nagle on, which puts 40 ms stalls into small responses
/// behind a proxy; the benchmarks need a server that adds nothing of its own).
pub async fn static_server<F>(answer: F) -> SocketAddr
where
    F: Fn(&http::request::Parts) -> http::Response<bytes::Bytes> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            let answer = answer.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let answer = answer.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        // Read the request to its end so the connection stays usable.
                        let _ = http_body_util::BodyExt::collect(body).await;
                        let response = answer(&parts).map(http_body_util::Full::new);
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(tcp), service).await;
            });
        }
    });
    addr
}

/// The socket address of a wiremock server.
pub fn addr_of(server: &wiremock::MockServer) -> SocketAddr {
    *server.address()
}

/// A forward proxy that serves `CONNECT host:port` (how clients reach https through a proxy) and
/// records each target.
pub struct ConnectProxy {
    pub addr: SocketAddr,
    targets: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub async fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = ConnectProxy { addr: listener.local_addr().unwrap(), targets: Arc::default() };
        let targets = proxy.targets.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let targets = targets.clone();
                tokio::spawn(async move {
                    let Some(target) = read_connect(&mut client).await else { return };
                    targets.lock().unwrap().push(target.clone());
                    // Only loopback targets: this proxy never reaches beyond the machine.
                    let upstream = match target.parse::<SocketAddr>() {
                        Ok(addr) if addr.ip().is_loopback() => TcpStream::connect(addr).await.ok(),
                        _ => None,
                    };
                    let Some(mut upstream) = upstream else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n").await;
                        return;
                    };
                    if client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `host:port` of every CONNECT received.
    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

/// Reads a request head and returns the target of a `CONNECT`.
async fn read_connect(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head).lines().next()?.to_string();
    let mut parts = line.split_whitespace();
    (parts.next()? == "CONNECT").then(|| parts.next().map(str::to_string))?
}
