/*
 * eventloop: libsio inside a program's own event loop (epoll), with no libsio thread calling
 * back: every callback runs on the loop's thread.
 *
 *   eventloop http://127.0.0.1:PORT        (against tests/server/server.js)
 *
 * The loop owns the main thread and watches two descriptors: a timer that sends an "echo" with
 * an ack every 50 ms, five times, and sio_client_fd(), readable while libsio has callbacks
 * pending, which it runs with sio_dispatch(). The server echoes each message back; after the
 * fifth the program leaves. It checks what it receives (order, thread, acks) and exits non-zero
 * on any surprise. With poll(2), select(2), libuv (uv_poll_t), GLib (g_unix_fd_add) or Qt
 * (QSocketNotifier) it is the same: watch the descriptor for reading, then call sio_dispatch.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "sio.h"

#define MESSAGES 5

struct app {
    pthread_t loop_thread;
    sio_socket *socket;
    int connected, sent, echoes, acks, done, errors;
};

/* Every callback checks that it runs on the loop's thread. */
static void check_thread(struct app *app, const char *what) {
    if (!pthread_equal(pthread_self(), app->loop_thread)) {
        fprintf(stderr, "eventloop: %s ran on another thread\n", what);
        app->errors++;
    }
}

/* Leaves (the last namespace: the client closes) once every echo and every ack came. */
static void maybe_leave(struct app *app) {
    if (app->echoes == MESSAGES && app->acks == MESSAGES) sio_socket_disconnect(app->socket);
}

static void on_connect(void *ud, sio_socket *socket, const char *sid) {
    struct app *app = ud;
    (void)socket;
    (void)sid;
    check_thread(app, "connect");
    app->connected = 1;
}

static void on_echo(void *ud, const sio_event *event) {
    struct app *app = ud;
    char expected[32];
    check_thread(app, "echo");
    snprintf(expected, sizeof expected, "[%d]", app->echoes);
    if (strcmp(sio_event_args(event), expected) != 0) {
        fprintf(stderr, "eventloop: echo %s, expected %s\n", sio_event_args(event), expected);
        app->errors++;
    }
    app->echoes++;
    maybe_leave(app);
}

static void on_ack(void *ud, sio_result status, const sio_event *reply) {
    struct app *app = ud;
    char expected[32];
    check_thread(app, "ack");
    if (status != SIO_OK || reply == NULL) {
        fprintf(stderr, "eventloop: ack failed: %s\n", sio_result_str(status));
        app->errors++;
        return;
    }
    snprintf(expected, sizeof expected, "[%d]", app->acks); /* the server acks with the args */
    if (strcmp(sio_event_args(reply), expected) != 0) {
        fprintf(stderr, "eventloop: ack %s, expected %s\n", sio_event_args(reply), expected);
        app->errors++;
    }
    app->acks++;
    maybe_leave(app);
}

static void on_disconnect(void *ud, sio_socket *socket, const char *reason) {
    struct app *app = ud;
    (void)socket;
    check_thread(app, "disconnect");
    if (strcmp(reason, "io client disconnect") != 0) {
        fprintf(stderr, "eventloop: disconnected: %s\n", reason);
        app->errors++;
    }
    app->done = 1;
}

/* The timer: one more echo, with an ack, once connected. */
static void on_tick(struct app *app) {
    char args[32];
    if (!app->connected || app->sent == MESSAGES) return;
    snprintf(args, sizeof args, "[%d]", app->sent);
    if (sio_emit_with_ack(app->socket, "echo", args, NULL, 0, 5000, on_ack, app) != SIO_OK) {
        fprintf(stderr, "eventloop: emit: %s\n", sio_last_error());
        app->errors++;
    }
    app->sent++;
}

static int run(sio_client *client, struct app *app) {
    int sio_fd = sio_client_fd(client); /* owned by the client */
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct itimerspec every_50ms = {{0, 50 * 1000000}, {0, 50 * 1000000}};
    struct epoll_event watch = {0};
    time_t give_up = time(NULL) + 10;
    if (sio_fd < 0 || timer < 0 || ep < 0) {
        fprintf(stderr, "eventloop: setup failed: %s\n", sio_fd < 0 ? sio_last_error() : "timerfd/epoll");
        return 1;
    }
    timerfd_settime(timer, 0, &every_50ms, NULL);
    watch.events = EPOLLIN; /* level-triggered: readable until every pending callback ran */
    watch.data.fd = sio_fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, sio_fd, &watch);
    watch.data.fd = timer;
    epoll_ctl(ep, EPOLL_CTL_ADD, timer, &watch);

    while (!app->done && time(NULL) < give_up) {
        struct epoll_event ready[2];
        int i, n = epoll_wait(ep, ready, 2, 1000);
        for (i = 0; i < n; i++) {
            if (ready[i].data.fd == sio_fd) {
                if (sio_dispatch(client, 0, NULL) != SIO_OK) {
                    fprintf(stderr, "eventloop: dispatch: %s\n", sio_last_error());
                    app->errors++;
                }
            } else {
                uint64_t expirations;
                if (read(timer, &expirations, sizeof expirations) == sizeof expirations) on_tick(app);
            }
        }
    }
    /* Out of the loop before sio_client_free closes the descriptor. */
    epoll_ctl(ep, EPOLL_CTL_DEL, sio_fd, NULL);
    close(ep);
    close(timer);
    if (!app->done) {
        fprintf(stderr, "eventloop: timed out (%d sent, %d echoes, %d acks)\n", app->sent, app->echoes, app->acks);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    struct app app = {0};
    sio_options *opts;
    sio_client *client;
    int failed;
    if (argc != 2) {
        fprintf(stderr, "usage: eventloop URL\n");
        return 2;
    }
    app.loop_thread = pthread_self();
    opts = sio_options_new();
    sio_options_set_dispatch(opts, SIO_DISPATCH_MANUAL); /* no dispatch thread */
    if (sio_connect(argv[1], opts, &client) != SIO_OK) {
        fprintf(stderr, "eventloop: %s\n", sio_last_error());
        sio_options_free(opts);
        return 1;
    }
    sio_options_free(opts);
    sio_of(client, "/", NULL, &app.socket);
    sio_on_connect(app.socket, on_connect, &app, NULL);
    sio_on(app.socket, "echo", on_echo, &app, NULL);
    sio_on_disconnect(app.socket, on_disconnect, &app, NULL);
    sio_socket_connect(app.socket);

    failed = run(client, &app);
    /* The client is closed once the callbacks that report it ran: sio_wait runs them here. */
    if (!failed && sio_wait(client, 5000) != SIO_OK) {
        fprintf(stderr, "eventloop: still open: %s\n", sio_last_error());
        failed = 1;
    }
    sio_client_free(client);
    if (failed || app.errors || app.echoes != MESSAGES || app.acks != MESSAGES) {
        fprintf(stderr, "eventloop: failed (%d echoes, %d acks, %d errors)\n", app.echoes, app.acks, app.errors);
        return 1;
    }
    printf("eventloop: %d echoes and %d acks, every callback on the loop's thread\n", app.echoes, app.acks);
    return 0;
}
