/* repo_transport.c — how bytes come from a repository: http(s) through libcurl, file: from disk
 * (see repo.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "builder/core/cache.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/debian/repo.h"

static int file_get(const char *uri, int fd, struct jeos_err *err)
{
    const char *path = uri + 5; /* "file:" */
    if (strncmp(path, "//", 2) == 0)
        path += 2;
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return jeos_errf(err, errno == ENOENT ? -ENOENT : -errno, "%s: %s", uri, strerror(errno));
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = jeos_errf(err, -errno, "%s: read: %s", uri, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        if ((rc = jeos_write_all(fd, buf, (size_t)r)) < 0) {
            jeos_errf(err, rc, "%s: write: %s", uri, strerror(-rc));
            break;
        }
    }
    close(in);
    return rc;
}

struct http_sink {
    int fd;
    int rc;
};

static size_t http_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct http_sink *s = arg;
    int rc = jeos_write_all(s->fd, data, size * nmemb);
    if (rc < 0) {
        s->rc = rc;
        return 0;
    }
    return size * nmemb;
}

/* One HTTP GET into fd; *status gets the HTTP status (0 when none). */
static CURLcode http_once(const char *uri, int fd, long *status, char *errbuf, int *sink_rc)
{
    CURL *c = curl_easy_init();
    if (!c)
        return CURLE_OUT_OF_MEMORY;
    struct http_sink sink = {fd, 0};
    errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, uri);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "jeos/" JEOS_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1000L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* A mirror may redirect to another mirror, never to file: or other schemes. */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    CURLcode cr = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    *sink_rc = sink.rc;
    return cr;
}

static int http_get(const char *uri, int fd, struct jeos_err *err)
{
    char errbuf[CURL_ERROR_SIZE];
    long status = 0;
    int sink_rc = 0;
    CURLcode cr = CURLE_OK;
    /* Transient failures (network errors, a connection closed early, 5xx) are retried twice,
       from the start. */
    int attempt;
    for (attempt = 0; attempt < 3; attempt++) {
        if (attempt) {
            sleep((unsigned)attempt);
            if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return jeos_errf(err, -errno, "%s: cannot restart the download: %s", uri,
                                 strerror(errno));
        }
        cr = http_once(uri, fd, &status, errbuf, &sink_rc);
        if (sink_rc < 0)
            return jeos_errf(err, sink_rc, "%s: cannot write what was downloaded: %s", uri,
                             strerror(-sink_rc));
        bool transient = (cr != CURLE_OK && cr != CURLE_OUT_OF_MEMORY &&
                          cr != CURLE_UNSUPPORTED_PROTOCOL && cr != CURLE_URL_MALFORMAT) ||
                         (cr == CURLE_OK && status >= 500);
        if (!transient)
            break;
    }
    if (cr != CURLE_OK)
        return jeos_errf(err, -EIO, "%s: %s%s", uri, errbuf[0] ? errbuf : curl_easy_strerror(cr),
                         attempt == 3 ? " (tried 3 times)" : "");
    if (status == 404 || status == 410)
        return jeos_errf(err, -ENOENT, "%s: not found (HTTP %ld)", uri, status);
    if (status >= 400)
        return jeos_errf(err, -EIO, "%s: HTTP status %ld", uri, status);
    return 0;
}

static const struct repo_transport transports[] = {
    {"http:", http_get},
    {"https:", http_get},
    {"file:", file_get},
};

const struct repo_transport *repo_transport_for(const char *uri)
{
    for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++)
        if (strncmp(uri, transports[i].scheme, strlen(transports[i].scheme)) == 0)
            return &transports[i];
    return NULL;
}

int repo_get(const char *uri, int fd, struct jeos_err *err)
{
    const struct repo_transport *t = repo_transport_for(uri);
    if (!t)
        return jeos_errf(err, -EPROTONOSUPPORT,
                         "%s: unknown URI scheme (expected http:, https: or file:)", uri);
    return t->get(uri, fd, err);
}

struct fetch_arg {
    const char *uri;
};

static int fill_from_uri(void *arg, int fd, struct jeos_err *err)
{
    struct fetch_arg *a = arg;
    return repo_get(a->uri, fd, err);
}

int repo_fetch_to_cache(const struct jeos_ctx *ctx, const char *uri, const char *sha256,
                        uint64_t size, const char *what, char **path, struct jeos_err *err)
{
    struct fetch_arg a = {uri};
    return cache_store(ctx, sha256, size, what, fill_from_uri, &a, path, err);
}

int repo_load_cached(const struct jeos_ctx *ctx, const char *uri, const char *sha256, uint64_t size,
                     const char *what, char **data, size_t *len, struct jeos_err *err)
{
    struct fetch_arg a = {uri};
    return cache_load(ctx, sha256, size, what, fill_from_uri, &a, data, len, err);
}

int repo_verified_path(const struct jeos_ctx *ctx, const char *uri, const char *sha256,
                       uint64_t size, const char *what, char **path, struct jeos_err *err)
{
    struct fetch_arg a = {uri};
    return cache_verified_path(ctx, sha256, size, what, fill_from_uri, &a, path, err);
}
