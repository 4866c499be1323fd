// Two-way splitting of a kernel across the calling thread and one helper thread (split.cc), for
// the convolutions on two cores without OpenMP: each part runs single-threaded oneDNN on its own
// primitive. Parts are claimed, not assigned: whichever thread is free takes the next part, so a
// helper the OS has not scheduled yet (another process holds the core) costs no more than running
// both parts on the caller. Which thread ran a part does not change its floats.
#pragma once

#include <functional>

namespace split {

// Runs part(0) and part(1), possibly at once; rethrows the first exception a part threw.
void Two(const std::function<void(int)>& part);

// Whether a kernel of `macs` multiply-adds splits: when splitting is on (the addon's setSplit) and
// it is at least the threshold (default 4e6: below it, waking the helper, ~10-30 us, and the
// second primitive's reorders cost what the half saves).
bool Worth(double macs);
void Configure(bool on, double minMacs);
bool Enabled();
double MinMacs();
// Calls of Two so far.
double Calls();

}  // namespace split
