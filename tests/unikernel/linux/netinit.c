/*
 * tests/unikernel/linux/netinit.c — PID 1 of the Linux peer in the network benchmark: loads the
 * virtio-net modules from the initramfs (/m/*.ko, in the order of /m/order), gives eth0
 * 10.0.0.2/24, echoes UDP datagrams on port 7777 (as the jeos net guest does) until "quit", then
 * powers off. ARP and ICMP echo are the kernel's own.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *s)
{
    int fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
    if (fd >= 0) {
        if (write(fd, s, strlen(s)) < 0)
            fd = fd + 0;
        close(fd);
    }
}

static void load_modules(void)
{
    FILE *order = fopen("/m/order", "r");
    char name[128], path[160];
    while (order && fscanf(order, "%127s", name) == 1) {
        snprintf(path, sizeof(path), "/m/%s", name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0) {
            say("netinit: cannot load ");
            say(name);
            say("\n");
        }
        if (fd >= 0)
            close(fd);
    }
}

static int set_addr(int s, unsigned long req, const char *ip)
{
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "eth0");
    struct sockaddr_in *a = (struct sockaddr_in *)&ifr.ifr_addr;
    a->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a->sin_addr);
    return ioctl(s, req, &ifr);
}

int main(void)
{
    mkdir("/dev", 0755);
    mkdir("/proc", 0755);
    mkdir("/sys", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    load_modules();
    for (int i = 0; i < 500 && access("/sys/class/net/eth0", F_OK) != 0; i++)
        usleep(10000);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "eth0");
    if (set_addr(s, SIOCSIFADDR, "10.0.0.2") < 0 ||
        set_addr(s, SIOCSIFNETMASK, "255.255.255.0") < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        say("netinit: eth0 not configured\n");
        reboot(RB_POWER_OFF);
    }
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    ioctl(s, SIOCSIFFLAGS, &ifr);
    struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(7777)};
    if (bind(s, (struct sockaddr *)&me, sizeof(me)) < 0) {
        say("netinit: bind failed\n");
        reboot(RB_POWER_OFF);
    }
    say("net: listening on eth0 as 10.0.0.2\n");
    char buf[2048];
    for (;;) {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);
        ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
        if (n < 0)
            continue;
        if (n == 4 && memcmp(buf, "quit", 4) == 0) {
            sendto(s, "bye!", 4, 0, (struct sockaddr *)&peer, plen);
            break;
        }
        sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&peer, plen);
    }
    usleep(100000);
    reboot(RB_POWER_OFF);
    return 0;
}
