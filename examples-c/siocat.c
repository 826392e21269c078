/*
 * siocat: a wscat-like command-line Socket.IO client built on libsio.
 *
 *   siocat [options] URL
 *
 * Reads one command per line on stdin and prints one JSON object per line on stdout
 * (see usage() below). Threads: main() reads stdin and emits; libsio's dispatch thread
 * runs the callbacks, which print what arrives. Every output line is written and
 * flushed under `out_lock`, so lines of the two threads never interleave. main() waits for
 * stdin with poll(), on a pipe too: the reconnect handler writes to it when libsio gives up
 * reconnecting and closes the client, so that siocat exits without waiting for stdin.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, poll, pipe */
#endif
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sio.h"

static void usage(FILE *to) {
    fputs(
        "usage: siocat [options] URL\n"
        "\n"
        "Options:\n"
        "  --ns NSP            namespace to join (repeatable; default: the URL's path, /)\n"
        "  --auth JSON         auth object sent when joining the namespaces\n"
        "  --header 'N: v'     HTTP header for the WebSocket handshake (repeatable)\n"
        "  --query k=v         query parameter (repeatable)\n"
        "  --path PATH         Engine.IO path (default /socket.io)\n"
        "  --timeout MS        connect timeout in milliseconds (default 20000)\n"
        "  --transport T       websocket, polling or auto (default: polling, then upgrade)\n"
        "  --eio V             Engine.IO protocol: 3 (socket.io 2.x), 4 or auto (default)\n"
        "  --cacert FILE       trust the CA certificates of this PEM file, not the system's\n"
        "                      (https:// and wss:// URLs)\n"
        "  --cert FILE         client certificate chain (PEM), for servers that require one\n"
        "  --key FILE          its private key (PEM); --cert and --key go together\n"
        "  --insecure          accept any TLS certificate, for any host (testing only)\n"
        "  --proxy URL         HTTP proxy, http://[user:password@]host:port; '' for none\n"
        "                      (default: $http_proxy, $https_proxy, $all_proxy, $no_proxy)\n"
        "  --no-reconnect      do not reconnect when the connection is lost\n"
        "  --reconnect-delay MS, --reconnect-delay-max MS\n"
        "                      delay before the first reconnection attempt, doubled after\n"
        "                      each failed one up to the max (default 1000 and 5000)\n"
        "  --reconnect-attempts N\n"
        "                      give up after N failed attempts in a row (default: never)\n"
        "  --ack-timeout MS    how long a call waits for its ack when it gives no TIMEOUT_MS\n"
        "                      (default: no limit); with --retries, each try\n"
        "  --retries N         at-least-once: emits and calls of a namespace go one at a time,\n"
        "                      each with an ack, sent again up to N times when no ack comes\n"
        "                      within the ack timeout (default 0: off)\n"
        "  --help              show this help\n"
        "\n"
        "Commands on stdin, one per line:\n"
        "  emit NSP EVENT ARGS_JSON_ARRAY\n"
        "  call NSP EVENT ARGS_JSON_ARRAY [TIMEOUT_MS] (emit with ack; prints the ack)\n"
        "  disconnect NSP\n"
        "  quit                                       (EOF: quit once pending calls end)\n"
        "emit and call join NSP first if it is not joined.\n"
        "A binary argument is written {\"_binary\":\"<base64>\"}, anywhere in ARGS_JSON_ARRAY.\n"
        "\n"
        "Output on stdout, one JSON object per line:\n"
        "  {\"type\":\"connect\",\"ns\":\"/\",\"sid\":\"...\",\"recovered\":false}\n"
        "      (recovered: the server restored the session after a reconnection, with the\n"
        "      events missed meanwhile printed just before; socket.io 4.6+ connectionStateRecovery)\n"
        "  {\"type\":\"event\",\"ns\":\"/\",\"event\":\"name\",\"args\":[...]}   (+ \"ack\":true: echoed back)\n"
        "  {\"type\":\"ack\",\"ns\":\"/\",\"event\":\"name\",\"args\":[...]}\n"
        "  {\"type\":\"ack_timeout\",\"ns\":\"/\",\"event\":\"name\"}\n"
        "  {\"type\":\"connect_error\",\"ns\":\"/\",\"message\":\"...\",\"data\":...}\n"
        "  {\"type\":\"disconnect\",\"ns\":\"/\",\"reason\":\"...\"}\n"
        "  {\"type\":\"error\",\"message\":\"...\"}\n"
        "  {\"type\":\"reconnect_attempt\",\"attempt\":1}   (the connection was lost; from 1)\n"
        "  {\"type\":\"reconnect\",\"attempt\":1}           (then a connect line per namespace)\n"
        "  {\"type\":\"reconnect_failed\"}   (attempts used up: siocat exits, as at EOF)\n"
        "Binary arguments in args appear as {\"_binary\":\"<base64>\"}.\n"
        "\n"
        "Exit status: 0 after quit, 1 if the first connection fails, 2 on bad usage (or\n"
        "options that cannot be used, e.g. an unreadable certificate file).\n",
        to);
}

