/*
 * pull: the pull form of libsio's event loop: sio_dispatch_wait() waits for the next callback
 * and runs it on the calling thread, as a game loop or a script would. Also routes libsio's
 * log into the program's own logger.
 *
 *   pull [-v] http://127.0.0.1:PORT        (against tests/server/server.js)
 *
 * It asks the server to send three "tick" events, pulls them one by one, then closes the client.
 * It checks what it receives (order, thread, the log) and exits non-zero on any surprise;
 * -v prints the log lines on stderr.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sio.h"

#define TICKS 3

struct app {
    pthread_t main_thread;
    sio_client *client;
    int ticks, done, errors;
};

/* The log callback runs on libsio's threads (mostly its I/O thread): it only takes a lock. */
struct logger {
    pthread_mutex_t lock;
    int verbose, lines, joined, finalized;
};

static void on_log(void *ud, sio_log_level level, const char *message) {
    static const char *names[] = {"off", "error", "warn", "info", "debug", "trace"};
    struct logger *log = ud;
    pthread_mutex_lock(&log->lock);
    log->lines++;
    if (strncmp(message, "joined / ", 9) == 0) log->joined = 1;
    if (log->verbose) fprintf(stderr, "libsio %s: %s\n", names[level], message);
    pthread_mutex_unlock(&log->lock);
}

static void free_logger(void *ud) {
    struct logger *log = ud;
    log->finalized++; /* once, when the options and the client are both freed */
}

static void check_thread(struct app *app, const char *what) {
    if (!pthread_equal(pthread_self(), app->main_thread)) {
        fprintf(stderr, "pull: %s ran on another thread\n", what);
        app->errors++;
    }
}

static void on_connect(void *ud, sio_socket *socket, const char *sid) {
    struct app *app = ud;
    (void)sid;
    check_thread(app, "connect");
    sio_emit(socket, "emit_n", "[3, \"tick\"]", NULL, 0); /* the server sends three ticks */
}

static void on_tick(void *ud, const sio_event *event) {
    struct app *app = ud;
    char expected[32];
    check_thread(app, "tick");
    snprintf(expected, sizeof expected, "[{\"i\":%d}]", app->ticks);
    if (strcmp(sio_event_args(event), expected) != 0) {
        fprintf(stderr, "pull: tick %s, expected %s\n", sio_event_args(event), expected);
        app->errors++;
    }
    if (++app->ticks == TICKS) sio_client_close(app->client); /* from inside a callback */
}

static void on_disconnect(void *ud, sio_socket *socket, const char *reason) {
    struct app *app = ud;
    (void)socket;
    check_thread(app, "disconnect");
    if (strcmp(reason, "io client disconnect") != 0) {
        fprintf(stderr, "pull: disconnected: %s\n", reason);
        app->errors++;
    }
    app->done = 1;
}

int main(int argc, char **argv) {
    struct app app = {0};
    struct logger log = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0};
    const char *url = argv[argc - 1];
    sio_options *opts;
    sio_socket *socket;
    time_t give_up = time(NULL) + 10;
    int pulled = 0;
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[1], "-v") != 0)) {
        fprintf(stderr, "usage: pull [-v] URL\n");
        return 2;
    }
    log.verbose = argc == 3;
    app.main_thread = pthread_self();
    opts = sio_options_new();
    sio_options_set_dispatch(opts, SIO_DISPATCH_MANUAL);
    sio_options_set_log(opts, SIO_LOG_INFO, on_log, &log, free_logger);
    if (sio_connect(url, opts, &app.client) != SIO_OK) {
        fprintf(stderr, "pull: %s\n", sio_last_error());
        sio_options_free(opts);
        return 1;
    }
    sio_options_free(opts);
    sio_of(app.client, "/", NULL, &socket);
    sio_on_connect(socket, on_connect, &app, NULL);
    sio_on(socket, "tick", on_tick, &app, NULL);
    sio_on_disconnect(socket, on_disconnect, &app, NULL);
    sio_socket_connect(socket);

    /* The loop: wait up to 100 ms for the next callback, run it, do the program's own work. */
    while (!app.done && time(NULL) < give_up) {
        sio_result r = sio_dispatch_wait(app.client, 100);
        if (r == SIO_OK) pulled++;
        else if (r != SIO_ERR_TIMEOUT) {
            fprintf(stderr, "pull: %s\n", sio_last_error());
            app.errors++;
            break;
        }
    }
    if (!app.done) fprintf(stderr, "pull: timed out after %d ticks\n", app.ticks);
    else if (sio_wait(app.client, 5000) != SIO_OK) { /* runs what reports the close */
        fprintf(stderr, "pull: still open: %s\n", sio_last_error());
        app.errors++;
    }
    sio_client_free(app.client);
    if (!log.joined || log.finalized != 1) {
        fprintf(stderr, "pull: log: %d lines, joined line %s, finalized %d times\n", log.lines,
                log.joined ? "seen" : "missing", log.finalized);
        app.errors++;
    }
    if (!app.done || app.errors || app.ticks != TICKS) return 1;
    printf("pull: %d ticks in order in %d pulls, every callback on the main thread, %d log lines\n",
           app.ticks, pulled, log.lines);
    return 0;
}
