/*
 * chatbot: a tiny Socket.IO chat bot built on libsio.
 *
 *   chatbot http://127.0.0.1:PORT        (try it with tests/server/chat-server.js)
 *
 * It joins the namespace /chat as "bot", answers anyone who calls it a bot, and
 * leaves when someone says "bye". Callbacks run on libsio's dispatch thread;
 * main() only sets things up and waits for the session to end.
 */
#include <stdio.h>
#include <string.h>

#include "sio.h"

/* Reads the JSON string starting at `p` (its opening quote) into `out` (at most
 * `cap` bytes, NUL included), decoding the common escapes; \uXXXX becomes '?'.
 * Returns the position after the closing quote, or NULL if `p` is no string. */
static const char *json_string(const char *p, char *out, size_t cap) {
    size_t n = 0;
    if (*p++ != '"') return NULL;
    for (; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            c = *++p;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'u') { /* \uXXXX: not decoded here */
                c = '?';
                if (strspn(p + 1, "0123456789abcdefABCDEF") >= 4) p += 4;
            }
            else if (c == '\0') return NULL;
        }
        if (n + 1 < cap) out[n++] = c;
    }
    out[n] = '\0';
    return *p == '"' ? p + 1 : NULL;
}

static void on_connect(void *ud, sio_socket *socket, const char *sid) {
    (void)ud;
    printf("bot: connected as %s\n", sid);
    fflush(stdout);
    sio_emit(socket, "nickname", "[\"bot\"]", NULL, 0); /* args are always a JSON array */
}

/* "user message" carries [nick, text]. */
static void on_user_message(void *ud, const sio_event *event) {
    char nick[64], text[512];
    const char *p = sio_event_args(event); /* e.g. ["alice","hi bot"] */
    sio_socket *socket = sio_event_socket(event);
    (void)ud;

    p = json_string(p + strspn(p, "[ "), nick, sizeof nick);
    if (p == NULL || (p = json_string(p + strspn(p, ", "), text, sizeof text)) == NULL)
        return; /* not the shape we expect: ignore it */
    printf("bot: heard %s: %s\n", nick, text);

    if (strcmp(nick, "bot") != 0 && strstr(text, "bot") != NULL) {
        printf("bot: replying \"who are you calling bot?!\"\n");
        sio_emit(socket, "user message", "[\"who are you calling bot?!\"]", NULL, 0);
    }
    if (strstr(text, "bye") != NULL) {
        printf("bot: leaving\n");
        /* Leaving the last namespace closes the client: sio_wait() in main returns. */
        sio_socket_disconnect(socket);
    }
    fflush(stdout);
}

static void on_disconnect(void *ud, sio_socket *socket, const char *reason) {
    (void)ud; (void)socket;
    printf("bot: disconnected (%s)\n", reason);
    fflush(stdout);
}

static void on_connect_error(void *ud, sio_socket *socket, const char *message, const char *data) {
    (void)socket;
    *(int *)ud = 1; /* read by main after sio_wait() */
    printf("bot: cannot join /chat: %s %s\n", message, data);
    fflush(stdout);
}

int main(int argc, char **argv) {
    sio_client *client;
    sio_socket *chat;
    int failed = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s URL   (e.g. http://127.0.0.1:3000)\n", argv[0]);
        return 2;
    }
    /* Creates the client; nothing is sent before a namespace is joined. */
    if (sio_connect(argv[1], NULL, &client) != SIO_OK) {
        fprintf(stderr, "chatbot: %s\n", sio_last_error());
        return 1;
    }
    /* Register every handler before joining, so that no event is missed. The
     * handlers' user data needs no finalizer (NULL): it lives on main's stack. */
    if (sio_of(client, "/chat", NULL, &chat) != SIO_OK
        || sio_on_connect(chat, on_connect, NULL, NULL) != SIO_OK
        || sio_on_disconnect(chat, on_disconnect, NULL, NULL) != SIO_OK
        || sio_on_connect_error(chat, on_connect_error, &failed, NULL) != SIO_OK
        || sio_on(chat, "user message", on_user_message, NULL, NULL) != SIO_OK
        || sio_socket_connect(chat) != SIO_OK) {
        fprintf(stderr, "chatbot: %s\n", sio_last_error());
        sio_client_free(client);
        return 1;
    }
    sio_wait(client, -1);     /* until the bot leaves, or joining fails */
    sio_client_free(client);  /* always free the client */
    return failed ? 1 : 0;
}
