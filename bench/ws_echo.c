/* The raw WebSocket baseline of bench/run.py: the least a client can do for a round trip to the
 * bench server's Node process. One blocking TCP socket, no threads, no poll: the handshake to
 * the plain `ws` echo server (path /raw of bench/server.js), then N sequential round trips of
 * one small text frame, the size of the ack benchmark's emit.
 *
 *   ws_echo PORT N
 *
 * Prints {"wall_s","cpu_s","count","p50_us","p99_us"} as sio_bench does; exits 1 on any error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *why) {
    fprintf(stderr, "ws_echo: %s\n", why);
    exit(1);
}

static double mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void send_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len) {
        ssize_t k = send(fd, p, len, 0);
        if (k <= 0) fail("send failed");
        p += k, len -= (size_t)k;
    }
}

static void recv_all(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len) {
        ssize_t k = recv(fd, p, len, 0);
        if (k <= 0) fail("connection closed");
        p += k, len -= (size_t)k;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 3) fail("usage: ws_echo PORT N");
    int port = atoi(argv[1]);
    long n = atol(argv[2]);
    if (port <= 0 || n <= 0) fail("bad PORT or N");

    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) fail("connect failed");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    char req[256];
    int len = snprintf(req, sizeof req,
                       "GET /raw HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n",
                       port);
    send_all(fd, req, (size_t)len);
    char head[1024];
    size_t got = 0;
    while (got < 4 || memcmp(head + got - 4, "\r\n\r\n", 4) != 0) {
        if (got == sizeof head) fail("handshake response too long");
        recv_all(fd, head + got++, 1);
    }
    if (strncmp(head, "HTTP/1.1 101", 12) != 0) fail("handshake refused");

    double *rtts = calloc((size_t)n, sizeof *rtts);
    unsigned char frame[128], reply[128];
    double cpu0 = cpu_s(), t0 = mono_us();
    for (long i = 0; i < n; i++) {
        char text[64];
        int tlen = snprintf(text, sizeof text, "421[\"rtt\",{\"i\":%ld}]", i);
        const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
        frame[0] = 0x81; /* FIN, text */
        frame[1] = 0x80 | (unsigned char)tlen;
        memcpy(frame + 2, mask, 4);
        for (int k = 0; k < tlen; k++) frame[6 + k] = (unsigned char)text[k] ^ mask[k % 4];
        double sent = mono_us();
        send_all(fd, frame, 6 + (size_t)tlen);
        recv_all(fd, reply, 2);
        if (reply[0] != 0x81 || reply[1] != tlen) fail("unexpected echo frame");
        recv_all(fd, reply + 2, (size_t)tlen);
        rtts[i] = mono_us() - sent;
        if (memcmp(reply + 2, text, (size_t)tlen) != 0) fail("echo differs");
    }
    double wall = (mono_us() - t0) / 1e6, cpu = cpu_s() - cpu0;
    qsort(rtts, (size_t)n, sizeof *rtts, cmp_double);
    long i99 = (long)(0.99 * n);
    printf("{\"wall_s\":%.6f,\"cpu_s\":%.6f,\"count\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f}\n", wall,
           cpu, n, rtts[n / 2], rtts[i99 < n ? i99 : n - 1]);
    close(fd);
    free(rtts);
    return 0;
}
