"""The address a Node server listens on. Many servers bind to `localhost` unless HOST says
otherwise, and in a container localhost is unreachable from outside it: Astro's node adapter
(`HOST`, default localhost), Nuxt/Nitro (`NITRO_HOST`, else `HOST`), SvelteKit's adapter-node
(`HOST`), remix-serve and react-router-serve (`HOST`), Vite preview, and many hand-written
servers (`app.listen(port, process.env.HOST || "localhost")`). So every Node image sets
`HOST=0.0.0.0`, as a Dockerfile for them would; Next.js reads `HOSTNAME` instead. A start
script's own `HOST=...` wins (it is applied after these)."""

from __future__ import annotations

ALL_INTERFACES = "0.0.0.0"
HOST_READERS = "Astro's node adapter, Nuxt/Nitro, SvelteKit's adapter-node, remix-serve and many servers"


def launch_env(framework: str | None, command_env: dict[str, str]) -> tuple[dict[str, str], str]:
    """(the variables the image sets so the server listens on every interface, why)."""
    env = {"HOST": ALL_INTERFACES}
    why = f"HOST=0.0.0.0: {HOST_READERS} listen on localhost only otherwise, unreachable from outside the container"
    if framework == "next":
        env["HOSTNAME"] = ALL_INTERFACES
        why += "; HOSTNAME=0.0.0.0: Next.js's server reads HOSTNAME"
    overridden = sorted(k for k in env if k in command_env)
    for key in overridden:
        del env[key]
    if overridden:
        why += f" ({', '.join(overridden)} set by the start command instead)"
    return env, why
