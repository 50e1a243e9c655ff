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
# nginx compares extensions in lower case (amr and AMR are one); dash has no tr.
lower() {
    rest=$1 out=""
    while [ -n "$rest" ]; do
        c=${rest%"${rest#?}"} rest=${rest#?}
        case $c in
            A) c=a ;; B) c=b ;; C) c=c ;; D) c=d ;; E) c=e ;; F) c=f ;; G) c=g ;; H) c=h ;; I) c=i ;;
            J) c=j ;; K) c=k ;; L) c=l ;; M) c=m ;; N) c=n ;; O) c=o ;; P) c=p ;; Q) c=q ;; R) c=r ;;
            S) c=s ;; T) c=t ;; U) c=u ;; V) c=v ;; W) c=w ;; X) c=x ;; Y) c=y ;; Z) c=z ;;
        esac
        out=$out$c
    done
}
printf 'listen %s;\n' "$port" > /tmp/pack-it-nginx-listen.conf
{
    printf 'types {\n'
    # media-types' /etc/mime.types: `type ext ext ...`. An extension listed twice (sh, csh, tcl
    # under application/x-* and text/x-*; amr and AMR) keeps its first type: nothing to warn about.
    set -f  # the extensions are split into words, never globbed
    seen=" "
    while read -r type extensions; do
        case "$type" in '' | '#'*) continue ;; esac
        kept=""
        for ext in $extensions; do
            case "$ext" in *[A-Z]*) lower "$ext"; ext=$out ;; esac
            case "$seen" in *" $ext "*) continue ;; esac
            seen="$seen$ext "
            kept="$kept $ext"
        done
        if [ -n "$kept" ]; then printf '    %s%s;\n' "$type" "$kept"; fi
    done < /etc/mime.types
    printf '}\n'
} > /tmp/pack-it-nginx-types.conf
exec /usr/sbin/nginx -e stderr -p /tmp -c /layers/static/site/nginx.conf
