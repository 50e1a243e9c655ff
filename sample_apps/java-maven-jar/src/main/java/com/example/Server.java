package com.example;

import com.google.gson.Gson;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A plain jar with a Main-Class: the JDK's own HTTP server, and one dependency (Gson). */
public class Server {
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", exchange -> reply(exchange, "text/plain", "Hello from java-maven-jar!"));
        server.createContext("/json", exchange -> reply(exchange, "application/json",
                new Gson().toJson(Map.of("runtime", Runtime.version().toString(),
                        "modules", ModuleLayer.boot().modules().size()))));
        server.start();
        System.out.println("listening on " + port);
    }

    private static void reply(HttpExchange exchange, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}
