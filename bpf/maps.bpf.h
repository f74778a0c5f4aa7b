/* SPDX-License-Identifier: MIT */
/* BPF-side helpers shared by the monitor programs: syscall numbers and FNV-1a. */
#pragma once

/* Syscall numbers of the native ABI (foreign and x32 ABIs are refused by seccomp, so the
 * native table is the only one a sandboxed process can use). */
#if defined(__TARGET_ARCH_x86)
#define NR_open		     2
#define NR_creat	     85
#define NR_truncate	     76
#define NR_unlink	     87
#define NR_rename	     82
#define NR_mkdir	     83
#define NR_link		     86
#define NR_symlink	     88
#define NR_ioctl	     16
#define NR_execve	     59
#define NR_openat	     257
#define NR_mkdirat	     258
#define NR_unlinkat	     263
#define NR_renameat	     264
#define NR_linkat	     265
#define NR_symlinkat	     266
#define NR_name_to_handle_at 303
#define NR_renameat2	     316
#define NR_execveat	     322
#define NR_openat2	     437
#define NR_connect	     42
#define NR_sendto	     44
#define NR_sendmsg	     46
#elif defined(__TARGET_ARCH_arm64)
/* asm-generic: no legacy path syscalls (open, creat, unlink, rename, mkdir, link, symlink). */
#define NR_open		     -1
#define NR_creat	     -1
#define NR_unlink	     -1
#define NR_rename	     -1
#define NR_mkdir	     -1
#define NR_link		     -1
#define NR_symlink	     -1
#define NR_renameat	     -1
#define NR_ioctl	     29
#define NR_mkdirat	     34
#define NR_unlinkat	     35
#define NR_symlinkat	     36
#define NR_linkat	     37
#define NR_truncate	     45
#define NR_openat	     56
#define NR_execve	     221
#define NR_name_to_handle_at 264
#define NR_renameat2	     276
#define NR_execveat	     281
#define NR_openat2	     437
#define NR_connect	     203
#define NR_sendto	     206
#define NR_sendmsg	     211
#else
#error "ward: syscall numbers for this architecture are missing"
#endif

#define WARD_AT_FDCWD	    -100
#define WARD_O_WRITE_INTENT (01 | 02 | 0100 | 01000) /* O_WRONLY O_RDWR O_CREAT O_TRUNC */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL
