/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Time for deadlines: a monotonic clock in ms, and the absolute time a
 * pthread_cond_timedwait (which takes CLOCK_REALTIME) waits until. */
#pragma once
#include <stdint.h>
#include <time.h>

static inline int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Now + ms on the clock pthread_cond_timedwait uses. */
static inline void clock_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}
