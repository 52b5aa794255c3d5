/*
 * httpd.c — a small static-file HTTP/1.1 server: GET and HEAD of the files under a root folder,
 * keep-alive, one epoll loop over non-blocking sockets, idle connections closed after a timeout.
 * Plain POSIX; the same source builds and runs on Linux.
 *
 * usage: httpd [PORT [ROOT]]   (default 80 and /www)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN     1024
#define REQ_MAX      8192 /* request head: more is 431 */
#define CHUNK        65536
#define IDLE_SECONDS 15 /* a connection with no complete request for this long is closed */

struct conn {
    int fd;
    char req[REQ_MAX];
    size_t req_len;
    char head[512]; /* response head being sent */
    size_t head_len, head_off;
    int file; /* body being sent from this file, or -1 */
    off_t file_off, file_len;
    int keep_alive, close_after;
    time_t last; /* last activity */
};

static const char *root = "/www";
static struct conn *conns[MAX_CONN];
static char chunk[CHUNK];
static int ep;

static time_t now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static const char *mime(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".css", "text/css"},                  {".js", "text/javascript"},
        {".txt", "text/plain; charset=utf-8"}, {".json", "application/json"},
        {".png", "image/png"},                 {".jpg", "image/jpeg"},
        {".svg", "image/svg+xml"},             {".ico", "image/x-icon"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static void conn_close(struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->file >= 0)
        close(c->file);
    conns[c->fd] = NULL;
    free(c);
}

static void set_head(struct conn *c, int status, const char *reason, const char *type,
                     long long len)
{
    c->head_len = (size_t)snprintf(c->head, sizeof(c->head),
                                   "HTTP/1.1 %d %s\r\nServer: jeos-httpd\r\nContent-Type: %s\r\n"
                                   "Content-Length: %lld\r\nConnection: %s\r\n\r\n",
                                   status, reason, type, len, c->keep_alive ? "keep-alive" : "close");
    c->head_off = 0;
}

static void error_page(struct conn *c, int status, const char *reason, int head_only)
{
    static char body[128];
    int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);
    c->close_after = status >= 400 && status != 404;
    if (c->close_after)
        c->keep_alive = 0;
    set_head(c, status, reason, "text/plain; charset=utf-8", n);
    if (!head_only && c->head_len + (size_t)n < sizeof(c->head)) {
        memcpy(c->head + c->head_len, body, (size_t)n);
        c->head_len += (size_t)n;
    }
}

/* Does the header block [h, end) have "Name: value" with value starting with want? */
static int header_is(const char *h, const char *name, const char *want)
{
    size_t nl = strlen(name);
    for (const char *p = h; (p = strstr(p, "\r\n")); p += 2) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ')
                v++;
            return strncasecmp(v, want, strlen(want)) == 0;
        }
    }
    return -1;
}

/* One complete request head in c->req (NUL-terminated at its end): choose the response. */
static void answer(struct conn *c)
{
    char method[8], target[1024], version[16];
    if (sscanf(c->req, "%7s %1023s %15s", method, target, version) != 3 ||
        strncmp(version, "HTTP/1.", 7) != 0) {
        c->keep_alive = 0;
        error_page(c, 400, "Bad Request", 0);
        return;
    }
    int http11 = strcmp(version, "HTTP/1.1") == 0;
    int ka = header_is(c->req, "Connection", http11 ? "close" : "keep-alive");
    c->keep_alive = http11 ? ka != 1 : ka == 1;
    int head_only = strcmp(method, "HEAD") == 0;
    if (!head_only && strcmp(method, "GET") != 0) {
        error_page(c, 405, "Method Not Allowed", 0);
        return;
    }
    char *q = strchr(target, '?');
    if (q)
        *q = '\0';
    if (target[0] != '/' || strstr(target, "..") || strchr(target, '\\')) {
        error_page(c, 400, "Bad Request", head_only);
        return;
    }
    char path[1200];
    snprintf(path, sizeof(path), "%s%s%s", root, target,
             target[strlen(target) - 1] == '/' ? "index.html" : "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        strncat(path, "/index.html", sizeof(path) - strlen(path) - 1);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        error_page(c, 404, "Not Found", head_only);
        return;
    }
    set_head(c, 200, "OK", mime(path), (long long)st.st_size);
    if (head_only || st.st_size == 0) {
        close(fd);
        return;
    }
    c->file = fd;
    c->file_off = 0;
    c->file_len = st.st_size;
}