/* ---- Output: JSON lines built in a growable buffer, printed whole under a lock ---- */

struct line {
    char *s;
    size_t len, cap;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void add_raw(struct line *l, const char *s, size_t n) {
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 128;
        while (cap < l->len + n + 1) cap *= 2;
        char *p = realloc(l->s, cap);
        if (p == NULL) { perror("siocat"); abort(); }
        l->s = p;
        l->cap = cap;
    }
    memcpy(l->s + l->len, s, n);
    l->len += n;
    l->s[l->len] = '\0';
}

static void add(struct line *l, const char *s) { add_raw(l, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at `s`, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s) {
    size_t n = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)   /* overlong, surrogate */
        || (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)) /* overlong, > U+10FFFF */
        return 0;
    return n;
}

/* Appends `s` as a quoted JSON string; bytes that are not UTF-8 become U+FFFD. */
static void add_str(struct line *l, const char *s) {
    add(l, "\"");
    while (*s) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        size_t n = 1;
        switch (c) {
        case '"': add(l, "\\\""); break;
        case '\\': add(l, "\\\\"); break;
        case '\b': add(l, "\\b"); break;
        case '\f': add(l, "\\f"); break;
        case '\n': add(l, "\\n"); break;
        case '\r': add(l, "\\r"); break;
        case '\t': add(l, "\\t"); break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                add(l, esc);
            } else if (c < 0x80) {
                add_raw(l, s, 1);
            } else if ((n = utf8_len((const unsigned char *)s)) > 0) {
                add_raw(l, s, n);
            } else {
                add(l, "\\ufffd");
                n = 1;
            }
        }
        s += n;
    }
    add(l, "\"");
}

/* Starts a line: {"type":TYPE  (and ,"ns":NS if ns is not NULL). */
static struct line begin(const char *type, const char *ns) {
    struct line l = {NULL, 0, 0};
    add(&l, "{\"type\":");
    add_str(&l, type);
    if (ns != NULL) {
        add(&l, ",\"ns\":");
        add_str(&l, ns);
    }
    return l;
}

/* Appends ,"KEY":"VALUE" (a string). */
static void field(struct line *l, const char *key, const char *value) {
    add(l, ",");
    add_str(l, key);
    add(l, ":");
    add_str(l, value);
}

/* Appends ,"KEY":JSON (JSON text, verbatim). */
static void field_json(struct line *l, const char *key, const char *json) {
    add(l, ",");
    add_str(l, key);
    add(l, ":");
    add(l, json != NULL ? json : "null");
}

/* Ends the line, prints it and frees it. */
static void finish(struct line *l) {
    add(l, "}\n");
    pthread_mutex_lock(&out_lock);
    fputs(l->s, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    free(l->s);
}

/* {"type":"error","message":...} with a printf-style message. */
static void print_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = malloc(n < 0 ? 1 : (size_t)n + 1);
    if (msg == NULL) { perror("siocat"); abort(); }
    va_start(ap, fmt);
    vsnprintf(msg, n < 0 ? 1 : (size_t)n + 1, fmt, ap);
    va_end(ap);
    struct line l = begin("error", NULL);
    field(&l, "message", msg);
    finish(&l);
    free(msg);
}

/* ---- Binary arguments: {"_binary":"<base64>"} for siocat, placeholders for libsio ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends `n` bytes as standard base64, with padding. */
static void add_base64(struct line *l, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0)
                     | (i + 2 < n ? (uint32_t)p[i + 2] : 0);
        char q[4] = {b64_alphabet[v >> 18 & 63], b64_alphabet[v >> 12 & 63],
                     i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=', i + 2 < n ? b64_alphabet[v & 63] : '='};
        add_raw(l, q, 4);
    }
}

static int b64_value(char c) {
    const char *p = c != '\0' ? strchr(b64_alphabet, c) : NULL;
    return p != NULL ? (int)(p - b64_alphabet) : -1;
}

/* Decodes `n` chars of standard base64 (padding optional) into `out` (room for n / 4 * 3 + 2
 * bytes); returns 0 if they are not base64. */
