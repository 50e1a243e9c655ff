//! A tiny HTTP/1.1 server on the standard library alone: the workspace sample needs no crate
//! from the registry, so it builds in seconds.
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn _exit(status: i32) -> !;
}

extern "C" fn stop(_: i32) {
    unsafe { _exit(0) }
}

pub fn serve(routes: &dyn Fn(&str) -> Option<String>) {
    // As PID 1 the process gets no default SIGTERM handling: stop on it, so `podman stop` is quick.
    unsafe { signal(15, stop) };
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = TcpListener::bind(("0.0.0.0", port.parse::<u16>().expect("PORT is a port number"))).unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut request_line = String::new();
        let mut reader = BufReader::new(&stream);
        if reader.read_line(&mut request_line).is_err() {
            continue;
        }
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(n) if n > 2 => continue,
                _ => break,
            }
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("/");
        let (status, body) = match routes(path) {
            Some(body) => ("200 OK", body),
            None => ("404 Not Found", "not found".to_string()),
        };
        let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                       body.len());
    }
}
