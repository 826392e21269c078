/*
 * libsio: a Socket.IO client (Socket.IO v5 over Engine.IO v4) with a C ABI.
 *
 * Objects
 *   sio_client   one connection to a server (sio_connect ... sio_client_free)
 *   sio_socket   one namespace of a client (sio_of); borrowed from the client
 *   sio_event    an event or an ack reply; borrowed in callbacks
 *   sio_ack      the right to answer a server's ack request (sio_event_take_ack)
 *   sio_auth_request  a request for the auth of one CONNECT (sio_socket_set_auth_callback)
 *   sio_options  connection options (sio_options_new ... sio_options_free)
 *
 * Thread safety (tested under ThreadSanitizer, ASan and valgrind by tests/c/stress.c)
 *   Threads. Each client runs an I/O thread (network, heartbeats, timers, reconnection) and a
 *     dispatch thread. Every callback of a client (event, connect, disconnect, connect_error,
 *     reconnect, auth, ack) runs on its dispatch thread, one at a time, in the order things
 *     happened; the only exception is the ack callbacks still pending at sio_client_free,
 *     which run inside it on its caller's thread. A slow callback delays the client's other
 *     callbacks, never its heartbeat. libsio's other threads (HTTP long-polling, DNS) never
 *     call your code.
 *   Event loops. With SIO_DISPATCH_MANUAL (sio_options_set_dispatch) a client has no
 *     dispatch thread: its callbacks wait until the host runs them on its own thread with
 *     sio_dispatch, sio_dispatch_wait or sio_wait (one at a time, in order, even when several
 *     threads dispatch), and sio_client_fd is readable while some are pending. What this
 *     section says of the dispatch thread then holds for the thread running them.
 *   Inline. With SIO_DISPATCH_INLINE a client has no dispatch thread either: its I/O thread
 *     runs every callback itself, one at a time and in order, right after the frames and
 *     timers that caused it; what this section says of the dispatch thread holds for it. That
 *     saves the thread hand-offs of a round trip (lowest latency), but while a callback runs
 *     the client does no I/O at all: a slow callback delays its heartbeat (the server may
 *     drop the connection), its timers and every emit. For short callbacks only.
 *   Logging. The log callback (sio_options_set_log) is called on libsio's own threads, the
 *     I/O thread included: it must return quickly and call no libsio function.
 *   Any thread, any time: every function not named below. sio_client, sio_socket, sio_ack and
 *     sio_auth_request need no lock of yours and may be used by several threads at once; the calls of one
 *     thread take effect in the order it made them (its emits go out in that order).
 *   One thread at a time: each sio_options object.
 *   Once, as the last use of the object: sio_client_free (see Freeing), sio_options_free,
 *     sio_event_free (a reply of sio_call), and for a sio_ack either sio_ack_send returning
 *     SIO_OK or sio_ack_free. sio_event_take_ack hands an event's ack out only once.
 *   Inside callbacks anything may be called: emit (with or without ack), take an ack and
 *     answer it there or later from any thread, register, replace or remove handlers (even
 *     the running one), connect or disconnect sockets, sio_client_close, sio_client_free.
 *     Only the blocking calls refuse, on their client's dispatch thread, with
 *     SIO_ERR_IN_CALLBACK instead of deadlocking: sio_call, sio_wait, sio_dispatch and
 *     sio_dispatch_wait. A callback must
 *     return normally (no longjmp, no C++ exception through libsio), and must not wait for a
 *     thread that is inside sio_client_free of the same client.
 *   Userdata finalizers (free_userdata) run exactly once, after the handler's last call:
 *     inside the sio_on* call that replaces or removes the handler (or fails), or inside
 *     sio_client_free; except that a handler running on the dispatch thread at that moment
 *     (replaced from another thread, or freeing the client itself) is finalized there as it
 *     returns.
 *   Freeing. sio_client_free is called once per client, while no other thread of yours calls
 *     into that client or its sockets. It stops the client's threads without waiting for the
 *     server, waiting only for a callback that is running: calls that callback makes
 *     meanwhile are safe (emits fail with SIO_ERR_CLOSED, or their ack callback gets it).
 *     Then it calls every pending ack callback once (its reply if one came, else
 *     SIO_ERR_CLOSED) and finalizes the userdata. When it returns no callback of the client
 *     runs any more. Called from a callback, it returns into it: that callback is the last
 *     one, and the socket and event it received stay valid until it returns (emits and
 *     connects on them fail with SIO_ERR_CLOSED). A sio_ack may outlive its client:
 *     sio_ack_send then fails with SIO_ERR_CLOSED, and the ack is freed with sio_ack_free.
 *
 * Ownership
 *   - Strings and JSON passed in are copied; nothing the caller passes is kept.
 *   - Everything a callback receives is borrowed until the callback returns.
 *   - Objects the library hands over are freed only by the matching sio_*_free function,
 *     never by free(); sio_*_free(NULL) does nothing.
 *
 * Errors
 *   Fallible calls return sio_result: SIO_OK (0) or an error code; sio_result_str names a
 *   code and sio_last_error() gives the message of the last failure on the calling thread.
 *   Out-parameters are written only on success. Failures on the connection come to the
 *   disconnect and connect_error handlers.
 */


#ifndef SIO_H
#define SIO_H

/* Generated by cbindgen from src/ffi/ (see cbindgen.toml); do not edit. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Major version of the header.
 */
#define SIO_VERSION_MAJOR 0

/**
 * Minor version of the header.
 */
#define SIO_VERSION_MINOR 1

/**
 * Patch version of the header.
 */
#define SIO_VERSION_PATCH 0

/**
 * The result of every fallible call. `SIO_OK` is 0; numbers are never reused.
 */
