/* httpd.c — a tiny HTTP/1.0 server: answers every GET with one page. Plain POSIX sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char page[] = "<!doctype html><title>jeos</title><h1>Hello from a jeos unikernel</h1>\n";

static void serve(int c)
{
    char req[2048];
    ssize_t n = read(c, req, sizeof(req) - 1);
    if (n <= 0)
        return;
    req[n] = '\0';
    char head[256];
    int ok = strncmp(req, "GET ", 4) == 0;
    int len = snprintf(head, sizeof(head),
                       "HTTP/1.0 %s\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
                       "Connection: close\r\n\r\n",
                       ok ? "200 OK" : "405 Method Not Allowed", ok ? sizeof(page) - 1 : 0);
    if (write(c, head, (size_t)len) == len && ok)
        (void)!write(c, page, sizeof(page) - 1);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 80;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) {
        perror("socket");
        return 1;
    }
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0) {
        perror("bind/listen");
        return 1;
    }
    printf("httpd: listening on port %d\n", port);
    fflush(stdout);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        serve(c);
        close(c);
    }
}
