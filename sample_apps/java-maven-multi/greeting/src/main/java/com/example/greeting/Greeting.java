package com.example.greeting;

/** The library module: the web module depends on it. */
public final class Greeting {
    private Greeting() {}

    public static String of(String name) {
        return "Hello from " + name + "!";
    }
}