typedef enum sio_result {
  /**
   * Success.
   */
  SIO_OK = 0,
  /**
   * A required pointer argument is NULL.
   */
  SIO_ERR_NULL = 1,
  /**
   * A string argument is not valid UTF-8.
   */
  SIO_ERR_UTF8 = 2,
  /**
   * A JSON argument is invalid, or not an array / object where one is required.
   */
  SIO_ERR_JSON = 3,
  /**
   * An argument is malformed or out of range (namespace, header, option).
   */
  SIO_ERR_INVALID = 4,
  /**
   * The URL cannot be parsed or its scheme is not supported.
   */
  SIO_ERR_URL = 5,
  /**
   * The event name is reserved (`connect`, `connect_error`, `disconnect`, `disconnecting`,
   * `newListener`, `removeListener`).
   */
  SIO_ERR_RESERVED_EVENT = 6,
  /**
   * No reply came in time.
   */
  SIO_ERR_TIMEOUT = 7,
  /**
   * The client is closed (`sio_client_close` or `sio_client_free` was called).
   */
  SIO_ERR_CLOSED = 8,
  /**
   * The namespace was disconnected before the reply came.
   */
  SIO_ERR_DISCONNECTED = 9,
  /**
   * The call blocks and was made from a callback, where it would deadlock.
   */
  SIO_ERR_IN_CALLBACK = 10,
  /**
   * The operating system refused a resource (a thread, a socket pair).
   */
  SIO_ERR_IO = 11,
  /**
   * A bug in libsio: an internal panic was caught at the boundary.
   */
  SIO_ERR_PANIC = 12,
  /**
   * The namespace already holds as many emits as it may (`sio_options_set_max_buffered`):
   * this one was not queued.
   */
  SIO_ERR_BUFFER_FULL = 13,
} sio_result;

/**
 * What a reconnect handler is told (`sio_on_reconnect`).
 */
typedef enum sio_reconnect_event {
  /**
   * Attempt `attempt` (from 1) starts.
   */
  SIO_RECONNECT_ATTEMPT = 0,
  /**
   * Attempt `attempt` succeeded; the namespaces are being joined again.
   */
  SIO_RECONNECT_SUCCESS = 1,
  /**
   * Attempt `attempt` failed; `error` says why.
   */
  SIO_RECONNECT_ERROR = 2,
  /**
   * The attempts are used up (`sio_options_set_reconnection_attempts`): the client is closed.
   */
  SIO_RECONNECT_FAILED = 3,
} sio_reconnect_event;

/**
 * How much a log line matters (`sio_options_set_log`), from the most to the least important.
 */
typedef enum sio_log_level {
  /**
   * No logging (as a maximum level only).
   */
  SIO_LOG_OFF = 0,
  /**
   * The client gives up on something: a reconnection that ran out of attempts.
   */
  SIO_LOG_ERROR = 1,
  /**
   * Something failed and the client copes: a lost connection, a refused namespace, a failed
   * connection attempt or upgrade, a packet that cannot be parsed.
   */
  SIO_LOG_WARN = 2,
  /**
   * The life of a connection: opened (transport, session id), upgraded, closed (why),
   * namespaces joined and left, reconnection attempts.
   */
  SIO_LOG_INFO = 3,
  /**
   * Details: handshake values, packets dropped (no handler, unknown namespace or ack id),
   * ack timeouts, reconnection delays.
   */
  SIO_LOG_DEBUG = 4,
  /**
   * Every Engine.IO packet sent and received (its first 200 bytes).
   */
  SIO_LOG_TRACE = 5,
} sio_log_level;

/**
 * The transports a client may use (`sio_options_set_transport`).
 */
typedef enum sio_transport {
  /**
   * HTTP long-polling first, then an upgrade to WebSocket when the server offers it: works
   * through proxies that refuse WebSocket (the JS client's default, and ours).
   */
  SIO_TRANSPORT_AUTO = 0,
  /**
   * WebSocket only: one connection, lowest overhead.
   */
  SIO_TRANSPORT_WEBSOCKET = 1,
  /**
   * HTTP long-polling only.
   */
  SIO_TRANSPORT_POLLING = 2,
} sio_transport;

/**
 * The protocol revisions a client may speak (`sio_options_set_protocol`).
 */
typedef enum sio_protocol {
  /**
   * Engine.IO v4 / Socket.IO v5 first, and v3 / v4 if the server turns out to be a
   * socket.io 2.x server: the user never needs to know the server's version.
   */
  SIO_PROTOCOL_AUTO = 0,
  /**
   * Engine.IO v3 / Socket.IO v4: socket.io 2.x, 3.x/4.x with `allowEIO3`, python-socketio 4.
   */
  SIO_PROTOCOL_V3 = 3,
  /**
   * Engine.IO v4 / Socket.IO v5: socket.io 3.x and 4.x, python-socketio 5.
   */
  SIO_PROTOCOL_V4 = 4,
} sio_protocol;

/**
 * Who runs a client's callbacks (`sio_options_set_dispatch`).
 */
typedef enum sio_dispatch_mode {
  /**
   * A dispatch thread of the client's own runs every callback (the default).
   */
  SIO_DISPATCH_THREAD = 0,
  /**
   * No dispatch thread: callbacks wait in the client's queue until the host runs them with
   * `sio_dispatch`, `sio_dispatch_wait` or `sio_wait`, on whichever of its threads calls
   * them. `sio_client_fd` is readable while callbacks are pending, for the host's event loop.
   */
  SIO_DISPATCH_MANUAL = 1,
  /**
   * No dispatch thread: the client's I/O thread runs every callback itself, right after the
   * frames and timers that caused them, so an ack round trip or an emit from a callback
   * needs no thread hand-off (the lowest latency). The trade-off: while a callback runs, the
   * client does no I/O at all (no reading, writing, heartbeat or timers), so a slow callback
   * can make the server drop the connection (ping timeout). For short callbacks.
   */
  SIO_DISPATCH_INLINE = 2,
} sio_dispatch_mode;

/**
 * The right to answer one ack request of the server: send it with `sio_ack_send` or drop it
 * with `sio_ack_free`.
 */
typedef struct sio_ack sio_ack;

/**
 * A request for the auth of one CONNECT: answer it once with `sio_auth_reply`, or refuse it
 * with `sio_auth_request_free`.
 */
typedef struct sio_auth_request sio_auth_request;

/**
 * A client: one connection to a server, shared by its namespaces. Created by `sio_connect`,
 * freed by `sio_client_free`.
 */
typedef struct sio_client sio_client;

/**
 * An event from the server, or the reply to an emit with ack (named `""`). Borrowed in
 * callbacks; owned only when returned by `sio_call` (free with `sio_event_free`).
 */
typedef struct sio_event sio_event;

/**
 * Connection options: build with `sio_options_new`, pass to `sio_connect`, free with
 * `sio_options_free`.
 */
typedef struct sio_options sio_options;

/**
 * One namespace of a client. Borrowed from the client (see `sio_of`): never freed by the caller.
 */
typedef struct sio_socket sio_socket;

/**
 * Called on the dispatch thread each time `socket` is about to join its namespace: the first
 * connect and every reconnection. `request` is owned by the callee: answer it with
 * `sio_auth_reply` (inside the callback or later, from any thread) or free it with
 * `sio_auth_request_free`. `socket` is borrowed from the client.
 */
