#include <stdio.h>
#include "sio.h"

static void on_echo(void *userdata, const sio_event *event) {
    (void)userdata;
    printf("server says: %s\n", sio_event_args(event));      /* a JSON array */
    sio_socket_disconnect(sio_event_socket(event));         /* last namespace: client closes */
}

int main(int argc, char **argv) {
    sio_client *client;
    sio_socket *socket;
    if (argc < 2 || sio_connect(argv[1], NULL, &client) != SIO_OK) return 1;
    sio_of(client, "/", NULL, &socket);                      /* the default namespace */
    sio_on(socket, "echo", on_echo, NULL, NULL);             /* handlers first... */
    sio_socket_connect(socket);                              /* ...then join */
    sio_emit(socket, "echo", "[\"hello\", {\"n\": 1}]", NULL, 0);     /* held until joined */
    if (sio_wait(client, 5000) != SIO_OK) fprintf(stderr, "%s\n", sio_last_error());
    sio_client_free(client);
    return 0;
}
