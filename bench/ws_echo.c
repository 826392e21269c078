/* The raw baselines of bench/run.py: the least a client can do against the bench server's Node
 * process. One blocking TCP socket, no threads, no poll; one recv(2) of up to 16 KiB (libsio's
 * WebSocket read chunk) per wake-up, as a plain blocking tungstenite reader does.
 *
 *   ws_echo echo    PORT N   the plain `ws` echo server (path /raw of bench/server.js): N
 *                            sequential round trips of one small text frame, the size of the ack
 *                            benchmark's emit.
 *   ws_echo sio-ack PORT N   Socket.IO frames over a raw WebSocket to the socket.io server
 *                            (Engine.IO 4, default namespace): N sequential `42<id>["rtt",{"i":n}]`,
 *                            each waiting for its `43<id>[]`.
 *   ws_echo sio-s2c PORT N   the same session: one `42["s2c",N]`, then reads until N
 *                            `42["msg",…]` frames have arrived.
 *
 * echo and sio-ack print {"wall_s","cpu_s","count","p50_us","p99_us"} as sio_bench does; sio-s2c
 * prints {"wall_s","cpu_s","count"}. cpu_s is getrusage(2) around the measured phase alone.
 * Engine.IO pings are answered. Exits 1 on any error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (16 * 1024)

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

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int starts_with(const char *s, size_t len, const char *prefix) {
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

/* A WebSocket client connection: the socket and what was read from it but not yet consumed. */
struct conn {
    int fd;
    size_t start, end;
    char buf[READ_CHUNK];
};

static void send_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len) {
        ssize_t k = send(fd, p, len, 0);
        if (k <= 0) fail("send failed");
        p += k, len -= (size_t)k;
    }
}

/* Reads until at least `want` unconsumed bytes are buffered: one recv per wake-up. */
static void fill(struct conn *c, size_t want) {
    if (want > sizeof c->buf) fail("server frame larger than the read buffer");
    if (c->start + want > sizeof c->buf) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start, c->start = 0;
    }
    while (c->end - c->start < want) {
        ssize_t k = recv(c->fd, c->buf + c->end, sizeof c->buf - c->end, 0);
        if (k <= 0) fail("connection closed");
        c->end += (size_t)k;
    }
}

/* One masked client frame (RFC 6455 §5.3); client payloads here are all small. */
static void send_frame(struct conn *c, unsigned char opcode, const char *data, size_t len) {
    static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    unsigned char frame[6 + 125];
    if (len > 125) fail("client frame too long");
    frame[0] = 0x80 | opcode; /* FIN */
    frame[1] = 0x80 | (unsigned char)len;
    memcpy(frame + 2, mask, 4);
    for (size_t k = 0; k < len; k++) frame[6 + k] = (unsigned char)data[k] ^ mask[k % 4];
    send_all(c->fd, frame, 6 + len);
}

static void send_text(struct conn *c, const char *text) { send_frame(c, 0x1, text, strlen(text)); }

/* The next text frame's payload (valid until the next read); answers WebSocket pings. */
static const char *recv_text(struct conn *c, size_t *len) {
    for (;;) {
        fill(c, 2);
        const unsigned char *h = (const unsigned char *)c->buf + c->start;
        size_t hlen = 2;
        uint64_t plen = h[1] & 0x7f;
        if (!(h[0] & 0x80) || (h[1] & 0x80)) fail("fragmented or masked server frame");
        if (plen >= 126) {
            hlen += plen == 126 ? 2 : 8;
            fill(c, hlen);
            h = (const unsigned char *)c->buf + c->start;
            plen = 0;
            for (size_t k = 2; k < hlen; k++) plen = plen << 8 | h[k];
        }
        if (plen > READ_CHUNK) fail("server frame larger than the read buffer");
        fill(c, hlen + (size_t)plen);
        unsigned char opcode = c->buf[c->start] & 0x0f;
        const char *payload = c->buf + c->start + hlen;
        c->start += hlen + (size_t)plen;
        if (opcode == 0x1) {
            *len = (size_t)plen;
            return payload;
        }
        if (opcode == 0x9) send_frame(c, 0xA, payload, (size_t)plen);
        else if (opcode != 0xA) fail(opcode == 0x8 ? "server closed the WebSocket" : "unexpected frame");
    }
}

