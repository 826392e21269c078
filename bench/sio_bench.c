/* libsio, through its C ABI, in the benchmark scenarios of bench/run.py; bench/js_bench.js
 * runs the same scenarios with the official JS client.
 *
 *   sio_bench c2s    URL N websocket|polling
 *   sio_bench s2c    URL N
 *   sio_bench ack    URL N
 *   sio_bench call   URL N          (libsio only: ack round trips with the blocking sio_call)
 *   sio_bench binary URL N BYTES
 *   sio_bench idle   URL
 *   sio_bench many   URL CLIENTS
 *   sio_bench fanout URL CLIENTS ROUNDS
 *
 * With SIO_BENCH_DISPATCH=inline in the environment the clients run their callbacks on their
 * I/O thread (SIO_DISPATCH_INLINE) instead of a dispatch thread; with SIO_BENCH_COALESCE_US=n
 * their read-coalescing window is n µs instead of the default (sio_options_set_read_coalescing).
 *
 * Prints one JSON line: {"wall_s", "cpu_s" (user+sys of the measured phase, all threads),
 * "count", "peak_rss_kb" (VmHWM at the end of the phase), and per scenario "p50_us"/"p99_us" (ack, fanout), "mb_per_s" (binary)}.
 * Exits 1 on any error (a failed call, connect_error, an unexpected disconnect, a wrong reply,
 * or no progress for WATCHDOG_S seconds).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sio.h"

#define WATCHDOG_S 300

static const char *scenario = "?";

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sio_bench %s: ", scenario);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void check(sio_result r, const char *what) {
    if (r != SIO_OK) fail("%s: %s (%s)", what, sio_result_str(r), sio_last_error());
}

static long arg_num(int argc, char **argv, int i) {
    char *end;
    long v = i < argc ? strtol(argv[i], &end, 10) : -1;
    if (i >= argc || *end || v < 0) fail("bad or missing argument %d", i);
    return v;
}

static double mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* ---- progress shared with the callbacks ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long connected; /* sockets connected so far */
static long progress;  /* scenario-specific count (events, replies, ticks) */
static int done;       /* the measured phase has ended */
static int closing;    /* disconnects are expected from now on */

static void signal_locked(void) { pthread_cond_broadcast(&cv); }

/* Waits until *value >= target (under mu), failing when nothing moves for WATCHDOG_S. */
static void wait_for(const long *value, long target) {
    pthread_mutex_lock(&mu);
    while (*value < target) {
        long before = *value;
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += WATCHDOG_S;
        while (*value == before && *value < target)
            if (pthread_cond_timedwait(&cv, &mu, &deadline) == ETIMEDOUT) {
                pthread_mutex_unlock(&mu);
                fail("no progress for %d s (%ld of %ld)", WATCHDOG_S, *value, target);
            }
    }
    pthread_mutex_unlock(&mu);
}

static void on_connect(void *ud, sio_socket *s, const char *sid) {
    (void)ud, (void)s, (void)sid;
    pthread_mutex_lock(&mu);
    connected++;
    signal_locked();
    pthread_mutex_unlock(&mu);
}

static void on_connect_error(void *ud, sio_socket *s, const char *message, const char *data) {
    (void)ud, (void)s;
    fail("connect_error: %s %s", message, data);
}

static void on_disconnect(void *ud, sio_socket *s, const char *reason) {
    (void)ud, (void)s;
    pthread_mutex_lock(&mu);
    int expected = closing;
    pthread_mutex_unlock(&mu);
    if (!expected) fail("disconnect: %s", reason);
}

/* One client joined to "/" (not yet connected: wait_for(&connected, …)). */
static sio_client *open_client(const char *url, int transport, const char *room, sio_socket **out) {
    sio_options *opts = sio_options_new();
    check(sio_options_set_transport(opts, transport), "set_transport");
    check(sio_options_set_reconnection(opts, 0), "set_reconnection");
    const char *dispatch = getenv("SIO_BENCH_DISPATCH");
    if (dispatch && strcmp(dispatch, "inline") == 0) {
        check(sio_options_set_dispatch(opts, SIO_DISPATCH_INLINE), "set_dispatch");
    } else if (dispatch && *dispatch) {
        fail("unknown SIO_BENCH_DISPATCH %s", dispatch);
    }
    const char *window = getenv("SIO_BENCH_COALESCE_US");
    if (window && *window) {
        check(sio_options_set_read_coalescing(opts, (uint32_t)strtoul(window, NULL, 10)), "set_read_coalescing");
    }
    if (room) check(sio_options_add_query(opts, "room", room), "add_query");
    sio_client *client;
    check(sio_connect(url, opts, &client), "sio_connect");
    sio_options_free(opts);
    check(sio_of(client, "/", NULL, out), "sio_of");
    check(sio_on_connect(*out, on_connect, NULL, NULL), "on_connect");
    check(sio_on_connect_error(*out, on_connect_error, NULL, NULL), "on_connect_error");
    check(sio_on_disconnect(*out, on_disconnect, NULL, NULL), "on_disconnect");
    return client;
}

