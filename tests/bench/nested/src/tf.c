/* tf.c — four threads, each reads the embedded /etc/tf.c, writes 256 KiB to its own file in /tmp,
 * reads it back and checks it; prints one line and exits 0 when all agree. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define CHUNK   4096
#define CHUNKS  64

static long src_len[THREADS];

static void *work(void *arg)
{
    long id = (long)arg, bad = 0;
    char buf[CHUNK], back[CHUNK], path[32];
    int fd = open("/etc/tf.c", O_RDONLY);
    ssize_t n;
    while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
        src_len[id] += n;
    if (fd >= 0)
        close(fd);
    snprintf(path, sizeof(path), "/tmp/tf%ld", id);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return (void *)1;
    for (int c = 0; c < CHUNKS; c++) {
        memset(buf, (int)(id * 31 + c), sizeof(buf));
        bad += write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf);
    }
    lseek(fd, 0, SEEK_SET);
    for (int c = 0; c < CHUNKS; c++) {
        memset(buf, (int)(id * 31 + c), sizeof(buf));
        bad += read(fd, back, sizeof(back)) != (ssize_t)sizeof(back) || memcmp(buf, back, CHUNK);
    }
    close(fd);
    unlink(path);
    return (void *)bad;
}

int main(void)
{
    pthread_t t[THREADS];
    long bad = 0;
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r + (src_len[i] == 0);
    }
    printf("threads+files: %d threads, %d KiB each, %s\n", THREADS, CHUNK * CHUNKS / 1024,
           bad ? "MISMATCH" : "ok");
    return bad != 0;
}
