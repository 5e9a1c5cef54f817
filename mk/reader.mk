# reader.mk - the medium reader (reader/): the unprivileged, seccomp-confined process that
# parses partition tables and filesystems with libblkid and The Sleuth Kit (libtsk), its
# wire protocol, and the service's side of it (reader/client.c).  docs/privsep.md.
LIB_SRCS += reader/msg.c reader/client.c reader/reader.c reader/confine.c
PKGS     += tsk
