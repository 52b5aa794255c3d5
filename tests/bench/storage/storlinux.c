/*
 * storlinux.c — the service of the storage benchmark's Linux appliance (storage.yaml): mounts the
 * virtio-blk disk whose serial is "data" (the same volume image the unikernel gets) as ext4 at
 * /data, runs its arguments as a program with its output on the serial console, unmounts, and
 * asks jeos init (PID 1) to power off.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* /dev/NAME of the block device whose virtio serial is "data", in dev (empty: none) */
static void find_data(char *dev, size_t len)
{
    dev[0] = 0;
    DIR *d = opendir("/sys/block");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], serial[64] = "";
        snprintf(path, sizeof(path), "/sys/block/%s/serial", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(serial, sizeof(serial), f) && strncmp(serial, "data", 4) == 0 &&
            (serial[4] == 0 || serial[4] == '\n'))
            snprintf(dev, len, "/dev/%s", e->d_name);
        fclose(f);
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    int out = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
    if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
    }
    char dev[300];
    int status = 1 << 8; /* what waitpid gives for exit(1): no program ran */
    find_data(dev, sizeof(dev));
    mkdir("/data", 0755);
    if (!dev[0])
        printf("storlinux: no disk with the serial \"data\" in /sys/block\n");
    else if (mount(dev, "/data", "ext4", 0, NULL) != 0)
        perror("storlinux: mount the data disk as ext4 at /data");
    else if (argc > 1) {
        printf("storlinux: %s mounted at /data\n", dev);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            execv(argv[1], argv + 1);
            _exit(127);
        }
        if (pid < 0 || waitpid(pid, &status, 0) < 0)
            perror("storlinux: run the program");
        if (umount("/data") != 0)
            perror("storlinux: umount /data");
    }
    printf("storlinux: status %d\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    fflush(stdout);
    sync();
    kill(1, SIGTERM);
    pause();
    return 0;
}
