use axum::{routing::get, Router};

async fn hello() -> &'static str {
    "Hello from rust-axum!"
}

async fn health() -> &'static str {
    "ok"
}

// As PID 1 the process gets no default SIGTERM handling: stop on it, so `podman stop` is quick.
async fn terminated() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let app = Router::new().route("/", get(hello)).route("/healthz", get(health));
    let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}")).await.unwrap();
    println!("listening on {}", listener.local_addr().unwrap());
    axum::serve(listener, app).with_graceful_shutdown(terminated()).await.unwrap();
}
