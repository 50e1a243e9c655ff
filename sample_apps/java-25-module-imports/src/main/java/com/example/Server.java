package com.example;

// Java 25 only: module import declarations (JEP 511) bring every package a module exports.
import module java.base;
import module jdk.httpserver;

/** The JDK's HTTP server, its packages imported by module. */
public class Server {
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", exchange -> send(exchange, "text/plain", "Hello from java-25-module-imports!"));
        server.createContext("/json", exchange -> send(exchange, "application/json",
                "{\"runtime\":\"" + Runtime.version() + "\"}"));
        server.start();
        System.out.println("listening on " + port);
    }

    private static void send(HttpExchange exchange, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
