// SPDX-License-Identifier: GPL-2.0
/*
 * p2pscope: the clocks MAP_BENCH times with (P2PSCOPE_CLOCK_*).
 *
 * p2pscope_now() (p2pscope_internal.h) reads one; here are the cost of a
 * read, whether a clock ticks finely enough to be the default, and each
 * sampling thread's calibration before it starts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/preempt.h>
#include <linux/sched/clock.h>

#include "p2pscope_internal.h"

#define CALIBRATE_ROUNDS	5
#define CALIBRATE_READS		200
#define CALIBRATE_PAIRS		100
#define CLOCK_CHECK_PAIRS	200

/* Mean cost of one read of @clock in picoseconds, over @reads reads. */
static u64 p2pscope_timer_cost_ps(u32 clock, unsigned int reads)
{
	unsigned int i;
	u64 a, b;

	preempt_disable();
	a = p2pscope_now(clock);
	for (i = 0; i < reads; i++)
		p2pscope_now(clock);
	b = p2pscope_now(clock);
	preempt_enable();
	return div_u64((b - a) * 1000, reads + 1);
}

/*
 * Cost of one clock read: the best of a few rounds, so that an interrupt
 * (or, in an emulator, a slow translation) in one round does not count.
 */
u64 p2pscope_timer_overhead_ps(u32 clock)
{
	u64 best = U64_MAX;
	unsigned int i;

	for (i = 0; i < CALIBRATE_ROUNDS; i++)
		best = min(best, p2pscope_timer_cost_ps(clock, CALIBRATE_READS));
	return best;
}

/*
 * Whether back-to-back reads of @clock nearly always differ.  sched_clock()
 * falls back to jiffies where there is no usable cycle counter, which would
 * record real calls as 0 ns.
 */
static bool p2pscope_clock_fine(u32 clock)
{
	unsigned int i, same = 0;
	u64 a, b;

	preempt_disable();
	for (i = 0; i < CLOCK_CHECK_PAIRS; i++) {
		a = p2pscope_now(clock);
		b = p2pscope_now(clock);
		if (b <= a)
			same++;
	}
	preempt_enable();
	return same < CLOCK_CHECK_PAIRS / 10;
}

/*
 * P2PSCOPE_CLOCK_DEFAULT: sched_clock(), unless it does not tick finely.
 * Not local_clock(): where the kernel found the TSCs unsynchronised, that
 * stitches sched_clock() to the tick and can stand still for a while (seen
 * in QEMU with an AMD CPU model); the threads are pinned, so the CPU's own
 * monotonic sched_clock() is what they need.
 */
u32 p2pscope_default_clock(void)
{
	return p2pscope_clock_fine(P2PSCOPE_CLOCK_LOCAL) ?
	       P2PSCOPE_CLOCK_LOCAL : P2PSCOPE_CLOCK_MONOTONIC;
}

/* A thread's clock, on its own CPU: the cost of a read and the smallest step. */
void p2pscope_calibrate(struct p2pscope_thread *t)
{
	u32 clock = t->run->clock;
	u64 a, b, min = U64_MAX;
	unsigned int i;

	t->timer_cost_ps = p2pscope_timer_overhead_ps(clock);
	for (i = 0; i < CALIBRATE_PAIRS; i++) {
		a = p2pscope_now(clock);
		b = p2pscope_now(clock);
		if (b >= a && b - a < min)
			min = b - a;
	}
	t->timer_min_delta_ns = min == U64_MAX ? 0 : min;
}