static int base64_decode(const char *s, size_t n, uint8_t *out, size_t *out_len) {
    size_t len = 0, i;
    uint32_t acc = 0;
    if (n % 4 == 0 && n > 0 && s[n - 1] == '=') n -= (n > 1 && s[n - 2] == '=') ? 2 : 1;
    if (n % 4 == 1) return 0;
    for (i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) return 0;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[len++] = (uint8_t)(acc >> 16);
            out[len++] = (uint8_t)(acc >> 8);
            out[len++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (n % 4 == 2) out[len++] = (uint8_t)(acc >> 4);
    if (n % 4 == 3) {
        out[len++] = (uint8_t)(acc >> 10);
        out[len++] = (uint8_t)(acc >> 2);
    }
    *out_len = len;
    return 1;
}

static const char *skip_ws(const char *p) { return p + strspn(p, " \t\r\n"); }

/* After optional whitespace, `text` at p: the end of it, or NULL. */
static const char *lit(const char *p, const char *text) {
    size_t n = strlen(text);
    p = skip_ws(p);
    return strncmp(p, text, n) == 0 ? p + n : NULL;
}

/* The closing quote of the JSON string whose opening quote is at `p`; NULL if unterminated. */
static const char *string_end(const char *p) {
    for (p++; *p != '\0' && *p != '"'; p++)
        if (*p == '\\' && p[1] != '\0') p++;
    return *p == '"' ? p : NULL;
}

/* Past the JSON string whose opening quote is at `p` (the end of the text if unterminated). */
static const char *skip_string(const char *p) {
    const char *end = string_end(p);
    return end != NULL ? end + 1 : p + strlen(p);
}

/* If the object at `p` (on its `{`) is {"_placeholder":true,"num":N} (either key order, any
 * whitespace), returns its end and sets *num; else NULL. */
static const char *match_placeholder(const char *p, size_t *num) {
    int seen_flag = 0, seen_num = 0;
    size_t n = 0;
    const char *q;
    p++;
    for (int k = 0; k < 2; k++) {
        if (k == 1 && (p = lit(p, ",")) == NULL) return NULL;
        if (!seen_flag && (q = lit(p, "\"_placeholder\"")) != NULL) {
            if ((q = lit(q, ":")) == NULL || (q = lit(q, "true")) == NULL) return NULL;
            seen_flag = 1;
        } else if (!seen_num && (q = lit(p, "\"num\"")) != NULL) {
            if ((q = lit(q, ":")) == NULL) return NULL;
            q = skip_ws(q);
            if (!isdigit((unsigned char)*q)) return NULL;
            for (; isdigit((unsigned char)*q); q++) {
                if (n > (SIZE_MAX - 9) / 10) return NULL;
                n = n * 10 + (size_t)(*q - '0');
            }
            seen_num = 1;
        } else {
            return NULL;
        }
        p = q;
    }
    if ((p = lit(p, "}")) == NULL) return NULL;
    *num = n;
    return p;
}

/* Appends ,"KEY":ARGS: the args of `ev`, each placeholder of a buffer replaced by
 * {"_binary":"<base64>"} with its bytes. */
static void field_args(struct line *l, const char *key, const sio_event *ev) {
    const char *p = sio_event_args(ev);
    size_t count = sio_event_buffer_count(ev);
    if (p == NULL || count == 0) {
        field_json(l, key, p);
        return;
    }
    add(l, ",");
    add_str(l, key);
    add(l, ":");
    while (*p != '\0') {
        const char *start = p, *end;
        size_t num, len;
        if (*p == '"') {
            p = skip_string(p);
            add_raw(l, start, (size_t)(p - start));
        } else if (*p == '{' && (end = match_placeholder(p, &num)) != NULL && num < count) {
            const uint8_t *data = sio_event_buffer(ev, num, &len);
            add(l, "{\"_binary\":\"");
            add_base64(l, data, data != NULL ? len : 0);
            add(l, "\"}");
            p = end;
        } else {
            add_raw(l, p++, 1);
        }
    }
}

/* Arguments ready for sio_emit: JSON with placeholders and the buffers they reference. */
struct args {
    char *json; /* NULL: no arguments */
    sio_buffer *buffers;
    size_t count;
};

static void args_free(struct args *a) {
    for (size_t i = 0; i < a->count; i++) free((void *)a->buffers[i].data);
    free(a->buffers);
    free(a->json);
}

/* If the object at `p` (on its `{`) is {"_binary":"..."} (any whitespace), returns its end and
 * points *b64 / *b64_end at the string's content; else NULL. */
static const char *match_binary(const char *p, const char **b64, const char **b64_end) {
    const char *q = lit(p + 1, "\"_binary\"");
    if (q == NULL || (q = lit(q, ":")) == NULL || (q = lit(q, "\"")) == NULL) return NULL;
    *b64 = q;
    if ((*b64_end = string_end(q - 1)) == NULL) return NULL;
    return lit(*b64_end + 1, "}");
}

/* Turns the `text` of a command (NULL or "": none) into `out`, each {"_binary":"<base64>"}
 * replaced by a placeholder and its decoded bytes. Returns 0 (after printing an error line
 * naming `cmd`) if some base64 is invalid. */
static int args_parse(const char *cmd, const char *text, struct args *out) {
    struct line l = {NULL, 0, 0};
    size_t cap = 0;
    out->json = NULL;
    out->buffers = NULL;
    out->count = 0;
    if (text == NULL || *text == '\0') return 1;
    add(&l, "");
    for (const char *p = text; *p != '\0';) {
        const char *start = p, *b64, *b64_end, *end;
        if (*p == '"') {
            p = skip_string(p);
            add_raw(&l, start, (size_t)(p - start));
        } else if (*p == '{' && (end = match_binary(p, &b64, &b64_end)) != NULL) {
            /* The content may escape '/' as "\/"; any other escape is not base64. */
            size_t n = 0, len = 0;
            char *clean = malloc((size_t)(b64_end - b64) + 1);
            uint8_t *data;
            char ph[64];
            if (clean == NULL) { perror("siocat"); abort(); }
            for (const char *c = b64; c < b64_end; c++) {
                if (*c == '\\' && c + 1 < b64_end && c[1] == '/') c++;
                clean[n++] = *c;
            }
            clean[n] = '\0';
            data = malloc(n / 4 * 3 + 3);
            if (data == NULL) { perror("siocat"); abort(); }
            if (!base64_decode(clean, n, data, &len)) {
                print_error("%s: invalid base64 in _binary: \"%s\"", cmd, clean);
                free(clean);
                free(data);
                free(l.s);
                args_free(out);
                out->json = NULL;
                out->buffers = NULL;
                out->count = 0;
                return 0;
            }
            free(clean);
            if (out->count == cap) {
                sio_buffer *b;
                cap = cap ? cap * 2 : 4;
                if ((b = realloc(out->buffers, cap * sizeof *b)) == NULL) { perror("siocat"); abort(); }
                out->buffers = b;
            }
            out->buffers[out->count] = (sio_buffer){data, len};
            snprintf(ph, sizeof ph, "{\"_placeholder\":true,\"num\":%zu}", out->count);
            out->count++;
            add(&l, ph);
            p = end;
        } else {
            add_raw(&l, p++, 1);
        }
    }
    out->json = l.s;
    return 1;
}

/* ---- State shared by main and the callbacks, guarded by `lock` ---- */

enum ns_state { JOINING, CONNECTED, FAILED, LEFT };

struct ns {
    sio_socket *socket; /* borrowed from the client */
    enum ns_state state;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;   /* signalled on every change below */
    struct ns *list;          /* the namespaces siocat registered handlers on */
    size_t count;
    int ever_connected;       /* some namespace connected at least once */
    int pending_calls;        /* calls whose ack callback has not run yet */
    int closed;               /* libsio gave up reconnecting: the client is closed */
} st = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0};