typedef void (*sio_auth_cb)(void *userdata,
                            struct sio_socket *socket,
                            struct sio_auth_request *request);

/**
 * Finalizes user data the host registered without a callback (a removal).
 */
typedef void (*sio_free_cb)(void *userdata);

/**
 * Called on the dispatch thread as reconnection goes; `error` is NULL except with
 * `SIO_RECONNECT_ERROR`, borrowed until the callback returns.
 */
typedef void (*sio_reconnect_cb)(void *userdata,
                                 enum sio_reconnect_event event,
                                 uint32_t attempt,
                                 const char *error);

/**
 * A binary buffer passed in: `len` bytes at `data` (`data` may be NULL when `len` is 0).
 * Arguments reference buffer `i` of an array with the placeholder
 * `{"_placeholder":true,"num":i}`.
 */
typedef struct sio_buffer {
  const uint8_t *data;
  size_t len;
} sio_buffer;

/**
 * Receives one log line: `message` is one line of text without a trailing newline, borrowed
 * until the callback returns.
 */
typedef void (*sio_log_cb)(void *userdata, enum sio_log_level level, const char *message);

/**
 * Called once with the outcome of an emit with ack: `SIO_OK` and the `reply` (an event whose
 * name is `""` and whose args are the ack's arguments, borrowed until the callback returns), or
 * `SIO_ERR_TIMEOUT` / `SIO_ERR_DISCONNECTED` / `SIO_ERR_CLOSED` and a NULL `reply`.
 */
typedef void (*sio_ack_cb)(void *userdata, enum sio_result status, const struct sio_event *reply);

/**
 * Called with an event; `event` is borrowed until the callback returns.
 */
typedef void (*sio_event_cb)(void *userdata, const struct sio_event *event);

/**
 * Called when the namespace is connected; `sid` (the socket id) is borrowed until it returns.
 */
typedef void (*sio_connect_cb)(void *userdata, struct sio_socket *socket, const char *sid);

/**
 * Called when the namespace is disconnected; `reason` is one of `"io server disconnect"`,
 * `"io client disconnect"`, `"ping timeout"`, `"transport close"`, `"transport error"`,
 * `"parse error"`, borrowed until it returns.
 */
typedef void (*sio_disconnect_cb)(void *userdata, struct sio_socket *socket, const char *reason);

/**
 * Called when joining failed: the server's `message`, and its `data` as JSON text (`"null"` if
 * none), both borrowed until it returns. Connection failures come here too (e.g. `"timeout"`).
 */
typedef void (*sio_connect_error_cb)(void *userdata,
                                     struct sio_socket *socket,
                                     const char *message,
                                     const char *data_json);

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Sets the callback asked for the auth of every CONNECT of this namespace, first and after each
 * reconnection (e.g. to refresh a token), replacing any earlier one; NULL removes it. While a
 * callback is set it replaces the `auth_json` given to `sio_of`. The CONNECT waits for the
 * answer without holding anything else up (the server may close a connection that joins no
 * namespace within its connect timeout, 45 s by default; the client then reconnects and asks
 * again).
 *
 * Ownership: `userdata` is the caller's, passed to `callback`; `free_userdata` (may be NULL) is
 * called with it exactly once: when the callback is replaced or removed, when the client is
 * freed, or at once if this call fails or removes. Thread: any, including callbacks.
 * Errors: `SIO_ERR_NULL` (`socket`).
 */
enum sio_result sio_socket_set_auth_callback(const struct sio_socket *socket,
                                             sio_auth_cb callback,
                                             void *userdata,
                                             sio_free_cb free_userdata);

/**
 * Answers an auth request with `auth_json`, a JSON object (NULL: no auth), and the CONNECT
 * goes out with it. If the connection was lost or the namespace left since the request,
 * the answer is ignored (a new request comes with the next connection).
 *
 * Ownership: `auth_json` is copied; consumes `request` on success; on failure it is still the
 * caller's (fix the JSON and retry, or `sio_auth_request_free` it). Thread: any, including
 * callbacks. Errors: `SIO_ERR_NULL` (`request`), `SIO_ERR_UTF8`, `SIO_ERR_JSON` (not a JSON
 * object), `SIO_ERR_CLOSED` (the client is closed).
 */
enum sio_result sio_auth_reply(struct sio_auth_request *request, const char *auth_json);

/**
 * Frees an auth request without answering it: the join is refused, and the socket's
 * connect_error handler gets `"no auth: the auth request was freed without a reply"` (it is
 * not retried; `sio_socket_connect` joins again). `sio_auth_request_free(NULL)` does nothing.
 *
 * Ownership: consumes `request`. Thread: any, including callbacks; also after the client was
 * freed (then nothing happens but the free). Errors: none.
 */
void sio_auth_request_free(struct sio_auth_request *request);

/**
 * The library version, e.g. `"0.1.0"`; equals the `SIO_VERSION_*` macros of the header the
 * program was built with when both come from the same release.
 *
 * Ownership: static; do not free. Thread: any. Errors: none.
 */
const char *sio_version(void);

/**
 * New options with the defaults: path `/socket.io`, no query, no headers, connect timeout
 * 20000 ms, TLS certificates verified against the system's trust store.
 *
 * Ownership: owned by the caller, free with `sio_options_free`. Thread: any.
 * Errors: none (NULL only if memory ran out, which aborts in practice).
 */
struct sio_options *sio_options_new(void);

/**
 * Frees options. `sio_options_free(NULL)` does nothing.
 *
 * Ownership: consumes `opts`. Thread: any, but not while another thread uses `opts`. Errors: none.
 */
void sio_options_free(struct sio_options *opts);

/**
 * Sets the Engine.IO path (default `/socket.io`; a trailing `/` is added when connecting).
 *
 * Ownership: `path` is copied. Thread: any, one thread at a time per `opts`.
 * Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`.
 */
enum sio_result sio_options_set_path(struct sio_options *opts, const char *path);

/**
 * Adds a query parameter sent with every request (after those in the URL).
 *
 * Ownership: `key` and `value` are copied. Thread: any, one thread at a time per `opts`.
 * Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`.
 */
enum sio_result sio_options_add_query(struct sio_options *opts, const char *key, const char *value);

/**
 * Adds an HTTP header sent with the WebSocket handshake and every polling request (e.g.
 * `Authorization`).
 *
 * Ownership: `name` and `value` are copied. Thread: any, one thread at a time per `opts`.
 * Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_INVALID` (not a valid header name or value).
 */
enum sio_result sio_options_add_header(struct sio_options *opts,
                                       const char *name,
                                       const char *value);

