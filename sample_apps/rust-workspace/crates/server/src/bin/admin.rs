fn main() {
    server::serve(&|path| match path {
        "/" => Some(greeting::greeting("rust-workspace admin")),
        "/binary" => Some("admin".to_string()),
        _ => None,
    });
}