/* Written to (once) when `closed` is set, to wake main() from its poll() on stdin. */
static int wake_pipe[2] = {-1, -1};

static void set_state(sio_socket *socket, enum ns_state state) {
    pthread_mutex_lock(&st.lock);
    for (size_t i = 0; i < st.count; i++)
        if (st.list[i].socket == socket) st.list[i].state = state;
    if (state == CONNECTED) st.ever_connected = 1;
    pthread_cond_broadcast(&st.changed);
    pthread_mutex_unlock(&st.lock);
}

/* ---- Callbacks (dispatch thread) ---- */

static void on_connect(void *ud, sio_socket *socket, const char *sid) {
    (void)ud;
    struct line l = begin("connect", sio_socket_namespace(socket));
    field(&l, "sid", sid);
    field_json(&l, "recovered", sio_socket_recovered(socket) ? "true" : "false");
    finish(&l);
    set_state(socket, CONNECTED);
}

static void on_connect_error(void *ud, sio_socket *socket, const char *message, const char *data) {
    (void)ud;
    struct line l = begin("connect_error", sio_socket_namespace(socket));
    field(&l, "message", message);
    field_json(&l, "data", data);
    finish(&l);
    set_state(socket, FAILED);
}

static void on_disconnect(void *ud, sio_socket *socket, const char *reason) {
    (void)ud;
    struct line l = begin("disconnect", sio_socket_namespace(socket));
    field(&l, "reason", reason);
    finish(&l);
    set_state(socket, LEFT);
}

/* Reconnection, client-wide (registered before any namespace is joined). A failed attempt
 * (SIO_RECONNECT_ERROR) prints nothing: the next attempt, or reconnect_failed, follows. */
static void on_reconnect(void *ud, sio_reconnect_event event, uint32_t attempt, const char *error) {
    char num[16];
    struct line l;
    (void)ud;
    (void)error;
    if (event == SIO_RECONNECT_FAILED) {
        ssize_t n;
        l = begin("reconnect_failed", NULL);
        finish(&l);
        pthread_mutex_lock(&st.lock);
        st.closed = 1;
        pthread_cond_broadcast(&st.changed);
        pthread_mutex_unlock(&st.lock);
        n = write(wake_pipe[1], "", 1);
        (void)n; /* cannot fail: the pipe is empty and stays open */
        return;
    }
    if (event != SIO_RECONNECT_ATTEMPT && event != SIO_RECONNECT_SUCCESS) return;
    l = begin(event == SIO_RECONNECT_ATTEMPT ? "reconnect_attempt" : "reconnect", NULL);
    snprintf(num, sizeof num, "%lu", (unsigned long)attempt);
    field_json(&l, "attempt", num);
    finish(&l);
}

