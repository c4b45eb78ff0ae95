//! Idle and greedy TCP clients cannot hold the server's connections: a cap
//! per address, and a deadline for each request head.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use breakout_server::Limits;
use common::{TestServer, until_closed};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

/// A connection from `source` (any 127.x.y.z works on loopback).
async fn connect_from(source: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.expect("connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_from_one_address_are_capped_and_others_still_served() {
    let cap = 8;
    let server = TestServer::start_with_limits(Limits {
        connections_per_address: cap,
        limit_loopback: true,
        header_read_timeout: Duration::from_secs(600),
        ..Limits::default()
    })
    .await;
    let addr = server.addr;
    let mut idle = Vec::new();
    for _ in 0..cap {
        idle.push(connect_from("127.0.0.2", addr).await);
    }
    // Past the cap, each new connection is answered and closed at once.
    for _ in 0..20 {
        let mut extra = connect_from("127.0.0.2", addr).await;
        let reply = until_closed(&mut extra).await;
        assert!(
            reply.starts_with("HTTP/1.1 429") && reply.contains("too_many_connections"),
            "refused politely: {reply:?}"
        );
    }
    // Other addresses, the health check included, are not affected.
    let health = server.http.get(server.url("/v1/health")).send().await;
    assert_eq!(health.unwrap().status(), 200);
    // The connections within the cap are served normally.
    let mut first = idle.remove(0);
    first
        .write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let reply = until_closed(&mut first).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_header_connections_are_closed_after_the_timeout() {
    let server = TestServer::start_with_limits(Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let addr = server.addr;

    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    until_closed(&mut silent).await;
    until_closed(&mut slow).await;

    // A complete request in time is answered as usual.
    let health = server.http.get(server.url("/v1/health")).send().await;
    assert_eq!(health.unwrap().status(), 200);
    server.shutdown().await;
}
