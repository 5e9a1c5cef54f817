#!/usr/bin/env bash
# t_kernel_driver.sh - [media] driver=kernel: an ext4 medium is mounted by the kernel,
# read-only with noload (an ro mount would otherwise replay a dirty journal), and the
# image is unchanged afterwards.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/src/docs"
make_csv "$T/src/docs/list.csv"
make_pdf "$T/src/report.pdf"
truncate -s 32M "$T/ext4.img"
mkfs.ext4 -q -F -L KERNEL -d "$T/src" "$T/ext4.img"
policy_with driver kernel
run_scan "$T/ext4.img"
expect_rc 0
expect_verdict docs/list.csv clean
expect_verdict report.pdf clean
expect_common
pass