/* Every event. If the server asked for an ack, answer with the event's own args (and binary
 * buffers). */
static void on_any(void *ud, const sio_event *event) {
    (void)ud;
    const char *args = sio_event_args(event);
    sio_ack *ack = sio_event_take_ack(event);
    struct line l = begin("event", sio_socket_namespace(sio_event_socket(event)));
    field(&l, "event", sio_event_name(event));
    field_args(&l, "args", event);
    if (ack != NULL) add(&l, ",\"ack\":true");
    finish(&l);
    if (ack != NULL) {
        size_t count = sio_event_buffer_count(event);
        sio_buffer *buffers = count > 0 ? calloc(count, sizeof *buffers) : NULL;
        if (count > 0 && buffers == NULL) { perror("siocat"); abort(); }
        for (size_t i = 0; i < count; i++)
            buffers[i].data = sio_event_buffer(event, i, &buffers[i].len);
        if (sio_ack_send(ack, args, buffers, count) != SIO_OK) {
            print_error("cannot answer the ack of \"%s\": %s", sio_event_name(event), sio_last_error());
            sio_ack_free(ack);
        }
        free(buffers);
    }
}

/* What a `call` needs to print its outcome; freed by the ack callback. */
struct call {
    char *ns;
    char *event;
};

static void on_ack(void *ud, sio_result status, const sio_event *reply) {
    struct call *c = ud;
    struct line l;
    if (status == SIO_OK) {
        l = begin("ack", c->ns);
        field(&l, "event", c->event);
        field_args(&l, "args", reply);
        finish(&l);
    } else if (status == SIO_ERR_TIMEOUT) {
        l = begin("ack_timeout", c->ns);
        field(&l, "event", c->event);
        finish(&l);
    } else { /* the namespace left, or the client closed, before the reply */
        print_error("no ack for \"%s\" on %s: %s", c->event, c->ns, sio_result_str(status));
    }
    free(c->ns);
    free(c->event);
    free(c);

    pthread_mutex_lock(&st.lock);
    st.pending_calls--;
    pthread_cond_broadcast(&st.changed);
    pthread_mutex_unlock(&st.lock);
}

/* ---- Namespaces ---- */

/* The socket of `nsp` (NULL: the URL's), with siocat's handlers, joining or joined.
 * Returns NULL (after printing an error line) on failure. */
static sio_socket *join(const sio_client *client, const char *nsp, const char *auth) {
    sio_socket *s;
    size_t i;
    int is_new;
    if (sio_of(client, nsp, auth, &s) != SIO_OK) {
        print_error("namespace %s: %s", nsp ? nsp : "(URL)", sio_last_error());
        return NULL;
    }
    pthread_mutex_lock(&st.lock);
    for (i = 0; i < st.count && st.list[i].socket != s; i++) {}
    is_new = i == st.count;
    if (is_new) {
        struct ns *list = realloc(st.list, (st.count + 1) * sizeof *list);
        if (list == NULL) { perror("siocat"); abort(); }
        st.list = list;
        st.list[st.count++] = (struct ns){s, LEFT};
    }
    if (st.list[i].state != CONNECTED) st.list[i].state = JOINING;
    pthread_mutex_unlock(&st.lock);

    /* Handlers first, so that nothing is missed; their user data needs no finalizer. */
    if ((is_new && (sio_on_connect(s, on_connect, NULL, NULL) != SIO_OK
                    || sio_on_connect_error(s, on_connect_error, NULL, NULL) != SIO_OK
                    || sio_on_disconnect(s, on_disconnect, NULL, NULL) != SIO_OK
                    || sio_on_any(s, on_any, NULL, NULL) != SIO_OK))
        || sio_socket_connect(s) != SIO_OK) { /* joined or joining: does nothing */
        print_error("namespace %s: %s", sio_socket_namespace(s), sio_last_error());
        set_state(s, FAILED);
        return NULL;
    }
    return s;
}

/* The socket of `nsp` if siocat knows it, else NULL. */
static sio_socket *known(const sio_client *client, const char *nsp) {
    sio_socket *s;
    sio_socket *found = NULL;
    if (sio_of(client, nsp, NULL, &s) != SIO_OK) return NULL;
    pthread_mutex_lock(&st.lock);
    for (size_t i = 0; i < st.count; i++)
        if (st.list[i].socket == s) found = s;
    pthread_mutex_unlock(&st.lock);
    return found;
}

/* ---- Commands (main thread) ---- */

/* Splits off the next space-separated token of *p (NUL-terminating it); NULL if none. */
static char *token(char **p) {
    char *s = *p + strspn(*p, " \t");
    if (*s == '\0') return NULL;
    char *end = s + strcspn(s, " \t");
    if (*end != '\0') *end++ = '\0';
    *p = end;
    return s;
}

static char *trim(char *s) {
    s += strspn(s, " \t");
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* Parses a whole decimal integer in [min, max] into *out; 0 if `s` is not one. */
static int parse_num(const char *s, long long min, long long max, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return 0;
    *out = v;
    return 1;
}

static void cmd_emit(const sio_client *client, const char *auth, char *rest) {
    char *nsp = token(&rest), *event = token(&rest);
    struct args args;
    sio_socket *s;
    if (nsp == NULL || event == NULL) {
        print_error("usage: emit NSP EVENT ARGS_JSON_ARRAY");
        return;
    }
    if (!args_parse("emit", trim(rest), &args)) return;
    if ((s = join(client, nsp, auth)) != NULL
        && sio_emit(s, event, args.json, args.buffers, args.count) != SIO_OK)
        print_error("emit: %s", sio_last_error());
    args_free(&args);
}

static void cmd_call(const sio_client *client, const char *auth, char *rest) {
    char *nsp = token(&rest), *event = token(&rest), *text, *last;
    long long timeout;
    struct args args;
    sio_socket *s;
    struct call *c;

    /* The timeout, if given, is the last token; the JSON is everything between EVENT and it.
     * Without it, libsio's default applies (--ack-timeout). */
    text = trim(rest);
    last = text + strlen(text);
    while (last > text && last[-1] != ' ' && last[-1] != '\t') last--;
    if (nsp == NULL || event == NULL) {
        print_error("usage: call NSP EVENT ARGS_JSON_ARRAY [TIMEOUT_MS]");
        return;
    }
    if (parse_num(last, 0, INT64_MAX, &timeout))
        *last = '\0';
    else
        timeout = -1;
    if (!args_parse("call", trim(text), &args)) return;
    if ((s = join(client, nsp, auth)) == NULL) {
        args_free(&args);
        return;
    }

    c = malloc(sizeof *c);
    if (c == NULL || (c->ns = strdup(sio_socket_namespace(s))) == NULL
        || (c->event = strdup(event)) == NULL) {
        perror("siocat");
        abort();
    }
    pthread_mutex_lock(&st.lock);
    st.pending_calls++; /* before emitting: the callback may run before it returns */
    pthread_mutex_unlock(&st.lock);
    if (sio_emit_with_ack(s, event, args.json, args.buffers, args.count, timeout, on_ack, c) != SIO_OK) {
        print_error("call: %s", sio_last_error()); /* on_ack will never run */
        free(c->ns);
        free(c->event);
        free(c);
        pthread_mutex_lock(&st.lock);
        st.pending_calls--;
        pthread_mutex_unlock(&st.lock);
    }
    args_free(&args);
}

static void cmd_disconnect(const sio_client *client, char *rest) {
    char *nsp = token(&rest);
    sio_socket *s;
    if (nsp == NULL || token(&rest) != NULL) {
        print_error("usage: disconnect NSP");
        return;
    }
    if ((s = known(client, nsp)) == NULL) {
        print_error("disconnect: unknown namespace %s", nsp);
        return;
    }
    if (sio_socket_disconnect(s) != SIO_OK) print_error("disconnect: %s", sio_last_error());
}

/* stdin, read with poll() and read() rather than getline(), so that main() also wakes up when
 * the client closes (wake_pipe). */
struct input {
    char *buf;
    size_t start, len, cap; /* unread bytes: buf[start..len) */
    int eof;
};

/* The next line of stdin, NUL-terminated, in *line (valid until the next call), the lines
 * getline() would return (the last one may lack its '\n'). `in->buf` must be allocated, with
 * `in->cap` > 0. Returns 1 with a line, 0 at EOF (or on a read error), -1 if woken through
 * wake_pipe. */
static int next_line(struct input *in, char **line) {
    for (;;) {
        char *nl = memchr(in->buf + in->start, '\n', in->len - in->start);
        struct pollfd fds[2];
        ssize_t n;
        if (nl != NULL) {
            *nl = '\0';
            *line = in->buf + in->start;
            in->start = (size_t)(nl - in->buf) + 1;
            return 1;
        }
        if (in->eof) return 0;
        memmove(in->buf, in->buf + in->start, in->len - in->start);
        in->len -= in->start;
        in->start = 0;
        if (in->len + 1 >= in->cap) { /* a byte stays free for the '\n' added at EOF */
            size_t cap = in->cap * 2;
            char *p = realloc(in->buf, cap);
            if (p == NULL) { perror("siocat"); abort(); }
            in->buf = p;
            in->cap = cap;
        }
        fds[0] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
        fds[1] = (struct pollfd){wake_pipe[0], POLLIN, 0};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            perror("siocat: poll");
            in->eof = 1;
            continue;
        }
        if (fds[1].revents != 0) return -1;
        if (fds[0].revents == 0) continue;
        n = read(STDIN_FILENO, in->buf + in->len, in->cap - 1 - in->len);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0) {
            in->len += (size_t)n;
        } else { /* EOF, or an error: getline() would end there too */
            in->eof = 1;
            if (in->len > 0) in->buf[in->len++] = '\n'; /* the last line had none */
        }
    }
}