/**
 * Sets how long opening the connection may take (TCP, WebSocket handshake, Engine.IO OPEN);
 * default 20000 ms. After it, joining namespaces get connect_error `"timeout"`.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID` (0).
 */
enum sio_result sio_options_set_connect_timeout(struct sio_options *opts, uint32_t timeout_ms);

/**
 * Chooses the transports (a `sio_transport` value; default `SIO_TRANSPORT_AUTO`).
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
 * (not a `sio_transport` value).
 */
enum sio_result sio_options_set_transport(struct sio_options *opts, int transport);

/**
 * Sets the HTTP proxy both transports go through (with `CONNECT`): `http://host:port`, with
 * `user:password@` for basic authentication. NULL (the default) reads the environment as curl
 * does (`https_proxy`/`HTTPS_PROXY` for https and wss URLs, `http_proxy` for http and ws,
 * then `all_proxy`/`ALL_PROXY`; hosts in `no_proxy`/`NO_PROXY` are reached directly); `""`
 * means no proxy at all. The URL is checked by `sio_connect` (`SIO_ERR_URL`).
 *
 * Ownership: `url` is copied. Thread: any, one thread at a time per `opts`.
 * Errors: `SIO_ERR_NULL` (`opts`), `SIO_ERR_UTF8`.
 */
enum sio_result sio_options_set_proxy(struct sio_options *opts, const char *url);

/**
 * Turns reconnection on (non-zero, the default) or off. With it on, a connection that is lost
 * (`transport close`, `transport error`, `ping timeout`, `parse error`) is opened again after
 * a backoff delay and every namespace that was joined is joined again (with its auth); emits
 * made meanwhile are held. A disconnect asked for by either side does not reconnect.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_reconnection(struct sio_options *opts, int enabled);

/**
 * With `enabled` non-zero, a first connection that fails is retried as a lost one is: with
 * backoff, reported by the reconnect handler (`SIO_RECONNECT_ATTEMPT`, `SIO_RECONNECT_ERROR`
 * with the reason, then `SIO_RECONNECT_SUCCESS` and the connect handlers, or
 * `SIO_RECONNECT_FAILED`), and no connect_error for the failure. 0 (the default) fails fast:
 * the joining namespaces get connect_error. No effect with reconnection off.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_retry_initial_connect(struct sio_options *opts, int enabled);

/**
 * Gives up reconnecting after `attempts` failed attempts in a row (0, the default: never).
 * Giving up is reported as `SIO_RECONNECT_FAILED`, and the client is then closed.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_reconnection_attempts(struct sio_options *opts, uint32_t attempts);

/**
 * Sets the reconnection delays: `min_ms` before the first attempt (default 1000), doubling
 * after each failure up to `max_ms` (default 5000), each with the jitter of
 * `sio_options_set_randomization_factor`.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
 * (`min_ms` > `max_ms`).
 */
enum sio_result sio_options_set_reconnection_delay(struct sio_options *opts,
                                                   uint32_t min_ms,
                                                   uint32_t max_ms);

/**
 * Sets the jitter of the reconnection delays, from 0 (none) to 1; default 0.5, as in the JS
 * client, so that clients dropped together do not all come back at the same instant.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
 * (outside 0..1, or NaN).
 */
enum sio_result sio_options_set_randomization_factor(struct sio_options *opts, double factor);

/**
 * Sets the default time an emit with ack (`sio_emit_with_ack`, `sio_call`) waits for the reply
 * when it is given a negative timeout and its socket has no default of its own
 * (`sio_socket_set_ack_timeout`); 0 (the default) means no limit. The reply's callback then gets
 * `SIO_ERR_TIMEOUT`, and an emit still held for a disconnected namespace is dropped. With
 * `sio_options_set_retries` it is the time each try waits.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_ack_timeout(struct sio_options *opts, uint32_t timeout_ms);

/**
 * Sets how many emits each namespace may hold while it is not connected (disconnected,
 * reconnecting, joining), to be sent in order once it is; with `sio_options_set_retries`, also
 * how many may wait in its retry queue until acked. An emit beyond that fails with
 * `SIO_ERR_BUFFER_FULL` and is not queued. 0 means no limit; the default is 1000. Emits made
 * while the namespace is connected are never refused (those the I/O thread must hold because
 * the connection dropped meanwhile are held and counted, even beyond the limit).
 *
 * The same number bounds the events a namespace holds that the server sent before its CONNECT
 * reply (delivered just before the connect handler; with connection state recovery, the
 * events missed while away): a server that sends more ends the session with the disconnect
 * reason `"receive buffer full"`, and the next session starts afresh (not recovered), so a
 * hostile server cannot make the client buffer without bound.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_max_buffered(struct sio_options *opts, size_t packets);

/**
 * Sets the largest message the client takes from the server, in bytes (default 16 MiB): a
 * WebSocket message, or one packet of a polling response (text, or a binary attachment once
 * decoded; the response body as a whole may be twice as large, for base64 and batching). A
 * server that sends more is disconnected, the reason being `"message too large"` (a
 * connection being opened fails with a connect error instead); reconnection applies as after
 * any transport failure. The limit bounds what the client buffers: oversized data is refused
 * as its length becomes known, not after it arrived.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID` (0).
 */
enum sio_result sio_options_set_max_message_size(struct sio_options *opts, size_t bytes);

/**
 * At-least-once delivery, as the JS client's `retries` (default 0: off). With `retries` > 0,
 * every emit (`sio_emit`, `sio_emit_with_ack`, `sio_call`; not `sio_emit_volatile`) of a
 * namespace goes through a FIFO queue: one packet in flight at a time, always with an ack id
 * (the server must acknowledge every event, also those emitted without a callback), sent again,
 * with the same ack id, when its ack does not come within the ack timeout (the emit's own, else
 * `sio_socket_set_ack_timeout`'s, else `sio_options_set_ack_timeout`'s; with none, a try waits
 * as long as the connection lives), until it is acked or has been sent `retries` + 1 times. Its
 * ack callback then gets the reply, or `SIO_ERR_TIMEOUT`, and the next packet goes. The queue
 * waits while the namespace is not connected; on each (re)connect its head is sent again, which
 * counts as a try. A disconnect does not fail the queued emits; `sio_client_close` and
 * `sio_client_free` do (`SIO_ERR_CLOSED`). The server may receive a packet more than once
 * (its ack was lost): put an id of your own in the payload to deduplicate.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_retries(struct sio_options *opts, uint32_t retries);

/**
 * Sets how many binary attachments one packet from the server may announce (default 10, as
 * socket.io-parser's decoder). A server announcing more is disconnected, the reason being
 * `"too many attachments"`; reconnection applies as after any transport failure. Together
 * with `sio_options_set_max_message_size`, this bounds the memory one incoming packet takes.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_max_attachments(struct sio_options *opts, size_t n);

/**
 * Sets the read-coalescing window in microseconds (default 400; 0 turns it off). While the
 * server streams messages to the client at 8 or more per window (20,000 a second with the
 * default), the I/O thread reads them once per window instead of waking up for each one: far
 * less CPU under a stream (a thread wake-up costs much more than a small message), for at most
 * `window_us` of added latency on the streamed messages. Replies to what the client sends
 * (acks, answers to its emits) are never held, nor is slower traffic; emits go out at once
 * whatever the window. WebSocket only (long-polling reads as responses come).
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
 * (above 100000, i.e. 100 ms).
 */