/* Sends what is pending; 0 when all of it went, 1 when the socket is full, -1 to close. */
static int flush_out(struct conn *c)
{
    while (c->head_off < c->head_len) {
        ssize_t n = write(c->fd, c->head + c->head_off, c->head_len - c->head_off);
        if (n < 0)
            return errno == EAGAIN ? 1 : -1;
        c->head_off += (size_t)n;
    }
    while (c->file >= 0 && c->file_off < c->file_len) {
        size_t want = (size_t)(c->file_len - c->file_off) < sizeof(chunk)
                          ? (size_t)(c->file_len - c->file_off)
                          : sizeof(chunk);
        ssize_t got = pread(c->file, chunk, want, c->file_off);
        if (got <= 0)
            return -1;
        ssize_t n = write(c->fd, chunk, (size_t)got);
        if (n < 0)
            return errno == EAGAIN ? 1 : -1;
        c->file_off += n;
    }
    if (c->file >= 0) {
        close(c->file);
        c->file = -1;
    }
    return 0;
}

/* Reads and answers requests until the socket has no more; returns -1 to close it. */
static int serve(struct conn *c)
{
    for (;;) {
        int r = flush_out(c);
        if (r != 0)
            return r < 0 ? -1 : 0; /* full: epoll says when to go on */
        if (c->close_after || (c->head_len && !c->keep_alive))
            return -1;
        c->head_len = c->head_off = 0;
        char *end = NULL;
        while (!(end = c->req_len ? strstr(c->req, "\r\n\r\n") : NULL)) {
            if (c->req_len == REQ_MAX - 1) {
                c->keep_alive = 0;
                error_page(c, 431, "Request Header Fields Too Large", 0);
                break;
            }
            ssize_t n = read(c->fd, c->req + c->req_len, REQ_MAX - 1 - c->req_len);
            if (n == 0 || (n < 0 && errno != EAGAIN))
                return -1;
            if (n < 0)
                return 0;
            c->req_len += (size_t)n;
            c->req[c->req_len] = '\0';
            c->last = now();
        }
        if (!end)
            continue; /* the 431 goes out */
        end[2] = '\0';
        answer(c);
        size_t used = (size_t)(end + 4 - c->req);
        memmove(c->req, end + 4, c->req_len - used + 1);
        c->req_len -= used;
    }
}

static void accept_all(int ls)
{
    for (;;) {
        int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct conn *c = fd < MAX_CONN ? calloc(1, sizeof(*c)) : NULL;
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->file = -1;
        c->last = now();
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.fd = fd};
        conns[fd] = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 || serve(c) < 0)
            conn_close(c);
    }
}

static void expire_idle(void)
{
    time_t t = now();
    for (int i = 0; i < MAX_CONN; i++)
        if (conns[i] && conns[i]->file < 0 && t - conns[i]->last > IDLE_SECONDS)
            conn_close(conns[i]);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 80;
    if (argc > 2)
        root = argv[2];
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ls < 0) {
        perror("httpd: socket");
        return 1;
    }
    int one = 1, zero = 0;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)); /* IPv4 too */
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 128) < 0) {
        perror("httpd: bind/listen");
        return 1;
    }
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = ls};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev) < 0) {
        perror("httpd: epoll");
        return 1;
    }
    printf("httpd: serving %s on port %d\n", root, port);
    fflush(stdout);
    time_t swept = now();
    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 1000);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                accept_all(ls);
            } else if (conns[fd]) {
                conns[fd]->last = now();
                if (serve(conns[fd]) < 0)
                    conn_close(conns[fd]);
            }
        }
        if (now() != swept) {
            swept = now();
            expire_idle();
        }
    }
}