/* Runs one line; returns 0 on quit. */
static int run(const sio_client *client, const char *auth, char *line) {
    char *cmd = token(&line);
    if (cmd == NULL) return 1; /* blank line */
    if (strcmp(cmd, "emit") == 0) cmd_emit(client, auth, line);
    else if (strcmp(cmd, "call") == 0) cmd_call(client, auth, line);
    else if (strcmp(cmd, "disconnect") == 0) cmd_disconnect(client, line);
    else if (strcmp(cmd, "quit") == 0) {
        if (token(&line) == NULL) return 0;
        print_error("usage: quit");
    }
    else print_error("unknown command: %s", cmd);
    return 1;
}

/* ---- main ---- */

/* Sets the options from the command line; exits with 2 on bad usage. */
static const char *parse_options(int argc, char **argv, sio_options *opts,
                                 const char **nsps, size_t *n_nsps, const char **auth) {
    const char *url = NULL, *cert = NULL, *key = NULL;
    long long delay_min = -1, delay_max = -1; /* -1: not given */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        sio_result r = SIO_OK;
        char buf[1024];
        long long n;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            sio_options_free(opts);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0) {
            if (url != NULL) goto bad;
            url = a;
            continue;
        }
        if (strcmp(a, "--insecure") == 0) { /* the only option without a value */
            v = NULL;
            if ((r = sio_options_set_insecure(opts, 1)) != SIO_OK) goto failed;
            continue;
        }
        if (strcmp(a, "--no-reconnect") == 0) { /* nor this one */
            v = NULL;
            if ((r = sio_options_set_reconnection(opts, 0)) != SIO_OK) goto failed;
            continue;
        }
        if (v == NULL) goto bad;
        i++;
        if (strcmp(a, "--ns") == 0) {
            nsps[(*n_nsps)++] = v;
        } else if (strcmp(a, "--auth") == 0) {
            *auth = v;
        } else if (strcmp(a, "--path") == 0) {
            r = sio_options_set_path(opts, v);
        } else if (strcmp(a, "--timeout") == 0) {
            if (!parse_num(v, 1, UINT32_MAX, &n)) goto bad;
            r = sio_options_set_connect_timeout(opts, (uint32_t)n);
        } else if (strcmp(a, "--transport") == 0) {
            int t = strcmp(v, "websocket") == 0 ? SIO_TRANSPORT_WEBSOCKET
                    : strcmp(v, "polling") == 0 ? SIO_TRANSPORT_POLLING
                    : strcmp(v, "auto") == 0    ? SIO_TRANSPORT_AUTO
                                                : -1;
            if (t < 0) goto bad;
            r = sio_options_set_transport(opts, t);
        } else if (strcmp(a, "--eio") == 0) {
            int p = strcmp(v, "3") == 0      ? SIO_PROTOCOL_V3
                    : strcmp(v, "4") == 0    ? SIO_PROTOCOL_V4
                    : strcmp(v, "auto") == 0 ? SIO_PROTOCOL_AUTO
                                             : -1;
            if (p < 0) goto bad;
            r = sio_options_set_protocol(opts, p);
        } else if (strcmp(a, "--query") == 0 || strcmp(a, "--header") == 0) {
            int header = a[2] == 'h';
            char *sep;
            if (strlen(v) >= sizeof buf) goto bad;
            strcpy(buf, v);
            if ((sep = strchr(buf, header ? ':' : '=')) == NULL) goto bad;
            *sep++ = '\0';
            r = header ? sio_options_add_header(opts, trim(buf), trim(sep))
                       : sio_options_add_query(opts, buf, sep);
        } else if (strcmp(a, "--cacert") == 0) {
            r = sio_options_set_ca_file(opts, v); /* read by sio_connect */
        } else if (strcmp(a, "--cert") == 0) {
            cert = v; /* set with --key, below */
        } else if (strcmp(a, "--key") == 0) {
            key = v;
        } else if (strcmp(a, "--proxy") == 0) {
            r = sio_options_set_proxy(opts, v); /* "": no proxy; checked by sio_connect */
        } else if (strcmp(a, "--reconnect-delay") == 0) {
            if (!parse_num(v, 0, UINT32_MAX, &delay_min)) goto bad; /* set with the max, below */
        } else if (strcmp(a, "--reconnect-delay-max") == 0) {
            if (!parse_num(v, 0, UINT32_MAX, &delay_max)) goto bad;
        } else if (strcmp(a, "--reconnect-attempts") == 0) {
            if (!parse_num(v, 1, UINT32_MAX, &n)) goto bad;
            r = sio_options_set_reconnection_attempts(opts, (uint32_t)n);
        } else if (strcmp(a, "--ack-timeout") == 0) {
            if (!parse_num(v, 1, UINT32_MAX, &n)) goto bad;
            r = sio_options_set_ack_timeout(opts, (uint32_t)n);
        } else if (strcmp(a, "--retries") == 0) {
            if (!parse_num(v, 0, UINT32_MAX, &n)) goto bad;
            r = sio_options_set_retries(opts, (uint32_t)n);
        } else {
            goto bad;
        }
        if (r != SIO_OK) goto failed;
        continue;
    failed:
        fprintf(stderr, "siocat: %s%s%s: %s\n", a, v ? " " : "", v ? v : "", sio_last_error());
        sio_options_free(opts);
        exit(2);
    bad:
        fprintf(stderr, "siocat: bad argument: %s%s%s\n", a, v ? " " : "", v ? v : "");
        usage(stderr);
        sio_options_free(opts);
        exit(2);
    }
    if ((cert == NULL) != (key == NULL)) {
        fprintf(stderr, "siocat: %s needs %s too\n", cert ? "--cert" : "--key", cert ? "--key" : "--cert");
        usage(stderr);
        sio_options_free(opts);
        exit(2);
    }
    if (delay_min >= 0 || delay_max >= 0) {
        if (delay_min < 0) delay_min = 1000; /* libsio's defaults */
        if (delay_max < 0) delay_max = 5000;
        if (delay_min > delay_max) {
            fprintf(stderr, "siocat: --reconnect-delay %lld is more than --reconnect-delay-max %lld\n",
                    delay_min, delay_max);
            usage(stderr);
            sio_options_free(opts);
            exit(2);
        }
        if (sio_options_set_reconnection_delay(opts, (uint32_t)delay_min, (uint32_t)delay_max) != SIO_OK) {
            fprintf(stderr, "siocat: --reconnect-delay %lld --reconnect-delay-max %lld: %s\n", delay_min,
                    delay_max, sio_last_error());
            sio_options_free(opts);
            exit(2);
        }
    }
    if (cert != NULL && sio_options_set_client_cert(opts, cert, key) != SIO_OK) {
        fprintf(stderr, "siocat: --cert %s --key %s: %s\n", cert, key, sio_last_error());
        sio_options_free(opts);
        exit(2);
    }
    if (url == NULL) {
        usage(stderr);
        sio_options_free(opts);
        exit(2);
    }
    return url;
}