enum sio_result sio_options_set_read_coalescing(struct sio_options *opts, uint32_t window_us);

/**
 * Sets the most callbacks that may wait to run (events, ack replies, lifecycle notifications;
 * default 10000; 0: no limit). When the server sends faster than the callbacks run (a slow
 * handler, or a host that calls `sio_dispatch` too seldom), the client stops reading from the
 * server once this many wait, and reads again when half of them have run: memory stays
 * bounded, and TCP (or, over long-polling, the server's own buffer) holds the rest back.
 * Emits still go out meanwhile over WebSocket; over long-polling they wait too. A backlog that
 * keeps the client from reading longer than the server's ping interval + timeout ends in a
 * `"ping timeout"` disconnect, as any stalled connection does.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_max_pending(struct sio_options *opts, size_t n);

/**
 * Sets the handler told about reconnection (NULL removes it), replacing any earlier one.
 *
 * Ownership: `userdata` is the caller's, passed to `callback`; `free_userdata` (may be NULL)
 * is called with it exactly once: when the handler is replaced or removed, when the client is
 * freed, or at once if this call fails or removes. Thread: any, including callbacks.
 * Errors: `SIO_ERR_NULL` (`client`).
 */
enum sio_result sio_on_reconnect(const struct sio_client *client,
                                 sio_reconnect_cb callback,
                                 void *userdata,
                                 sio_free_cb free_userdata);

/**
 * Chooses the protocol revision (a `sio_protocol` value; default `SIO_PROTOCOL_AUTO`).
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
 * (not a `sio_protocol` value).
 */
enum sio_result sio_options_set_protocol(struct sio_options *opts, int protocol);

/**
 * Trusts the CA certificates in the PEM file `path` (one or more) instead of the system's trust
 * store, for `https://` and `wss://` URLs. NULL goes back to the system's store (the default).
 * The file is read by `sio_connect`, which fails with `SIO_ERR_INVALID` (naming the file) if it
 * cannot be read or holds no certificate.
 *
 * Ownership: `path` is copied. Thread: any, one thread at a time per `opts`.
 * Errors: `SIO_ERR_NULL` (`opts`), `SIO_ERR_UTF8`.
 */
enum sio_result sio_options_set_ca_file(struct sio_options *opts, const char *path);

/**
 * Sets the client certificate (PEM chain in `cert_file`) and its private key (PEM, PKCS#8,
 * PKCS#1 or SEC1, in `key_file`) presented to servers that ask for one (mutual TLS). Both NULL
 * removes it. The files are read by `sio_connect`, which fails with `SIO_ERR_INVALID` (naming
 * the file) if one cannot be read or the key is not usable.
 *
 * Ownership: both paths are copied. Thread: any, one thread at a time per `opts`.
 * Errors: `SIO_ERR_NULL` (`opts`, or only one of the files), `SIO_ERR_UTF8`.
 */
enum sio_result sio_options_set_client_cert(struct sio_options *opts,
                                            const char *cert_file,
                                            const char *key_file);

/**
 * With `insecure` non-zero, TLS connections accept any server certificate for any host name:
 * no protection against a man in the middle. For testing only (self-signed servers); prefer
 * `sio_options_set_ca_file`. 0 (the default) verifies the certificate and the host name.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_options_set_insecure(struct sio_options *opts, int insecure);

/**
 * Creates a client for `url` (`http://host:port/namespace?query`, or `ws://`, `https://`,
 * `wss://`) and starts its threads. Nothing is sent until a socket is connected with
 * `sio_socket_connect`, so register handlers first and no event is missed. The URL's path is
 * the namespace `sio_of(c, NULL, …)` returns, as in the JS client; its query is sent with every
 * request.
 *
 * Ownership: `url` and `opts` are copied (`opts` may be NULL for the defaults, and may be freed
 * right after); `*out` is owned by the caller, free it with `sio_client_free`.
 * Thread: any. Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_URL` (unparsable URL, scheme
 * other than http/ws/https/wss), `SIO_ERR_INVALID` (a TLS file of the options cannot be used),
 * `SIO_ERR_IO`. `*out` is written only on success. TLS failures while connecting (e.g. an
 * untrusted certificate) come later, to the connect_error handlers.
 */
enum sio_result sio_connect(const char *url,
                            const struct sio_options *opts,
                            struct sio_client **out);

/**
 * Leaves every namespace and closes the connection, for good: the disconnect handlers get
 * `"io client disconnect"`, and later emits and connects fail with `SIO_ERR_CLOSED`. Returns at
 * once; `sio_wait` returns when it is done. Closing twice is not an error.
 *
 * Thread: any, including callbacks. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_client_close(const struct sio_client *client);

/**
 * Blocks until the client is closed — no namespace joined or joining, and the callbacks that
 * report it have run — or `timeout_ms` passes (negative: no limit). A client whose sockets were
 * never connected is closed. This is how a program waits for the end of a session. With
 * `SIO_DISPATCH_MANUAL` it runs the callbacks that come meanwhile on the calling thread (as
 * `sio_dispatch` does), so it never waits for a dispatch that cannot happen; 0 as `timeout_ms`
 * runs those pending and tells whether the client is closed.
 *
 * Thread: any but the dispatch thread. Errors: `SIO_ERR_NULL`, `SIO_ERR_TIMEOUT` (still open),
 * `SIO_ERR_IN_CALLBACK` (called from a callback, where it would deadlock), `SIO_ERR_CLOSED`
 * (manual dispatch: a callback it ran freed the client).
 */
enum sio_result sio_wait(const struct sio_client *client, int64_t timeout_ms);

