/* A program built against an installed libsio (scripts/check-install.sh builds it with
 * pkg-config and with CMake, shared and static). It checks that the header and the library
 * agree on the version, then runs a client against URL, where nothing listens: the client's
 * threads start, the connection is refused, connect_error arrives on the dispatch thread and
 * the client ends. Prints "libsio X.Y.Z: connect_error: <message>"; exits 1 on any mismatch.
 *
 *   consumer URL
 */
#include <stdio.h>
#include <string.h>

#include "sio.h"

#define STR(x) #x
#define VERSION_STRING(major, minor, patch) STR(major) "." STR(minor) "." STR(patch)

static void on_connect_error(void *userdata, sio_socket *socket, const char *message,
                             const char *data_json) {
    (void)socket;
    (void)data_json;
    printf("libsio %s: connect_error: %s\n", sio_version(), message);
    *(int *)userdata = 1;
}

int main(int argc, char **argv) {
    const char *header = VERSION_STRING(SIO_VERSION_MAJOR, SIO_VERSION_MINOR, SIO_VERSION_PATCH);
    sio_client *client;
    sio_socket *socket;
    int connect_error = 0;
    if (argc != 2) {
        fputs("usage: consumer URL\n", stderr);
        return 2;
    }
    if (strcmp(sio_version(), header) != 0) {
        fprintf(stderr, "library %s, header %s\n", sio_version(), header);
        return 1;
    }
    if (sio_connect(argv[1], NULL, &client) != SIO_OK) {
        fprintf(stderr, "sio_connect: %s\n", sio_last_error());
        return 1;
    }
    if (sio_of(client, "/", NULL, &socket) != SIO_OK ||
        sio_on_connect_error(socket, on_connect_error, &connect_error, NULL) != SIO_OK ||
        sio_socket_connect(socket) != SIO_OK || sio_wait(client, 10000) != SIO_OK) {
        fprintf(stderr, "%s\n", sio_last_error());
        sio_client_free(client);
        return 1;
    }
    sio_client_free(client);
    return connect_error ? 0 : 1;
}