/* Connects to 127.0.0.1:port and upgrades to a WebSocket on `path`. */
static void ws_connect(struct conn *c, int port, const char *path) {
    int one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    c->start = c->end = 0;
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) fail("connect failed");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    char req[512];
    int len = snprintf(req, sizeof req,
                       "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n",
                       path, port);
    send_all(c->fd, req, (size_t)len);
    /* The response head ends at the first blank line; frames may follow it in the same read. */
    for (size_t seen = 0;; seen++) {
        fill(c, seen + 4);
        if (memcmp(c->buf + seen, "\r\n\r\n", 4) == 0) {
            if (!starts_with(c->buf, seen, "HTTP/1.1 101")) fail("handshake refused");
            c->start = seen + 4;
            return;
        }
    }
}

/* The next Socket.IO-carrying Engine.IO packet; answers Engine.IO pings (`2` → `3`). */
static const char *sio_recv(struct conn *c, size_t *len) {
    for (;;) {
        const char *p = recv_text(c, len);
        if (*len == 1 && p[0] == '2') send_text(c, "3");
        else return p;
    }
}

/* Whether the next Socket.IO-carrying packet starts with `prefix`. */
static int sio_next_is(struct conn *c, const char *prefix) {
    size_t len;
    const char *p = sio_recv(c, &len);
    return starts_with(p, len, prefix);
}

/* Engine.IO open, then a Socket.IO CONNECT to the default namespace. */
static void sio_connect(struct conn *c, int port) {
    ws_connect(c, port, "/socket.io/?EIO=4&transport=websocket");
    if (!sio_next_is(c, "0{")) fail("no Engine.IO open packet");
    send_text(c, "40");
    if (!sio_next_is(c, "40{")) fail("namespace connect refused");
}

/* N sequential round trips; `sio` chooses the Socket.IO ack over the plain echo. */
static void round_trips(struct conn *c, long n, int sio) {
    double *rtts = calloc((size_t)n, sizeof *rtts);
    if (!rtts) fail("out of memory");
    double cpu0 = cpu_s(), t0 = mono_us();
    for (long i = 0; i < n; i++) {
        char text[64], want[64];
        size_t len;
        if (sio) {
            snprintf(text, sizeof text, "42%ld[\"rtt\",{\"i\":%ld}]", i, i);
            snprintf(want, sizeof want, "43%ld[]", i);
        } else {
            snprintf(text, sizeof text, "421[\"rtt\",{\"i\":%ld}]", i);
            strcpy(want, text);
        }
        double sent = mono_us();
        send_text(c, text);
        const char *reply = sio ? sio_recv(c, &len) : recv_text(c, &len);
        rtts[i] = mono_us() - sent;
        if (len != strlen(want) || memcmp(reply, want, len) != 0) fail("unexpected reply");
    }
    double wall = (mono_us() - t0) / 1e6, cpu = cpu_s() - cpu0;
    qsort(rtts, (size_t)n, sizeof *rtts, cmp_double);
    long i99 = (long)(0.99 * n);
    printf("{\"wall_s\":%.6f,\"cpu_s\":%.6f,\"count\":%ld,\"p50_us\":%.1f,\"p99_us\":%.1f}\n", wall,
           cpu, n, rtts[n / 2], rtts[i99 < n ? i99 : n - 1]);
    free(rtts);
}

/* Asks the server for N `msg` events and reads until they have all arrived. */
static void server_to_client(struct conn *c, long n) {
    char text[64];
    snprintf(text, sizeof text, "42[\"s2c\",%ld]", n);
    double cpu0 = cpu_s(), t0 = mono_us();
    send_text(c, text);
    long count = 0;
    while (count < n) {
        if (!sio_next_is(c, "42[\"msg\",")) fail("unexpected packet");
        count++;
    }
    double wall = (mono_us() - t0) / 1e6, cpu = cpu_s() - cpu0;
    printf("{\"wall_s\":%.6f,\"cpu_s\":%.6f,\"count\":%ld}\n", wall, cpu, count);
}

int main(int argc, char **argv) {
    if (argc != 4) fail("usage: ws_echo echo|sio-ack|sio-s2c PORT N");
    const char *mode = argv[1];
    int port = atoi(argv[2]);
    long n = atol(argv[3]);
    if (port <= 0 || n <= 0) fail("bad PORT or N");

    static struct conn c;
    if (strcmp(mode, "echo") == 0) {
        ws_connect(&c, port, "/raw");
        round_trips(&c, n, 0);
    } else if (strcmp(mode, "sio-ack") == 0) {
        sio_connect(&c, port);
        round_trips(&c, n, 1);
    } else if (strcmp(mode, "sio-s2c") == 0) {
        sio_connect(&c, port);
        server_to_client(&c, n);
    } else {
        fail("unknown mode (echo, sio-ack or sio-s2c)");
    }
    close(c.fd);
    return 0;
}