/**
 * Frees the client: stops its threads (without waiting for the server), finalizes every
 * handler's user data, and calls each pending ack callback with `SIO_ERR_CLOSED` (or its reply,
 * if it had arrived). When it returns, no callback of this client runs any more — except the
 * one that called it, if called from a callback. `sio_client_free(NULL)` does nothing. For a
 * clean goodbye call `sio_client_close` and `sio_wait` first.
 *
 * Ownership: consumes `client`; its `sio_socket` pointers become invalid (inside a callback
 * they stay valid until it returns, and calls on them fail with `SIO_ERR_CLOSED`).
 * Thread: any, including the client's own callbacks (a running callback is waited for, so it
 * must not wait for this call). No other thread of the host may call into this client or its
 * sockets meanwhile. Errors: none.
 */
void sio_client_free(struct sio_client *client);

/**
 * The socket of namespace `nsp` (`"/chat"`; `"chat"` means the same; NULL: the URL's
 * namespace), created on the first call and the same pointer on later ones. It is not joined
 * until `sio_socket_connect`. `auth_json`, if not NULL, is a JSON object sent with the CONNECT
 * (replacing the auth of an earlier call).
 *
 * Ownership: `*out` is borrowed from the client: valid until `sio_client_free`, never freed by
 * the caller. Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`,
 * `SIO_ERR_JSON` (auth not a JSON object), `SIO_ERR_INVALID` (namespace contains `,`),
 * `SIO_ERR_CLOSED`. `*out` is written only on success.
 */
enum sio_result sio_of(const struct sio_client *client,
                       const char *nsp,
                       const char *auth_json,
                       struct sio_socket **out);

/**
 * Chooses who runs the callbacks of the clients made with `opts` (a `sio_dispatch_mode` value;
 * default `SIO_DISPATCH_THREAD`). With `SIO_DISPATCH_MANUAL` every callback — events, ack
 * replies, connect, disconnect, connect_error, reconnect — runs inside `sio_dispatch`,
 * `sio_dispatch_wait` or `sio_wait`, on the thread that calls them, one at a time and in
 * arrival order; the network keeps going meanwhile on the client's I/O thread (heartbeats do not
 * wait for the host to dispatch, and what arrives is queued until it does). With
 * `SIO_DISPATCH_INLINE` they run on that I/O thread, one at a time and in order, and the
 * client's I/O waits while one runs (see `SIO_DISPATCH_INLINE`). Everything else holds as with
 * the dispatch thread: blocking calls inside a callback fail with `SIO_ERR_IN_CALLBACK`, and
 * `sio_client_free` (also from a callback) returns after the last callback.
 *
 * Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID` (not
 * a `sio_dispatch_mode` value).
 */
enum sio_result sio_options_set_dispatch(struct sio_options *opts, int mode);

/**
 * Runs the callbacks that are pending, on the calling thread: at most `max` of them, or with
 * `max` 0 all those queued when the call starts (not those that arrive while it runs, so it
 * always returns). `*ran` (if `ran` is not NULL) gets how many ran: each event, ack reply,
 * connect, disconnect, connect_error and reconnect notification counts, with or without a
 * handler. Returns without waiting when none is pending. Calls from several threads at once
 * are serialized: a call first waits for a callback running on another thread to return.
 *
 * A callback it runs may call any function of the client, including `sio_client_free`: the
 * call then returns after that callback, and later entries are not run (pending ack callbacks
 * get `SIO_ERR_CLOSED` from `sio_client_free`, once).
 *
 * Ownership: `client` is borrowed. Thread: any host thread, not from inside a callback.
 * Errors: `SIO_ERR_NULL` (`client`), `SIO_ERR_INVALID` (the client has a dispatch thread:
 * `SIO_DISPATCH_THREAD`), `SIO_ERR_IN_CALLBACK` (called from one of its callbacks). `*ran` is
 * written only on success.
 */
enum sio_result sio_dispatch(const struct sio_client *client, size_t max, size_t *ran);

/**
 * Waits up to `timeout_ms` (negative: no limit; 0: do not wait) for the next callback and runs
 * it on the calling thread: the pull form of the event loop. Runs one callback at most. Calls
 * from several threads at once are serialized, as with `sio_dispatch`; a callback it runs may
 * free the client.
 *
 * Ownership: `client` is borrowed. Thread: any host thread, not from inside a callback.
 * Errors: `SIO_ERR_NULL`, `SIO_ERR_TIMEOUT` (no callback came in time), `SIO_ERR_INVALID` (the
 * client has a dispatch thread), `SIO_ERR_IN_CALLBACK` (called from one of its callbacks).
 */
enum sio_result sio_dispatch_wait(const struct sio_client *client, int64_t timeout_ms);

/**
 * A file descriptor that is readable exactly while callbacks are pending (level-triggered:
 * it stays readable until they are run, and polling it again does not consume anything), for
 * the host's event loop: epoll, poll/select, libuv (`uv_poll_t`), GLib (`g_unix_fd_add`), Qt
 * (`QSocketNotifier`). When it is readable, call `sio_dispatch`. The same descriptor for the
 * client's whole life.
 *
 * Ownership: owned by the client: never read, write or close it; `sio_client_free` closes it,
 * so remove it from the loop first (epoll forgets it by itself when it is closed). Thread: any,
 * including callbacks. Errors: returns -1, with `sio_last_error` set, for a NULL client or one
 * made with `SIO_DISPATCH_THREAD`.
 */
int sio_client_fd(const struct sio_client *client);

/**
 * The static, human-readable name of a result code, e.g. `"SIO_ERR_JSON: invalid JSON"`.
 *
 * Ownership: the string is static; do not free it. Thread: any. Errors: an unknown code gives
 * `"unknown result code"`.
 */
const char *sio_result_str(int code);

/**
 * The message of the last failed call on this thread (`""` if none failed yet).
 *
 * Ownership: borrowed; valid until the next libsio call on this thread fails. Thread: any;
 * each thread has its own message. Errors: none.
 */
const char *sio_last_error(void);

/**
 * The event name, or `""` for an ack reply.
 *
 * Ownership: borrowed, valid as long as `event`. Thread: any. Errors: NULL if `event` is NULL.
 */
const char *sio_event_name(const struct sio_event *event);

/**
 * The arguments as a JSON array text (without the event name), e.g. `["alice","hi"]`. Binary
 * arguments appear as `{"_placeholder":true,"num":N}`; `sio_event_buffer(event, N, …)` gives
 * their bytes.
 *
 * Ownership: borrowed, valid as long as `event`. Thread: any. Errors: NULL if `event` is NULL.
 */