int main(int argc, char **argv) {
    const char **nsps = calloc((size_t)argc, sizeof *nsps); /* at most argc --ns */
    size_t n_nsps = 0, i;
    const char *auth = NULL, *url;
    sio_options *opts = sio_options_new();
    sio_client *client;
    struct input in = {NULL, 0, 0, 0, 0};
    char *line;
    int quit = 0, status = 0;

    if (nsps == NULL || opts == NULL) { perror("siocat"); return 1; }
    url = parse_options(argc, argv, opts, nsps, &n_nsps, &auth);
    if (pipe(wake_pipe) != 0 || (in.buf = malloc(in.cap = 4096)) == NULL) {
        perror("siocat");
        sio_options_free(opts);
        free(nsps);
        return 1;
    }
    if (sio_connect(url, opts, &client) != SIO_OK) {
        fprintf(stderr, "siocat: %s: %s\n", url, sio_last_error());
        sio_options_free(opts);
        free(nsps);
        free(in.buf);
        return 2;
    }
    sio_options_free(opts); /* the client keeps a copy */
    /* Before any namespace is joined (which opens the connection); no finalizer needed. */
    if (sio_on_reconnect(client, on_reconnect, NULL, NULL) != SIO_OK)
        print_error("reconnect handler: %s", sio_last_error());

    /* Join every namespace (NULL: the URL's), then wait until each is connected or failed
     * (or the client closed: a namespace may then stay joining). */
    if (n_nsps == 0) nsps[n_nsps++] = NULL;
    for (i = 0; i < n_nsps; i++) join(client, nsps[i], auth);
    free(nsps);
    pthread_mutex_lock(&st.lock);
    for (;;) {
        for (i = 0; i < st.count && st.list[i].state != JOINING; i++) {}
        if (i == st.count || st.closed) break;
        pthread_cond_wait(&st.changed, &st.lock);
    }
    if (!st.ever_connected) status = 1; /* the first connection failed */
    pthread_mutex_unlock(&st.lock);

    /* Commands until quit, EOF or the client's closing (reconnect_failed). */
    while (status == 0 && !quit && next_line(&in, &line) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        quit = !run(client, auth, line);
    }
    free(in.buf);
    if (!quit) { /* EOF: let pending calls get their ack or time out (none can once closed) */
        pthread_mutex_lock(&st.lock);
        while (st.pending_calls > 0 && !st.closed) pthread_cond_wait(&st.changed, &st.lock);
        pthread_mutex_unlock(&st.lock);
    }

    /* A clean goodbye: leave every namespace, wait a little for it, free everything. */
    sio_client_close(client);
    sio_wait(client, 5000);
    sio_client_free(client); /* runs the callbacks of calls still pending, with SIO_ERR_CLOSED */
    free(st.list);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    return status;
}