/* One client, its "/" connected. */
static sio_client *connected_client(const char *url, int transport, sio_socket **out) {
    sio_client *c = open_client(url, transport, NULL, out);
    check(sio_socket_connect(*out), "socket_connect");
    wait_for(&connected, 1);
    return c;
}

static void close_clients(sio_client **clients, long n) {
    pthread_mutex_lock(&mu);
    closing = 1;
    pthread_mutex_unlock(&mu);
    for (long i = 0; i < n; i++) check(sio_client_close(clients[i]), "client_close");
    for (long i = 0; i < n; i++) {
        check(sio_wait(clients[i], 10000), "sio_wait");
        sio_client_free(clients[i]);
    }
}

/* ---- measurement ---- */

static double t0_us, cpu0_s;

static void start_phase(void) {
    cpu0_s = cpu_s();
    t0_us = mono_us();
}

/* The process's peak RSS so far, in KiB (VmHWM: unlike ru_maxrss, not inherited through exec
 * from the harness that started the process). */
static long peak_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

/* Prints the result line; `extra` is more JSON members (with a leading comma) or "". */
static void report(long count, const char *extra) {
    double wall = (mono_us() - t0_us) / 1e6, cpu = cpu_s() - cpu0_s;
    printf("{\"wall_s\":%.6f,\"cpu_s\":%.6f,\"count\":%ld,\"peak_rss_kb\":%ld%s}\n", wall, cpu,
           count, peak_rss_kb(), extra);
    fflush(stdout);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void percentiles(double *v, long n, char *out, size_t size) {
    qsort(v, n, sizeof *v, cmp_double);
    long i50 = n / 2, i99 = (long)(0.99 * n);
    if (i99 >= n) i99 = n - 1;
    snprintf(out, size, ",\"p50_us\":%.1f,\"p99_us\":%.1f", v[i50], v[i99]);
}

static void finish(void) {
    pthread_mutex_lock(&mu);
    done = 1;
    progress++;
    signal_locked();
    pthread_mutex_unlock(&mu);
}

/* ---- scenarios ---- */

static long target;

static void on_count_ack(void *ud, sio_result status, const sio_event *reply) {
    (void)ud;
    if (status != SIO_OK) fail("ack: %s", sio_result_str(status));
    char expected[32];
    snprintf(expected, sizeof expected, "[%ld]", target);
    if (strcmp(sio_event_args(reply), expected) != 0)
        fail("server counted %s, expected %s", sio_event_args(reply), expected);
    finish();
}

/* `[{"i":I}]` into buf (≥ 32 bytes): what a program emitting from its own data would do,
 * without snprintf's cost, which would otherwise be a fifth of the profile of c2s. */
static void msg_args(char *buf, long i) {
    char digits[24];
    int k = 0;
    do digits[k++] = (char)('0' + i % 10);
    while ((i /= 10) > 0);
    memcpy(buf, "[{\"i\":", 6);
    buf += 6;
    while (k) *buf++ = digits[--k];
    memcpy(buf, "}]", 3);
}

static int c2s(int argc, char **argv) {
    long n = arg_num(argc, argv, 3);
    const char *t = argc > 4 ? argv[4] : "websocket";
    int transport = strcmp(t, "polling") == 0 ? SIO_TRANSPORT_POLLING : SIO_TRANSPORT_WEBSOCKET;
    sio_socket *s;
    sio_client *c = connected_client(argv[2], transport, &s);
    target = n;
    char args[48];
    start_phase();
    for (long i = 0; i < n - 1; i++) {
        msg_args(args, i);
        check(sio_emit(s, "msg", args, NULL, 0), "sio_emit");
    }
    msg_args(args, n - 1);
    check(sio_emit_with_ack(s, "msg", args, NULL, 0, -1, on_count_ack, NULL), "emit_with_ack");
    wait_for(&progress, 1);
    report(n, "");
    close_clients(&c, 1);
    return 0;
}

static long received; /* written by the one thread running the callbacks only */

static void on_msg(void *ud, const sio_event *ev) {
    (void)ud, (void)ev;
    if (++received == target) finish(); /* the lock is taken once, for the last one */
}

static int s2c(int argc, char **argv) {
    long n = arg_num(argc, argv, 3);
    target = n;
    sio_socket *s;
    sio_client *c = open_client(argv[2], SIO_TRANSPORT_WEBSOCKET, NULL, &s);
    check(sio_on(s, "msg", on_msg, NULL, NULL), "sio_on");
    check(sio_socket_connect(s), "socket_connect");
    wait_for(&connected, 1);
    char args[32];
    snprintf(args, sizeof args, "[%ld]", n);
    start_phase();
    check(sio_emit(s, "s2c", args, NULL, 0), "sio_emit");
    wait_for(&progress, 1);
    report(n, "");
    close_clients(&c, 1);
    return 0;
}

/* Sequential emits with ack, each next one sent from the previous reply's callback. */
struct chain {
    sio_socket *socket;
    long n, i;
    double sent_us;
    double *rtts;          /* ack: round trips */
    sio_buffer buffer;     /* binary: the buffer echoed */
};

static void send_next(struct chain *ch);

static void on_reply(void *ud, sio_result status, const sio_event *reply) {
    struct chain *ch = ud;
    if (status != SIO_OK) fail("ack %ld: %s", ch->i, sio_result_str(status));
    if (ch->rtts) ch->rtts[ch->i] = mono_us() - ch->sent_us;
    if (ch->buffer.len) {
        size_t len = 0;
        if (sio_event_buffer_count(reply) != 1 || !sio_event_buffer(reply, 0, &len) ||
            len != ch->buffer.len)
            fail("echo %ld came back wrong (%s)", ch->i, sio_event_args(reply));
    }
    if (++ch->i < ch->n) send_next(ch);
    else finish();
}

static void send_next(struct chain *ch) {
    char args[48];
    sio_result r;
    ch->sent_us = mono_us();
    if (ch->buffer.len) {
        r = sio_emit_with_ack(ch->socket, "echo", "[{\"_placeholder\":true,\"num\":0}]",
                              &ch->buffer, 1, -1, on_reply, ch);
    } else {
        snprintf(args, sizeof args, "[{\"i\":%ld}]", ch->i);
        r = sio_emit_with_ack(ch->socket, "rtt", args, NULL, 0, -1, on_reply, ch);
    }
    check(r, "emit_with_ack");
}

static int ack(int argc, char **argv) {
    struct chain ch = {0};
    ch.n = arg_num(argc, argv, 3);
    ch.rtts = calloc(ch.n ? ch.n : 1, sizeof *ch.rtts);
    sio_client *c = connected_client(argv[2], SIO_TRANSPORT_WEBSOCKET, &ch.socket);
    start_phase();
    send_next(&ch);
    wait_for(&progress, 1);
    char extra[96];
    percentiles(ch.rtts, ch.n, extra, sizeof extra);
    report(ch.n, extra);
    close_clients(&c, 1);
    free(ch.rtts);
    return 0;
}

/* Sequential sio_call on this thread: the reply is handed over by the I/O thread directly,
 * without the dispatch thread (no JS equivalent; it shows what that thread hop costs). */
static int call(int argc, char **argv) {
    long n = arg_num(argc, argv, 3);
    double *rtts = calloc(n ? n : 1, sizeof *rtts);
    sio_socket *s;
    sio_client *c = connected_client(argv[2], SIO_TRANSPORT_WEBSOCKET, &s);
    char args[48];
    start_phase();
    for (long i = 0; i < n; i++) {
        msg_args(args, i);
        sio_event *reply;
        double sent = mono_us();
        check(sio_call(s, "rtt", args, NULL, 0, 10000, &reply), "sio_call");
        rtts[i] = mono_us() - sent;
        sio_event_free(reply);
    }
    char extra[96];
    percentiles(rtts, n, extra, sizeof extra);
    report(n, extra);
    close_clients(&c, 1);
    free(rtts);
    return 0;
}

static int binary(int argc, char **argv) {
    struct chain ch = {0};
    ch.n = arg_num(argc, argv, 3);
    long size = arg_num(argc, argv, 4);
    if (size == 0) fail("BYTES must be > 0");
    uint8_t *data = malloc(size);
    memset(data, 0xa5, size);
    ch.buffer = (sio_buffer){data, (size_t)size};
    sio_client *c = connected_client(argv[2], SIO_TRANSPORT_WEBSOCKET, &ch.socket);
    start_phase();
    send_next(&ch);
    wait_for(&progress, 1);
    char extra[64];
    double wall = (mono_us() - t0_us) / 1e6;
    snprintf(extra, sizeof extra, ",\"mb_per_s\":%.1f", ch.n * (size / 1048576.0) / wall);
    report(ch.n, extra);
    close_clients(&c, 1);
    free(data);
    return 0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* CLIENTS connected clients (idle: one), held for 500 ms; the harness reads the peak RSS. */
static int many(const char *url, long n) {
    sio_client **clients = calloc(n, sizeof *clients);
    start_phase();
    for (long i = 0; i < n; i++) {
        sio_socket *s;
        clients[i] = open_client(url, SIO_TRANSPORT_WEBSOCKET, NULL, &s);
        check(sio_socket_connect(s), "socket_connect");
    }
    wait_for(&connected, n);
    sleep_ms(500);
    report(n, "");
    close_clients(clients, n);
    free(clients);
    return 0;
}

/* ---- fan-out ---- */

static struct {
    sio_socket *first;
    long clients, rounds, round, seen;
    double worst_us;
    double *latencies;
} fan;

static void on_tick(void *ud, const sio_event *ev) {
    (void)ud;
    double now = wall_us();
    const char *args = sio_event_args(ev), *r = strstr(args, "\"round\":"), *t = strstr(args, "\"t\":");
    if (!r || !t) fail("bad tick %s", args);
    pthread_mutex_lock(&mu);
    if (strtol(r + 8, NULL, 10) != fan.round) fail("tick %s during round %ld", args, fan.round);
    if (now - strtod(t + 4, NULL) > fan.worst_us) fan.worst_us = now - strtod(t + 4, NULL);
    int last = ++fan.seen == fan.clients;
    if (last) {
        fan.latencies[fan.round++] = fan.worst_us;
        fan.seen = 0;
        fan.worst_us = 0;
    }
    long round = fan.round;
    pthread_mutex_unlock(&mu);
    if (!last) return;
    if (round == fan.rounds) {
        finish();
        return;
    }
    char args_out[32];
    snprintf(args_out, sizeof args_out, "[%ld]", round);
    check(sio_emit(fan.first, "fanout", args_out, NULL, 0), "sio_emit");
}

static int fanout(int argc, char **argv) {
    fan.clients = arg_num(argc, argv, 3);
    fan.rounds = arg_num(argc, argv, 4);
    if (fan.clients == 0 || fan.rounds == 0) fail("CLIENTS and ROUNDS must be > 0");
    fan.latencies = calloc(fan.rounds, sizeof *fan.latencies);
    char room[32];
    snprintf(room, sizeof room, "c-%ld", (long)getpid());
    sio_client **clients = calloc(fan.clients, sizeof *clients);
    for (long i = 0; i < fan.clients; i++) {
        sio_socket *s;
        clients[i] = open_client(argv[2], SIO_TRANSPORT_WEBSOCKET, room, &s);
        check(sio_on(s, "tick", on_tick, NULL, NULL), "sio_on");
        check(sio_socket_connect(s), "socket_connect");
        if (i == 0) fan.first = s;
    }
    wait_for(&connected, fan.clients);
    start_phase();
    check(sio_emit(fan.first, "fanout", "[0]", NULL, 0), "sio_emit");
    wait_for(&progress, 1);
    char extra[96];
    percentiles(fan.latencies, fan.rounds, extra, sizeof extra);
    report(fan.rounds, extra);
    close_clients(clients, fan.clients);
    free(clients);
    free(fan.latencies);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) fail("usage: sio_bench SCENARIO URL [N …] (see the header)");
    scenario = argv[1];
    if (strcmp(scenario, "c2s") == 0) return c2s(argc, argv);
    if (strcmp(scenario, "s2c") == 0) return s2c(argc, argv);
    if (strcmp(scenario, "ack") == 0) return ack(argc, argv);
    if (strcmp(scenario, "call") == 0) return call(argc, argv);
    if (strcmp(scenario, "binary") == 0) return binary(argc, argv);
    if (strcmp(scenario, "idle") == 0) return many(argv[2], 1);
    if (strcmp(scenario, "many") == 0) return many(argv[2], arg_num(argc, argv, 3));
    if (strcmp(scenario, "fanout") == 0) return fanout(argc, argv);
    fail("unknown scenario");
    return 1;
}