const char *sio_event_args(const struct sio_event *event);

/**
 * How many binary buffers the event carries.
 *
 * Thread: any. Errors: 0 if `event` is NULL.
 */
size_t sio_event_buffer_count(const struct sio_event *event);

/**
 * Buffer `index` of the event: its bytes, and its length in `*len` (if `len` is not NULL).
 *
 * Ownership: borrowed, valid as long as `event`. Thread: any. Errors: NULL (and `*len` = 0) if
 * `event` is NULL or `index` is out of range; an empty buffer gives a non-NULL pointer.
 */
const uint8_t *sio_event_buffer(const struct sio_event *event, size_t index, size_t *len);

/**
 * The socket (namespace) the event arrived on.
 *
 * Ownership: borrowed from the client, as from `sio_of`. Thread: any. Errors: NULL if `event`
 * is NULL.
 */
struct sio_socket *sio_event_socket(const struct sio_event *event);

/**
 * Takes the right to answer the server's ack request for this event: inside the callback, or
 * later from any thread. NULL if the server asked for no ack, or it was already taken.
 *
 * Ownership: owned by the caller; pass it to `sio_ack_send` or `sio_ack_free`. Thread: any.
 * Errors: NULL (see above; also if `event` is NULL).
 */
struct sio_ack *sio_event_take_ack(const struct sio_event *event);

/**
 * Frees an event returned by `sio_call`. `sio_event_free(NULL)` does nothing. Never call it on
 * the borrowed events that callbacks receive.
 *
 * Ownership: consumes `event`. Thread: any. Errors: none.
 */
void sio_event_free(struct sio_event *event);

/**
 * Answers the server's ack request with `args_json`, a JSON array (NULL: no arguments), and
 * binary `buffers` referenced by placeholders, as in `sio_emit`. If the
 * namespace has disconnected since the request, nothing is sent (the server no longer waits).
 *
 * Ownership: consumes `ack` on success; on failure it is still the caller's (fix the
 * arguments and retry, or `sio_ack_free` it). Thread: any, including callbacks.
 * Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_JSON`, `SIO_ERR_CLOSED`.
 */
enum sio_result sio_ack_send(struct sio_ack *ack,
                             const char *args_json,
                             const struct sio_buffer *buffers,
                             size_t count);

/**
 * Drops the right to answer without answering. `sio_ack_free(NULL)` does nothing.
 *
 * Ownership: consumes `ack`. Thread: any. Errors: none.
 */
void sio_ack_free(struct sio_ack *ack);

/**
 * Sends the log lines of the clients made with `opts`, up to `max_level` (a `sio_log_level`),
 * to `callback`. The log is off by default, and libsio never writes to stdout or stderr.
 * `SIO_LOG_OFF` or a NULL `callback` turns it off. A line below `max_level` costs nothing: it is
 * not even formatted.
 *
 * The callback is called on whichever libsio thread logs — mostly the client's I/O thread,
 * also its dispatch thread, its HTTP long-polling threads, or the host's own thread inside a
 * libsio call — possibly on several at once for several clients. It must return quickly (the
 * network waits for it) and must not call libsio functions (it may run where a call would
 * deadlock), except `sio_result_str`.
 *
 * Ownership: `userdata` is the caller's, passed to `callback`; `free_userdata` (may be NULL) is
 * called with it exactly once, when nothing uses it any more: after `opts` is freed or given
 * another log, and every client connected with these options is freed (and any `sio_ack` taken
 * from its events is sent or freed) — or at once if this call fails or turns the log off. Thread: any, one thread at a time per `opts`.
 * Errors: `SIO_ERR_NULL` (`opts`), `SIO_ERR_INVALID` (not a `sio_log_level` value).
 */
enum sio_result sio_options_set_log(struct sio_options *opts,
                                    int max_level,
                                    sio_log_cb callback,
                                    void *userdata,
                                    sio_free_cb free_userdata);

/**
 * Joins the namespace, opening the connection first if needed. Returns at once; the connect or
 * connect_error handler tells the outcome. Also rejoins after a disconnect. Joining or joined:
 * nothing happens.
 *
 * Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_CLOSED`.
 */
enum sio_result sio_socket_connect(const struct sio_socket *socket);

/**
 * Leaves the namespace (the server is told); the disconnect handler then gets
 * `"io client disconnect"` if it was connected. The connection closes when no namespace is
 * left. Emits made afterwards are held until `sio_socket_connect`.
 *
 * Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_CLOSED`.
 */
enum sio_result sio_socket_disconnect(const struct sio_socket *socket);

/**
 * Whether the server recovered the session at the socket's last connect (connection state
 * recovery, socket.io 4.6+ with `connectionStateRecovery`): the same socket id, and the events
 * missed while disconnected were delivered before the connect handler. Call it in the connect
 * handler, where it is that connect's; false before the first connect. With recovery on, the server
 * adds an offset (a string) as the last argument of each event it sends without ack: libsio
 * keeps the last one to send on reconnection, and leaves it in the arguments, as the JS client
 * does.
 *
 * Thread: any. Errors: false if `socket` is NULL.
 */
bool sio_socket_recovered(const struct sio_socket *socket);

/**
 * The socket's namespace, e.g. `"/"` or `"/chat"`.
 *
 * Ownership: borrowed, valid as long as the socket. Thread: any. Errors: NULL if `socket` is NULL.
 */
const char *sio_socket_namespace(const struct sio_socket *socket);

/**
 * Emits `event` with `args_json`, a JSON array of arguments (NULL: none), and `count` binary
 * `buffers` (NULL and 0: none) that the arguments reference with placeholders
 * `{"_placeholder":true,"num":i}`, anywhere in them, e.g.
 * `sio_emit(s, "file", "[\"a.png\",{\"_placeholder\":true,\"num\":0}]", &buf, 1)`.
 * If the namespace is not connected (not joined yet, disconnected, reconnecting) the emit is
 * held and sent, in order, right after it connects; when it already holds
 * `sio_options_set_max_buffered` emits (default 1000), this one fails with
 * `SIO_ERR_BUFFER_FULL` instead. With `sio_options_set_retries`, it goes through the retry queue.
 *
 * Ownership: arguments and buffers are copied. Thread: any, including callbacks.
 * Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_JSON` (not a JSON array, or placeholders
 * that do not reference each buffer exactly), `SIO_ERR_RESERVED_EVENT`, `SIO_ERR_BUFFER_FULL`,
 * `SIO_ERR_CLOSED`.
 */
