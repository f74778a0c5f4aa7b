/* SPDX-License-Identifier: MIT */
/* The sync-socket protocol between the supervisor and init (msg.c). */
#pragma once

/* Messages on the SOCK_SEQPACKET sync socket between the supervisor and init. */
enum ward_msg_type {
	WARD_MSG_GO = 1,  /* supervisor -> init: maps written, cgroups joined */
	WARD_MSG_ERROR,	  /* init -> supervisor: setup failed (code = exit status) */
	WARD_MSG_READY,	  /* init -> supervisor: workload exec'd; seccomp listener attached */
	WARD_MSG_EXIT,	  /* init -> supervisor: workload wait status in code */
	WARD_MSG_CGROUPS, /* supervisor -> init: v1 cgroups joined (GO had code 1) */
};
struct ward_msg {
	int type;
	int code; /* exit status for ERROR, wait status for EXIT; READY: chdir(cwd)'s errno */
	int err;  /* errno */
	int aux;  /* READY: landlock ABI in use; workload pid (in the sandbox) in err */
	char text[512];
};
int ward_msg_send(int fd, const struct ward_msg *m, int pass_fd);
int ward_msg_recv(int fd, struct ward_msg *m, int *ret_fd);
