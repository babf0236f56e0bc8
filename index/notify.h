#ifndef NEWSD_NOTIFY_H
#define NEWSD_NOTIFY_H
/*
 * notify — the sd_notify protocol without libsystemd: one datagram with the state text
 * ("READY=1", "STOPPING=1", "RELOADING=1", "STATUS=...") to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract socket when it starts with '@').
 */

/* Send state to systemd. Returns 1 when sent, 0 when not run by systemd (no NOTIFY_SOCKET),
 * or -1 with errno set. */
int notify_send(const char *state);

#endif