enum sio_result sio_emit(const struct sio_socket *socket,
                         const char *event,
                         const char *args_json,
                         const struct sio_buffer *buffers,
                         size_t count);

/**
 * Emits like `sio_emit` (same arguments and buffers, held likewise) and asks the server for an
 * acknowledgement. `callback` runs once on the dispatch thread with the reply, or with
 * `SIO_ERR_TIMEOUT` after `timeout_ms` (negative: the socket's default,
 * `sio_socket_set_ack_timeout`, else the client's, `sio_options_set_ack_timeout`, which is no
 * limit unless set; a held emit that times out is dropped, never sent), `SIO_ERR_DISCONNECTED`
 * if the namespace left after it was sent and before the reply, or `SIO_ERR_CLOSED` on
 * `sio_client_close` or during `sio_client_free`. With `sio_options_set_retries`, the timeout
 * is per try and `SIO_ERR_TIMEOUT` comes after the last one. If this call fails, `callback` is
 * never called.
 *
 * Ownership: arguments are copied; `userdata` is the caller's, passed back to `callback`.
 * Thread: any, including callbacks. Errors: as `sio_emit`.
 */
enum sio_result sio_emit_with_ack(const struct sio_socket *socket,
                                  const char *event,
                                  const char *args_json,
                                  const struct sio_buffer *buffers,
                                  size_t count,
                                  int64_t timeout_ms,
                                  sio_ack_cb callback,
                                  void *userdata);

/**
 * Emits with an acknowledgement and blocks until the reply comes (or `timeout_ms` passes;
 * negative: the socket's default, else the client's; see `sio_emit_with_ack`).
 * On success `*reply` is the reply event: its args are the ack's arguments.
 *
 * Ownership: `*reply` is owned by the caller, free it with `sio_event_free`; written only on
 * success. Thread: any but the dispatch thread. Errors: as `sio_emit`, plus `SIO_ERR_TIMEOUT`,
 * `SIO_ERR_DISCONNECTED`, `SIO_ERR_CLOSED`, and `SIO_ERR_IN_CALLBACK` when called from a
 * callback (use `sio_emit_with_ack` there).
 */
enum sio_result sio_call(const struct sio_socket *socket,
                         const char *event,
                         const char *args_json,
                         const struct sio_buffer *buffers,
                         size_t count,
                         int64_t timeout_ms,
                         struct sio_event **reply);

/**
 * Emits like `sio_emit` (same arguments and buffers), but only if the namespace is connected
 * and the transport can take it at once: nothing waiting to be written to the WebSocket, or
 * no polling POST in flight. Otherwise it is dropped: for values that the next one supersedes
 * (positions, progress). It is never held, retried or acknowledged.
 *
 * Returns `SIO_ERR_DISCONNECTED` (dropped) when the namespace is not connected at call time;
 * `SIO_OK` means it was queued for the I/O thread, which still drops it, silently, if the
 * transport is not writable when it gets there (or the namespace disconnected meanwhile).
 *
 * Ownership: arguments and buffers are copied. Thread: any, including callbacks.
 * Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_JSON`, `SIO_ERR_RESERVED_EVENT`,
 * `SIO_ERR_DISCONNECTED`, `SIO_ERR_CLOSED`.
 */
enum sio_result sio_emit_volatile(const struct sio_socket *socket,
                                  const char *event,
                                  const char *args_json,
                                  const struct sio_buffer *buffers,
                                  size_t count);

/**
 * Sets this socket's default ack timeout: used by its emits with ack given a negative
 * timeout (and, with `sio_options_set_retries`, by each try of every emit), instead of the
 * client's `sio_options_set_ack_timeout`. `timeout_ms` > 0: that many ms; 0: no limit;
 * negative: the client's default again (the initial setting). Applies to later emits.
 *
 * Thread: any, including callbacks. Errors: `SIO_ERR_NULL`.
 */
enum sio_result sio_socket_set_ack_timeout(const struct sio_socket *socket, int64_t timeout_ms);

/**
 * Sets the handler for events named `event`, replacing any earlier one (whose `free_userdata`
 * then runs). A NULL `callback` removes the handler. Lifecycle events have their own
 * functions: `sio_on_connect`, `sio_on_disconnect`, `sio_on_connect_error`.
 *
 * Ownership: `event` is copied; `userdata` is the caller's, passed to `callback` on the dispatch
 * thread; `free_userdata` (may be NULL) is called with it exactly once: when the handler is
 * replaced or removed, when the client is freed, or at once if this call fails or removes.
 * Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`,
 * `SIO_ERR_RESERVED_EVENT`.
 */
enum sio_result sio_on(const struct sio_socket *socket,
                       const char *event,
                       sio_event_cb callback,
                       void *userdata,
                       sio_free_cb free_userdata);

/**
 * Sets the catch-all handler: called for every event, before its named handler. NULL removes.
 *
 * Ownership, thread, errors: as `sio_on` (without the event name).
 */
enum sio_result sio_on_any(const struct sio_socket *socket,
                           sio_event_cb callback,
                           void *userdata,
                           sio_free_cb free_userdata);

/**
 * Sets the handler for events that have no named handler (`sio_on`). NULL removes.
 *
 * Ownership, thread, errors: as `sio_on` (without the event name).
 */
enum sio_result sio_on_unhandled(const struct sio_socket *socket,
                                 sio_event_cb callback,
                                 void *userdata,
                                 sio_free_cb free_userdata);

/**
 * Sets the handler called when the namespace is connected, with the socket id. NULL removes.
 *
 * Ownership, thread, errors: as `sio_on` (without the event name).
 */
enum sio_result sio_on_connect(const struct sio_socket *socket,
                               sio_connect_cb callback,
                               void *userdata,
                               sio_free_cb free_userdata);

/**
 * Sets the handler called when the namespace is disconnected, with the reason. NULL removes.
 *
 * Ownership, thread, errors: as `sio_on` (without the event name).
 */
enum sio_result sio_on_disconnect(const struct sio_socket *socket,
                                  sio_disconnect_cb callback,
                                  void *userdata,
                                  sio_free_cb free_userdata);

/**
 * Sets the handler called when joining the namespace failed (refused by the server, or the
 * connection could not be opened), with the message and data. NULL removes.
 *
 * Ownership, thread, errors: as `sio_on` (without the event name).
 */
enum sio_result sio_on_connect_error(const struct sio_socket *socket,
                                     sio_connect_error_cb callback,
                                     void *userdata,
                                     sio_free_cb free_userdata);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* SIO_H */
