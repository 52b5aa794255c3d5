/*
 * outbound.c — the unikernel as a client: resolves argv[1] through musl's resolver (the name
 * server of /etc/resolv.conf, written from jeos.net=...,dns=), fetches http://NAME:8000/page.txt
 * and prints its length and FNV-1a hash, then reads from NAME:8001, whose server resets the
 * connection part way, and prints the error the read ends with.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int dial(const char *name, const char *port, char *ip, size_t iplen)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    int r = getaddrinfo(name, port, &hints, &res);
    if (r) {
        printf("outbound: getaddrinfo %s: %s\n", name, gai_strerror(r));
        return -1;
    }
    const unsigned char *a = (const unsigned char *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
    snprintf(ip, iplen, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, res->ai_addr, res->ai_addrlen) < 0) {
        printf("outbound: connect %s:%s: %s\n", ip, port, strerror(errno));
        close(s);
        s = -1;
    }
    freeaddrinfo(res);
    return s;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "web.jeos.test";
    char ip[32];
    int s = dial(name, "8000", ip, sizeof(ip));
    if (s < 0)
        return 1;
    printf("outbound: resolved %s to %s\n", name, ip);
    char req[256];
    int n = snprintf(req, sizeof(req), "GET /page.txt HTTP/1.0\r\nHost: %s\r\n\r\n", name);
    write(s, req, (size_t)n);
    static char buf[1 << 20];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof(buf) && (r = read(s, buf + len, sizeof(buf) - len)) > 0)
        len += (size_t)r;
    close(s);
    char *body = memmem(buf, len, "\r\n\r\n", 4);
    if (!body) {
        printf("outbound: no HTTP answer (%zu bytes)\n", len);
        return 1;
    }
    body += 4;
    size_t blen = len - (size_t)(body - buf);
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < blen; i++)
        h = (h ^ (unsigned char)body[i]) * 1099511628211ull;
    printf("outbound: fetched %zu bytes fnv %016llx\n", blen, (unsigned long long)h);
    s = dial(name, "8001", ip, sizeof(ip));
    if (s < 0)
        return 1;
    size_t got = 0;
    while ((r = read(s, buf, sizeof(buf))) > 0)
        got += (size_t)r;
    printf("outbound: reset after %zu bytes: %s\n", got, r < 0 ? strerror(errno) : "end of file");
    close(s);
    return 0;
}
