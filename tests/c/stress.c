/* Stress test of libsio's thread safety through its C ABI, against tests/server/server.js.
 * Run by tests/stress.rs (which starts the server and checks what it recorded), plainly and
 * under ThreadSanitizer, ASan+UBSan and valgrind (scripts/check-stress.sh).
 *
 *   stress URL emitters N    8 threads emit N times or more each (plain, with ack, with a
 *                            binary buffer) while a controller thread disconnects, reconnects,
 *                            has the server kick the socket or close the connection, replaces
 *                            a handler, and finally frees the client; callbacks emit with acks
 *                            meanwhile (an echo ping-pong), also while the client is freed.
 *   stress URL callbacks R   R clients in turn whose callbacks emit, emit with acks, take
 *                            acks that a worker thread answers later, replace and remove
 *                            handlers, disconnect and reconnect, and free the client from
 *                            inside themselves (an event, an ack, a disconnect or a connect
 *                            callback, by turns).
 *
 * Checked here: every ack callback runs exactly once (with a consistent status and reply),
 * every userdata finalizer runs exactly once and never before its callback's last call,
 * callbacks run one at a time on the dispatch thread, none after sio_client_free returned,
 * blocking calls refuse inside callbacks, a sio_ack outlives its client, and
 * the whole run ends within STRESS_TIMEOUT seconds (default 120; SIGALRM ends it otherwise).
 * With STRESS_DISPATCH=inline the clients run their callbacks on their I/O thread
 * (SIO_DISPATCH_INLINE), which then is "the dispatch thread" of these checks.
 * stdout lists, for tests/stress.rs, the emits the server acknowledged ("acked T I") and
 * counts ("stat NAME N"). Failures go to stderr with exit status 1.
 *
 * Built with -DSTRESS_INJECT_RACE, an unsynchronised counter is shared by a callback (echo) and
 * an emitter thread: a deliberate data race that ThreadSanitizer must report (the check that
 * the detector works; never in the normal build). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sio.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "stress: FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    _exit(1);
}

/* Fails unless a call returned `want`. */
static void expect_rc(sio_result got, sio_result want, const char *what) {
    if (got != want) {
        fail("%s returned %s, expected %s (%s)", what, sio_result_str(got), sio_result_str(want),
             sio_last_error());
    }
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static struct timespec deadline_in(long seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    return ts;
}

/* How long any single thing may take before the run is declared hung. */
#define WAIT_SECONDS 60

/* A counter that threads wait on (connects, frees, finalizations). */
struct signal {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    long value;
};
#define SIGNAL_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0}

static void signal_add(struct signal *s) {
    pthread_mutex_lock(&s->lock);
    s->value++;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

static long signal_get(struct signal *s) {
    pthread_mutex_lock(&s->lock);
    long v = s->value;
    pthread_mutex_unlock(&s->lock);
    return v;
}

/* Waits until the counter exceeds `above`; fails after WAIT_SECONDS. */
static long signal_wait_above(struct signal *s, long above, const char *what) {
    struct timespec deadline = deadline_in(WAIT_SECONDS);
    pthread_mutex_lock(&s->lock);
    while (s->value <= above) {
        if (pthread_cond_timedwait(&s->changed, &s->lock, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&s->lock);
            fail("timed out waiting for %s", what);
        }
    }
    long v = s->value;
    pthread_mutex_unlock(&s->lock);
    return v;
}

/* ---- userdata tokens: each registration gets one, finalized exactly once ------------------- */

#define MAX_TOKENS 4096

struct token {
    atomic_int finalized;
};

static struct token tokens[MAX_TOKENS];
static atomic_int tokens_used;
static struct signal finalizations = SIGNAL_INIT;

static struct token *token_new(void) {
    int i = atomic_fetch_add(&tokens_used, 1);
    if (i >= MAX_TOKENS) fail("out of tokens");
    return &tokens[i];
}

static void token_free(void *userdata) {
    struct token *t = userdata;
    if (atomic_fetch_add(&t->finalized, 1) != 0) fail("a userdata finalizer ran twice");
    signal_add(&finalizations);
}

/* A callback runs with its token: never after the token's finalizer. */
static void token_check(void *userdata) {
    struct token *t = userdata;
    if (atomic_load(&t->finalized) != 0) fail("a callback ran after its userdata was finalized");
}

/* Every token finalized exactly once (token_free already caught a second run). */
static int tokens_pending(void) {
    int n = atomic_load(&tokens_used), pending = 0;
    for (int i = 0; i < n; i++) pending += atomic_load(&tokens[i].finalized) == 0;
    return pending;
}

static void wait_all_finalized(void) {
    struct timespec deadline = deadline_in(WAIT_SECONDS);
    pthread_mutex_lock(&finalizations.lock);
    while (tokens_pending() > 0) {
        if (pthread_cond_timedwait(&finalizations.changed, &finalizations.lock, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&finalizations.lock);
            fail("%d userdata finalizers never ran", tokens_pending());
        }
    }
    pthread_mutex_unlock(&finalizations.lock);
}

/* The status an ack callback may get, and the reply that goes with it. */
static void check_ack_outcome(sio_result status, const sio_event *reply) {
    switch (status) {
    case SIO_OK:
        if (reply == NULL) fail("ack callback: SIO_OK without a reply");
        break;
    case SIO_ERR_TIMEOUT:
    case SIO_ERR_DISCONNECTED:
    case SIO_ERR_CLOSED:
        if (reply != NULL) fail("ack callback: %s with a reply", sio_result_str(status));
        break;
    default:
        fail("ack callback: unexpected status %s", sio_result_str(status));
    }
}

/* Inside a callback the blocking calls refuse instead of deadlocking. */
static void check_blocking_calls_refused(sio_client *client, sio_socket *socket) {
    sio_event *reply = NULL;
    expect_rc(sio_call(socket, "ack", "[]", NULL, 0, 1000, &reply), SIO_ERR_IN_CALLBACK, "sio_call in a callback");
    expect_rc(sio_wait(client, 0), SIO_ERR_IN_CALLBACK, "sio_wait in a callback");
}

/* The 16 bytes of emitter `t`'s `i`th binary buffer (tests/stress.rs computes the same). */
static void pattern(uint8_t out[16], int t, int i) {
    for (int k = 0; k < 16; k++) out[k] = (uint8_t)((t * 31 + i * 7 + k) & 0xff);
}

static void stat_line(const char *name, long value) {
    printf("stat %s %ld\n", name, value);
}

#ifdef STRESS_INJECT_RACE
static long injected_race; /* deliberately unsynchronised: TSan must report it */
#endif

/* The options of every client: fast reconnection, and the dispatch mode STRESS_DISPATCH names. */
static sio_options *new_options(void) {
    sio_options *opts = sio_options_new();
    expect_rc(sio_options_set_reconnection_delay(opts, 10, 50), SIO_OK, "sio_options_set_reconnection_delay");
    const char *dispatch = getenv("STRESS_DISPATCH");
    if (dispatch && strcmp(dispatch, "inline") == 0) {
        expect_rc(sio_options_set_dispatch(opts, SIO_DISPATCH_INLINE), SIO_OK, "sio_options_set_dispatch");
    } else if (dispatch && *dispatch) {
        fail("unknown STRESS_DISPATCH %s", dispatch);
    }
    return opts;
}

/* ==== scenario "emitters" ==================================================================== */

#define EMITTERS 8
#define MAX_EMITS 50000
#define CYCLES 12
#define MAX_ECHOES 20000

static sio_client *e_client;
static sio_socket *e_socket;
static long e_min_emits;

/* Per emit with ack: how often its callback ran, and its status (+1: 0 means none yet). */
static atomic_int e_ack_calls[EMITTERS][MAX_EMITS];
static atomic_int e_ack_status[EMITTERS][MAX_EMITS];
static atomic_int e_ack_expected[EMITTERS][MAX_EMITS];
static atomic_int e_emits_done[EMITTERS];

static atomic_int e_cycles_done;

/* Callbacks run one at a time, on the dispatch thread, except the ack callbacks that
 * sio_client_free runs on the controller (after the dispatch thread stopped). */
static atomic_int e_in_callback, e_freeing;
static pthread_t e_dispatch_thread;
static atomic_int e_dispatch_known;

static void e_enter(void) {
    if (atomic_exchange(&e_in_callback, 1)) fail("two callbacks of one client ran at once");
    if (atomic_load(&e_freeing)) return;
    if (!atomic_load(&e_dispatch_known)) {
        e_dispatch_thread = pthread_self();
        atomic_store(&e_dispatch_known, 1);
    } else if (!pthread_equal(e_dispatch_thread, pthread_self())) {
        fail("a callback ran outside the dispatch thread");
    }
}

static void e_leave(void) {
    atomic_store(&e_in_callback, 0);
}
static struct signal e_connects = SIGNAL_INIT;
static struct signal e_server_kicks = SIGNAL_INIT;

/* The echo ping-pong on the dispatch thread: each echo (and each connect) emits the next one
 * with an ack, under a fresh id. */
static atomic_int e_echo_next;
static atomic_int e_echo_calls[MAX_ECHOES];
static atomic_int e_echo_emitted[MAX_ECHOES];

static void *emit_tag(int t, int i) {
    return (void *)(uintptr_t)((uintptr_t)t * MAX_EMITS + (uintptr_t)i);
}

static void e_on_ack(void *userdata, sio_result status, const sio_event *reply) {
    uintptr_t tag = (uintptr_t)userdata;
    int t = (int)(tag / MAX_EMITS), i = (int)(tag % MAX_EMITS);
    e_enter();
    check_ack_outcome(status, reply);
    if (status == SIO_OK) {
        char want[64];
        int binary = i % 3 == 2;
        snprintf(want, sizeof want, binary ? "[%d,%d,{\"_placeholder\":true,\"num\":0}]" : "[%d,%d]", t, i);
        if (strcmp(sio_event_args(reply), want) != 0) {
            fail("ack of emit %d/%d: args %s, expected %s", t, i, sio_event_args(reply), want);
        }
        if (sio_event_buffer_count(reply) != (size_t)binary) fail("ack of emit %d/%d: wrong buffer count", t, i);
        if (binary) {
            size_t len = 0;
            const uint8_t *data = sio_event_buffer(reply, 0, &len);
            uint8_t expected[16];
            pattern(expected, t, i);
            if (len != 16 || memcmp(data, expected, 16) != 0) fail("ack of emit %d/%d: wrong buffer", t, i);
        }
    }
    atomic_store(&e_ack_status[t][i], (int)status + 1);
    if (atomic_fetch_add(&e_ack_calls[t][i], 1) != 0) fail("ack callback of emit %d/%d ran twice", t, i);
    e_leave();
}

static void e_on_echo_ack(void *userdata, sio_result status, const sio_event *reply) {
    int id = (int)(uintptr_t)userdata;
    e_enter();
    check_ack_outcome(status, reply);
    if (atomic_fetch_add(&e_echo_calls[id], 1) != 0) fail("ack callback of echo %d ran twice", id);
    e_leave();
}

/* Emits the next echo with an ack (on the dispatch thread, also while the client is freed). */
static void e_echo(sio_socket *socket) {
    int id = atomic_fetch_add(&e_echo_next, 1);
    if (id >= MAX_ECHOES) return;
    char args[32];
    snprintf(args, sizeof args, "[%d]", id);
    sio_result rc = sio_emit_with_ack(socket, "echo", args, NULL, 0, -1, e_on_echo_ack, (void *)(uintptr_t)id);
    if (rc == SIO_OK) {
        atomic_store(&e_echo_emitted[id], 1);
    } else if (rc != SIO_ERR_CLOSED && rc != SIO_ERR_BUFFER_FULL) {
        /* BUFFER_FULL: the callback ran after the controller disconnected the namespace, and the
           emitter threads had filled the buffer of held emits meanwhile; the emit is refused,
           its ack callback never runs, and the next connect starts a new ping-pong. */
        fail("sio_emit_with_ack(echo) from a callback: %s", sio_result_str(rc));
    }
}

static void e_on_echo(void *userdata, const sio_event *event) {
    e_enter();
    token_check(userdata);
#ifdef STRESS_INJECT_RACE
    injected_race++;
#endif
    e_echo(sio_event_socket(event));
    sleep_ms(0); /* give a concurrent replacement of this handler the time to finalize early */
    token_check(userdata);
    e_leave();
}

static void e_on_connect(void *userdata, sio_socket *socket, const char *sid) {
    e_enter();
    token_check(userdata);
    (void)sid;
    check_blocking_calls_refused(e_client, socket);
    e_echo(socket);
    signal_add(&e_connects);
    e_leave();
}

static void e_on_disconnect(void *userdata, sio_socket *socket, const char *reason) {
    e_enter();
    token_check(userdata);
    (void)socket;
    if (strcmp(reason, "io server disconnect") == 0) signal_add(&e_server_kicks);
    e_leave();
}

static void e_on_reconnect(void *userdata, sio_reconnect_event event, uint32_t attempt, const char *error) {
    e_enter();
    token_check(userdata);
    (void)event;
    (void)attempt;
    (void)error;
    e_leave();
}

static void *e_emitter(void *arg) {
    int t = (int)(intptr_t)arg;
    uint8_t bytes[16];
    char args[96];
    int i = 0;
    /* At least e_min_emits, and on until the controller has done all its cycles. */
    for (; i < e_min_emits || atomic_load(&e_cycles_done) < CYCLES; i++) {
        if (i >= MAX_EMITS) fail("emitter %d: the controller did not finish within %d emits", t, MAX_EMITS);
        sio_result rc;
        switch (i % 3) {
        case 0: /* plain */
            snprintf(args, sizeof args, "[%d,%d]", t, i);
            rc = sio_emit(e_socket, "ack", args, NULL, 0);
            break;
        case 1: /* with an ack, half without a timeout (completed on disconnect or at free) */
            snprintf(args, sizeof args, "[%d,%d]", t, i);
            atomic_store(&e_ack_expected[t][i], 1);
            rc = sio_emit_with_ack(e_socket, "ack", args, NULL, 0, i % 2 ? -1 : 10000, e_on_ack, emit_tag(t, i));
            break;
        default: { /* with a binary buffer and an ack */
            pattern(bytes, t, i);
            sio_buffer buffer = {bytes, sizeof bytes};
            snprintf(args, sizeof args, "[%d,%d,{\"_placeholder\":true,\"num\":0}]", t, i);
            atomic_store(&e_ack_expected[t][i], 1);
            rc = sio_emit_with_ack(e_socket, "ack", args, &buffer, 1, 10000, e_on_ack, emit_tag(t, i));
            break;
        }
        }
        if (rc == SIO_ERR_BUFFER_FULL) {
            /* The emits held while disconnected are bounded (sio_options_set_max_buffered): a
               refused emit is never sent and its ack callback never runs. */
            atomic_store(&e_ack_expected[t][i], 0);
        } else {
            expect_rc(rc, SIO_OK, "sio_emit from an emitter thread");
        }
#ifdef STRESS_INJECT_RACE
        if (t == 0) injected_race++;
#endif
        /* Past the minimum, only keep the controller company (a few hundred per second). */
        if (i >= e_min_emits || i % 8 == 7) sleep_ms(1);
    }
    atomic_store(&e_emits_done[t], i);
    return NULL;
}

static atomic_int e_emitters_finished;

/* Disconnects and reconnects in CYCLES ways, then frees the client once the emitters are done. */
static void *e_controller(void *arg) {
    (void)arg;
    long connects = signal_wait_above(&e_connects, 0, "the first connect");
    for (int c = 0; c < CYCLES; c++) {
        switch (c % 4) {
        case 0: /* leave and join again */
            expect_rc(sio_socket_disconnect(e_socket), SIO_OK, "sio_socket_disconnect");
            sleep_ms(5);
            expect_rc(sio_socket_connect(e_socket), SIO_OK, "sio_socket_connect");
            break;
        case 1: { /* the server disconnects the socket; join again */
            long kicks = signal_get(&e_server_kicks);
            expect_rc(sio_emit(e_socket, "kick", NULL, NULL, 0), SIO_OK, "sio_emit(kick)");
            signal_wait_above(&e_server_kicks, kicks, "the server's disconnect");
            expect_rc(sio_socket_connect(e_socket), SIO_OK, "sio_socket_connect");
            break;
        }
        case 2: /* the server closes the connection: libsio reconnects by itself */
            expect_rc(sio_emit(e_socket, "close", NULL, NULL, 0), SIO_OK, "sio_emit(close)");
            break;
        default: /* leave and join at once, and replace the echo handler meanwhile */
            expect_rc(sio_socket_disconnect(e_socket), SIO_OK, "sio_socket_disconnect");
            expect_rc(sio_socket_connect(e_socket), SIO_OK, "sio_socket_connect");
            expect_rc(sio_on(e_socket, "echo", e_on_echo, token_new(), token_free), SIO_OK, "sio_on(echo)");
            break;
        }
        connects = signal_wait_above(&e_connects, connects, "a connect after a disruption");
        atomic_fetch_add(&e_cycles_done, 1);
    }
    while (!atomic_load(&e_emitters_finished)) sleep_ms(2);
    atomic_store(&e_freeing, 1);
    sio_client_free(e_client);
    /* Freed from outside the callbacks: every finalizer and every ack callback has run. */
    if (tokens_pending() != 0) fail("%d finalizers had not run when sio_client_free returned", tokens_pending());
    return NULL;
}

static void scenario_emitters(const char *url, long min_emits) {
    e_min_emits = min_emits;
    sio_options *opts = new_options();
    expect_rc(sio_connect(url, opts, &e_client), SIO_OK, "sio_connect");
    sio_options_free(opts);
    expect_rc(sio_of(e_client, "/", NULL, &e_socket), SIO_OK, "sio_of");
    expect_rc(sio_on_connect(e_socket, e_on_connect, token_new(), token_free), SIO_OK, "sio_on_connect");
    expect_rc(sio_on_disconnect(e_socket, e_on_disconnect, token_new(), token_free), SIO_OK, "sio_on_disconnect");
    expect_rc(sio_on(e_socket, "echo", e_on_echo, token_new(), token_free), SIO_OK, "sio_on(echo)");
    expect_rc(sio_on_reconnect(e_client, e_on_reconnect, token_new(), token_free), SIO_OK, "sio_on_reconnect");

    pthread_t emitters[EMITTERS], controller;
    for (int t = 0; t < EMITTERS; t++) pthread_create(&emitters[t], NULL, e_emitter, (void *)(intptr_t)t);
    pthread_create(&controller, NULL, e_controller, NULL);
    expect_rc(sio_socket_connect(e_socket), SIO_OK, "sio_socket_connect");
    for (int t = 0; t < EMITTERS; t++) pthread_join(emitters[t], NULL);
    atomic_store(&e_emitters_finished, 1);
    pthread_join(controller, NULL);

    long acked = 0, failed = 0, emits = 0;
    for (int t = 0; t < EMITTERS; t++) {
        emits += atomic_load(&e_emits_done[t]);
        for (int i = 0; i < atomic_load(&e_emits_done[t]); i++) {
            int calls = atomic_load(&e_ack_calls[t][i]);
            if (calls != atomic_load(&e_ack_expected[t][i])) {
                fail("emit %d/%d: its ack callback ran %d times", t, i, calls);
            }
            if (calls == 1 && atomic_load(&e_ack_status[t][i]) == SIO_OK + 1) {
                printf("acked %d %d\n", t, i);
                acked++;
            } else if (calls == 1) {
                failed++;
            }
        }
    }
    int echoes = atomic_load(&e_echo_next);
    long echo_acks = 0;
    for (int id = 0; id < echoes && id < MAX_ECHOES; id++) {
        int calls = atomic_load(&e_echo_calls[id]);
        if (calls != atomic_load(&e_echo_emitted[id])) fail("echo %d: its ack callback ran %d times", id, calls);
        echo_acks += calls;
    }
    stat_line("emits", emits);
    stat_line("acked", acked);
    stat_line("ack_failed", failed);
    stat_line("echo_acks", echo_acks);
    stat_line("connects", signal_get(&e_connects));
    stat_line("finalizers", atomic_load(&tokens_used));
}

/* ==== scenario "callbacks" =================================================================== */

#define STEPS 40

enum free_from { FROM_EVENT, FROM_ACK, FROM_DISCONNECT, FROM_CONNECT, FREE_MODES };

/* One round: a client whose callbacks drive everything. Only the dispatch thread touches
 * `step` and `final`; the main thread reads the round's results after `freed`. */
struct round {
    int number;
    enum free_from mode;
    sio_client *client;
    sio_socket *socket;
    struct token *echo_token; /* the echo handler's current token */
    int step;
    int final; /* the last step is under way: the next callback of `mode` frees */
    pthread_t dispatch_thread; /* where every callback of the round runs */
    int dispatch_known;
    atomic_int freed;
    struct signal freed_signal;
    atomic_int acks_issued, acks_called, never_closed, answered, answered_closed, held;
};

static struct round r;

/* Acks taken in callbacks, answered by the worker thread. */
#define MAX_QUEUED 256
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    sio_ack *acks[MAX_QUEUED];
    int args[MAX_QUEUED];
    int hold[MAX_QUEUED]; /* answered only after the client is freed */
    int count;
    int stop;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, {0}, {0}, 0, 0};

/* Every callback, also the ack callbacks run inside sio_client_free (called here on the
 * dispatch thread), runs on the dispatch thread, and none after the free returned. */
static void entered(void) {
    if (atomic_load(&r.freed)) fail("round %d: a callback ran after sio_client_free returned", r.number);
    if (!r.dispatch_known) {
        r.dispatch_thread = pthread_self();
        r.dispatch_known = 1;
    } else if (!pthread_equal(r.dispatch_thread, pthread_self())) {
        fail("round %d: a callback ran outside the dispatch thread", r.number);
    }
}

static void c_on_ack(void *userdata, sio_result status, const sio_event *reply);
static void c_emit_with_ack(sio_socket *socket, const char *event, const char *args, int64_t timeout,
                            const char *tag);

/* Frees the client from inside a callback, then checks what a callback may still do. */
static void free_here(sio_socket *socket_still_valid) {
    /* The server never answers "never": its callback gets SIO_ERR_CLOSED during the free. */
    c_emit_with_ack(socket_still_valid, "never", "[]", -1, "never");
    int issued_before = atomic_load(&r.acks_issued);
    sio_client_free(r.client);
    /* The pending acks were completed during the free, including the "never" one. */
    if (atomic_load(&r.acks_called) != issued_before) {
        fail("round %d: %d of %d ack callbacks had not run when sio_client_free returned", r.number,
             issued_before - atomic_load(&r.acks_called), issued_before);
    }
    if (!atomic_load(&r.never_closed)) fail("round %d: the unanswered ack did not get SIO_ERR_CLOSED", r.number);
    /* The socket this callback got stays valid until it returns; the client is gone. */
    expect_rc(sio_emit(socket_still_valid, "ack", "[0]", NULL, 0), SIO_ERR_CLOSED, "sio_emit after sio_client_free");
    expect_rc(sio_socket_connect(socket_still_valid), SIO_ERR_CLOSED, "sio_socket_connect after sio_client_free");
    atomic_store(&r.freed, 1);
    signal_add(&r.freed_signal);
    pthread_mutex_lock(&queue.lock);
    pthread_cond_broadcast(&queue.changed);
    pthread_mutex_unlock(&queue.lock);
}

/* Emits with an ack whose callback gets `tag` ("ack", "never" or "last") as its userdata. */
static void c_emit_with_ack(sio_socket *socket, const char *event, const char *args, int64_t timeout,
                            const char *tag) {
    atomic_fetch_add(&r.acks_issued, 1);
    expect_rc(sio_emit_with_ack(socket, event, args, NULL, 0, timeout, c_on_ack, (void *)tag), SIO_OK,
              "sio_emit_with_ack in a callback");
}

static void c_on_ack(void *userdata, sio_result status, const sio_event *reply) {
    const char *tag = userdata;
    /* Acks completed by sio_client_free run inside it: before `freed`. */
    entered();
    check_ack_outcome(status, reply);
    if (strcmp(tag, "never") == 0) {
        if (status != SIO_ERR_CLOSED) fail("round %d: the never-answered ack got %s", r.number, sio_result_str(status));
        atomic_store(&r.never_closed, 1);
    }
    atomic_fetch_add(&r.acks_called, 1);
    if (strcmp(tag, "last") == 0 && status == SIO_OK && r.mode == FROM_ACK) free_here(sio_event_socket(reply));
}

static void c_next_echo(sio_socket *socket) {
    char args[48];
    snprintf(args, sizeof args, "[%d,%d]", r.number, r.step + 1);
    expect_rc(sio_emit(socket, "echo", args, NULL, 0), SIO_OK, "sio_emit(echo) in a callback");
}

/* The last step: what frees the client depends on the round. */
static void c_finish(sio_socket *socket) {
    r.final = 1;
    switch (r.mode) {
    case FROM_EVENT:
        free_here(socket);
        break;
    case FROM_ACK:
        c_emit_with_ack(socket, "ack", "[\"last\"]", -1, "last"); /* its callback frees */
        break;
    case FROM_DISCONNECT:
        expect_rc(sio_socket_disconnect(socket), SIO_OK, "sio_socket_disconnect in a callback");
        break;
    default:
        expect_rc(sio_emit(socket, "kick", NULL, NULL, 0), SIO_OK, "sio_emit(kick) in a callback");
        break;
    }
}

static void c_on_any(void *userdata, const sio_event *event) {
    token_check(userdata);
    entered();
    (void)event;
}

static void c_on_echo(void *userdata, const sio_event *event);

/* One step of the round, in the echo handler: emit, ack, ask, replace handlers, disrupt. */
static void c_step(sio_socket *socket) {
    char args[48];
    r.step++;
    snprintf(args, sizeof args, "[%d,%d]", r.number, r.step);
    c_emit_with_ack(socket, "ack", args, 10000, "ack");
    if (r.step % 3 == 0 || r.step == STEPS - 2) {
        /* The server asks back ("question", with an ack) and records our late answer. */
        snprintf(args, sizeof args, "[%d]", r.number * 1000 + r.step);
        expect_rc(sio_emit(socket, "ask", args, NULL, 0), SIO_OK, "sio_emit(ask) in a callback");
    }
    /* Toggle the catch-all handler. */
    if (r.step % 2) {
        expect_rc(sio_on_any(socket, c_on_any, token_new(), token_free), SIO_OK, "sio_on_any in a callback");
    } else {
        expect_rc(sio_on_any(socket, NULL, NULL, NULL), SIO_OK, "sio_on_any(NULL) in a callback");
    }
    if (r.step >= STEPS) {
        c_finish(socket);
    } else if (r.step % 5 == 4) {
        expect_rc(sio_socket_disconnect(socket), SIO_OK, "sio_socket_disconnect in a callback");
    } else if (r.step % 7 == 6) {
        expect_rc(sio_emit(socket, "kick", NULL, NULL, 0), SIO_OK, "sio_emit(kick) in a callback");
    } else if (r.step % 11 == 10) {
        expect_rc(sio_emit(socket, "close", NULL, NULL, 0), SIO_OK, "sio_emit(close) in a callback");
    } else {
        c_next_echo(socket);
    }
}

static void c_on_echo(void *userdata, const sio_event *event) {
    token_check(userdata);
    entered();
    sio_socket *socket = sio_event_socket(event);
    check_blocking_calls_refused(r.client, socket);
    /* Replace this very handler: its old userdata is finalized after this call returns. */
    struct token *old = r.echo_token;
    if (old != userdata) fail("round %d: the echo handler got stale userdata", r.number);
    r.echo_token = token_new();
    expect_rc(sio_on(socket, "echo", c_on_echo, r.echo_token, token_free), SIO_OK, "sio_on(echo) in its callback");
    if (atomic_load(&old->finalized)) fail("round %d: a running handler's userdata was finalized", r.number);
    c_step(socket);
}

static void c_on_question(void *userdata, const sio_event *event) {
    token_check(userdata);
    entered();
    sio_ack *ack = sio_event_take_ack(event);
    if (ack == NULL) fail("round %d: a question without an ack", r.number);
    if (sio_event_take_ack(event) != NULL) fail("round %d: an ack taken twice", r.number);
    int n = atoi(sio_event_args(event) + 1);
    pthread_mutex_lock(&queue.lock);
    if (queue.count == MAX_QUEUED) fail("ack queue full");
    queue.acks[queue.count] = ack;
    queue.args[queue.count] = n;
    queue.hold[queue.count] = n % 1000 == STEPS - 2;
    queue.count++;
    pthread_cond_broadcast(&queue.changed);
    pthread_mutex_unlock(&queue.lock);
}

static void c_on_connect(void *userdata, sio_socket *socket, const char *sid) {
    token_check(userdata);
    entered();
    (void)sid;
    check_blocking_calls_refused(r.client, socket);
    if (r.final && r.mode == FROM_CONNECT) {
        free_here(socket);
    } else if (!r.final) {
        c_next_echo(socket); /* the round starts, or goes on after a disruption */
    }
}

static void c_on_disconnect(void *userdata, sio_socket *socket, const char *reason) {
    token_check(userdata);
    entered();
    if (r.final && r.mode == FROM_DISCONNECT) {
        free_here(socket);
    } else if (strcmp(reason, "transport close") != 0) {
        /* Left by us or kicked by the server: join again from here ("transport close"
         * reconnects by itself). */
        expect_rc(sio_socket_connect(socket), SIO_OK, "sio_socket_connect in a callback");
    }
}

/* Answers the queued acks, later and from its own thread; held ones after the free. */
static void *c_worker(void *arg) {
    (void)arg;
    uint8_t bytes[4] = {1, 2, 3, 4};
    pthread_mutex_lock(&queue.lock);
    for (;;) {
        int i = 0, freed = atomic_load(&r.freed);
        while (i < queue.count && queue.hold[i] && !freed) i++;
        if (i == queue.count) {
            if (queue.stop) break;
            pthread_cond_wait(&queue.changed, &queue.lock);
            continue;
        }
        sio_ack *ack = queue.acks[i];
        int n = queue.args[i], hold = queue.hold[i];
        queue.count--;
        memmove(&queue.acks[i], &queue.acks[i + 1], sizeof queue.acks[0] * (size_t)(queue.count - i));
        memmove(&queue.args[i], &queue.args[i + 1], sizeof queue.args[0] * (size_t)(queue.count - i));
        memmove(&queue.hold[i], &queue.hold[i + 1], sizeof queue.hold[0] * (size_t)(queue.count - i));
        pthread_mutex_unlock(&queue.lock);

        char args[96];
        sio_buffer buffer = {bytes, sizeof bytes};
        int binary = n % 2;
        snprintf(args, sizeof args, binary ? "[%d,\"later\",{\"_placeholder\":true,\"num\":0}]" : "[%d,\"later\"]", n);
        sio_result rc = sio_ack_send(ack, args, binary ? &buffer : NULL, (size_t)binary);
        if (rc == SIO_OK) {
            if (hold) fail("round %d: an ack answered after sio_client_free was sent", r.number);
            atomic_fetch_add(&r.answered, 1);
        } else if (rc == SIO_ERR_CLOSED) {
            /* The client was freed meanwhile: the handle is still ours. */
            sio_ack_free(ack);
            atomic_fetch_add(&r.answered_closed, 1);
            if (hold) atomic_fetch_add(&r.held, 1);
        } else {
            fail("sio_ack_send from the worker: %s (%s)", sio_result_str(rc), sio_last_error());
        }
        pthread_mutex_lock(&queue.lock);
    }
    pthread_mutex_unlock(&queue.lock);
    return NULL;
}

static void scenario_callbacks(const char *url, int rounds) {
    long total_answered = 0, total_held = 0, total_closed = 0;
    for (int n = 0; n < rounds; n++) {
        memset(&r, 0, sizeof r);
        r.number = n;
        r.mode = (enum free_from)(n % FREE_MODES);
        pthread_mutex_init(&r.freed_signal.lock, NULL);
        pthread_cond_init(&r.freed_signal.changed, NULL);
        queue.stop = 0;

        sio_options *opts = new_options();
        expect_rc(sio_connect(url, opts, &r.client), SIO_OK, "sio_connect");
        sio_options_free(opts);
        expect_rc(sio_of(r.client, "/", NULL, &r.socket), SIO_OK, "sio_of");
        r.echo_token = token_new();
        expect_rc(sio_on(r.socket, "echo", c_on_echo, r.echo_token, token_free), SIO_OK, "sio_on(echo)");
        expect_rc(sio_on(r.socket, "question", c_on_question, token_new(), token_free), SIO_OK, "sio_on(question)");
        expect_rc(sio_on_connect(r.socket, c_on_connect, token_new(), token_free), SIO_OK, "sio_on_connect");
        expect_rc(sio_on_disconnect(r.socket, c_on_disconnect, token_new(), token_free), SIO_OK, "sio_on_disconnect");
        /* A handler registered and removed at once: finalized by the removal. */
        expect_rc(sio_on(r.socket, "gone", c_on_echo, token_new(), token_free), SIO_OK, "sio_on(gone)");
        expect_rc(sio_on(r.socket, "gone", NULL, NULL, NULL), SIO_OK, "sio_on(gone, NULL)");

        pthread_t worker;
        pthread_create(&worker, NULL, c_worker, NULL);
        expect_rc(sio_socket_connect(r.socket), SIO_OK, "sio_socket_connect");
        signal_wait_above(&r.freed_signal, 0, "the callback that frees the client");

        pthread_mutex_lock(&queue.lock);
        queue.stop = 1;
        pthread_cond_broadcast(&queue.changed);
        pthread_mutex_unlock(&queue.lock);
        pthread_join(worker, NULL);
        /* The handler that freed the client is finalized once it returns, on the dispatch
         * thread: wait for it. */
        wait_all_finalized();
        if (atomic_load(&r.acks_called) != atomic_load(&r.acks_issued)) {
            fail("round %d: %d ack callbacks for %d emits with ack", n, atomic_load(&r.acks_called),
                 atomic_load(&r.acks_issued));
        }
        if (r.step != STEPS) fail("round %d: ended at step %d", n, r.step);
        total_answered += atomic_load(&r.answered);
        total_held += atomic_load(&r.held);
        total_closed += atomic_load(&r.answered_closed);
        pthread_mutex_destroy(&r.freed_signal.lock);
        pthread_cond_destroy(&r.freed_signal.changed);
    }
    stat_line("rounds", rounds);
    stat_line("answered", total_answered);
    stat_line("answered_after_free", total_held);
    stat_line("answer_closed", total_closed);
    stat_line("finalizers", atomic_load(&tokens_used));
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: stress URL emitters N | stress URL callbacks ROUNDS\n");
        return 2;
    }
    const char *timeout = getenv("STRESS_TIMEOUT");
    alarm(timeout ? (unsigned)atoi(timeout) : 120u);
    long n = atol(argv[3]);
    if (strcmp(argv[2], "emitters") == 0 && n > 0 && n <= MAX_EMITS / 2) {
        scenario_emitters(argv[1], n);
    } else if (strcmp(argv[2], "callbacks") == 0 && n > 0) {
        scenario_callbacks(argv[1], (int)n);
    } else {
        fprintf(stderr, "stress: bad scenario or count\n");
        return 2;
    }
    printf("ok\n");
    return 0;
}
