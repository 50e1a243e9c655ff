fn main() {
    server::serve(&|path| match path {
        "/" => Some(greeting::greeting("rust-workspace web")),
        "/binary" => Some("web".to_string()),
        _ => None,
    });
}
