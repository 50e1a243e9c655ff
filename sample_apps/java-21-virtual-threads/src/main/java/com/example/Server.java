package com.example;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/** Java 21 only: record patterns in a switch, and requests served on virtual threads. */
public class Server {
    sealed interface Reply permits Text, Json {}
    record Text(String body) implements Reply {}
    record Json(String body) implements Reply {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> send(exchange, new Text("Hello from java-21-virtual-threads!")));
        server.createContext("/json", exchange -> send(exchange, new Json(
                "{\"runtime\":\"" + Runtime.version() + "\",\"virtual\":" + Thread.currentThread().isVirtual() + "}")));
        server.start();
        System.out.println("listening on " + port);
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        String[] typed = switch (reply) {
            case Text(String body) -> new String[] {"text/plain", body};
            case Json(String body) -> new String[] {"application/json", body};
        };
        byte[] bytes = typed[1].getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", typed[0]);
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
