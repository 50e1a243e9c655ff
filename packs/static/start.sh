# pack-it's static pack: nginx cannot read $PORT, nor /etc/mime.types' format. This script,
# run by dash with its builtins only (no other program is in the image), writes both into /tmp
# and then becomes nginx (PID 1: it handles SIGTERM and SIGQUIT itself).
set -eu
port="${PORT:-8080}"
case "$port" in
    '' | *[!0-9]* | 0*)
        printf 'error: PORT=%s is not a port number (1-65535)\n' "$port" >&2
        exit 64 ;;
esac
if [ "$port" -gt 65535 ]; then
    printf 'error: PORT=%s is not a port number (1-65535)\n' "$port" >&2
    exit 64
fi
umask 022
printf 'listen %s;\n' "$port" > /tmp/pack-it-nginx-listen.conf
{
    printf 'types {\n'
    # media-types' /etc/mime.types: `type ext ext ...`; the first type listing an extension wins.
    while read -r type extensions; do
        case "$type" in '' | '#'*) continue ;; esac
        if [ -n "$extensions" ]; then printf '    %s %s;\n' "$type" "$extensions"; fi
    done < /etc/mime.types
    printf '}\n'
} > /tmp/pack-it-nginx-types.conf
exec /usr/sbin/nginx -e stderr -p /tmp -c /layers/static/site/nginx.conf
